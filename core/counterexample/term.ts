/**
 * Terms over bit vectors: the values of a symbolic run (core/counterexample/symbolic.ts) and
 * the conditions its path must meet. A term is plain data, folded to a constant as it is built
 * when its operands are constants, and evaluated under an assignment of its variables (the
 * solver's model; a variable the model leaves out is 0). The solver adapter (z3.ts) turns
 * terms into the solver's expressions; nothing here knows the solver.
 *
 * Arithmetic is the solver's (SMT-LIB bit vectors): division by zero is not eBPF's here, so
 * the executor guards it (eBPF: x / 0 = 0, x % 0 = x; RFC 9669 §4.1).
 */

export type BinOp = 'add' | 'sub' | 'mul' | 'udiv' | 'urem' | 'sdiv' | 'srem' | 'and' | 'or' | 'xor' | 'shl' | 'lshr' | 'ashr';
export type CmpOp = 'eq' | 'ne' | 'ult' | 'ule' | 'ugt' | 'uge' | 'slt' | 'sle' | 'sgt' | 'sge';

export type Term =
  | { op: 'const'; w: number; v: bigint }
  | { op: 'var'; w: number; name: string }
  | { op: 'bin'; fn: BinOp; w: number; a: Term; b: Term }
  | { op: 'not'; w: number; a: Term }
  | { op: 'zext' | 'sext'; w: number; a: Term }
  /** Bits [lo, lo + w) of `a`. */
  | { op: 'extract'; w: number; a: Term; lo: number }
  /** `hi` above `lo`. */
  | { op: 'concat'; w: number; hi: Term; lo: Term }
  | { op: 'ite'; w: number; c: Cond; a: Term; b: Term };

export type Cond =
  | { op: 'true' | 'false' }
  | { op: 'bvar'; name: string }
  | { op: 'cmp'; fn: CmpOp; a: Term; b: Term }
  | { op: 'bnot'; a: Cond }
  | { op: 'band' | 'bor'; a: Cond; b: Cond };

export type Assignment = ReadonlyMap<string, bigint | boolean>;

const mask = (w: number) => (1n << BigInt(w)) - 1n;
const signed = (v: bigint, w: number) => (v >> BigInt(w - 1) ? v - (1n << BigInt(w)) : v);

export const TRUE: Cond = { op: 'true' };
export const FALSE: Cond = { op: 'false' };

export function cnst(v: bigint | number, w = 64): Term {
  return { op: 'const', w, v: BigInt(v) & mask(w) };
}

export function bv(name: string, w: number): Term {
  return { op: 'var', w, name };
}

export function bvar(name: string): Cond {
  return { op: 'bvar', name };
}

export function isConst(t: Term): t is { op: 'const'; w: number; v: bigint } {
  return t.op === 'const';
}

export function bin(fn: BinOp, a: Term, b: Term): Term {
  const t: Term = { op: 'bin', fn, w: a.w, a, b };
  if (isConst(a) && isConst(b)) return cnst(evalTerm(t, EMPTY), a.w);
  // The identities that keep pointer offsets constant: x + 0, x - 0, x & all-ones.
  if ((fn === 'add' || fn === 'sub' || fn === 'or' || fn === 'xor') && isConst(b) && b.v === 0n) return a;
  if (fn === 'add' && isConst(a) && a.v === 0n) return b;
  return t;
}

export function bnot(a: Term): Term {
  return isConst(a) ? cnst(~a.v, a.w) : { op: 'not', w: a.w, a };
}

export function zext(a: Term, w: number): Term {
  if (a.w === w) return a;
  return isConst(a) ? cnst(a.v, w) : { op: 'zext', w, a };
}

export function sext(a: Term, w: number): Term {
  if (a.w === w) return a;
  return isConst(a) ? cnst(signed(a.v, a.w), w) : { op: 'sext', w, a };
}

export function extract(a: Term, lo: number, w: number): Term {
  if (lo === 0 && w === a.w) return a;
  if (isConst(a)) return cnst(a.v >> BigInt(lo), w);
  // The low bits of a zero-extension are its operand's.
  if (a.op === 'zext' && lo === 0 && w === a.a.w) return a.a;
  return { op: 'extract', w, a, lo };
}

export function concat(hi: Term, lo: Term): Term {
  if (isConst(hi) && isConst(lo)) return cnst((hi.v << BigInt(lo.w)) | lo.v, hi.w + lo.w);
  return { op: 'concat', w: hi.w + lo.w, hi, lo };
}

export function ite(c: Cond, a: Term, b: Term): Term {
  if (c.op === 'true') return a;
  if (c.op === 'false') return b;
  return { op: 'ite', w: a.w, c, a, b };
}

export function cmp(fn: CmpOp, a: Term, b: Term): Cond {
  const c: Cond = { op: 'cmp', fn, a, b };
  if (isConst(a) && isConst(b)) return evalCond(c, EMPTY) ? TRUE : FALSE;
  return c;
}

export function not(a: Cond): Cond {
  if (a.op === 'true') return FALSE;
  if (a.op === 'false') return TRUE;
  if (a.op === 'bnot') return a.a;
  return { op: 'bnot', a };
}

export function and(a: Cond, b: Cond): Cond {
  if (a.op === 'false' || b.op === 'false') return FALSE;
  if (a.op === 'true') return b;
  if (b.op === 'true') return a;
  return { op: 'band', a, b };
}

export function or(a: Cond, b: Cond): Cond {
  if (a.op === 'true' || b.op === 'true') return TRUE;
  if (a.op === 'false') return b;
  if (b.op === 'false') return a;
  return { op: 'bor', a, b };
}

/** Bytes, first in memory first, read as a little-endian value (`bigEndian`: network order). */
export function fromBytes(bytes: readonly Term[], bigEndian = false): Term {
  const order = bigEndian ? bytes : [...bytes].reverse();
  return order.reduce((acc, b) => concat(acc, b));
}

/** A value's bytes, first in memory first (little-endian). */
export function toBytes(t: Term, n: number): Term[] {
  return Array.from({ length: n }, (_, k) => extract(t, 8 * k, 8));
}

const EMPTY: Assignment = new Map();

export function evalTerm(t: Term, m: Assignment): bigint {
  switch (t.op) {
    case 'const': return t.v;
    case 'var': { const v = m.get(t.name); return typeof v === 'bigint' ? v & mask(t.w) : 0n; }
    case 'not': return ~evalTerm(t.a, m) & mask(t.w);
    case 'zext': return evalTerm(t.a, m);
    case 'sext': return signed(evalTerm(t.a, m), t.a.w) & mask(t.w);
    case 'extract': return (evalTerm(t.a, m) >> BigInt(t.lo)) & mask(t.w);
    case 'concat': return (evalTerm(t.hi, m) << BigInt(t.lo.w)) | evalTerm(t.lo, m);
    case 'ite': return evalCond(t.c, m) ? evalTerm(t.a, m) : evalTerm(t.b, m);
    case 'bin': {
      const a = evalTerm(t.a, m), b = evalTerm(t.b, m), w = t.w, mk = mask(w);
      switch (t.fn) {
        case 'add': return (a + b) & mk;
        case 'sub': return (a - b) & mk;
        case 'mul': return (a * b) & mk;
        // SMT-LIB: x udiv 0 = all ones, x urem 0 = x.
        case 'udiv': return b === 0n ? mk : a / b;
        case 'urem': return b === 0n ? a : a % b;
        case 'sdiv': {
          const sa = signed(a, w), sb = signed(b, w);
          if (sb === 0n) return sa < 0n ? 1n : mk;
          return (sa / sb) & mk;
        }
        case 'srem': {
          const sa = signed(a, w), sb = signed(b, w);
          return sb === 0n ? a : (sa % sb) & mk;
        }
        case 'and': return a & b;
        case 'or': return a | b;
        case 'xor': return a ^ b;
        case 'shl': return b >= BigInt(w) ? 0n : (a << b) & mk;
        case 'lshr': return b >= BigInt(w) ? 0n : a >> b;
        case 'ashr': return (signed(a, w) >> (b >= BigInt(w) ? BigInt(w - 1) : b)) & mk;
      }
    }
  }
}

export function evalCond(c: Cond, m: Assignment): boolean {
  switch (c.op) {
    case 'true': return true;
    case 'false': return false;
    case 'bvar': return m.get(c.name) === true;
    case 'bnot': return !evalCond(c.a, m);
    case 'band': return evalCond(c.a, m) && evalCond(c.b, m);
    case 'bor': return evalCond(c.a, m) || evalCond(c.b, m);
    case 'cmp': {
      const a = evalTerm(c.a, m), b = evalTerm(c.b, m), w = c.a.w;
      switch (c.fn) {
        case 'eq': return a === b;
        case 'ne': return a !== b;
        case 'ult': return a < b;
        case 'ule': return a <= b;
        case 'ugt': return a > b;
        case 'uge': return a >= b;
        case 'slt': return signed(a, w) < signed(b, w);
        case 'sle': return signed(a, w) <= signed(b, w);
        case 'sgt': return signed(a, w) > signed(b, w);
        case 'sge': return signed(a, w) >= signed(b, w);
      }
    }
  }
}
