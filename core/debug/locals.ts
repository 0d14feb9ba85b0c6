/**
 * C locals for the debugger: at a program counter, the variables and parameters of the C
 * function there (and of the inlined functions whose code covers it) with where each lives
 * at that instruction, read from the object's DWARF (core/dwarf); and each one's value,
 * read from a frame's registers and stack and decoded by its C type through the decoder of
 * map values (core/debug/btfValues.ts). Pointers are described as the Registers scope
 * describes them (`pkt+14`, `map_value(stats)+0`) and show what they point at.
 *
 * clang-19's BPF stack offsets: DWARF puts a stack variable at DW_OP_fbreg +N (or
 * DW_OP_breg10 +N) where N counts from the bottom of the function's stack frame rather
 * than from r10: LLVM's BPF backend did not override getFrameIndexReference() before
 * 2026, so the offset is the object's offset plus the frame's size. The frame's size is
 * not in DWARF, so it is taken from the function's code: the deepest r10-relative access,
 * rounded up to 8 bytes (LLVM's frame size, with the BPF stack's 8-byte alignment). A
 * negative offset (a fixed compiler) is used as it is: a BPF stack variable is always
 * below r10.
 */

import { BpfObject, Section } from '../object';
import { resolveType, typeName, typeSize } from '../btf/query';
import { Decoded, DwarfFunction, DwarfInfo, DwarfScope, DwarfVariable, Place, decodeExpr, dwarfSections, evaluate, exprText, readDwarf } from '../dwarf';
import { DW_AT, DW_ATE } from '../dwarf/constants';
import { safe } from '../dwarf/info';
import { Run } from '../vm/run';
import { decodeBtfValue, TypedValue } from './btfValues';
import { describePointer, formatOptionsForRun } from './values';

export interface LocalsIndex {
  dwarf: DwarfInfo;
  /** Each concrete function with its code section and the frame size its stack offsets count from. */
  functions: { fn: DwarfFunction; section: string; stackSize: number }[];
}

export interface LocalVar {
  /** The C name; an outer variable that an inner one of the same name hides gets `@function`. */
  name: string;
  param: boolean;
  /** The function whose variable it is (an inlined function's own name when inlined). */
  function: string;
  inlined: boolean;
  /** The C spelling of its type. */
  type: string;
  typeId: number;
  /** Where it is here: llvm-dwarfdump's spelling of the expression, `const` for a known constant; undefined when optimized out. */
  location?: string;
  /** @internal what `readLocal` evaluates. */
  where: { kind: 'expr'; expr: Decoded; stackSize: number } | { kind: 'const'; value: bigint | Uint8Array | string } | { kind: 'none' };
}

/** What a frame gives to read a value: its registers (undefined where not known), memory, and pointer descriptions. */
export interface FrameAccess {
  reg(n: number): bigint | undefined;
  read(addr: bigint, size: number): Uint8Array | undefined;
  describePointer(v: bigint): string | undefined;
}

export const OPTIMIZED_OUT = '<optimized out>';
const MAX_VALUE_BYTES = 4096;

/** The object's DWARF, with its functions placed in their code sections; undefined without DWARF. */
export function localsIndex(obj: BpfObject): LocalsIndex | undefined {
  if (!obj.debug?.['.debug_info']) return undefined;
  const dwarf = readDwarf(dwarfSections(obj.debug));
  const code = obj.sections.filter((s) => s.kind === 'code' && s.insns.length > 0);
  const functions: LocalsIndex['functions'] = [];
  for (const fn of dwarf.functions) {
    const sec = sectionOf(obj, code, fn);
    if (sec) functions.push({ fn, section: sec.name, stackSize: frameSize(sec, fn.ranges) });
  }
  return { dwarf, functions };
}

/**
 * The variables in scope at slot `slot` of code section `section`: the innermost inlined
 * function's first, then the scopes around it out to the function's own. Each has the
 * location that holds at that instruction, or none (optimized out).
 */
export function localsAt(index: LocalsIndex, section: string, slot: number): LocalVar[] {
  const addr = slot * 8;
  const f = index.functions.find((x) => x.section === section && covers(x.fn.ranges, addr));
  if (!f) return [];
  const chain: DwarfScope[] = [f.fn];
  for (let s: DwarfScope | undefined = f.fn; s;) {
    s = s.children.find((c) => covers(c.ranges, addr));
    if (s) chain.push(s);
  }
  const out: LocalVar[] = [];
  const seen = new Set<string>();
  let fnName = f.fn.name;
  const named = chain.map((s) => (s.kind === 'block' ? fnName : (fnName = s.name)));
  for (let k = chain.length - 1; k >= 0; k--) {
    const s = chain[k];
    for (const v of s.vars) {
      const name = seen.has(v.name) ? `${v.name}@${named[k]}` : v.name;
      seen.add(v.name);
      out.push(localVar(index, f, v, name, named[k], chainInlined(chain, k), addr));
    }
  }
  return out;
}

/** A local's value at this stop, decoded by its type; pointers carry what they point at as their one child. */
export function readLocal(index: LocalsIndex, v: LocalVar, frame: FrameAccess): TypedValue {
  const types = index.dwarf.types.types;
  // A value bigger than any BPF stack frame is a broken type, not a variable: read no more than that.
  const size = Math.min(typeSize(types, v.typeId) ?? 8, MAX_VALUE_BYTES);
  const shown = (value: string): TypedValue => ({ name: v.name, type: v.type, value });
  let bytes: Uint8Array | undefined;
  let partial = false;
  switch (v.where.kind) {
    case 'none': return shown(OPTIMIZED_OUT);
    case 'const': {
      const c = v.where.value;
      if (typeof c === 'string') return shown(JSON.stringify(c));
      bytes = c instanceof Uint8Array ? c : leBytes(c, size);
      break;
    }
    case 'expr': {
      const place = evaluate(v.where.expr, evalEnv(index, frame, v.where.stackSize));
      const got = placeBytes(place, size, frame);
      if (typeof got === 'string') return shown(got);
      ({ bytes, partial } = got);
    }
  }
  const t = resolveType(types, v.typeId);
  if (t?.kind === 'ptr' && bytes.length >= 8) {
    const p = readLe(bytes.subarray(0, 8));
    const desc = frame.describePointer(p);
    const value = `${desc ? `${desc} (0x${p.toString(16)})` : p === 0n ? 'NULL' : `0x${p.toString(16)}`}`;
    const children = desc ? pointee(types, t.type, v.name, p, frame) : undefined;
    return { name: v.name, type: v.type, value, ...(children ? { children: [children] } : {}) };
  }
  const decoded = decodeBtfValue(types, v.typeId, bytes, v.name);
  return partial ? { ...decoded, value: `${decoded.value} <partly optimized out>` } : decoded;
}

/**
 * Frame `depth` of a run (0 the outermost) as readLocal reads it: the innermost frame has
 * every register; an outer frame only r6-r10, as saved when it called (r0-r5 died there).
 */
export function frameAccess(run: Run, depth: number): FrameAccess {
  const vm = run.vm;
  const frames = vm.callStack();
  const saved = depth < frames.length - 1 ? vm.frames[depth]?.saved : undefined;
  const opts = { ...formatOptionsForRun(run), frame: frames[depth]?.stack };
  return {
    reg: (n) => (!saved ? vm.reg(n) : n >= 6 && n <= 10 ? (BigInt(saved[n - 1] >>> 0) << 32n) | BigInt(saved[n - 6] >>> 0) : undefined),
    read: (addr, size) => {
      const b = vm.readMemory(addr, size);
      return typeof b === 'string' ? undefined : b;
    },
    describePointer: (v) => describePointer(v, vm.memory, opts),
  };
}

// --- helpers --------------------------------------------------------------------------

function localVar(index: LocalsIndex, f: LocalsIndex['functions'][number], v: DwarfVariable, name: string, fnName: string, inlined: boolean, addr: number): LocalVar {
  const types = index.dwarf.types.types;
  const base = { name, param: v.param, function: fnName, inlined, type: typeName(types, v.typeId), typeId: v.typeId };
  const u = f.fn.unit;
  const expr = (bytes: Uint8Array): LocalVar => {
    const d = decodeExpr(bytes, u.addrSize, u.offsetSize);
    return { ...base, location: exprText(d), where: { kind: 'expr', expr: d, stackSize: f.stackSize } };
  };
  switch (v.location.kind) {
    case 'none': return { ...base, where: { kind: 'none' } };
    case 'const': return { ...base, location: 'const', where: { kind: 'const', value: v.location.value } };
    case 'expr': return expr(v.location.expr);
    case 'list': {
      const e = v.location.entries.find((x) => !x.isDefault && x.start <= addr && addr < x.end) ?? v.location.entries.find((x) => x.isDefault);
      return e && e.expr.length ? expr(e.expr) : { ...base, where: { kind: 'none' } };
    }
  }
}

function chainInlined(chain: DwarfScope[], k: number): boolean {
  for (let j = k; j > 0; j--) if (chain[j].kind === 'inlined') return true;
  return false;
}

function evalEnv(index: LocalsIndex, frame: FrameAccess, stackSize: number) {
  return {
    reg: (n: number) => frame.reg(n),
    frameBase: () => frame.reg(10),
    read: (addr: bigint, size: number) => {
      const b = frame.read(addr, size);
      return b ? readLe(b) : undefined;
    },
    frameOffset: (off: bigint) => (off >= 0n ? off - BigInt(stackSize) : off),
    baseType: (cuOff: number) => baseTypeAt(index, cuOff),
  };
}

/** DW_OP_convert names a base type by its offset in the unit; every unit of a BPF object is searched (one in practice). */
function baseTypeAt(index: LocalsIndex, cuOff: number): { size: number; signed: boolean } | undefined {
  for (const u of index.dwarf.units) {
    const d = u.dies.get(u.offset + cuOff);
    if (!d) continue;
    const size = d.attrs.get(DW_AT.byte_size)?.value;
    const enc = d.attrs.get(DW_AT.encoding)?.value;
    if (typeof size !== 'bigint') return undefined;
    return { size: safe(size), signed: enc === BigInt(DW_ATE.signed) || enc === BigInt(DW_ATE.signed_char) };
  }
  return undefined;
}

/** The bytes a place holds, `size` of them; a string says why there are none. */
function placeBytes(place: Place, size: number, frame: FrameAccess): { bytes: Uint8Array; partial: boolean } | string {
  switch (place.kind) {
    case 'unavailable': return `<unavailable: ${place.why}>`;
    case 'global': return '<a global variable>';
    case 'register': {
      const r = frame.reg(place.reg);
      return r === undefined ? `<r${place.reg} is not known in this frame>` : { bytes: leBytes(r, Math.min(size, 8)), partial: false };
    }
    case 'memory': {
      const b = frame.read(place.addr, size);
      return b ? { bytes: b, partial: false } : `<cannot read ${size} bytes at 0x${place.addr.toString(16)}>`;
    }
    case 'value': return { bytes: leBytes(place.value, Math.min(size, 8)), partial: false };
    case 'bytes': return { bytes: place.bytes, partial: false };
    case 'pieces': {
      const out = new Uint8Array(size);
      let at = 0, partial = false;
      for (const p of place.pieces) {
        const got = p.place ? placeBytes(p.place, p.size, frame) : undefined;
        if (!got || typeof got === 'string') partial = true;
        else out.set(got.bytes.subarray(0, Math.max(0, Math.min(p.size, size - at))), at);
        at += p.size;
        if (at >= size) break;
      }
      return { bytes: out, partial };
    }
  }
}

/** `*name`: what a described pointer points at, when its type has a size and the bytes are readable. */
function pointee(types: DwarfInfo['types']['types'], target: number, name: string, p: bigint, frame: FrameAccess): TypedValue | undefined {
  const size = typeSize(types, target);
  if (!size || size > MAX_VALUE_BYTES) return undefined;
  const bytes = frame.read(p, size);
  return bytes ? decodeBtfValue(types, target, bytes, `*${name}`) : undefined;
}

/** The code section of a function: the one with a function symbol of its name at its start, else the only code section. */
function sectionOf(obj: BpfObject, code: Section[], fn: DwarfFunction): Section | undefined {
  const start = Math.min(...fn.ranges.map((r) => r[0]));
  const sym = obj.symbols.find((y) => y.kind === 'func' && y.name === fn.name && y.offset === start && code.some((s) => s.name === y.section))
    ?? obj.symbols.find((y) => y.kind === 'func' && y.name === fn.name && code.some((s) => s.name === y.section));
  if (sym) return code.find((s) => s.name === sym.section);
  return code.length === 1 ? code[0] : undefined;
}

/**
 * The stack frame size of the function's code: the deepest byte below r10 that it reaches,
 * directly (`*(u32 *)(r10 - 4)`) or through a copy of r10 moved by constants
 * (`r2 = r10; r2 += -4`), rounded up to 8. A straight pass over the code: a copy is
 * forgotten at the next write to its register.
 */
function frameSize(sec: Section, ranges: [number, number][]): number {
  let deepest = 0;
  for (const [start, end] of ranges) {
    const fromR10: (number | undefined)[] = [];
    for (let pc = Math.max(0, Math.floor(start / 8)); pc < Math.min(sec.insns.length, end / 8); pc++) {
      const i = sec.insns[pc];
      const cls = i.code & 7;
      const mode = i.code & 0xe0;
      const isMem = (cls === 1 || cls === 2 || cls === 3) && (mode === 0x60 || mode === 0xc0 || mode === 0x80);
      if (isMem) {
        const base = cls === 1 ? i.src : i.dst;
        const k = base === 10 ? 0 : fromR10[base];
        if (k !== undefined) deepest = Math.max(deepest, -(k + i.off));
        if (cls === 1) fromR10[i.dst] = undefined;
        continue;
      }
      if (i.code === 0xbf && i.src === 10 && i.off === 0) fromR10[i.dst] = 0;
      else if (i.code === 0x07 && fromR10[i.dst] !== undefined) { fromR10[i.dst]! += i.imm; deepest = Math.max(deepest, -fromR10[i.dst]!); }
      else if (i.code === 0x85) for (let r = 0; r <= 5; r++) fromR10[r] = undefined;
      else if (cls === 0 || cls === 4 || cls === 7) fromR10[i.dst] = undefined;
    }
  }
  return Math.ceil(deepest / 8) * 8;
}

function covers(ranges: [number, number][], addr: number): boolean {
  return ranges.some(([s, e]) => s <= addr && addr < e);
}

function leBytes(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, size));
  let x = BigInt.asUintN(64, v);
  for (let k = 0; k < out.length && k < 8; k++) { out[k] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

function readLe(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let k = bytes.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[k]);
  return v;
}
