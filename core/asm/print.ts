/**
 * Printing one instruction in either dialect, from the opcode table's templates.
 *
 * LLVM output follows `llvm-objdump-19 -d --mcpu=v4` (hex immediates, `w` registers for
 * sub-word loads and stores), except where llvm's text cannot be read back as the same
 * instruction: a local call prints its target's name (`call my_func`, which llvm-mc encodes
 * identically) or `call local +N`, a kfunc call `call kfunc N`, and an lddw pseudo source
 * `map_fd(N)`, `map_value(NAME)+8`..., where llvm prints `call N` and `ld_pseudo`.
 * Whatever this prints, the assembler reads back to the same bytes.
 */

import { Insn, lddwValue } from '../isa/insn';
import { LDDW_PSEUDO, OpcodeSpec, lookupRow } from '../isa/opcodes';
import { jumpTarget } from '../isa/validate';
import { Reloc } from '../object';
import { Dialect } from './match';

export interface PrintContext {
  dialect: Dialect;
  /** A name for a slot of the same section (local call targets, lddw func). */
  nameAt?: (slot: number) => string | undefined;
  /** The relocation at a slot, if any: an lddw's map or function reference, by name. */
  reloc?: (slot: number) => Pick<Reloc, 'kind' | 'symbol' | 'addend'> | undefined;
}

const UNKNOWN = '<unknown>';

/** Prints the instruction at `pc` (both slots of an lddw). */
export function printInsn(insns: readonly Insn[], pc: number, ctx: PrintContext): string {
  const i = insns[pc];
  const row = lookupRow(i);
  if (!row) return UNKNOWN;
  if (row.kind === 'lddw' && pc + 1 >= insns.length) return UNKNOWN;
  const d = ctx.dialect;
  let template = d === 'llvm' ? row.llvm : row.ubpf;
  if (row.kind === 'call_local' && d === 'llvm' && !ctx.nameAt?.(jumpTarget(row, i, pc) ?? -1)) template = row.llvmAlt![0];
  // An lddw whose map reference lives in a relocation (as clang emits it) reads best by name.
  const rel = row.id === 'lddw' && i.imm === 0 && insns[pc + 1].imm === 0 ? ctx.reloc?.(pc) : undefined;
  if (rel) return d === 'llvm' ? `r${i.dst} = ${symbolRef(rel, d)} ll` : `lddw r${i.dst}, ${symbolRef(rel, d)}`;
  return template.replace(/\{(\w+)\}/g, (_, ph: string) => operand(ph, row, insns, pc, ctx));
}

function hex(v: number | bigint): string {
  const b = BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`;
}

function num(v: number | bigint, d: Dialect): string {
  return d === 'llvm' ? hex(v) : String(v);
}

function signed(v: number, d: Dialect): string {
  return d === 'llvm' ? (v < 0 ? `-0x${(-v).toString(16)}` : `+0x${v.toString(16)}`) : (v < 0 ? `-${-v}` : `+${v}`);
}

function operand(ph: string, row: OpcodeSpec, insns: readonly Insn[], pc: number, ctx: PrintContext): string {
  const i = insns[pc];
  const d = ctx.dialect;
  switch (ph) {
    case 'dst': return `r${i.dst}`;
    case 'src': return `r${i.src}`;
    case 'dst32': return `w${i.dst}`;
    case 'src32': return `w${i.src}`;
    case 'imm': return num(i.imm, d);
    case 'off':
      if (d === 'llvm') return i.off < 0 ? `- ${hex(-i.off)}` : `+ ${hex(i.off)}`;
      return i.off < 0 ? `-${-i.off}` : `+${i.off}`;
    case 'indoff':
      if (i.imm === 0) return '';
      return i.imm < 0 ? ` - ${num(-i.imm, d)}` : ` + ${num(i.imm, d)}`;
    case 'target': return signed(i.off, d);
    case 'target32': return signed(i.imm, d);
    case 'imm64': {
      const v = BigInt.asIntN(64, lddwValue(i, insns[pc + 1]));
      return d === 'llvm' ? hex(v) : `0x${BigInt.asUintN(64, v).toString(16)}`;
    }
    case 'pseudo': return pseudo(row, insns, pc, ctx);
    case 'helper': return num(i.imm, d);
    case 'func': {
      const name = ctx.nameAt?.(pc + 1 + i.imm);
      return name ?? signed(i.imm, d);
    }
    case 'kfunc': return i.off ? `${num(i.imm, d)}, ${i.off}` : num(i.imm, d);
    case 'as_dst': return num((i.imm >>> 16) & 0xffff, d);
    case 'as_src': return num(i.imm & 0xffff, d);
    default: return `{${ph}}`;
  }
}

function symbolRef(rel: Pick<Reloc, 'kind' | 'symbol' | 'addend'>, d: Dialect): string {
  switch (rel.kind) {
    case 'map': return d === 'llvm' ? rel.symbol : `map_fd(${rel.symbol})`;
    case 'map_value': return `map_value(${rel.symbol})${rel.addend < 0 ? `-${num(-rel.addend, d)}` : `+${num(rel.addend, d)}`}`;
    default: return `func(${rel.symbol})`;
  }
}

function pseudo(row: OpcodeSpec, insns: readonly Insn[], pc: number, ctx: PrintContext): string {
  const i = insns[pc];
  const hi = insns[pc + 1].imm;
  const kind = LDDW_PSEUDO.find((p) => p.src === row.match?.src)!.pseudo;
  const d = ctx.dialect;
  let arg = num(i.imm, d);
  if (kind === 'func') {
    const name = ctx.nameAt?.(pc + 1 + i.imm);
    arg = name ?? signed(i.imm, d);
  }
  const withAddend = kind === 'map_value' || kind === 'map_idx_value' || hi !== 0;
  const addend = withAddend ? (hi < 0 ? `-${num(-hi, d)}` : `+${num(hi, d)}`) : '';
  return `${kind}(${arg})${addend}`;
}
