/**
 * One bpf_conformance `.data` file: assemble or read its program, apply the structural
 * load check for the chosen ISA version, run it as the `raw` type, and judge the outcome
 * by the rules of DESIGN.md (`conformance`) and shared/conformance/README.md §1-2.
 */

import { hasErrors } from '../diag';
import { decodeSlots, encodeSlots, Insn } from '../isa/insn';
import { IsaVersion, ISA_VERSIONS } from '../isa/opcodes';
import { loadCheck } from '../isa/validate';
import { assemble } from '../asm/assemble';
import { rawHelper } from '../helpers/conformance';
import { linkProgram, listPrograms } from '../link';
import { emptyObject } from '../object';
import { runRaw } from '../vm/raw';
import { lastLine, parseDataFile, parseRaw, sectionText } from './dataFile';

export type Verdict = { status: 'pass' } | { status: 'fail'; expected: string; got: string } | { status: 'skip'; reason: string };

function parseHexBytes(lines: string[] | undefined): Uint8Array | undefined {
  if (!lines) return undefined;
  const text = lines.join(' ').trim();
  if (!text) return undefined;
  return Uint8Array.from(text.split(/\s+/), (b) => parseInt(b, 16));
}

/** The program's slots and whatever went wrong producing them. */
function program(file: ReturnType<typeof parseDataFile>): { insns?: Insn[]; problem?: string } {
  const raw = file.sections.get('raw');
  if (raw) {
    const bytes = parseRaw(raw);
    return typeof bytes === 'string' ? { problem: bytes } : { insns: decodeSlots(bytes) };
  }
  const asm = sectionText(file, 'asm');
  if (asm === undefined) return { problem: 'no asm or raw section' };
  const { object, diagnostics } = assemble(asm);
  if (hasErrors(diagnostics)) return { problem: diagnostics.find((d) => d.severity === 'error')!.message };
  return { insns: object.sections[0]?.insns ?? [] };
}

/** Loading and running: undefined r0 with an error message when either fails. */
function execute(insns: Insn[], mem: Uint8Array | undefined, cpu: IsaVersion): { r0?: bigint; error?: string } {
  const refused = loadCheck(insns, { cpu, helperAllowed: (id) => rawHelper(id) !== undefined });
  if (refused.length) return { error: refused[0].message };
  const obj = emptyObject();
  obj.sections.push({ name: '.text', kind: 'code', insns, data: new Uint8Array(0), relocs: [], lines: [] });
  const { program: linked } = linkProgram(obj, listPrograms(obj)[0]);
  const res = runRaw(linked, mem);
  if (res.stop.reason !== 'exit') return { error: res.stop.message ?? res.stop.reason };
  return { r0: res.r0 };
}

export function runConformanceFile(text: string, cpu: IsaVersion = 'v4'): Verdict {
  const file = parseDataFile(text);
  const resultText = lastLine(file, 'result');
  const expectsError = file.sections.has('error');
  const hasRaw = file.sections.has('raw');
  const prog = program(file);

  if (resultText === undefined && !expectsError) {
    // An assembler test: asm and raw must encode to the same bytes.
    if (hasRaw && file.sections.has('asm')) {
      const { object, diagnostics } = assemble(sectionText(file, 'asm')!);
      if (hasErrors(diagnostics)) return { status: 'fail', expected: 'the asm to assemble', got: diagnostics[0].message };
      const want = parseRaw(file.sections.get('raw')!);
      const got = encodeSlots(object.sections[0]?.insns ?? []);
      const same = typeof want !== 'string' && want.length === got.length && want.every((b, k) => b === got[k]);
      return same ? { status: 'pass' } : { status: 'fail', expected: 'asm to encode to the raw bytes', got: 'different bytes' };
    }
    return { status: 'skip', reason: 'no result or error section' };
  }
  if (!prog.insns) {
    return expectsError ? { status: 'pass' } : { status: 'fail', expected: `result ${resultText}`, got: prog.problem ?? 'no program' };
  }
  const mem = parseHexBytes(file.sections.get('mem'));
  const out = execute(prog.insns, mem, cpu);
  const expected = resultText !== undefined ? BigInt.asUintN(64, BigInt(resultText)) : undefined;

  if (out.error !== undefined) {
    if (expectsError) return { status: 'pass' };
    // A program refused only because it needs a newer ISA than --cpu is skipped, not failed.
    const needs = /needs ISA (v\d)/.exec(out.error);
    if (needs) return { status: 'skip', reason: `needs ISA ${needs[1]}, newer than --cpu ${cpu}` };
    return { status: 'fail', expected: `result 0x${expected!.toString(16)}`, got: `error: ${out.error}` };
  }
  if (expected !== undefined && out.r0 === expected) return { status: 'pass' };
  if (expectsError && expected === undefined) {
    // The file wants a failure that an older ISA gives (e.g. opcode 0x06 before v4 made it ja32).
    const older = ISA_VERSIONS.slice(0, ISA_VERSIONS.indexOf(cpu)).reverse()
      .map((v) => ({ v, e: execute(prog.insns!, mem, v).error }))
      .find((x) => x.e !== undefined);
    if (older) return { status: 'skip', reason: `expects an error that only ISA ${older.v} and older give (${older.e}); under ${cpu} it runs` };
    return { status: 'fail', expected: 'an error', got: `result 0x${out.r0!.toString(16)}` };
  }
  return { status: 'fail', expected: `result 0x${expected!.toString(16)}`, got: `result 0x${out.r0!.toString(16)}` };
}
