/**
 * Prints classic BPF in the four spellings parse.ts reads: bpf_asm (with generated `L<n>:`
 * labels), tcpdump -d (libpcap's bpf_image layout, column for column), -dd and -ddd. The
 * instruction spellings are the opcode table's templates.
 */

import { CInsn, CbpfOpcodeSpec, lookupCbpfRow } from './opcodes';
import { CbpfTranslation } from './translate';
import { printInsn } from '../asm/print';
import { Dialect } from '../asm/match';

function hex(k: number): string {
  return `0x${(k >>> 0).toString(16)}`;
}

/** Fills a template's number holes; `signed` prints {k} as tcpdump's %d does. */
function fillK(template: string, insn: CInsn, signed: boolean): string {
  return template
    .replace('{kx}', hex(insn.k))
    .replace('{k}', String(signed ? insn.k | 0 : insn.k >>> 0));
}

function isJump(row: CbpfOpcodeSpec): boolean {
  return row.kind === 'ja' || row.kind === 'jcond_k' || row.kind === 'jcond_x';
}

/** bpf_asm text; every jump destination gets a label `L<index>`. */
export function printBpfAsm(insns: readonly CInsn[]): string {
  const targets = new Set<number>();
  insns.forEach((insn, i) => {
    const row = lookupCbpfRow(insn.code, insn.k);
    if (!row || !isJump(row)) return;
    if (row.kind === 'ja') targets.add(i + 1 + insn.k);
    else { targets.add(i + 1 + insn.jt); targets.add(i + 1 + insn.jf); }
  });
  const out: string[] = [];
  insns.forEach((insn, i) => {
    if (targets.has(i)) out.push(`L${i}:`);
    out.push(`\t${asmInsn(insn, i)}`);
  });
  // A destination past the end still needs its label to read back (the checker rejects it).
  for (const t of [...targets].filter((t) => t >= insns.length).sort((a, b) => a - b)) out.push(`L${t}:`);
  return out.join('\n') + '\n';
}

/** One instruction in bpf_asm syntax; `index` names the labels its jumps go to. */
export function asmInsn(insn: CInsn, index: number): string {
  const row = lookupCbpfRow(insn.code, insn.k);
  if (!row) return `; unknown instruction { 0x${insn.code.toString(16)}, ${insn.jt}, ${insn.jf}, ${hex(insn.k)} }`;
  return fillK(row.asm, insn, false)
    .replace('{target}', `L${index + 1 + insn.k}`)
    .replace('{jt}', `L${index + 1 + insn.jt}`)
    .replace('{jf}', `L${index + 1 + insn.jf}`);
}

/** tcpdump -d text, as libpcap's bpf_dump prints it. */
export function printTcpdump(insns: readonly CInsn[]): string {
  return insns.map((insn, i) => tcpdumpInsn(insn, i)).join('\n') + '\n';
}

export function tcpdumpInsn(insn: CInsn, index: number): string {
  const n = String(index).padStart(3, '0');
  const row = lookupCbpfRow(insn.code, insn.k);
  if (!row) return `(${n}) ${'unimp'.padEnd(8)} 0x${insn.code.toString(16)}`;
  const text = fillK(row.tcpdump, insn, true).replace('{target}', String(index + 1 + insn.k));
  const sp = text.indexOf(' ');
  const op = sp < 0 ? text : text.slice(0, sp);
  const operand = sp < 0 ? '' : text.slice(sp + 1);
  if (row.kind === 'jcond_k' || row.kind === 'jcond_x') {
    const cond = operand.replace(' jt {jt} jf {jf}', '');
    return `(${n}) ${op.padEnd(8)} ${cond.padEnd(16)} jt ${index + 1 + insn.jt}\tjf ${index + 1 + insn.jf}`;
  }
  return `(${n}) ${op.padEnd(8)} ${operand}`;
}

/** tcpdump -dd text (C array initialisers). */
export function printTcpdumpDd(insns: readonly CInsn[]): string {
  return insns.map((i) => `{ 0x${i.code.toString(16)}, ${i.jt}, ${i.jf}, 0x${(i.k >>> 0).toString(16).padStart(8, '0')} },`).join('\n') + '\n';
}

/** tcpdump -ddd text: the count, then code jt jf k in decimal. */
export function printTcpdumpDdd(insns: readonly CInsn[]): string {
  return [String(insns.length), ...insns.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}`)].join('\n') + '\n';
}

/**
 * The eBPF translation listed under the classic instructions it came from:
 * `; (003) jeq #0x800, L4, L9` then the eBPF instructions, numbered, in `dialect`.
 */
export function printTranslation(classic: readonly CInsn[], t: CbpfTranslation, dialect: Dialect): string {
  const out: string[] = [];
  const width = String(Math.max(t.insns.length - 1, 0)).length;
  t.insns.forEach((_, pc) => {
    const c = t.origin[pc];
    if (pc === 0) out.push('; prologue: A = X = 0, r6 = the skb');
    if (t.start[c] === pc) out.push(`; (${String(c).padStart(3, '0')}) ${asmInsn(classic[c], c)}`);
    out.push(`${String(pc).padStart(width)}:\t${printInsn(t.insns, pc, { dialect })}`);
  });
  return out.join('\n') + '\n';
}
