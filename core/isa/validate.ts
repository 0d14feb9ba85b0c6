/**
 * The structural load check: what must hold of the bytes before anything runs them.
 *
 * This is not the Linux verifier (core/verifier). It is the check the conformance suite
 * expects of any loader (RFC 9669 §3: unused fields are zero) plus the shape rules every
 * loader applies: known opcodes, registers that exist, jumps that land on an instruction,
 * complete lddw pairs, and no write to the read-only frame pointer r10.
 *
 * Field rules come from the opcode table; nothing here lists opcodes.
 */

import { Diagnostic } from '../diag';
import { Insn, LDDW_CODE } from './insn';
import { FieldRule, IsaVersion, OpcodeSpec, lookupRow, versionAtMost } from './opcodes';

export const MAX_INSNS = 65536;
export const FRAME_POINTER = 10;

export interface LoadCheckOptions {
  /** The newest ISA version whose instructions are accepted (default v4). */
  cpu?: IsaVersion;
  /** Which helper ids a `call` may name; all when absent. */
  helperAllowed?: (id: number) => boolean;
}

export function loadCheck(insns: readonly Insn[], opts: LoadCheckOptions = {}): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const cpu = opts.cpu ?? 'v4';
  const fail = (insnIdx: number, message: string, code = 'load-check') =>
    diags.push({ code, severity: 'error', message, insnIdx });

  if (insns.length === 0) fail(0, 'the program has no instructions');
  if (insns.length > MAX_INSNS) fail(MAX_INSNS, `the program has ${insns.length} instructions, more than the limit of ${MAX_INSNS}`);

  // First pass: which slots begin an instruction (the second half of an lddw does not).
  const isStart = new Uint8Array(insns.length);
  for (let pc = 0; pc < insns.length; pc++) {
    isStart[pc] = 1;
    if (insns[pc].code === LDDW_CODE) pc++;
  }

  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc];
    const row = lookupRow(i);
    if (!row) {
      fail(pc, `unknown opcode 0x${i.code.toString(16).padStart(2, '0')} at PC ${pc}`, 'unknown-opcode');
      continue;
    }
    if (!versionAtMost(row.since, cpu)) {
      fail(pc, `${row.id} at PC ${pc} needs ISA ${row.since}, newer than ${cpu}`, 'unknown-opcode');
    }
    checkFields(row, i, pc, fail);

    if (row.kind === 'lddw') {
      const hi = insns[pc + 1];
      if (!hi) fail(pc, `incomplete lddw at PC ${pc}: the second slot is missing`);
      else if (hi.code !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0)
        fail(pc, `incomplete lddw at PC ${pc}: the second slot must have opcode, registers and offset zero`);
      pc++;
      continue;
    }
    if (writesDst(row) && i.dst === FRAME_POINTER) fail(pc, `R10 is read only at PC ${pc}: ${row.id} writes it`, 'frame-pointer');
    if (row.kind === 'atomic' && (row.op?.startsWith('fetch_') || row.op === 'xchg') && i.src === FRAME_POINTER)
      fail(pc, `R10 is read only at PC ${pc}: ${row.id} writes it`, 'frame-pointer');

    const target = jumpTarget(row, i, pc);
    if (target !== undefined) {
      if (target < 0 || target >= insns.length) fail(pc, `jump out of bounds at PC ${pc}: target ${target}`, 'jump-out-of-range');
      else if (!isStart[target]) fail(pc, `jump into the middle of an lddw at PC ${pc}: target ${target}`, 'jump-into-lddw');
    }
    if (row.kind === 'call' && opts.helperAllowed && !opts.helperAllowed(i.imm))
      fail(pc, `call to unknown helper ${i.imm} at PC ${pc}`, 'unknown-helper');
  }
  return diags;
}

function checkFields(row: OpcodeSpec, i: Insn, pc: number, fail: (pc: number, m: string) => void): void {
  const check = (name: 'dst' | 'src' | 'off' | 'imm', rule: FieldRule, value: number) => {
    if (row.match && row.match[name as 'src' | 'off' | 'imm'] !== undefined) return;
    if (rule === 'zero' && value !== 0) fail(pc, `${row.id} at PC ${pc} has a non-zero ${name} field (${value}); the ISA reserves it`);
    if (rule === 'reg' && value > FRAME_POINTER) fail(pc, `invalid register r${value} at PC ${pc}: registers are r0 to r10`);
  };
  check('dst', row.dst, i.dst);
  check('src', row.src, i.src);
  check('off', row.off, i.off);
  check('imm', row.imm, i.imm);
  if (row.immOneOf && !row.immOneOf.includes(i.imm)) fail(pc, `${row.id} at PC ${pc} has imm ${i.imm}; it must be one of ${row.immOneOf.join(', ')}`);
}

/** Whether the instruction writes its dst register. */
export function writesDst(row: OpcodeSpec): boolean {
  switch (row.kind) {
    case 'alu': case 'neg': case 'mov': case 'movsx': case 'end': case 'addr_space_cast':
    case 'lddw': case 'ldx': case 'ldsx':
      return true;
    default:
      return false;
  }
}

/** The slot a jump or local call lands on, or undefined for other instructions. */
export function jumpTarget(row: OpcodeSpec, i: Insn, pc: number): number | undefined {
  switch (row.kind) {
    case 'jcond': case 'may_goto':
      return pc + 1 + i.off;
    case 'ja':
      return pc + 1 + (row.id === 'gotol' ? i.imm : i.off);
    case 'call_local':
      return pc + 1 + i.imm;
    default:
      return undefined;
  }
}
