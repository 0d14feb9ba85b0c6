/**
 * The structural passes the Linux verifier makes before it walks any path, with its
 * messages: opcodes the kernel knows and their reserved fields (resolve_pseudo_ldimm64(),
 * the start of do_check's class handlers), subprogram boundaries and jumps that stay inside
 * the program (check_subprogs()), and a depth-first walk that finds unreachable
 * instructions and jumps into the middle of an lddw (check_cfg()). Back-edges are allowed:
 * a privileged program may loop, and the path walk bounds it.
 */

import { Insn, LDDW_CODE } from '../isa/insn';
import { rowsForCode } from '../isa/opcodes';

export interface CfgResult {
  /** The kernel's message and the instruction it names, when the program is refused. */
  error?: { message: string; insnIdx: number; errno: 'EINVAL' | 'E2BIG' };
  /** Subprogram entry slots, starting with 0 (check_subprogs()). */
  subprogs: number[];
}

const MAX_INSNS = 1_000_000; // BPF_COMPLEXITY_LIMIT_INSNS bounds privileged programs too

function isCallLocal(i: Insn): boolean {
  return i.code === 0x85 && i.src === 1;
}

function isLddwFunc(i: Insn): boolean {
  return i.code === LDDW_CODE && i.src === 4;
}

export function checkCfg(insns: readonly Insn[]): CfgResult {
  const n = insns.length;
  const fail = (message: string, insnIdx: number, errno: 'EINVAL' | 'E2BIG' = 'EINVAL'): CfgResult =>
    ({ error: { message, insnIdx, errno }, subprogs: [0] });
  if (n === 0) return fail('BPF_PROG_LOAD: EINVAL', 0);
  if (n > MAX_INSNS) return fail('BPF_PROG_LOAD: E2BIG', 0, 'E2BIG');

  // resolve_pseudo_ldimm64(): every opcode must be one the kernel knows; lddw pairs whole.
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc];
    // The kernel's opcode table (bpf_opcode_in_insntable()) is the set of our rows' opcode bytes;
    // field values (sdiv's off, an atomic's imm) are checked later, with their own messages.
    if ((rowsForCode(i.code).length === 0 && !KERNEL_ONLY_OPCODES.has(i.code)) || NOT_IN_KERNEL.has(i.code)) {
      return fail(`unknown opcode ${i.code.toString(16).padStart(2, '0')}`, pc);
    }
    if (i.code === LDDW_CODE) {
      const hi = insns[pc + 1];
      if (pc === n - 1 || !hi || hi.code !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0) {
        return fail('invalid bpf_ld_imm64 insn', pc);
      }
      if (i.src > 6) return fail('unrecognized bpf_ld_imm64 insn', pc);
      pc++;
    }
  }

  // check_subprogs(): entries are 0 and every local call or callback target.
  const starts = new Set<number>([0]);
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc];
    if (isCallLocal(i) || isLddwFunc(i)) {
      const t = pc + 1 + i.imm;
      if (t < 0 || t >= n) return fail(`call to invalid destination`, pc);
      starts.add(t);
    }
    if (i.code === LDDW_CODE) pc++;
  }
  const subprogs = [...starts].sort((a, b) => a - b);
  for (let k = 0; k < subprogs.length; k++) {
    const start = subprogs[k];
    const end = k + 1 < subprogs.length ? subprogs[k + 1] : n;
    for (let pc = start; pc < end; pc++) {
      const i = insns[pc];
      const cls = i.code & 7;
      if ((cls === 5 || cls === 6) && (i.code & 0xf0) !== 0x80 && (i.code & 0xf0) !== 0x90) {
        const t = pc + 1 + (i.code === 0x06 ? i.imm : i.off);
        if (t < start || t >= end) return fail(`jump out of range from insn ${pc} to ${t}`, pc);
      }
      if (i.code === LDDW_CODE) pc++;
    }
    const last = insns[end - 1];
    const lastCls = last.code & 7;
    const isJmpOrExit = (lastCls === 5 || lastCls === 6) && ((last.code & 0xf0) === 0x90 || (last.code & 0xf0) === 0x00);
    if (!isJmpOrExit) return fail('last insn is not an exit or jmp', end - 1);
  }

  // check_cfg(): depth-first walk from each entry; every instruction must be reached.
  const state = new Uint8Array(n); // 0 unseen, 1 seen
  const stack = [...subprogs];
  while (stack.length) {
    const t = stack.pop()!;
    if (state[t]) continue;
    state[t] = 1;
    const i = insns[t];
    const cls = i.code & 7;
    const op = i.code & 0xf0;
    const succ: number[] = [];
    if (cls === 5 || cls === 6) {
      if (op === 0x90 && cls === 5) { /* exit: no successor */ }
      else if (op === 0x80) succ.push(t + 1);
      else if (op === 0x00) succ.push(t + 1 + (cls === 6 ? i.imm : i.off));
      else succ.push(t + 1, t + 1 + i.off);
    } else {
      succ.push(t + (i.code === LDDW_CODE ? 2 : 1));
    }
    for (const s of succ) {
      if (s < 0 || s >= n) return fail(`jump out of range from insn ${t} to ${s}`, t);
      if (!state[s]) stack.push(s);
    }
  }
  for (let pc = 0; pc < n; pc++) {
    if (!state[pc]) return fail(`unreachable insn ${pc}`, pc);
    if (insns[pc].code === LDDW_CODE) {
      if (state[pc + 1]) return fail(`jump into the middle of ldimm64 insn ${pc}`, pc);
      pc++;
    }
  }
  return { subprogs };
}


/** Atomic byte and half-word opcodes (load-acquire, store-release) the kernel's table has and ours not yet. */
const KERNEL_ONLY_OPCODES = new Set([0xd3, 0xcb]);
/** callx (BPF_JMP | BPF_X | BPF_CALL) is in the ISA and the conformance suite, not in Linux. */
const NOT_IN_KERNEL = new Set([0x8d]);
