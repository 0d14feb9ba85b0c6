/**
 * Code lenses: above each program, its verdict (`14 insns · accepted (xdp) · 17 processed`,
 * or the verifier's message) and the commands to run or debug it; on the line the verifier
 * rejects, "Debug this error"; above a classic filter,
 * its size before and after translation and the verdict on the translation.
 *
 * Plain data: the server turns each into an LSP code lens, the client owns the commands.
 * A lens sits on the line of the label naming the program's first instruction, else on that
 * instruction's line; a program whose code lies only in included files has none.
 */

import { hasErrors } from '../diag';
import { lex } from '../asm/lexer';
import { Analysis, ProgramAnalysis, isOwnLine } from './analysis';

export type LensCommandId = 'ebpf.run' | 'ebpf.debug' | 'ebpf.showVerifierLog' | 'ebpf.debugError';

export interface CodeLens {
  line: number;
  title: string;
  command?: { id: LensCommandId; title: string; args: unknown[] };
}

/** The argument every lens command gets: which program of the document. */
export interface LensTarget {
  section: string;
  program: string;
}

const MAX_MESSAGE_CHARS = 80;
const MAX_LABEL_LOOKBACK = 16;

export function codeLenses(a: Analysis): CodeLens[] {
  if (a.language === 'cbpf') return classicLenses(a);
  const assemblyErrors = hasErrors(a.diagnostics.filter((d) => d.code !== 'verifier'));
  const lenses: CodeLens[] = [];
  for (const p of a.programs) {
    const line = programLine(a, p);
    if (line === undefined) continue;
    const target: LensTarget = { section: p.ref.section, program: p.ref.name };
    if (!p.result) {
      const why = a.cancelled && !assemblyErrors ? 'cancelled' : 'assembly errors';
      lenses.push({ line, title: `not verified: ${why}` });
      continue;
    }
    const status = `${p.program.insns.length} insns · ${verdict(p)}`;
    lenses.push(
      { line, title: status, command: { id: 'ebpf.showVerifierLog', title: status, args: [target] } },
      { line, title: 'Run', command: { id: 'ebpf.run', title: 'Run', args: [target] } },
      { line, title: 'Debug', command: { id: 'ebpf.debug', title: 'Debug', args: [target] } },
    );
    // On the rejected line: a run driven there by an input solved from the verifier's path (core/counterexample).
    const failLine = !p.result.accepted && p.result.insnIdx !== undefined ? p.program.lines[p.result.insnIdx] : undefined;
    if (failLine && isOwnLine(a, failLine)) {
      lenses.push({ line: failLine.line, title: 'Debug this error', command: { id: 'ebpf.debugError', title: 'Debug this error', args: [target] } });
    }
  }
  return lenses;
}

function classicLenses(a: Analysis): CodeLens[] {
  const cbpf = a.cbpf;
  const line = cbpf?.lines[0]?.line;
  if (!cbpf || line === undefined) return [];
  const p = a.programs[0];
  if (!cbpf.translation || !p) return [{ line, title: `${cbpf.insns.length} classic insns · not verified: errors` }];
  const title = `${cbpf.insns.length} classic → ${p.program.insns.length} eBPF insns · ${p.result ? verdict(p) : 'not verified: cancelled'}`;
  const target: LensTarget = { section: p.ref.section, program: p.ref.name };
  return [{ line, title, command: { id: 'ebpf.showVerifierLog', title, args: [target] } }];
}

function verdict(p: ProgramAnalysis): string {
  const r = p.result!;
  if (r.cancelled) return 'not verified: cancelled';
  if (r.accepted) return `accepted (${p.progType}) · ${r.stats.processedInsns} processed`;
  const message = r.message ?? 'rejected';
  return `rejected: ${message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message}`;
}

/**
 * The line of the label naming the program's first instruction (the topmost of the labels,
 * blank lines and comments directly above it), else of that instruction itself.
 */
function programLine(a: Analysis, p: ProgramAnalysis): number | undefined {
  const first = p.program.lines.find((pos) => isOwnLine(a, pos))?.line;
  if (first === undefined) return undefined;
  if (a.sourceFile !== undefined) return cFunctionLine(a, p, first);
  let line = first;
  for (let ln = first - 1; ln >= 0 && ln >= first - MAX_LABEL_LOOKBACK; ln--) {
    const toks = lex(a.lines[ln]).flatMap((s) => s.tokens);
    if (!toks.length) continue;
    if (toks.length !== 2 || toks[0].kind !== 'ident' || toks[1].text !== ':') break;
    line = ln;
  }
  return line;
}

/**
 * In a C document: the line declaring the program's function (`int name(`), searched upwards
 * from its first instruction's line (clang puts that on the declaration or the first
 * statement), else that line itself.
 */
function cFunctionLine(a: Analysis, p: ProgramAnalysis, first: number): number {
  const name = p.ref.name.replace(/[^\w]/g, '');
  if (!name) return first;
  const decl = new RegExp(`\\b${name}\\s*\\(`);
  for (let ln = first; ln >= 0 && ln >= first - MAX_LABEL_LOOKBACK; ln--) if (decl.test(a.lines[ln] ?? '')) return ln;
  return first;
}
