/**
 * The Variables view: scopes of a stopped frame (Locals, Registers, Stack, Context, Packet, Maps,
 * Verifier) and their children, read from the runtime, and the writes setVariable makes.
 * Classic BPF programs show A, X and M[0..15] instead of the eBPF registers they live in.
 */

import { DebugProtocol } from '@vscode/debugprotocol';
import { Handles } from '@vscode/debugadapter';
import { DebugRuntime } from '../core/debug/runtime';
import { FormatOptions, contextFields, formatOptionsForRun, formatRegister, hexdump, mapEntries, stackSlots } from '../core/debug/values';
import { evaluateText, EvalEnv, mapQueryText } from '../core/debug/expr';
import { Memory } from '../core/vm/memory';
import { BpfMap } from '../core/maps/base';
import { progTypeByName } from '../core/progtypes/table';
import { MapBtfTypes, mapBtfTypes, typedMapEntry, TypedValue } from '../core/debug/btfValues';
import { sideBySide, VerifierView } from '../core/debug/soundness';
import { frameAccess, LocalsIndex, localsAt, localsIndex, readLocal } from '../core/debug/locals';

type Ref =
  | { kind: 'registers'; depth: number }
  | { kind: 'register'; reg: number }
  | { kind: 'stack'; depth: number }
  | { kind: 'context' }
  | { kind: 'packet' }
  | { kind: 'maps' }
  | { kind: 'map'; map: string }
  /** A map entry, value or field decoded through BTF: its children. */
  | { kind: 'typed'; children: TypedValue[] }
  | { kind: 'verifier' }
  /** The C variables of a frame (DWARF). */
  | { kind: 'locals'; depth: number };

/** The registers classic BPF has, and where its translation keeps them (core/cbpf/translate.ts). */
const CLASSIC_A = 0, CLASSIC_X = 7, CLASSIC_WORDS = 16;

export class Variables {
  private handles = new Handles<Ref>();

  constructor(private readonly rt: DebugRuntime, private readonly classic: boolean, private readonly verifierView: () => VerifierView | undefined) {}

  /** Forgets every handle: the client asks again after each stop. */
  reset(): void {
    this.handles.reset();
  }

  scopes(depth: number): DebugProtocol.Scope[] {
    const scope = (name: string, ref: Ref, expensive = false, presentationHint?: string): DebugProtocol.Scope =>
      ({ name, variablesReference: this.handles.create(ref), expensive, ...(presentationHint ? { presentationHint } : {}) });
    const out = [scope('Registers', { kind: 'registers', depth }, false, 'registers'), scope('Stack', { kind: 'stack', depth }, false, 'locals')];
    if (this.localsAtDepth(depth).length) out.unshift(scope('Locals', { kind: 'locals', depth }, false, 'locals'));
    if (this.ctxRegion()) out.push(scope('Context', { kind: 'context' }));
    if (this.rt.run.host.packet) out.push(scope('Packet', { kind: 'packet' }));
    if (this.rt.mapSet.size) out.push(scope('Maps', { kind: 'maps' }));
    out.push(scope('Verifier', { kind: 'verifier' }));
    return out;
  }

  variables(ref: number): DebugProtocol.Variable[] {
    const r = this.handles.get(ref);
    if (!r) return [];
    const vm = this.rt.run.vm;
    switch (r.kind) {
      case 'registers':
        if (this.classic) return this.classicRegisters();
        return Array.from({ length: 11 }, (_, n) => this.register(`r${n}`, n, vm.reg(n)));
      case 'register': {
        const f = formatRegister(vm.reg(r.reg), vm.memory, this.describeOpts());
        return [
          { name: 'hex', value: f.hex, variablesReference: 0 },
          { name: 'decimal', value: f.decimal, variablesReference: 0 },
          { name: 'signed', value: f.signed, variablesReference: 0 },
          ...(f.pointer ? [{ name: 'points to', value: f.pointer, variablesReference: 0 }] : []),
        ];
      }
      case 'stack': {
        const frame = vm.callStack()[r.depth];
        if (!frame) return [];
        return stackSlots(frame.stack).map((s) => ({
          name: `fp${s.offset}`, value: `0x${s.u64.toString(16).padStart(16, '0')}`, variablesReference: 0,
          evaluateName: `*(u64 *)(r10 ${s.offset < 0 ? '-' : '+'} ${Math.abs(s.offset)})`,
          memoryReference: hexAddress(Memory.address(frame.stack, frame.stack.bytes.length + s.offset)),
        }));
      }
      case 'context': {
        const ctx = this.ctxRegion();
        const name = this.ctxStructName();
        if (!ctx || !name) return [];
        return contextFields(ctx, name, vm.memory, this.describeOpts()).map((f) => ({
          name: f.name, value: f.pointer ?? `0x${f.value.toString(16)} (${f.value})`, variablesReference: 0,
          memoryReference: hexAddress(Memory.address(ctx, f.off)),
        }));
      }
      case 'packet': {
        const p = this.rt.run.host.packet;
        if (!p) return [];
        const bytes = p.region.bytes.subarray(p.data, p.end);
        return hexdump(bytes).map((line, k) => ({
          name: (k * 16).toString(16).padStart(4, '0'), value: line.slice(line.indexOf(':') + 1).trim(), variablesReference: 0,
          memoryReference: hexAddress(Memory.address(p.region, p.data + k * 16)),
        }));
      }
      case 'maps':
        return [...this.rt.mapSet.values()].map((m) => ({
          name: m.name, value: `${m.def.type} (${this.entryCount(m)} entries)`, variablesReference: this.handles.create({ kind: 'map', map: m.name }),
        }));
      case 'map': {
        const m = this.rt.mapSet.get(r.map);
        if (!m) return [];
        const types = this.mapTypes().get(m.name);
        return mapEntries(m).map((e) => {
          const typed = types && typedMapEntry(e, types);
          return { name: e.keyText, value: typed?.value ?? e.valueText, variablesReference: this.typedRef(typed), evaluateName: mapQueryText(m.name, e.key) };
        });
      }
      case 'locals': {
        const frame = frameAccess(this.rt.run, r.depth);
        return this.localsAtDepth(r.depth).map((l) => {
          const v = readLocal(this.localsIdx!, l, frame);
          return { name: v.name, value: v.value, type: v.type, variablesReference: this.typedRef(v) };
        });
      }
      case 'typed':
        return r.children.map((c) => ({ name: c.name, value: c.value, type: c.type, variablesReference: this.typedRef(c) }));
      case 'verifier': {
        // Each register and stack slot: the verifier's state here, then the run's value, flagged where it lies outside.
        const view = this.verifierView();
        if (!view?.strings) return [{ name: 'state', value: 'the verifier did not reach this instruction (or rejected the program before it)', variablesReference: 0 }];
        const frames = vm.callStack();
        const rows = sideBySide(view, vm, this.rt.run.host.packet, frames[frames.length - 1].stack).map((row): DebugProtocol.Variable => ({
          name: row.name,
          value: `${row.outside ? '⚠ ' : ''}${row.verifier}  │  run: ${row.run}${row.outside ? `  (outside: ${row.outside})` : ''}`,
          type: row.outside ? 'outside the verifier\'s state' : undefined,
          variablesReference: 0,
        }));
        if (!view.accepted) rows.push({ name: 'note', value: 'the verifier stopped at its first error: its states cover only the paths it walked, so values are not checked', variablesReference: 0 });
        return rows;
      }
    }
  }

  /** Writes a register, a classic register or scratch word, a stack slot or a map value; returns the shown value. */
  setVariable(ref: number, name: string, value: string): string {
    const r = this.handles.get(ref);
    if (!r) throw new Error('that scope is gone (the program moved on)');
    const vm = this.rt.run.vm;
    const num = (): bigint => {
      const v = evaluateText(value, this.evalEnv());
      if (!v.ok) throw new Error(v.error);
      return v.value;
    };
    if (r.kind === 'registers') {
      if (this.classic) return this.setClassic(name, num());
      const m = /^r(\d{1,2})$/.exec(name);
      if (!m || Number(m[1]) > 10) throw new Error(`${name} is not a register`);
      vm.setReg(Number(m[1]), num());
      return this.register(name, Number(m[1]), vm.reg(Number(m[1]))).value;
    }
    if (r.kind === 'stack') {
      const frame = vm.callStack()[r.depth];
      const off = Number(/^fp(-\d+)$/.exec(name)?.[1]);
      if (!frame || !Number.isInteger(off)) throw new Error(`${name} is not a stack slot`);
      const at = frame.stack.bytes.length + off;
      new DataView(frame.stack.bytes.buffer, frame.stack.bytes.byteOffset).setBigUint64(at, BigInt.asUintN(64, num()), true);
      return `0x${BigInt.asUintN(64, num()).toString(16).padStart(16, '0')}`;
    }
    if (r.kind === 'map') {
      const m = this.rt.mapSet.get(r.map);
      const entry = m && mapEntries(m).find((e) => e.keyText === name);
      if (!m || !entry) throw new Error(`${name} is not an entry of ${r.map}`);
      const bytes = valueBytes(value, m.def.valueSize, () => num());
      const err = m.sysUpdate(entry.key, bytes, 0);
      if (err !== 0) throw new Error(`${r.map}: update failed (${err})`);
      const now = mapEntries(m).find((e) => e.keyText === name);
      const types = this.mapTypes().get(m.name);
      return (now && types && typedMapEntry(now, types)?.value) ?? now?.valueText ?? value;
    }
    throw new Error('only registers, stack slots and map values can be set');
  }

  /** What a data breakpoint on a variable watches: a stack slot (its frame and offset) or a map value (by key). */
  dataId(ref: number, name: string): { dataId: string; description: string } | undefined {
    const r = this.handles.get(ref);
    if (r?.kind === 'stack') {
      const off = /^fp(-\d+)$/.exec(name)?.[1];
      return off ? { dataId: `stack:${r.depth}:${off}:8`, description: `stack slot ${name} of frame ${r.depth}` } : undefined;
    }
    if (r?.kind === 'map') {
      const m = this.rt.mapSet.get(r.map);
      const entry = m && mapEntries(m).find((e) => e.keyText === name);
      return entry ? { dataId: `map:${r.map}:${Buffer.from(entry.key).toString('hex')}`, description: `${r.map}[${name}]` } : undefined;
    }
    return undefined;
  }

  evalEnv(): EvalEnv {
    const vm = this.rt.run.vm;
    return {
      reg: (n) => vm.reg(n),
      read: (addr, size) => vm.readMemory(addr, size),
      name: (name) => {
        if (!this.classic) return undefined;
        if (name === 'A') return vm.reg(CLASSIC_A) & 0xffffffffn;
        if (name === 'X') return vm.reg(CLASSIC_X) & 0xffffffffn;
        return undefined;
      },
      index: (name, i) => {
        if (!this.classic || name !== 'M') return undefined;
        if (i < 0n || i >= BigInt(CLASSIC_WORDS)) return `M[${i}]: scratch memory has words 0 to 15`;
        return this.classicWord(Number(i));
      },
    };
  }

  private register(name: string, n: number, v: bigint): DebugProtocol.Variable {
    const f = formatRegister(v, this.rt.run.vm.memory, this.describeOpts());
    return {
      name, value: f.pointer ? `${f.pointer} (${f.hex})` : `${f.hex} (${f.signed})`, evaluateName: name,
      variablesReference: this.handles.create({ kind: 'register', reg: n }),
      ...(f.pointer ? { memoryReference: f.hex } : {}),
    };
  }

  private describeOpts(): FormatOptions {
    return formatOptionsForRun(this.rt.run);
  }

  private classicWord(k: number): bigint {
    const stack = this.rt.run.vm.callStack()[0].stack;
    const off = stack.bytes.length - (CLASSIC_WORDS - k) * 4;
    return BigInt(new DataView(stack.bytes.buffer, stack.bytes.byteOffset).getUint32(off, true));
  }

  private classicRegisters(): DebugProtocol.Variable[] {
    const vm = this.rt.run.vm;
    const u32 = (v: bigint) => `0x${v.toString(16)} (${v})`;
    return [
      { name: 'A', value: u32(vm.reg(CLASSIC_A) & 0xffffffffn), variablesReference: 0, evaluateName: 'A' },
      { name: 'X', value: u32(vm.reg(CLASSIC_X) & 0xffffffffn), variablesReference: 0, evaluateName: 'X' },
      ...Array.from({ length: CLASSIC_WORDS }, (_, k) => ({ name: `M[${k}]`, value: u32(this.classicWord(k)), variablesReference: 0, evaluateName: `M[${k}]` })),
    ];
  }

  private setClassic(name: string, v: bigint): string {
    const vm = this.rt.run.vm;
    const u32 = BigInt.asUintN(32, v);
    if (name === 'A' || name === 'X') { vm.setReg(name === 'A' ? CLASSIC_A : CLASSIC_X, u32); return `0x${u32.toString(16)} (${u32})`; }
    const k = Number(/^M\[(\d+)\]$/.exec(name)?.[1]);
    if (!Number.isInteger(k) || k >= CLASSIC_WORDS) throw new Error(`${name} is not A, X or M[0..15]`);
    const stack = vm.callStack()[0].stack;
    new DataView(stack.bytes.buffer, stack.bytes.byteOffset).setUint32(stack.bytes.length - (CLASSIC_WORDS - k) * 4, Number(u32), true);
    return `0x${u32.toString(16)} (${u32})`;
  }

  private ctxRegion() {
    return this.rt.run.vm.memory.regions().find((r) => r.kind === 'ctx');
  }

  private ctxStructName(): string | undefined {
    return progTypeByName(this.rt.input.progType)?.ctxType;
  }

  /** A map entry looked up by key, decoded through BTF (evaluate's answer), when its map has BTF types. */
  typedMapValue(m: BpfMap, key: Uint8Array): { result: string; variablesReference: number } | undefined {
    const types = this.mapTypes().get(m.name);
    const entry = types && mapEntries(m).find((e) => Buffer.from(e.key).equals(key));
    const typed = entry && typedMapEntry(entry, types);
    return typed && { result: typed.value, variablesReference: this.typedRef(typed) };
  }

  /** A C variable of frame `depth` by name (evaluate's answer); undefined when no local has that name there. */
  localValue(name: string, depth: number): { result: string; type: string; variablesReference: number } | undefined {
    const l = this.localsAtDepth(depth).find((v) => v.name === name);
    if (!l) return undefined;
    const v = readLocal(this.localsIdx!, l, frameAccess(this.rt.run, depth));
    return { result: v.value, type: v.type, variablesReference: this.typedRef(v) };
  }

  private localsIdx?: LocalsIndex | null;
  /** The C variables in scope at a frame's pc, from the object's DWARF (none without -g). */
  private localsAtDepth(depth: number) {
    this.localsIdx ??= localsIndex(this.rt.input.object) ?? null;
    const pc = this.rt.frames()[depth]?.pc;
    const origin = pc === undefined ? undefined : this.rt.program.origin[pc];
    return this.localsIdx && origin ? localsAt(this.localsIdx, origin.section, origin.slot) : [];
  }

  private mapTypesCache?: Map<string, MapBtfTypes>;
  private mapTypes(): Map<string, MapBtfTypes> {
    this.mapTypesCache ??= mapBtfTypes(this.rt.input.object);
    return this.mapTypesCache;
  }

  private typedRef(v: TypedValue | undefined): number {
    return v?.children?.length ? this.handles.create({ kind: 'typed', children: v.children }) : 0;
  }

  private entryCount(m: BpfMap): number {
    return mapEntries(m).length;
  }
}

export function hexAddress(a: { lo: number; hi: number }): string {
  return `0x${((BigInt(a.hi >>> 0) << 32n) | BigInt(a.lo >>> 0)).toString(16)}`;
}

/** A map value from `0a 00 00 00` hex bytes, or an integer written little-endian into the value size. */
export function valueBytes(text: string, size: number, integer: () => bigint): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (/^([0-9a-fA-F]{2})+$/.test(compact) && compact.length === size * 2 && !/^\d+$/.test(text.trim())) {
    return Uint8Array.from(compact.match(/../g)!.map((h) => parseInt(h, 16)));
  }
  const v = BigInt.asUintN(Math.min(size, 8) * 8, integer());
  const out = new Uint8Array(size);
  for (let k = 0; k < Math.min(size, 8); k++) out[k] = Number((v >> BigInt(8 * k)) & 0xffn);
  return out;
}
