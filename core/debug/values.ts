/**
 * How the debugger shows values: a register in hex, decimal and signed decimal with what it
 * points at (`pkt+14`, `fp-8`, `ctx+4 (data_end)`, `map_value(counters)+0`, `map(counters)`),
 * a stack frame as 8-byte slots, a context as named fields, bytes as a hex dump, and a
 * map's entries. Plain data and strings only: the debug adapter turns them into DAP
 * variables; nothing here knows the protocol.
 *
 * A pointer is described relative to the base that means something to the program: the
 * packet's data start, the frame pointer (the top of a stack region), the start of a
 * context, map value or other buffer. Any address in a region's buffer is described (a
 * packet's headroom and tailroom too, where a bad bounds check leads), and so is the
 * address one past its end (fp); anything further out gets no description.
 */

import { BpfMap } from '../maps/base';
import { errName, roundUp8 } from '../maps/uapi';
import { ctxFieldAt, ctxStruct } from '../progtypes/contexts';
import { PacketState } from '../vm/host';
import { FUNC_HI, Machine } from '../vm/machine';
import { Memory, Region } from '../vm/memory';
import { MAP_HANDLE_HI, Run } from '../vm/run';

export interface FormatOptions {
  /** Where the packet data starts; without it a packet pointer counts from the region's accessible start. */
  packetData?: PacketState;
  /** The stack of the frame being shown: pointers into other frames name theirs. */
  frame?: Region;
  /** The name of the map whose handle (high half MAP_HANDLE_HI) a register holds: Host.mapAt's. */
  mapName?(lo: number, hi: number): string | undefined;
  /** Program-specific descriptions; undefined falls back to describeRegion. */
  describeRegion?(region: Region, off: number): string | undefined;
}

export interface RegisterText {
  hex: string;
  decimal: string;
  signed: string;
  pointer?: string;
}

export interface StackSlot {
  /** Bytes from the frame pointer: -8, -16, ... -512. */
  offset: number;
  label: string;
  bytes: Uint8Array;
  u64: bigint;
}

export interface ContextField {
  name: string;
  off: number;
  size: number;
  value: bigint;
  pointer?: string;
}

export interface MapEntryText {
  /** Empty for maps without keys (queue, stack, ringbuf). */
  key: Uint8Array;
  /** Undefined for per-CPU maps (see values) and when the lookup fails. */
  value: Uint8Array | undefined;
  /** Per-CPU maps: one value per CPU. */
  values?: Uint8Array[];
  keyText: string;
  valueText: string;
}

export function formatRegister(value: bigint, memory: Memory, opts: FormatOptions = {}): RegisterText {
  const v = BigInt.asUintN(64, value);
  const out: RegisterText = { hex: `0x${v.toString(16)}`, decimal: v.toString(), signed: BigInt.asIntN(64, v).toString() };
  const pointer = describePointer(v, memory, opts);
  if (pointer) out.pointer = pointer;
  return out;
}

/** What an address points at, or undefined when it points at nothing we know. */
export function describePointer(value: bigint, memory: Memory, opts: FormatOptions = {}): string | undefined {
  const hi = Number(value >> 32n), lo = Number(value & 0xffffffffn);
  if (hi === MAP_HANDLE_HI) return `map(${opts.mapName?.(lo | 0, hi) ?? `#${lo}`})`;
  if (hi === FUNC_HI) return `func@${lo}`;
  const at = memory.locate(value);
  if (!at || at.off < 0 || at.off > at.region.bytes.length) return undefined;
  return opts.describeRegion?.(at.region, at.off) ?? describeRegion(at.region, at.off, opts);
}

/** The default description of byte `off` of a region, by its kind and name. */
export function describeRegion(region: Region, off: number, opts: FormatOptions = {}): string {
  switch (region.kind) {
    case 'packet': {
      const data = opts.packetData?.region === region ? opts.packetData.data : region.lowOff;
      return `pkt${signedOff(off - data)}`;
    }
    case 'stack': {
      const fp = off === region.bytes.length ? 'fp' : `fp${signedOff(off - region.bytes.length)}`;
      return opts.frame && opts.frame !== region ? `${fp} (${region.name})` : fp;
    }
    case 'ctx': {
      const base = `ctx${signedOff(off)}`;
      const st = ctxStructName(region);
      const at = st ? ctxFieldAt(st, off) : undefined;
      if (!at) return base;
      const elem = at.index === undefined ? at.field.name : `${at.field.name}[${at.index}]`;
      const inside = off - at.field.off - (at.index ?? 0) * at.field.size;
      return `${base} (${elem}${inside ? `+${inside}` : ''})`;
    }
    default:
      return `${region.name}${signedOff(off)}`;
  }
}

/** The options a run gives: its packet, its maps' names, the innermost frame. */
export function formatOptionsForRun(run: Run): FormatOptions {
  const frames = run.vm.callStack();
  return {
    packetData: run.host.packet,
    frame: frames[frames.length - 1].stack,
    mapName: (lo, hi) => run.host.mapAt(lo, hi)?.name,
  };
}

/** The registers r0-r10 of a machine's current frame, formatted. */
export function formatRegisters(vm: Machine, opts: FormatOptions = {}): RegisterText[] {
  return Array.from({ length: 11 }, (_, n) => formatRegister(vm.reg(n), vm.memory, opts));
}

/** Every 8-byte slot of a stack frame, from fp-8 down to the bottom (fp-512). */
export function stackSlots(stack: Region): StackSlot[] {
  const out: StackSlot[] = [];
  const top = stack.bytes.length;
  for (let off = top - 8; off >= 0; off -= 8) {
    const bytes = stack.bytes.slice(off, off + 8);
    out.push({ offset: off - top, label: `fp${off - top}`, bytes, u64: readLe(bytes) });
  }
  return out;
}

/** The context struct a region's name says (`ctx (xdp_md)`), if we know it. */
export function ctxStructName(region: Region): ReturnType<typeof ctxStruct> {
  const m = /^ctx \((.+)\)$/.exec(region.name);
  return m ? ctxStruct(m[1]) : undefined;
}

/**
 * A context's fields as the program sees them: pointer fields (data, data_end) hold the
 * pointer a load yields, described when `memory` is given; array fields are expanded
 * (`cb[0]`...). A struct we do not know shows the bytes as u64 words named by offset.
 */
export function contextFields(ctx: Region, structName: string, memory?: Memory, opts: FormatOptions = {}): ContextField[] {
  const st = ctxStruct(structName);
  const out: ContextField[] = [];
  if (!st) {
    for (let off = 0; off + 8 <= ctx.bytes.length; off += 8) out.push({ name: `+${off}`, off, size: 8, value: readLe(ctx.bytes.subarray(off, off + 8)) });
    return out;
  }
  for (const f of st.fields) {
    for (let k = 0; k < (f.count ?? 1); k++) {
      const off = f.off + k * f.size;
      if (off + f.size > ctx.bytes.length) continue;
      const ptr = ctx.pointerFields?.get(off);
      const value = ptr ? joinHalves(ptr()) : readLe(ctx.bytes.subarray(off, off + f.size));
      const field: ContextField = { name: f.count ? `${f.name}[${k}]` : f.name, off, size: f.size, value };
      const pointer = ptr && memory ? describePointer(value, memory, opts) : undefined;
      if (pointer) field.pointer = pointer;
      out.push(field);
    }
  }
  return out;
}

/** Lines of 16 bytes: `0000: 45 00 00 14 ...  E...`; offsets count from `base`. */
export function hexdump(bytes: Uint8Array, base = 0): string[] {
  const width = Math.max(4, (base + bytes.length).toString(16).length);
  const out: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${(base + off).toString(16).padStart(width, '0')}: ${hex.padEnd(16 * 3 - 1)}  ${text}`);
  }
  return out;
}

/**
 * Up to `limit` entries, as user space sees them (getNextKey, then sysLookup). Maps
 * without keys (queue, stack, ringbuf) list their values in order, keyed `#0`, `#1`...
 * prog_array and map-in-map values show the program or map their slot names.
 */
export function mapEntries(map: BpfMap, limit = 1000): MapEntryText[] {
  const out: MapEntryText[] = [];
  let key = map.getNextKey(undefined);
  if (typeof key === 'number') {
    map.entries().slice(0, limit).forEach((e, k) => out.push({
      key: new Uint8Array(0), value: e.value, values: e.values, keyText: `#${k}`,
      valueText: e.ref ?? (e.values ? perCpuText(e.values) : e.value ? bytesText(e.value) : ''),
    }));
    return out;
  }
  const seen = new Set<string>();
  while (typeof key !== 'number' && out.length < limit) {
    const id = key.join(',');
    if (seen.has(id)) break; // a key that leads back to itself would loop
    seen.add(id);
    out.push(entryText(map, key));
    key = map.getNextKey(key);
  }
  return out;
}

/** Bytes as an integer for 1, 2, 4 and 8 bytes (`0x1 (1)`), else spaced hex. */
export function bytesText(bytes: Uint8Array): string {
  if (bytes.length === 1 || bytes.length === 2 || bytes.length === 4 || bytes.length === 8) {
    const v = readLe(bytes);
    return `0x${v.toString(16)} (${v})`;
  }
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function entryText(map: BpfMap, key: Uint8Array): MapEntryText {
  const keyText = bytesText(key);
  const ref = map.spec.name === 'prog_array' || map.spec.mapInMap ? map.lookupRef(key) : undefined;
  if (ref !== undefined) return { key, value: undefined, keyText, valueText: ref };
  const got = map.sysLookup(key);
  if (typeof got === 'number') return { key, value: undefined, keyText, valueText: `<lookup failed: ${errName(got)}>` };
  if (!map.spec.perCpu) return { key, value: got, keyText, valueText: bytesText(got) };
  const stride = roundUp8(map.def.valueSize);
  const values = Array.from({ length: map.nCpus }, (_, c) => got.slice(c * stride, c * stride + map.def.valueSize));
  return { key, value: undefined, values, keyText, valueText: perCpuText(values) };
}

function perCpuText(values: Uint8Array[]): string {
  return values.map((v, c) => `cpu${c}: ${bytesText(v)}`).join(', ');
}

function signedOff(n: number): string {
  return n < 0 ? `${n}` : `+${n}`;
}

function readLe(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let k = bytes.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[k]);
  return v;
}

function joinHalves(a: { lo: number; hi: number }): bigint {
  return (BigInt(a.hi >>> 0) << 32n) | BigInt(a.lo >>> 0);
}
