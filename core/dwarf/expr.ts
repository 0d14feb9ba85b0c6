/**
 * DWARF location expressions (DWARF 5 section 2.5 and 2.6): decoded into operations,
 * printed the way llvm-dwarfdump prints them (`DW_OP_breg10 W10+4`), and evaluated
 * against a machine's registers and memory into a place: a register, a memory address, an
 * implicit value (DW_OP_stack_value, DW_OP_implicit_value), pieces of those
 * (DW_OP_piece), or a global's address (DW_OP_addrx), which the caller may skip.
 *
 * Arithmetic is on 64-bit two's complement values, as on a BPF register. An operation this
 * module does not know, or an operand running off the end, makes the expression
 * undecodable: evaluation then says so rather than guess.
 */

import { Cursor } from './cursor';

export interface Op {
  code: number;
  /** Operands in order: numbers as bigint, blocks as bytes. */
  args: (bigint | Uint8Array)[];
}

export interface Decoded {
  ops: Op[];
  /** An unknown operation or a truncated operand: `ops` holds what came before it. */
  bad: boolean;
}

/** Operand kinds: u1/s1/u2/s2/u4/s4/u8/s8 fixed, U/S LEB128, A address, O offset, B uleb-counted block, b u8-counted block. */
type Shape = string;

const NAMED: Record<number, [string, Shape]> = {
  0x03: ['addr', 'A'], 0x06: ['deref', ''], 0x08: ['const1u', 'u1'], 0x09: ['const1s', 's1'],
  0x0a: ['const2u', 'u2'], 0x0b: ['const2s', 's2'], 0x0c: ['const4u', 'u4'], 0x0d: ['const4s', 's4'],
  0x0e: ['const8u', 'u8'], 0x0f: ['const8s', 's8'], 0x10: ['constu', 'U'], 0x11: ['consts', 'S'],
  0x12: ['dup', ''], 0x13: ['drop', ''], 0x14: ['over', ''], 0x15: ['pick', 'u1'], 0x16: ['swap', ''],
  0x17: ['rot', ''], 0x19: ['abs', ''], 0x1a: ['and', ''], 0x1b: ['div', ''], 0x1c: ['minus', ''],
  0x1d: ['mod', ''], 0x1e: ['mul', ''], 0x1f: ['neg', ''], 0x20: ['not', ''], 0x21: ['or', ''],
  0x22: ['plus', ''], 0x23: ['plus_uconst', 'U'], 0x24: ['shl', ''], 0x25: ['shr', ''], 0x26: ['shra', ''],
  0x27: ['xor', ''], 0x28: ['bra', 's2'], 0x29: ['eq', ''], 0x2a: ['ge', ''], 0x2b: ['gt', ''], 0x2c: ['le', ''],
  0x2d: ['lt', ''], 0x2e: ['ne', ''], 0x2f: ['skip', 's2'], 0x90: ['regx', 'U'], 0x91: ['fbreg', 'S'],
  0x92: ['bregx', 'US'], 0x93: ['piece', 'U'], 0x94: ['deref_size', 'u1'], 0x96: ['nop', ''],
  0x9c: ['call_frame_cfa', ''], 0x9d: ['bit_piece', 'UU'], 0x9e: ['implicit_value', 'B'], 0x9f: ['stack_value', ''],
  0xa0: ['implicit_pointer', 'OS'], 0xa1: ['addrx', 'U'], 0xa2: ['constx', 'U'], 0xa3: ['entry_value', 'B'],
  0xa4: ['const_type', 'Ub'], 0xa5: ['regval_type', 'UU'], 0xa6: ['deref_type', 'u1U'], 0xa8: ['convert', 'U'],
  0xa9: ['reinterpret', 'U'], 0xf3: ['GNU_entry_value', 'B'],
};

const LIT0 = 0x30, REG0 = 0x50, BREG0 = 0x70;

export function opName(code: number): string {
  if (code >= LIT0 && code < LIT0 + 32) return `DW_OP_lit${code - LIT0}`;
  if (code >= REG0 && code < REG0 + 32) return `DW_OP_reg${code - REG0}`;
  if (code >= BREG0 && code < BREG0 + 32) return `DW_OP_breg${code - BREG0}`;
  const n = NAMED[code];
  return n ? `DW_OP_${n[0]}` : `DW_OP_<0x${code.toString(16)}>`;
}

function shapeOf(code: number): Shape | undefined {
  if (code >= LIT0 && code < REG0) return '';
  if (code >= REG0 && code < BREG0) return '';
  if (code >= BREG0 && code < BREG0 + 32) return 'S';
  return NAMED[code]?.[1];
}

export function decodeExpr(bytes: Uint8Array, addrSize = 8, offsetSize = 4): Decoded {
  const c = new Cursor(bytes);
  const ops: Op[] = [];
  while (!c.atEnd) {
    const code = c.u8();
    const shape = shapeOf(code);
    if (shape === undefined) return { ops, bad: true };
    const args: Op['args'] = [];
    for (let k = 0; k < shape.length; k++) {
      const s = shape[k];
      if (s === 'u' || s === 's') {
        const n = Number(shape[++k]);
        const v = n === 8 ? (s === 's' ? c.s64() : c.u64Big()) : BigInt(c.uN(n));
        args.push(s === 's' && n < 8 ? BigInt.asIntN(n * 8, v) : v);
      } else if (s === 'U') args.push(c.ulebBig());
      else if (s === 'S') args.push(c.slebBig());
      else if (s === 'A') args.push(BigInt(c.uN(addrSize)));
      else if (s === 'O') args.push(BigInt(c.uN(offsetSize)));
      else if (s === 'B') args.push(c.block(c.uleb()));
      else if (s === 'b') args.push(c.block(c.u8()));
    }
    if (c.bad) return { ops, bad: true };
    ops.push({ code, args });
  }
  return { ops, bad: false };
}

/** The expression as llvm-dwarfdump-19 prints it, operations separated by `, `. */
export function exprText(d: Decoded): string {
  const parts = d.ops.map((o) => {
    const name = opName(o.code);
    const n = (k: number) => o.args[k] as bigint;
    const signed = (v: bigint) => (v < 0n ? `${v}` : `+${v}`);
    if (o.code >= REG0 && o.code < REG0 + 32) return `${name} W${o.code - REG0}`;
    if (o.code >= BREG0 && o.code < BREG0 + 32) return `${name} W${o.code - BREG0}${signed(n(0))}`;
    if (o.code === 0x91 || o.code === 0x11 || (o.code >= 0x09 && o.code <= 0x0f && o.code % 2 === 1)) return `${name} ${signed(n(0))}`;
    if (o.args.length === 0) return name;
    return `${name} ${o.args.map((a) => (a instanceof Uint8Array ? `<${a.length} bytes>` : `0x${a.toString(16)}`)).join(' ')}`;
  });
  return parts.join(', ') + (d.bad ? `${parts.length ? ', ' : ''}<bad expression>` : '');
}

/** Where a value lives, or what it is. */
export type Place =
  | { kind: 'register'; reg: number }
  | { kind: 'memory'; addr: bigint }
  | { kind: 'value'; value: bigint }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'pieces'; pieces: { place: Place | undefined; size: number }[] }
  | { kind: 'global'; addrIndex: number }
  | { kind: 'unavailable'; why: string };

export interface EvalEnv {
  /** A register's value, undefined when it is not known in this frame. */
  reg(n: number): bigint | undefined;
  /** The value of DW_AT_frame_base (r10 for clang's BPF code). */
  frameBase?(): bigint | undefined;
  /** Up to 8 bytes little-endian at an address; undefined when unreadable. */
  read?(addr: bigint, size: number): bigint | undefined;
  /** Size and signedness of the base type at a unit-relative DIE offset (DW_OP_convert); 0 is the generic type. */
  baseType?(cuOff: number): { size: number; signed: boolean } | undefined;
  /** Maps an offset from r10 as the compiler wrote it to the real one (see core/debug/locals.ts). */
  frameOffset?(off: bigint): bigint;
}

const MAX_STEPS = 10_000;
const u64 = (v: bigint) => BigInt.asUintN(64, v);

export function evaluate(d: Decoded, env: EvalEnv): Place {
  if (d.bad) return { kind: 'unavailable', why: 'the location expression cannot be decoded' };
  const stack: bigint[] = [];
  const pieces: { place: Place | undefined; size: number }[] = [];
  let place: Place | undefined;
  const fail = (why: string): Place => ({ kind: 'unavailable', why });
  const pop = (): bigint | undefined => stack.pop();
  let steps = 0;
  for (let pc = 0; pc < d.ops.length; pc++) {
    if (++steps > MAX_STEPS) return fail('the location expression does not end');
    const { code, args } = d.ops[pc];
    const a0 = args[0] as bigint;
    if (code >= LIT0 && code < LIT0 + 32) { stack.push(BigInt(code - LIT0)); continue; }
    if (code >= REG0 && code < REG0 + 32) { place = { kind: 'register', reg: code - REG0 }; continue; }
    if (code >= BREG0 && code < BREG0 + 32) {
      const reg = code - BREG0;
      const v = env.reg(reg);
      if (v === undefined) return fail(`r${reg} is not known in this frame`);
      stack.push(u64(v + (reg === 10 && env.frameOffset ? env.frameOffset(a0) : a0)));
      continue;
    }
    switch (code) {
      case 0x08: case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x0e: case 0x0f: case 0x10: case 0x11:
        stack.push(u64(a0)); break;
      case 0x03: return { kind: 'global', addrIndex: -1 };
      case 0xa1: return { kind: 'global', addrIndex: Number(a0) };
      case 0x91: {
        const fb = env.frameBase?.();
        if (fb === undefined) return fail('the frame base is not known');
        stack.push(u64(fb + (env.frameOffset ? env.frameOffset(a0) : a0)));
        break;
      }
      case 0x90: place = { kind: 'register', reg: Number(a0) }; break;
      case 0x92: {
        const v = env.reg(Number(a0));
        if (v === undefined) return fail(`r${a0} is not known in this frame`);
        stack.push(u64(v + (args[1] as bigint)));
        break;
      }
      case 0x12: if (!stack.length) return fail('stack underflow'); stack.push(stack[stack.length - 1]); break;
      case 0x13: if (pop() === undefined) return fail('stack underflow'); break;
      case 0x14: if (stack.length < 2) return fail('stack underflow'); stack.push(stack[stack.length - 2]); break;
      case 0x15: { const k = Number(a0); if (k >= stack.length) return fail('stack underflow'); stack.push(stack[stack.length - 1 - k]); break; }
      case 0x16: { if (stack.length < 2) return fail('stack underflow'); const t = stack[stack.length - 1]; stack[stack.length - 1] = stack[stack.length - 2]; stack[stack.length - 2] = t; break; }
      case 0x17: { if (stack.length < 3) return fail('stack underflow'); const [x, y, z] = stack.splice(-3); stack.push(z, x, y); break; }
      case 0x06: case 0x94: {
        const addr = pop();
        const size = code === 0x06 ? 8 : Number(a0);
        if (addr === undefined) return fail('stack underflow');
        const v = size >= 1 && size <= 8 ? env.read?.(addr, size) : undefined;
        if (v === undefined) return fail(`cannot read ${size} bytes at 0x${addr.toString(16)}`);
        stack.push(v);
        break;
      }
      case 0x23: { const v = pop(); if (v === undefined) return fail('stack underflow'); stack.push(u64(v + a0)); break; }
      case 0x1f: case 0x20: case 0x19: {
        const v = pop();
        if (v === undefined) return fail('stack underflow');
        const s = BigInt.asIntN(64, v);
        stack.push(u64(code === 0x1f ? -s : code === 0x20 ? ~v : s < 0n ? -s : s));
        break;
      }
      case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x21: case 0x22: case 0x24: case 0x25: case 0x26: case 0x27:
      case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: {
        const b = pop(), a = pop();
        if (a === undefined || b === undefined) return fail('stack underflow');
        const r = binary(code, a, b);
        if (r === undefined) return fail('division by zero');
        stack.push(u64(r));
        break;
      }
      case 0x2f: case 0x28: {
        if (code === 0x28) { const v = pop(); if (v === undefined) return fail('stack underflow'); if (v === 0n) break; }
        // Branch targets are byte offsets; this evaluator walks decoded operations and does not follow them.
        return fail('branches in location expressions are not supported');
      }
      case 0x96: break;
      case 0x9f: {
        const v = pop();
        if (v === undefined) return fail('stack underflow');
        place = { kind: 'value', value: v };
        break;
      }
      case 0x9e: place = { kind: 'bytes', bytes: args[1] as Uint8Array }; break;
      case 0xa8: case 0xa9: {
        const v = pop();
        if (v === undefined) return fail('stack underflow');
        const t = a0 === 0n ? { size: 8, signed: false } : env.baseType?.(Number(a0));
        if (!t || t.size < 1 || t.size > 8) return fail('DW_OP_convert to a type this reader does not know');
        stack.push(u64(t.signed ? BigInt.asIntN(t.size * 8, v) : BigInt.asUintN(t.size * 8, v)));
        break;
      }
      case 0x93: case 0x9d: {
        const size = code === 0x93 ? Number(a0) : Math.ceil(Number(a0) / 8);
        const v = stack.pop();
        pieces.push({ place: place ?? (v !== undefined ? { kind: 'memory', addr: v } : undefined), size });
        place = undefined;
        break;
      }
      case 0xa3: case 0xf3: return fail('the value at function entry (DW_OP_entry_value) is not kept');
      case 0xa0: return fail('an implicit pointer (DW_OP_implicit_pointer)');
      default: return fail(`${opName(code)} is not supported`);
    }
  }
  if (pieces.length) return { kind: 'pieces', pieces };
  if (place) return place;
  const top = stack.pop();
  return top === undefined ? fail('empty location') : { kind: 'memory', addr: top };
}

function binary(code: number, a: bigint, b: bigint): bigint | undefined {
  const sa = BigInt.asIntN(64, a), sb = BigInt.asIntN(64, b);
  switch (code) {
    case 0x1a: return a & b;
    case 0x1b: return sb === 0n ? undefined : sa / sb;
    case 0x1c: return a - b;
    case 0x1d: return b === 0n ? undefined : a % b;
    case 0x1e: return a * b;
    case 0x21: return a | b;
    case 0x22: return a + b;
    case 0x24: return b >= 64n ? 0n : a << b;
    case 0x25: return b >= 64n ? 0n : a >> b;
    case 0x26: return sa >> (b >= 64n ? 63n : b);
    case 0x27: return a ^ b;
    case 0x29: return sa === sb ? 1n : 0n;
    case 0x2a: return sa >= sb ? 1n : 0n;
    case 0x2b: return sa > sb ? 1n : 0n;
    case 0x2c: return sa <= sb ? 1n : 0n;
    case 0x2d: return sa < sb ? 1n : 0n;
    case 0x2e: return sa !== sb ? 1n : 0n;
    default: return undefined;
  }
}
