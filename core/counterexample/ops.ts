/**
 * eBPF's ALU and jump operations on terms (term.ts): what an instruction computes from its
 * operands' values, with the ISA's rules (RFC 9669 §4.1: shift counts masked to the width,
 * division by zero gives 0, modulo by zero leaves the dividend; 32-bit operations on the low
 * halves). The symbolic run (symbolic.ts) picks the operands; these say what comes out.
 */

import * as T from './term';
import { Cond, Term } from './term';

/** The result of ALU operation `op` (the opcode table's names) on `a` and `b`, both `w` bits; undefined for one not modelled. */
export function aluTerm(op: string, a: Term, b: Term, w: number): Term | undefined {
  const zero = T.cnst(0, w);
  const count = () => T.bin('and', b, T.cnst(w - 1, w));
  switch (op) {
    case 'add': return T.bin('add', a, b);
    case 'sub': return T.bin('sub', a, b);
    case 'mul': return T.bin('mul', a, b);
    case 'or': return T.bin('or', a, b);
    case 'and': return T.bin('and', a, b);
    case 'xor': return T.bin('xor', a, b);
    case 'lsh': return T.bin('shl', a, count());
    case 'rsh': return T.bin('lshr', a, count());
    case 'arsh': return T.bin('ashr', a, count());
    case 'div': return T.ite(T.cmp('eq', b, zero), zero, T.bin('udiv', a, b));
    case 'sdiv': return T.ite(T.cmp('eq', b, zero), zero, T.bin('sdiv', a, b));
    case 'mod': return T.ite(T.cmp('eq', b, zero), a, T.bin('urem', a, b));
    case 'smod': return T.ite(T.cmp('eq', b, zero), a, T.bin('srem', a, b));
    default: return undefined;
  }
}

/** The condition under which jump `op` is taken, comparing `a` with `b` (both `w` bits); undefined for one not modelled. */
export function jumpTerm(op: string, a: Term, b: Term, w: number): Cond | undefined {
  switch (op) {
    case 'jeq': return T.cmp('eq', a, b);
    case 'jne': return T.cmp('ne', a, b);
    case 'jgt': return T.cmp('ugt', a, b);
    case 'jge': return T.cmp('uge', a, b);
    case 'jlt': return T.cmp('ult', a, b);
    case 'jle': return T.cmp('ule', a, b);
    case 'jsgt': return T.cmp('sgt', a, b);
    case 'jsge': return T.cmp('sge', a, b);
    case 'jslt': return T.cmp('slt', a, b);
    case 'jsle': return T.cmp('sle', a, b);
    case 'jset': return T.cmp('ne', T.bin('and', a, b), T.cnst(0, w));
    default: return undefined;
  }
}
