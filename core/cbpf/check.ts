/**
 * The kernel's checks on a classic filter, as net/core/filter.c makes them when a socket
 * filter is attached (bpf_check_basics_ok, bpf_check_classic, chk_code_allowed,
 * check_load_and_stores): 1..4096 instructions, known codes, no division or modulo by the
 * constant 0, shifts by less than 32, M[k] with k < 16, jumps forward and inside the
 * program, a return as the last instruction, and every M[k] read written first on every
 * path that reaches it. Each message names the instruction; insnIdx points at it.
 */

import { Diagnostic, Span, error } from '../diag';
import {
  BPF_JMP, BPF_LD, BPF_LDX, BPF_MAXINSNS, BPF_MEM, BPF_MEMWORDS, BPF_RET, BPF_ST, BPF_STX, CInsn,
  cbpfCodeAllowed, lookupCbpfRow,
} from './opcodes';

function describe(insn: CInsn): string {
  const row = lookupCbpfRow(insn.code, insn.k);
  return row ? row.id : `code 0x${insn.code.toString(16)}`;
}

/** Returns the kernel's objections, in instruction order; empty when it would accept the filter. */
export function checkCbpf(insns: readonly CInsn[], lines?: readonly Span[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const flen = insns.length;
  const report = (idx: number, message: string) => {
    const d = error('cbpf-check', `insn ${idx} (${describe(insns[idx])}): ${message}`, lines?.[idx]);
    d.insnIdx = idx;
    out.push(d);
  };
  if (flen === 0) return [error('cbpf-check', 'the filter is empty; it needs at least one instruction (a ret)')];
  if (flen > BPF_MAXINSNS) {
    return [error('cbpf-check', `the filter has ${flen} instructions; the kernel takes at most ${BPF_MAXINSNS}`)];
  }
  insns.forEach((insn, pc) => {
    const { code, k, jt, jf } = insn;
    if (!cbpfCodeAllowed(code)) { report(pc, `code 0x${code.toString(16)} is not a classic BPF instruction`); return; }
    const row = lookupCbpfRow(code, k)!;
    switch (row.kind) {
      case 'alu_k':
        if ((row.op === 'div' || row.op === 'mod') && k === 0) {
          report(pc, `${row.op} by the constant 0`);
        }
        if ((row.op === 'lsh' || row.op === 'rsh') && k >>> 0 >= 32) {
          report(pc, `shift by ${k >>> 0}; it must be less than 32`);
        }
        break;
      case 'ld_mem': case 'ldx_mem': case 'st': case 'stx':
        if (k >>> 0 >= BPF_MEMWORDS) report(pc, `M[${k >>> 0}] does not exist; scratch memory is M[0]..M[${BPF_MEMWORDS - 1}]`);
        break;
      case 'ja':
        if (k >>> 0 >= flen - (pc + 1)) report(pc, `ja +${k >>> 0} lands at ${pc + 1 + (k >>> 0)}, past the last instruction (${flen - 1})`);
        break;
      case 'jcond_k': case 'jcond_x':
        if (pc + jt + 1 >= flen) report(pc, `jt lands at ${pc + jt + 1}, past the last instruction (${flen - 1})`);
        if (pc + jf + 1 >= flen) report(pc, `jf lands at ${pc + jf + 1}, past the last instruction (${flen - 1})`);
        break;
      default:
        break;
    }
  });
  const last = insns[flen - 1];
  if ((last.code & 0x07) !== BPF_RET || !cbpfCodeAllowed(last.code)) {
    report(flen - 1, 'the last instruction must be a ret (ret #k or ret a)');
  }
  if (out.length) return out;
  checkLoadsAndStores(insns, report);
  return out;
}

/**
 * M[k] must be written before it is read on every path. As the kernel does: each
 * instruction gets the set of words valid on all jumps into it, intersected with what falls
 * through; after a jump nothing falls through, so the set starts full.
 */
function checkLoadsAndStores(insns: readonly CInsn[], report: (idx: number, message: string) => void): void {
  const all = (1 << BPF_MEMWORDS) - 1;
  const masks = new Array<number>(insns.length).fill(all);
  let valid = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    valid &= masks[pc];
    const { code, k, jt, jf } = insns[pc];
    if (code === BPF_ST || code === BPF_STX) valid |= 1 << k;
    else if (code === (BPF_LD | BPF_MEM) || code === (BPF_LDX | BPF_MEM)) {
      if (!(valid & (1 << k))) report(pc, `M[${k}] is read before it is written on some path`);
    } else if ((code & 0x07) === BPF_JMP) {
      if ((code & 0xf0) === 0) masks[pc + 1 + k] &= valid;
      else { masks[pc + 1 + jt] &= valid; masks[pc + 1 + jf] &= valid; }
      valid = all;
    }
  }
}
