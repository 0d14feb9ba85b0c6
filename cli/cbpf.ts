/**
 * Classic BPF files (`.cbpf`, `.bpf_asm`: bpf_asm syntax or tcpdump -d/-dd/-ddd output) in
 * the CLI: read and checked here; what each command does with them lives beside the eBPF
 * path in its command. The translation to eBPF (and so our verifier and the eBPF VM on
 * classic programs) arrives with the rest of issue #5.
 */

import { readFileSync } from 'node:fs';
import { hasErrors } from '../core/diag';
import { CInsn } from '../core/cbpf/opcodes';
import { parseCbpf } from '../core/cbpf/parse';
import { checkCbpf } from '../core/cbpf/check';
import { InputError } from './load';
import { printDiagnostics } from './report';

export function isCbpfFile(file: string): boolean {
  const f = file.toLowerCase();
  return f.endsWith('.cbpf') || f.endsWith('.bpf_asm');
}

/** Parses and checks FILE; bad input (a parse error) exits 2, a checker refusal is returned. */
export function loadCbpf(file: string): { insns: CInsn[]; refused: boolean } {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code}`); }
  const parsed = parseCbpf(text);
  printDiagnostics(file, parsed.diagnostics, text);
  if (hasErrors(parsed.diagnostics)) throw new InputError(`${file}: ${parsed.diagnostics.filter((d) => d.severity === 'error').length} error(s)`);
  const checked = checkCbpf(parsed.insns, parsed.lines);
  printDiagnostics(file, checked, text);
  return { insns: parsed.insns, refused: hasErrors(checked) };
}
