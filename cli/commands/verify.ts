/** `verify FILE [selectors] [--kernel] [--json]`: our verifier's verdict, and the kernel's beside it (DESIGN.md). */

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { hasErrors } from '../../core/diag';
import { loadFile } from '../../core/load';
import { BpfObject } from '../../core/object';
import { linkProgram, listPrograms, ProgramRef } from '../../core/link';
import { progTypeByName, sectionProgType } from '../../core/progtypes/table';
import { verifyProgram, VerifyResult } from '../../core/verifier';
import { kernelAvailable, kernelLogMessage, loadObjectProgram } from '../../core/kernel';
import { parse } from '../args';
import { InputError, loadOrFail } from '../load';
import { diskCoreTarget } from '../../server/btfFile';
import { CoreTarget } from '../../core/coreRelocate';
import { isCbpfFile, loadCbpf, translateLoaded } from '../cbpf';
import { formatDiagnostic, printDiagnostics } from '../report';
import { Diagnostic } from '../../core/diag';
import { SourcePos } from '../../core/object';
import { counterexamples, describeCounterexample } from '../counterexample';

export const VERIFY_HELP = `usage: ebpf-workbench verify FILE [--prog-type T] [--section S] [--program NAME] [--btf FILE] [--kernel] [--counterexample] [--json]

Verify every selected program with our verifier (the Linux 6.18 verifier's verdict and
words, privileged); the file is accepted only if all are.
  --prog-type T      override the type the section name gives (kernel or libbpf names)
  --section S        only the programs of section S
  --program NAME     only the program NAME
  --btf FILE         the BTF that CO-RE relocations are resolved against (default /sys/kernel/btf/vmlinux)
  --kernel           also load each program into the running kernel (root, Linux) and show its verdict and log
  --counterexample   for each error, an input under which a run reaches it in the state the verifier
                     refused (the packet, context and map contents), or why no run can get there
  --json             print one JSON object
Exit status: 0 accepted, 1 rejected, 2 bad input.`;

interface Checked {
  ref: ProgramRef;
  progType: string;
  result: VerifyResult;
  ms: number;
  lines: ReturnType<typeof linkProgram>['program']['lines'];
  kernel?: { accepted: boolean; message?: string; log: string } | { unavailable: string };
}

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'prog-type': { type: 'string' }, section: { type: 'string' }, program: { type: 'string' },
    kernel: { type: 'boolean' }, counterexample: { type: 'boolean' }, json: { type: 'boolean' }, btf: { type: 'string' },
  });
  if (values.help) { process.stdout.write(VERIFY_HELP + '\n'); return 0; }
  if (positionals.length !== 1) throw new InputError(`verify takes one FILE\n${VERIFY_HELP}`);
  const file = positionals[0];
  const json = !!values.json;
  const core = diskCoreTarget(values.btf as string | undefined);
  let object: BpfObject;
  let text: string | undefined;
  if (isCbpfFile(file)) {
    // Classic BPF: the kernel's classic checker, then our verifier on the eBPF translation.
    const classic = loadCbpf(file, { quiet: json });
    const translated = classic.refused ? undefined : translateLoaded(classic);
    if (!translated?.object) {
      const why = classic.refused ? classic.checked : translated!.translation.diagnostics;
      if (json) {
        const diagnostics = why.map((d) => diagnosticJson(d, d.span, { insn: d.insnIdx ?? null }));
        process.stdout.write(JSON.stringify({ accepted: false, diagnostics, stats: { processedInsns: 0, states: 0, ms: 0 } }) + '\n');
      } else {
        if (!classic.refused) printDiagnostics(file, why, classic.text);
        process.stdout.write(`${file}: ${classic.refused ? 'refused by the classic checker' : 'accepted by the classic checker, but cannot be translated to eBPF'}\n`);
      }
      return 1;
    }
    if (!json) process.stdout.write(`${file}: accepted by the classic checker (${classic.insns.length} instructions); its eBPF translation (${translated.translation.insns.length} instructions):\n`);
    object = translated.object;
    text = classic.text;
  } else {
    if (json) {
      // Bad input with --json is still one JSON object (DESIGN.md): the syntax errors, exit 2.
      const bad = badInputJson(file, core);
      if (bad) { process.stdout.write(JSON.stringify(bad) + '\n'); return 2; }
    }
    ({ object, text } = loadOrFail(file, { core }));
  }
  const refs = listPrograms(object).filter((p) => (!values.section || p.section === values.section) && (!values.program || p.name === values.program));
  if (refs.length === 0) throw new InputError(`${file}: no program matches (programs: ${listPrograms(object).map((p) => p.name).join(', ') || 'none'})`);
  const asked = values['prog-type'] as string | undefined;
  const askedType = asked ? progTypeByName(asked)?.name : undefined;
  if (asked && !askedType) throw new InputError(`--prog-type: unknown program type '${asked}'`);

  const checked: Checked[] = refs.map((ref) => {
    const def = sectionProgType(ref.section);
    const progType = askedType ?? def?.progType ?? 'socket_filter';
    const { program } = linkProgram(object, ref);
    const t0 = performance.now();
    const result = verifyProgram(program, { progType, attachType: def?.expectedAttachType, license: object.license, maps: object.maps });
    const c: Checked = { ref, progType, result, ms: performance.now() - t0, lines: program.lines };
    if (values.kernel) c.kernel = kernelVerdict(object, ref, progType, def?.expectedAttachType);
    return c;
  });
  const accepted = checked.every((c) => c.result.accepted);
  const examples = values.counterexample ? await counterexamples(object, checked) : undefined;

  if (json) {
    const diagnostics = checked.flatMap((c) => c.result.diagnostics.map((d) => {
      const pos = d.insnIdx !== undefined ? c.lines[d.insnIdx] : undefined;
      const example = d.code === 'verifier' ? examples?.get(c) : undefined;
      return { ...diagnosticJson(d, pos, { insn: d.insnIdx ?? null, section: c.ref.section, program: c.ref.name }), ...(example ? { counterexample: example } : {}) };
    }));
    const stats = {
      processedInsns: checked.reduce((n, c) => n + c.result.stats.processedInsns, 0),
      states: checked.reduce((n, c) => n + c.result.stats.states, 0),
      ms: Math.round(checked.reduce((n, c) => n + c.ms, 0) * 1000) / 1000,
    };
    const out: Record<string, unknown> = { accepted, diagnostics, stats };
    if (values.kernel) out.kernel = kernelSummary(checked);
    process.stdout.write(JSON.stringify(out) + '\n');
    return accepted ? 0 : 1;
  }

  const sourceLines = text?.split(/\r\n|\r|\n/);
  for (const c of checked) {
    const name = c.ref.name === c.ref.section ? c.ref.section : `${c.ref.section}/${c.ref.name}`;
    if (c.result.accepted) {
      process.stdout.write(`${name}: accepted (${c.progType}), ${c.result.stats.processedInsns} insns processed\n`);
    } else {
      for (const d of c.result.diagnostics) {
        const pos = d.insnIdx !== undefined ? c.lines[d.insnIdx] : undefined;
        process.stdout.write(formatDiagnostic(pos?.file ?? file, { ...d, span: pos }, pos?.file ? undefined : sourceLines) + '\n');
        if (d.insnIdx !== undefined) process.stdout.write(`  (insn ${d.insnIdx} of ${name}, ${c.progType})\n`);
        if (d.explain) process.stdout.write(`  why: ${d.explain}\n`);
        if (d.fix) process.stdout.write(`  fix: ${d.fix}\n`);
        const example = d.code === 'verifier' ? examples?.get(c) : undefined;
        if (example) process.stdout.write(`  ${describeCounterexample(example)}\n`);
      }
    }
    if (c.kernel) {
      if ('unavailable' in c.kernel) process.stdout.write(`  kernel: unavailable: ${c.kernel.unavailable}\n`);
      else process.stdout.write(`  kernel: ${c.kernel.accepted ? 'accepted' : `rejected: ${c.kernel.message}`}${c.kernel.accepted === c.result.accepted ? '' : '  <- differs from ours'}\n`);
    }
  }
  return accepted ? 0 : 1;
}

function badInputJson(file: string, core: CoreTarget): unknown {
  let bytes: Uint8Array;
  try { bytes = readFileSync(file); } catch (e) {
    return { accepted: false, diagnostics: [{ line: null, column: null, insn: null, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`, code: 'input', severity: 'error' }] };
  }
  const loaded = loadFile(file, bytes, { core });
  if (!hasErrors(loaded.diagnostics)) return undefined;
  return {
    accepted: false,
    diagnostics: loaded.diagnostics.map((d) => ({
      line: d.span ? d.span.line + 1 : null, column: d.span ? d.span.col + 1 : null, insn: null,
      ...((d.span as SourcePos | undefined)?.file ? { file: (d.span as SourcePos).file } : {}),
      message: d.message, code: d.code, severity: d.severity,
    })),
  };
}

function kernelSummary(checked: Checked[]): unknown {
  const ks = checked.map((c) => c.kernel!);
  const down = ks.find((k) => 'unavailable' in k);
  if (down) return down;
  const all = ks as { accepted: boolean; message?: string; log: string }[];
  const firstReject = all.find((k) => !k.accepted);
  return { accepted: all.every((k) => k.accepted), message: firstReject?.message ?? '', log: all.map((k) => k.log).join('\n') };
}

/** Loads the program into the running kernel with its maps; the message as DESIGN.md defines it. */
function kernelVerdict(obj: BpfObject, ref: ProgramRef, progType: string, attachType?: string): Checked['kernel'] {
  const av = kernelAvailable();
  if (!av.ok) return { unavailable: av.reason };
  const loaded = loadObjectProgram(obj, ref, { progType, attachType });
  if ('unavailable' in loaded) return { unavailable: loaded.unavailable };
  if (!('load' in loaded)) return { unavailable: loaded.message };
  try {
    const res = loaded.load;
    if ('unavailable' in res) return { unavailable: String(res.unavailable) };
    if ('fd' in res) return { accepted: true, log: res.log };
    return { accepted: false, message: kernelLogMessage(res.log ?? '', res.errnoName), log: res.log ?? '' };
  } finally {
    loaded.close();
  }
}

/** One diagnostic in the shape of `verify --json` (DESIGN.md): 1-based line and column, the file when not the main one. */
function diagnosticJson(d: Diagnostic, pos: SourcePos | undefined, where: { insn: number | null; section?: string; program?: string }) {
  return {
    line: pos ? pos.line + 1 : d.insnIdx !== undefined ? d.insnIdx + 1 : null,
    column: pos ? pos.col + 1 : 1,
    ...(pos?.file ? { file: pos.file } : {}),
    ...where,
    message: d.message, detail: d.detail ?? [], code: d.code, severity: d.severity,
    ...(d.explain ? { explain: d.explain } : {}), ...(d.fix ? { fix: d.fix } : {}),
  };
}
