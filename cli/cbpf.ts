/**
 * Classic BPF files (`.cbpf`, `.bpf_asm`: bpf_asm syntax or tcpdump -d/-dd/-ddd output) in
 * the CLI: read, checked and translated to eBPF here; what each command does with them lives
 * beside the eBPF path in its command.
 */

import { readFileSync } from 'node:fs';
import { Diagnostic, Span, hasErrors } from '../core/diag';
import { BpfObject } from '../core/object';
import { CInsn } from '../core/cbpf/opcodes';
import { parseCbpf } from '../core/cbpf/parse';
import { checkCbpf } from '../core/cbpf/check';
import { CbpfTranslation, cbpfObject, translateCbpf } from '../core/cbpf/translate';
import { InputError } from './load';
import { printDiagnostics } from './report';

export function isCbpfFile(file: string): boolean {
  const f = file.toLowerCase();
  return f.endsWith('.cbpf') || f.endsWith('.bpf_asm');
}

export interface LoadedCbpf {
  text: string;
  insns: CInsn[];
  lines: Span[];
  /** The classic checker's objections (printed to stderr unless quiet). */
  checked: Diagnostic[];
  refused: boolean;
}

/** Parses and checks FILE; bad input (a parse error) exits 2, a checker refusal is returned. */
export function loadCbpf(file: string, opts: { quiet?: boolean } = {}): LoadedCbpf {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code}`); }
  const parsed = parseCbpf(text);
  printDiagnostics(file, parsed.diagnostics, text);
  if (hasErrors(parsed.diagnostics)) throw new InputError(`${file}: ${parsed.diagnostics.filter((d) => d.severity === 'error').length} error(s)`);
  const checked = checkCbpf(parsed.insns, parsed.lines);
  if (!opts.quiet) printDiagnostics(file, checked, text);
  return { text, insns: parsed.insns, lines: parsed.lines, checked, refused: hasErrors(checked) };
}

/** The eBPF translation as an object (one tc classifier), or the reasons there is none. */
export function translateLoaded(c: LoadedCbpf): { translation: CbpfTranslation; object?: BpfObject } {
  const translation = translateCbpf(c.insns, c.lines);
  return { translation, object: hasErrors(translation.diagnostics) ? undefined : cbpfObject(translation, c.lines) };
}

/** The translation of a file the checker accepts; anything else is bad input here (exit 2). */
export function loadCbpfAsEbpf(file: string): { object: BpfObject; text: string; classic: LoadedCbpf; translation: CbpfTranslation } {
  const classic = loadCbpf(file);
  if (classic.refused) throw new InputError(`${file}: refused by the classic checker`);
  const { translation, object } = translateLoaded(classic);
  printDiagnostics(file, translation.diagnostics, classic.text);
  if (!object) throw new InputError(`${file}: cannot be translated to eBPF`);
  return { object, text: classic.text, classic, translation };
}
