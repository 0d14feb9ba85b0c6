/**
 * `test FILE [selectors] [--json] [--list]`: runs the cases of the sidecar `FILE.tests.json`
 * (DESIGN.md, Command line). The sidecar is read and checked by core/testing; here the files
 * it names are read, relative to its folder, and the verdicts printed.
 *
 * Exit status: 0 every case passed, 1 a case failed, 2 bad input (the sidecar, the program,
 * or a case's input; a case that cannot run is reported and the others still run).
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hasErrors } from '../../core/diag';
import { BpfObject } from '../../core/object';
import { progTypeByName, sectionProgType } from '../../core/progtypes/table';
import { readCapture } from '../../core/input/pcap';
import { parseCtxJson, parseEnvJson } from '../../core/input/parse';
import { selectProgram } from '../../core/vm/run';
import { fieldSpan, parseSidecar, TestCase } from '../../core/testing/sidecar';
import { CaseOutcome, CaseTarget, isProblem, ResolvedInput, runCase } from '../../core/testing/runCase';
import { compareOutcome, Failure } from '../../core/testing/compare';
import { parse } from '../args';
import { InputError, loadOrFail } from '../load';
import { isCbpfFile, loadCbpf } from '../cbpf';
import { formatDiagnostic } from '../report';

export const TEST_HELP = `usage: ebpf-workbench test FILE [--prog-type T] [--section S] [--program NAME] [--jit] [--json] [--list]

Run the cases of the sidecar FILE.tests.json (FILE may also name the sidecar itself):
  {"cases": [{"name": "...", "input": {...}, "expect": {...}}]}
input: packet (hex) | packetFile | pcap [pcapIndex], ctx, mem | memFile, maps, env, budget
       (ctx, maps and env: an object, or a JSON file; files are relative to the sidecar)
expect: retval, r0, packet, maps (only the entries named), events, fault (all optional)
A case may name its own program, section and progType; the options below are the default.
For FILE.bpf.c the program is the object FILE.bpf.o beside it (build it first).
  --prog-type T    override the type the section name gives (kernel or libbpf names, or raw)
  --section S      the section of the program, when the file has several
  --program NAME   the program, when the file has several
  --jit            run compiled code (core/jit)
  --json           print {"cases": [{name, passed, failures: [{field, expected, got}], line, insn, error}], "passed", "failed"}
  --list           list the cases (with --json: their ranges in the sidecar) without running them
Prints one line per failing case and closes with 'N passed, N failed'.
Exit status: 0 all passed, 1 a case failed, 2 bad input.`;

/** A case's verdict, in the shape `test --json` prints (lines and columns 1-based). */
interface CaseReport {
  name: string;
  passed: boolean;
  failures: Failure[];
  /** Where the program stopped: the exit it reached or the instruction that faulted. */
  line?: number;
  column?: number;
  /** Set when the line is in another file than FILE (the C source of an object). */
  file?: string;
  insn?: number;
  result?: { exit: 'ok' | 'fault'; retval?: number; r0?: string; error?: string };
  /** The case could not run: what is wrong with its input, and where in the sidecar. */
  error?: string;
  errorAt?: { line: number; column: number };
  caseRange: { line: number; column: number; endLine: number; endColumn: number };
}

export function testCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, {
    'prog-type': { type: 'string' }, section: { type: 'string' }, program: { type: 'string' },
    jit: { type: 'boolean' }, json: { type: 'boolean' }, list: { type: 'boolean' },
  });
  if (values.help) { process.stdout.write(TEST_HELP + '\n'); return 0; }
  if (positionals.length !== 1) throw new InputError(`test takes one FILE\n${TEST_HELP}`);
  const file = positionals[0].replace(/\.tests\.json$/i, '');
  const sidecar = `${file}.tests.json`;
  const json = !!values.json;
  try {
    return runTests(file, sidecar, values);
  } catch (e) {
    if (json && e instanceof InputError && !e.alreadyReported) {
      process.stdout.write(JSON.stringify({ cases: [], passed: 0, failed: 0, errors: [{ file, message: e.message }] }) + '\n');
    }
    throw e;
  }
}

function runTests(file: string, sidecar: string, values: Record<string, unknown>): number {
  let text: string;
  try { text = readFileSync(sidecar, 'utf8'); } catch (e) {
    throw new InputError(`${sidecar}: cannot read: ${(e as NodeJS.ErrnoException).code ?? e} (test runs the cases of FILE.tests.json, beside FILE)`);
  }
  const { cases, diagnostics } = parseSidecar(text);
  if (hasErrors(diagnostics)) {
    const lines = text.split(/\r\n|\r|\n/);
    for (const d of diagnostics) process.stderr.write(formatDiagnostic(sidecar, d, lines) + '\n');
    if (values.json) {
      const errors = diagnostics.map((d) => ({ file: sidecar, line: d.span!.line + 1, column: d.span!.col + 1, message: d.message }));
      process.stdout.write(JSON.stringify({ cases: [], passed: 0, failed: 0, errors }) + '\n');
    }
    throw new InputError(`${sidecar}: ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}`, true);
  }
  if (values.list) {
    if (values.json) process.stdout.write(JSON.stringify({ cases: cases.map((c) => ({ name: c.name, caseRange: rangeJson(c) })) }) + '\n');
    else for (const c of cases) process.stdout.write(`${c.name}\n`);
    return 0;
  }

  const program = loadProgram(file);
  const reports = cases.map((c) => runOne(c, program, dirname(sidecar), values, file));
  const passed = reports.filter((r) => r.passed).length;
  const failed = reports.length - passed;
  if (values.json) {
    process.stdout.write(JSON.stringify({ cases: reports, passed, failed }) + '\n');
  } else {
    for (const r of reports.filter((x) => !x.passed)) process.stdout.write(describe(r, file, sidecar) + '\n');
    process.stdout.write(`${passed} passed, ${failed} failed\n`);
  }
  if (reports.some((r) => r.error !== undefined)) return 2;
  return failed ? 1 : 0;
}

type Program = { kind: 'ebpf'; obj: BpfObject } | Extract<CaseTarget, { kind: 'cbpf' }>;

/** The program file: assembly, an object, a .bin, classic BPF; for C, the object built beside it. */
function loadProgram(file: string): Program {
  if (isCbpfFile(file)) {
    const c = loadCbpf(file);
    if (c.refused) throw new InputError(`${file}: refused by the classic checker`);
    return { kind: 'cbpf', insns: c.insns, lines: c.lines };
  }
  if (/\.c$/i.test(file)) {
    const obj = file.replace(/\.c$/i, '.o');
    try { readFileSync(obj); } catch {
      throw new InputError(`${file}: the tests of a C program run its object ${obj}; build it first (clang-19 -g -O2 -target bpf -c ${file} -o ${obj})`);
    }
    return { kind: 'ebpf', obj: loadOrFail(obj).object };
  }
  return { kind: 'ebpf', obj: loadOrFail(file).object };
}

class CaseError extends Error {
  constructor(message: string, readonly field: string) {
    super(message);
  }
}

function runOne(c: TestCase, program: Program, dir: string, values: Record<string, unknown>, file: string): CaseReport {
  const report: CaseReport = { name: c.name, passed: false, failures: [], caseRange: rangeJson(c) };
  const fail = (message: string, field: string) => {
    const at = fieldSpan(c, field);
    return { ...report, error: message, errorAt: { line: at.line + 1, column: at.col + 1 } };
  };
  try {
    const target = caseTarget(c, program, values);
    const input = resolveInput(c, dir, target);
    input.jit = !!values.jit;
    const outcome = runCase(target, input);
    if (isProblem(outcome)) return fail(outcome.message, outcome.field);
    const { failures, problems } = compareOutcome(c.expect, outcome, { cpu: input.env?.cpu });
    if (problems.length) return fail(problems[0].message, problems[0].field);
    return { ...report, passed: failures.length === 0, failures, ...where(outcome, file), result: resultJson(outcome) };
  } catch (e) {
    if (e instanceof CaseError) return fail(e.message, e.field);
    throw e;
  }
}

function caseTarget(c: TestCase, program: Program, values: Record<string, unknown>): CaseTarget {
  if (program.kind === 'cbpf') {
    if (c.progType ?? c.section ?? c.program) throw new CaseError('a classic BPF file holds one filter: no "program", "section" or "progType"', c.progType ? 'progType' : c.section ? 'section' : 'program');
    return program;
  }
  const section = c.section ?? (values.section as string | undefined);
  const name = c.program ?? (values.program as string | undefined);
  const ref = selectProgram(program.obj, { section, program: name });
  if ('severity' in ref) throw new CaseError(ref.message.replace('choose one with --section or --program', 'give the case a "program" (or run with --program)'), c.program ? 'program' : c.section ? 'section' : '');
  const asked = c.progType ?? (values['prog-type'] as string | undefined);
  let progType: string = sectionProgType(ref.section)?.progType ?? 'socket_filter';
  if (asked) {
    const t = asked === 'raw' ? 'raw' : progTypeByName(asked)?.name;
    if (!t) throw new CaseError(`unknown program type '${asked}'`, 'progType');
    progType = t;
  }
  if (progType === 'raw' && program.obj.maps.length) throw new CaseError('maps are not available under program type raw', 'progType');
  return { kind: 'ebpf', obj: program.obj, ref, progType };
}

/** The case's input with its files read (relative to the sidecar's folder). */
function resolveInput(c: TestCase, dir: string, target: CaseTarget): ResolvedInput {
  const inp = c.input;
  const read = (field: string, name: string): Uint8Array => {
    try { return new Uint8Array(readFileSync(resolve(dir, name))); } catch (e) {
      throw new CaseError(`"${field}" ${name}: cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`, `input.${field}`);
    }
  };
  const readJson = (field: string, name: string): string => new TextDecoder().decode(read(field, name));
  let packets: (Uint8Array | undefined)[] = [inp.packet];
  if (inp.packetFile !== undefined) packets = [read('packetFile', inp.packetFile)];
  if (inp.pcap !== undefined) {
    const cap = readCapture(read('pcap', inp.pcap));
    if (hasErrors(cap.diagnostics)) throw new CaseError(`"pcap" ${inp.pcap}: ${cap.diagnostics[0].message}`, 'input.pcap');
    if (cap.packets.length === 0) throw new CaseError(`"pcap" ${inp.pcap}: the capture holds no packets`, 'input.pcap');
    packets = cap.packets.map((p) => p.data);
    if (inp.pcapIndex !== undefined) {
      if (inp.pcapIndex >= packets.length) throw new CaseError(`"pcapIndex" ${inp.pcapIndex}: the capture has ${packets.length} packets (0-${packets.length - 1})`, 'input.pcapIndex');
      packets = [packets[inp.pcapIndex]];
    }
  }
  const out: ResolvedInput = { packets, budget: inp.budget };
  out.mem = inp.memFile !== undefined ? read('memFile', inp.memFile) : inp.mem;
  if (inp.ctx) {
    if ('value' in inp.ctx) out.ctx = inp.ctx.value;
    else {
      const ctx = parseCtxJson(readJson('ctx', inp.ctx.file));
      if (typeof ctx === 'string') throw new CaseError(`"ctx" ${inp.ctx.file}: ${ctx.replace(/^--ctx /, '')}`, 'input.ctx');
      out.ctx = ctx;
    }
  }
  if (inp.maps) {
    if ('value' in inp.maps) out.maps = inp.maps.value;
    else {
      try { out.maps = JSON.parse(readJson('maps', inp.maps.file)); } catch (e) {
        if (e instanceof CaseError) throw e;
        throw new CaseError(`"maps" ${inp.maps.file}: not valid JSON: ${(e as Error).message}`, 'input.maps');
      }
    }
  }
  if (inp.env) {
    if ('value' in inp.env) out.env = inp.env.value;
    else {
      const env = parseEnvJson(readJson('env', inp.env.file));
      if (typeof env === 'string') throw new CaseError(`"env" ${inp.env.file}: ${env.replace(/^--env:? ?/, '')}`, 'input.env');
      out.env = env;
    }
  }
  if (target.kind === 'ebpf' && target.progType === 'raw' && out.ctx) throw new CaseError('a raw program has no context: give "mem"', 'input.ctx');
  return out;
}

function where(o: CaseOutcome, file: string): Pick<CaseReport, 'line' | 'column' | 'file' | 'insn'> {
  const pos = o.pos;
  return { insn: o.insn, ...(pos ? { line: pos.line + 1, column: pos.col + 1, ...(pos.file && pos.file !== file ? { file: pos.file } : {}) } : {}) };
}

function resultJson(o: CaseOutcome): CaseReport['result'] {
  return o.exit === 'ok' ? { exit: 'ok', retval: Number(o.r0! & 0xffffffffn), r0: o.r0!.toString() } : { exit: 'fault', error: o.error };
}

function rangeJson(c: TestCase): CaseReport['caseRange'] {
  return { line: c.range.line + 1, column: c.range.col + 1, endLine: c.range.endLine + 1, endColumn: c.range.endCol + 1 };
}

/** One line for a case that did not pass: what differed, and where the program stopped. */
function describe(r: CaseReport, file: string, sidecar: string): string {
  if (r.error !== undefined) return `ERROR ${r.name}: ${sidecar}:${r.errorAt!.line}:${r.errorAt!.column}: ${r.error}`;
  const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const what = r.failures.map((f) => {
    if (f.field === 'fault') return f.expected ? `expected a fault, got ${shown(f.got)}` : `fault: ${shown(f.got)}`;
    return `${f.field}: expected ${shown(f.expected)}, got ${shown(f.got)}`;
  });
  const at = r.line !== undefined ? ` (${r.file ?? file}:${r.line}, insn ${r.insn})` : r.insn !== undefined ? ` (insn ${r.insn})` : '';
  return `FAIL ${r.name}: ${what.join('; ')}${at}`;
}

