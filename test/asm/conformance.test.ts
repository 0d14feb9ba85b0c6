/**
 * Every `-- asm` section under ../shared/conformance assembles; where a file also has `-- raw`
 * the bytes are equal; every `-- raw` program under negative/ is refused by the load check.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SHARED } from '../paths';
import { parseDataFile, parseRaw, sectionText } from '../../core/conformance/dataFile';
import { assemble } from '../../core/asm/assemble';
import { decodeSlots, encodeSlots } from '../../core/isa/insn';
import { loadCheck } from '../../core/isa/validate';

const ROOT = join(SHARED, 'conformance');

function dataFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? dataFiles(p) : n.endsWith('.data') ? [p] : [];
  });
}

test('the shared conformance suite is present', () => {
  assert.ok(dataFiles(ROOT).length > 400, `expected the conformance files under ${ROOT}`);
});

test('every asm section assembles, and equals raw where both are given', () => {
  const failures: string[] = [];
  let withAsm = 0, assembled = 0, compared = 0;
  for (const file of dataFiles(ROOT)) {
    const f = parseDataFile(readFileSync(file, 'utf8'));
    const asm = sectionText(f, 'asm');
    if (asm === undefined) continue;
    withAsm++;
    const { object, diagnostics } = assemble(asm);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const name = relative(ROOT, file);
    if (errors.length) {
      failures.push(`${name}: ${errors.map((d) => `line ${d.span!.line + 1}: ${d.message}`).join('; ')}`);
      continue;
    }
    // %r11 is encoded with a warning (so that the loader, not the assembler, refuses it); nothing else warns.
    for (const w of diagnostics) if (!/r1[1-5] does not exist/.test(w.message)) failures.push(`${name}: unexpected warning ${w.message}`);
    assembled++;
    const raw = f.sections.get('raw');
    if (raw) {
      const want = parseRaw(raw);
      assert.ok(typeof want !== 'string', `${name}: ${want}`);
      const got = encodeSlots(object.sections[0]?.insns ?? []);
      if (Buffer.compare(Buffer.from(got), Buffer.from(want)) !== 0) failures.push(`${name}: asm and raw differ`);
      compared++;
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(withAsm > 350, `only ${withAsm} files with an asm section`);
  assert.equal(assembled, withAsm);
  assert.ok(compared >= 7, `compared ${compared}`);
});

test('the invalid-register files encode r11 with a warning, and the load check refuses them', () => {
  const files = dataFiles(ROOT).filter((p) => /err-invalid-reg/.test(p));
  assert.ok(files.length >= 2);
  for (const file of files) {
    const { object, diagnostics } = assemble(sectionText(parseDataFile(readFileSync(file, 'utf8')), 'asm')!);
    assert.ok(diagnostics.some((d) => d.severity === 'warning' && /r11/.test(d.message)), file);
    const refused = loadCheck(object.sections[0].insns);
    assert.ok(refused.some((d) => /invalid register r11/.test(d.message)), `${file}: ${refused.map((d) => d.message)}`);
  }
});

test('every raw program under negative/ is refused by the load check with a clear message', () => {
  const files = dataFiles(join(ROOT, 'bpf_conformance', 'negative'));
  assert.ok(files.length >= 40, `found ${files.length}`);
  for (const file of files) {
    const f = parseDataFile(readFileSync(file, 'utf8'));
    const raw = f.sections.get('raw');
    assert.ok(raw, `${file} has no raw section`);
    const bytes = parseRaw(raw);
    assert.ok(typeof bytes !== 'string', `${file}: ${bytes}`);
    const diags = loadCheck(decodeSlots(bytes));
    assert.ok(diags.length > 0, `${relative(ROOT, file)} was accepted`);
    assert.match(diags[0].message, /at PC \d+/);
  }
});
