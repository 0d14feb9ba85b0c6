/**
 * The verifier corpus (test/data/verifier/*.data): its file format, and the kernel's verdict
 * on one case. Shared by test/verifier/corpus.test.ts, which checks that the recorded
 * expectations still hold, and scripts/record-verifier-corpus.mjs, which records them.
 *
 * A case file is a `#` comment saying what the case is about, then sections introduced by
 * `-- NAME` lines (the conformance `.data` shape, values on the lines below the header):
 *
 *   -- asm          the program, our assembly syntax (README.md), `.map` and `.section` allowed
 *   -- prog-type    the kernel's program-type name (`xdp`, `socket_filter`, `cgroup_skb`...)
 *   -- attach-type  optional: expected_attach_type by name (`cgroup_inet4_connect`)
 *   -- license      optional: the license string given to BPF_PROG_LOAD (default: the
 *                   assembly's `.license`, which defaults to GPL)
 *   -- result       `accept` or `reject`                                   (recorded)
 *   -- error        rejects only: the message, DESIGN.md's rule            (recorded)
 *   -- errno        rejects only: the errno name (EACCES, EINVAL...)       (recorded)
 *   -- log          the kernel's whole log at log_level 1, map addresses   (recorded)
 *                   redacted (redactAddresses)
 *
 * Section bodies are kept verbatim (`#` inside `-- log` or `-- error` is text, not a
 * comment: `call bpf_map_lookup_elem#1`); only the lines before the first section are the
 * comment. The message of a rejection is the last log line before the `processed N insns`
 * statistics line (or the text before statistics glued to a message that lacks its newline),
 * the last line of a log that has none, or `BPF_PROG_LOAD: <ERRNO>` when the kernel wrote no
 * log (DESIGN.md, The verifier).
 *
 * The loading follows test/diff/kernelRun.ts: assemble, create every declared map (inner
 * maps of map-in-map types from the map they name), link the first program as libbpf lays
 * it out, patch map references to the fds, BPF_PROG_LOAD at log_level 1, close everything.
 */

import { assemble } from '../../core/asm/assemble';
import { BpfObject } from '../../core/object';
import { listPrograms } from '../../core/link';
import { kernelLogMessage, loadObjectProgram } from '../../core/kernel';

/** The sections a case file may have, in the order they are written. */
export const CASE_SECTIONS = ['asm', 'prog-type', 'attach-type', 'license', 'result', 'error', 'errno', 'log'] as const;
export type CaseSection = (typeof CASE_SECTIONS)[number];

export interface VerifierCase {
  /** The comment lines before the first section, `#` included. */
  comment: string[];
  asm: string;
  progType: string;
  attachType?: string;
  license?: string;
  result?: 'accept' | 'reject';
  error?: string;
  errno?: string;
  log?: string;
  /** The 0-based file line of the first `-- asm` body line (for assembler diagnostics). */
  asmLine: number;
}

/** What the kernel said about a case. */
export interface KernelVerdict {
  result: 'accept' | 'reject';
  /** Rejects: the message (DESIGN.md's rule). */
  error?: string;
  /** Rejects: the errno name. */
  errno?: string;
  /** The whole log, without trailing newlines. */
  log: string;
}

export type VerdictOutcome =
  | KernelVerdict
  /** The case does not assemble (or has no program): a broken case, never a verdict. */
  | { broken: string }
  /** bpf(2) cannot be used here. */
  | { unavailable: string };

export function parseCase(text: string): VerifierCase | { broken: string } {
  const sections = new Map<string, string[]>();
  const firstLine = new Map<string, number>();
  const comment: string[] = [];
  let current: string | undefined;
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (let ln = 0; ln < lines.length; ln++) {
    const raw = lines[ln];
    const head = /^-- ([a-z-]+)(?:\s+(.*))?$/.exec(raw);
    if (head && (CASE_SECTIONS as readonly string[]).includes(head[1])) {
      current = head[1];
      if (sections.has(current)) return { broken: `line ${ln + 1}: section '-- ${current}' appears twice` };
      sections.set(current, head[2] !== undefined && head[2].trim() ? [head[2].trim()] : []);
      firstLine.set(current, ln + 1);
      continue;
    }
    if (current === undefined) {
      if (raw.trim() && !raw.startsWith('#')) return { broken: `line ${ln + 1}: text before the first section is not a # comment` };
      if (raw.trim()) comment.push(raw);
      continue;
    }
    sections.get(current)!.push(raw);
  }
  const body = (name: CaseSection): string | undefined => {
    const b = sections.get(name);
    if (!b) return undefined;
    const copy = [...b];
    while (copy.length && copy[copy.length - 1].trim() === '') copy.pop();
    return copy.join('\n');
  };
  const value = (name: CaseSection): string | undefined => {
    const b = body(name);
    return b === undefined ? undefined : b.trim() || undefined;
  };
  const asm = body('asm');
  if (asm === undefined) return { broken: 'no -- asm section' };
  const progType = value('prog-type');
  if (!progType) return { broken: 'no -- prog-type section' };
  const result = value('result');
  if (result !== undefined && result !== 'accept' && result !== 'reject') return { broken: `-- result must be accept or reject, not '${result}'` };
  return {
    comment, asm, progType, asmLine: firstLine.get('asm')!,
    attachType: value('attach-type'), license: sections.has('license') ? (body('license') ?? '').trim() : undefined,
    result: result as 'accept' | 'reject' | undefined, error: body('error') || undefined, errno: value('errno'), log: body('log'),
  };
}

/** The file text of a case; `parseCase(formatCase(c))` gives `c` back. */
export function formatCase(c: VerifierCase): string {
  const out: string[] = [...c.comment];
  const section = (name: CaseSection, text: string | undefined) => {
    if (text === undefined) return;
    out.push(`-- ${name}`);
    if (text !== '') for (const l of text.split('\n')) out.push(l);
  };
  section('asm', c.asm.replace(/\s+$/, ''));
  section('prog-type', c.progType);
  section('attach-type', c.attachType);
  section('license', c.license);
  section('result', c.result);
  section('error', c.error);
  section('errno', c.errno);
  section('log', c.log);
  return out.join('\n') + '\n';
}

/** The assembled object, or why the case does not assemble. */
export function assembleCase(c: VerifierCase): { object: BpfObject } | { broken: string } {
  const { object, diagnostics } = assemble(c.asm);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    return { broken: `does not assemble: ${errors.map((d) => `line ${c.asmLine + (d.span?.line ?? 0) + 1}: ${d.message}`).join('; ')}` };
  }
  if (listPrograms(object).length === 0) return { broken: 'the assembly holds no program' };
  return { object };
}

/** The message of a rejection (DESIGN.md, The verifier): one definition, in core/kernel. */
export function rejectMessage(log: string, errnoName: string): string {
  return kernelLogMessage(log, errnoName);
}

export function kernelVerdict(c: VerifierCase): VerdictOutcome {
  const asm = assembleCase(c);
  if ('broken' in asm) return asm;
  const obj = asm.object;
  const loaded = loadObjectProgram(obj, listPrograms(obj)[0], { progType: c.progType, attachType: c.attachType, license: c.license, logLevel: 1 });
  if ('unavailable' in loaded) return { unavailable: loaded.unavailable };
  if (!('load' in loaded)) return { broken: loaded.message };
  try {
    const res = loaded.load;
    if ('unavailable' in res) return { unavailable: res.unavailable };
    if (!('fd' in res) && /^BPF_PROG_LOAD: unknown (program|attach) type/.test(res.message)) return { broken: res.message };
    const log = redactAddresses(res.log.replace(/\n+$/, ''));
    if ('fd' in res) return { result: 'accept', log };
    return { result: 'reject', error: rejectMessage(log, res.errnoName), errno: res.errnoName, log };
  } finally {
    loaded.close();
  }
}

/**
 * The log with kernel addresses redacted: a privileged load prints the address of each map an
 * lddw refers to (`3: (18) r1 = 0xffff88810b477c00`), which differs from load to load. It
 * becomes `0xffffxxxxxxxxxxxx`, the same width, so the kernel's column alignment is kept.
 * Only lddw lines are touched: elsewhere such numbers are values (`var_off=(0x1; 0xfffffffffffffffe)`).
 */
export function redactAddresses(log: string): string {
  return log.replace(/^(\d+: \(18\) r\d+ = )0xffff[0-9a-f]{12}\b/gm, (_, insn: string) => `${insn}0xffffxxxxxxxxxxxx`);
}

/** The area of a case: its file name up to the first `-` (`pkt-no-bounds-check.data` is `pkt`). */
export function areaOf(fileName: string): string {
  const base = fileName.replace(/^.*\//, '').replace(/\.data$/, '');
  const dash = base.indexOf('-');
  return dash < 0 ? base : base.slice(0, dash);
}
