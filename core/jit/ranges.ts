/**
 * What the JIT knows about register values: for each register at each leader, an interval
 * [min, max] of its value read as an unsigned 64-bit number, kept only while max < 2^53 (so
 * that it is exact as a JavaScript number), or `null`: any value. It is an abstract
 * interpretation over the blocks of core/jit/cfg.ts, path-insensitive, with widening at
 * program constants and a check that the result is inductive. It is much weaker than the
 * verifier, and needs no verdict: it holds for any program, valid or not.
 *
 * The code generator (core/jit/emit.ts) uses it to drop work: a register known below 2^32
 * has a high half of 0, so 64-bit adds, compares and shifts on it become 32-bit ones, and a
 * product of two such values below 2^53 is one multiplication of doubles.
 *
 * The intervals hold along the edges between compiled blocks. Where the driver enters
 * compiled code from outside (after the interpreter ran a call, or after a debugger changed a
 * register), each chunk checks its entry leader's intervals first (`guard`), so a state the
 * analysis did not foresee runs in the interpreter instead of in code that assumed otherwise.
 */

import { LinkedProgram } from '../link';
import { Cfg } from './cfg';

export interface Range { min: number; max: number }
/** r0..r10; null: nothing known. */
export type RegState = (Range | null)[];

export const MAX_EXACT = 2 ** 53 - 1;
export const U32 = 2 ** 32 - 1;
const FULL32: Range = { min: 0, max: U32 };
const TOP: RegState = new Array(11).fill(null);

function mk(min: number, max: number): Range | null {
  return min >= 0 && min <= max && max <= MAX_EXACT ? { min, max } : null;
}

/** The sign-extended immediate as an unsigned 64-bit value, when exact. */
export function konst(imm: number): Range | null {
  return imm >= 0 ? { min: imm, max: imm } : null;
}

export function narrow(r: Range | null | undefined): r is Range {
  return !!r && r.max <= U32;
}

function low32(r: Range | null): Range {
  return narrow(r) ? r : FULL32;
}

function fit32(min: number, max: number): Range {
  return min >= 0 && min <= max && max <= U32 ? { min, max } : FULL32;
}

/** The smallest 2^k - 1 at or above both: a bound for or and xor. */
function ones(a: number, b: number): number {
  const m = Math.max(a, b);
  let p = 1;
  while (p <= m) p *= 2;
  return p - 1;
}

/** The interval of an ALU result, from the state before the instruction. */
export function aluResult(st: RegState, op: number, d: number, s: number, off: number, imm: number): Range | null {
  const x = (op & 8) !== 0, code = op & 0xf0;
  const A = st[d];
  if ((op & 7) === 0x07) {
    const B = x ? st[s] : konst(imm);
    switch (code) {
      case 0x00: return A && B ? mk(A.min + B.min, A.max + B.max) : null;
      case 0x10: return A && B && A.min - B.max >= 0 ? mk(A.min - B.max, A.max - B.min) : null;
      case 0x20: return A && B ? mk(A.min * B.min, A.max * B.max) : null;
      case 0x30: return A && (off !== 1 || B) ? mk(0, A.max) : null; // signed: both known means both non-negative
      case 0x90:
        if (off === 1) return A && B ? mk(0, A.max) : null;
        return A ? mk(0, A.max) : B && B.min >= 1 ? mk(0, B.max - 1) : null;
      case 0x40: return A && B ? mk(Math.max(A.min, B.min), ones(A.max, B.max)) : null;
      case 0x50: return A && B ? mk(0, Math.min(A.max, B.max)) : A ? mk(0, A.max) : B ? mk(0, B.max) : null;
      case 0xa0: return A && B ? mk(0, ones(A.max, B.max)) : null;
      case 0x60: {
        if (!A) return null;
        if (!x) return mk(A.min * 2 ** (imm & 63), A.max * 2 ** (imm & 63));
        return B && B.max <= 63 ? mk(A.min * 2 ** B.min, A.max * 2 ** B.max) : null;
      }
      case 0x70: case 0xc0: {
        if (!x) {
          const n = imm & 63;
          if (A) return mk(Math.floor(A.min / 2 ** n), Math.floor(A.max / 2 ** n));
          return code === 0x70 && n >= 11 ? mk(0, 2 ** (64 - n) - 1) : null;
        }
        return A ? mk(0, A.max) : null;
      }
      case 0x80: return A && A.max === 0 ? A : null;
      case 0xb0: {
        if (!x) return konst(off === 8 ? (imm << 24) >> 24 : off === 16 ? (imm << 16) >> 16 : imm);
        if (off === 8) return B && B.max < 0x80 ? B : null;
        if (off === 16) return B && B.max < 0x8000 ? B : null;
        if (off === 32) return B && B.max < 0x80000000 ? B : null;
        return B;
      }
      case 0xd0: return imm === 16 ? { min: 0, max: 0xffff } : imm === 32 ? FULL32 : null;
      default: return null;
    }
  }
  // ALU32: on the low halves, and the result is zero-extended.
  if (code === 0xd0) {
    if (x) return imm === 16 ? { min: 0, max: 0xffff } : imm === 32 ? FULL32 : null; // be
    if (imm === 16) return narrow(A) && A.max <= 0xffff ? A : { min: 0, max: 0xffff }; // le
    return imm === 32 ? low32(A) : A; // le64 leaves the register as it was
  }
  const a = low32(A), b = x ? low32(st[s]) : { min: imm >>> 0, max: imm >>> 0 };
  switch (code) {
    case 0x00: return fit32(a.min + b.min, a.max + b.max);
    case 0x10: return fit32(a.min - b.max, a.max - b.min);
    case 0x20: return fit32(a.min * b.min, a.max * b.max);
    case 0x30: case 0x90: return off !== 1 || (a.max < 2 ** 31 && b.max < 2 ** 31) ? { min: 0, max: a.max } : FULL32;
    case 0x40: return fit32(Math.max(a.min, b.min), ones(a.max, b.max));
    case 0x50: return { min: 0, max: Math.min(a.max, b.max) };
    case 0xa0: return fit32(0, ones(a.max, b.max));
    case 0x60: return x ? FULL32 : fit32(a.min * 2 ** (imm & 31), a.max * 2 ** (imm & 31));
    case 0x70: case 0xc0: {
      if (code === 0xc0 && a.max >= 2 ** 31) return FULL32;
      return x ? { min: 0, max: a.max } : { min: Math.floor(a.min / 2 ** (imm & 31)), max: Math.floor(a.max / 2 ** (imm & 31)) };
    }
    case 0x80: return a.max === 0 ? a : FULL32;
    case 0xb0: {
      if (!x) { const v = off === 8 ? (imm << 24) >> 24 : off === 16 ? (imm << 16) >> 16 : imm; return { min: v >>> 0, max: v >>> 0 }; }
      if (off === 8) return b.max < 0x80 ? b : FULL32;
      if (off === 16) return b.max < 0x8000 ? b : FULL32;
      return b;
    }
    default: return FULL32;
  }
}

/** The interval of a loaded value: bytes and halves are zero-extended; words may be a context's pointers. */
export function loadResult(op: number): Range | null {
  if (op === 0x71) return { min: 0, max: 0xff };
  if (op === 0x69) return { min: 0, max: 0xffff };
  return null;
}

/** The state after one slot that is not a jump (ALU, load, store, lddw, nop), or after a handover slot. */
export function stepState(cfg: Cfg, program: LinkedProgram, st: RegState, pc: number): RegState {
  const op = cfg.ops[pc], d = cfg.dsts[pc], s = cfg.srcs[pc];
  const out = st.slice();
  switch (cfg.kinds[pc]) {
    case 'alu': out[d] = aluResult(st, op, d, s, cfg.offs[pc], cfg.imms[pc]); break;
    case 'load': out[d] = loadResult(op); break;
    case 'lddw': {
      const hiImm = pc + 1 < cfg.n ? cfg.imms[pc + 1] : 0;
      out[d] = s === 0 && !program.mapRefs.has(pc) ? mk((hiImm >>> 0) * 2 ** 32 + (cfg.imms[pc] >>> 0), (hiImm >>> 0) * 2 ** 32 + (cfg.imms[pc] >>> 0)) : null;
      break;
    }
    case 'handover':
      // Calls clobber r0-r5 (the VM leaves r1-r5, the kernel makes them unreadable: assume either);
      // atomics write r0 and their source; legacy loads write r0. Other handovers fault.
      if ((op & 7) === 0x05 && (op & 0xf0) === 0x80) for (let k = 0; k <= 5; k++) out[k] = null;
      else if (op === 0xc3 || op === 0xdb) { out[0] = null; out[s] = null; }
      else if ((op & 7) === 0x00) out[0] = null;
      else return TOP;
      break;
    default: break;
  }
  return out;
}

type Rel = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
const CONVERSE: Record<Rel, Rel> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };

/** A narrowed to the values a with `a REL b` for some b in B; undefined when there are none. */
function refineRel(A: Range | null, rel: Rel, B: Range | null): Range | null | undefined {
  switch (rel) {
    case 'lt': case 'le': {
      if (!B) return A;
      const max = rel === 'lt' ? B.max - 1 : B.max;
      if (max < 0) return undefined;
      if (!A) return { min: 0, max };
      return A.min <= Math.min(A.max, max) ? { min: A.min, max: Math.min(A.max, max) } : undefined;
    }
    case 'gt': case 'ge': {
      if (!B || !A) return A;
      const min = rel === 'gt' ? B.min + 1 : B.min;
      return Math.max(A.min, min) <= A.max ? { min: Math.max(A.min, min), max: A.max } : undefined;
    }
    case 'eq': {
      if (!A) return B;
      if (!B) return A;
      const min = Math.max(A.min, B.min), max = Math.min(A.max, B.max);
      return min <= max ? { min, max } : undefined;
    }
    case 'ne': {
      if (!A || !B || B.min !== B.max) return A;
      const c = B.min;
      if (A.min === c && A.max === c) return undefined;
      if (A.min === c) return { min: c + 1, max: A.max };
      if (A.max === c) return { min: A.min, max: c - 1 };
      return A;
    }
  }
}

/** The state along one edge of a conditional jump; undefined when the edge cannot be taken. */
export function branchState(cfg: Cfg, st: RegState, pc: number, taken: boolean): RegState | undefined {
  const op = cfg.ops[pc], d = cfg.dsts[pc], s = cfg.srcs[pc], imm = cfg.imms[pc];
  const x = (op & 8) !== 0, is64 = (op & 7) === 0x05, code = op & 0xf0;
  const A = st[d], B = x ? st[s] : is64 ? konst(imm) : { min: imm >>> 0, max: imm >>> 0 };
  let rel: Rel | undefined;
  let signed = false;
  switch (code) {
    case 0x10: rel = 'eq'; break;
    case 0x50: rel = 'ne'; break;
    case 0x20: rel = 'gt'; break;
    case 0x30: rel = 'ge'; break;
    case 0xa0: rel = 'lt'; break;
    case 0xb0: rel = 'le'; break;
    case 0x60: rel = 'gt'; signed = true; break;
    case 0x70: rel = 'ge'; signed = true; break;
    case 0xc0: rel = 'lt'; signed = true; break;
    case 0xd0: rel = 'le'; signed = true; break;
    default: return st; // jset
  }
  if (!taken) rel = ({ eq: 'ne', ne: 'eq', lt: 'ge', le: 'gt', gt: 'le', ge: 'lt' } as const)[rel];
  // Compare only what the comparison sees the same way as our unsigned intervals.
  const limit = is64 ? (signed ? 2 ** 63 - 1 : Infinity) : signed ? 2 ** 31 - 1 : U32;
  const fits = (r: Range | null) => !!r && r.max <= limit;
  if (signed || !is64) {
    if (!fits(A) || !fits(B)) return st;
  }
  const out = st.slice();
  const a = refineRel(A, rel, B);
  if (a === undefined) return undefined;
  out[d] = a;
  if (x && s !== d) {
    const b = refineRel(B, CONVERSE[rel], A);
    if (b === undefined) return undefined;
    out[s] = b;
  }
  return out;
}

function joinRange(a: Range | null, b: Range | null): Range | null {
  return a && b ? { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) } : null;
}

function join(a: RegState | undefined, b: RegState): RegState {
  return a ? a.map((r, k) => joinRange(r, b[k])) : b;
}

function sameRange(a: Range | null, b: Range | null): boolean {
  return a === b || (!!a && !!b && a.min === b.min && a.max === b.max);
}

function within(a: Range | null, b: Range | null): boolean {
  return !b || (!!a && a.min >= b.min && a.max <= b.max);
}

/** The intervals at each leader and handover slot (undefined where nothing arrives). */
export function analyzeRanges(cfg: Cfg, program: LinkedProgram): Map<number, RegState> {
  const thresholds = new Set<number>([0xff, 0xffff, 2 ** 31 - 1, U32, MAX_EXACT]);
  for (let pc = 0; pc < cfg.n; pc++) {
    if (cfg.kinds[pc] === 'cond' && !(cfg.ops[pc] & 8) && cfg.imms[pc] >= 0) {
      for (const t of [cfg.imms[pc] - 1, cfg.imms[pc], cfg.imms[pc] + 1]) if (t >= 0) thresholds.add(t);
    }
  }
  const sorted = [...thresholds].sort((a, b) => a - b);
  const widen = (old: Range | null, cur: Range | null): Range | null => {
    if (!old || !cur) return null;
    const min = cur.min < old.min ? 0 : old.min;
    const max = cur.max > old.max ? sorted.find((t) => t >= cur.max) : old.max;
    return max === undefined ? null : { min, max };
  };

  const nodes = [...cfg.blocks.map((b) => b.leader), ...cfg.handoverNext.keys()];
  /** Every edge out of a node, from its entry state. */
  const edges = (pc: number, st: RegState): [number, RegState][] => {
    const b = cfg.blockAt.get(pc);
    if (!b) {
      const next = cfg.handoverNext.get(pc)!;
      return [[next, stepState(cfg, program, st, pc)]];
    }
    let cur = st;
    const out: [number, RegState][] = [];
    for (const p of b.pcs) {
      if (cfg.kinds[p] === 'cond') {
        const t = branchState(cfg, cur, p, true);
        if (t) out.push([b.target!, t]);
        const f = branchState(cfg, cur, p, false);
        if (f) out.push([b.next!, f]);
        return out;
      }
      if (cfg.kinds[p] === 'ja') { out.push([b.target!, cur]); return out; }
      if (cfg.kinds[p] === 'exit') return out;
      cur = stepState(cfg, program, cur, p);
    }
    if (b.next !== undefined) out.push([b.next, cur]);
    return out;
  };
  const isNode = (pc: number) => cfg.blockAt.has(pc) || cfg.handoverNext.has(pc);

  // Ascending, with widening after a few visits.
  const state = new Map<number, RegState>();
  const visits = new Map<number, number>();
  const work: number[] = [];
  for (const r of cfg.roots) if (isNode(r)) { state.set(r, TOP); work.push(r); }
  while (work.length) {
    const pc = work.pop()!;
    for (const [to, st] of edges(pc, state.get(pc)!)) {
      if (!isNode(to)) continue;
      const old = state.get(to);
      const v = (visits.get(to) ?? 0) + 1;
      visits.set(to, v);
      let next = join(old, st);
      if (old && v > 3) next = old.map((r, k) => widen(r, next[k]));
      if (!old || next.some((r, k) => !sameRange(r, old[k]))) { state.set(to, next); work.push(to); }
    }
  }

  // Descending: recompute each state from its predecessors, twice, keeping the result only if it is still inductive.
  const apply = (from: Map<number, RegState>): Map<number, RegState> => {
    const next = new Map<number, RegState>();
    for (const r of cfg.roots) if (isNode(r)) next.set(r, TOP);
    for (const pc of nodes) {
      const st = from.get(pc);
      if (!st) continue;
      for (const [to, s] of edges(pc, st)) if (isNode(to) && !cfg.roots.has(to)) next.set(to, join(next.get(to), s));
    }
    return next;
  };
  const inductive = (m: Map<number, RegState>): boolean => {
    const next = apply(m);
    for (const [pc, st] of next) {
      const have = m.get(pc);
      if (!have || st.some((r, k) => !within(r, have[k]))) return false;
    }
    return true;
  };
  let best = state;
  let cur = state;
  for (let k = 0; k < 2; k++) {
    cur = apply(cur);
    if (inductive(cur)) best = cur;
  }
  return best;
}
