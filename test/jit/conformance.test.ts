/**
 * The JIT against the interpreter on every program of the conformance suite
 * (../shared/conformance), run as the suite runs them (`raw`: r1 = the memory, helpers 0-5):
 * the same stop and fault message, registers, instruction count and memory, whether or not
 * the suite expects the program to load. Also in slices of a few steps, and with
 * breakpoints, as a debugger drives it.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../paths';
import { hasErrors } from '../../core/diag';
import { assemble } from '../../core/asm/assemble';
import { decodeSlots, Insn } from '../../core/isa/insn';
import { parseDataFile, parseRaw, sectionText } from '../../core/conformance/dataFile';
import { compareRaw, rawProgram } from './harness';

function dataFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? dataFiles(p) : name.endsWith('.data') ? [p] : [];
  });
}

function programOf(text: string): { insns?: Insn[]; mem?: Uint8Array } {
  const file = parseDataFile(text);
  const memText = (file.sections.get('mem') ?? []).join(' ').trim();
  const mem = memText ? Uint8Array.from(memText.split(/\s+/), (b) => parseInt(b, 16)) : undefined;
  const raw = file.sections.get('raw');
  if (raw) {
    const bytes = parseRaw(raw);
    return typeof bytes === 'string' ? {} : { insns: decodeSlots(bytes), mem };
  }
  const asm = sectionText(file, 'asm');
  if (asm === undefined) return {};
  const { object, diagnostics } = assemble(asm);
  if (hasErrors(diagnostics)) return {};
  return { insns: object.sections[0]?.insns ?? [], mem };
}

test('JIT and interpreter agree on every conformance program', () => {
  const files = dataFiles(join(SHARED, 'conformance'));
  assert.ok(files.length >= 420, `${files.length} files`);
  const failures: string[] = [];
  let compared = 0;
  for (const f of files) {
    const { insns, mem } = programOf(readFileSync(f, 'utf8'));
    if (!insns || insns.length === 0) continue;
    const program = rawProgram(insns);
    compared++;
    const drives = [{}, { maxSteps: 3 }, { breakpoints: new Set([0, 2, 5, 9]) }];
    for (const drive of drives) {
      const diff = compareRaw(program, mem, 1_000_000, drive);
      if (diff.length) failures.push(`${f} ${JSON.stringify({ maxSteps: drive.maxSteps })}: ${diff.join('\n  ')}`);
    }
    // A small budget, to end inside compiled blocks.
    const diff = compareRaw(program, mem, 7);
    if (diff.length) failures.push(`${f} (budget 7): ${diff.join('\n  ')}`);
  }
  assert.ok(compared >= 400, `${compared} programs compared`);
  assert.deepEqual(failures.slice(0, 5), []);
});
