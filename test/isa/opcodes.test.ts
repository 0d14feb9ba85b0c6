/**
 * Walks the opcode table: every row decodes to itself, prints in both dialects, and the
 * printed text assembles back to the same bytes (rbpf's round trip, on every row and on
 * 100,000 random valid instructions).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPCODES, lookupRow } from '../../core/isa/opcodes';
import { decodeSlots, encodeSlots, Insn, slotHex } from '../../core/isa/insn';
import { loadCheck } from '../../core/isa/validate';
import { printInsn } from '../../core/asm/print';
import { assemble } from '../../core/asm/assemble';
import { Dialect } from '../../core/asm/match';
import { randomInsn, randomRow, rng } from '../gen';

function roundTrip(insns: Insn[], dialect: Dialect): string | undefined {
  const text = printInsn(insns, 0, { dialect });
  const { object, diagnostics } = assemble(text);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) return `${dialect} '${text}' does not assemble: ${errors.map((d) => d.message).join('; ')}`;
  const got = object.sections[0]?.insns ?? [];
  const want = insns.map(slotHex).join(' | ');
  const have = got.map(slotHex).join(' | ');
  return want === have ? undefined : `${dialect} '${text}': want ${want}, got ${have}`;
}

test('row ids are unique', () => {
  const ids = OPCODES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
});

test('every row decodes to itself and to no other row', () => {
  const r = rng(1);
  for (const row of OPCODES) {
    for (let k = 0; k < 20; k++) {
      const [i] = randomInsn(row, r);
      assert.equal(lookupRow(i)?.id, row.id, `${row.id} ${slotHex(i)}`);
    }
  }
});

test('random valid instructions pass the load check', () => {
  const r = rng(2);
  for (const row of OPCODES) {
    const insns = randomInsn(row, r);
    // Jumps need a target inside the program; this test is about fields, so aim at slot 0.
    if (row.off === 's16' && /^(ja|jcond|may_goto)$/.test(row.kind)) insns[0].off = -1;
    if (row.id === 'gotol' || row.kind === 'call_local') insns[0].imm = -1;
    const diags = loadCheck(insns).filter((d) => !/R10 is read only/.test(d.message));
    assert.deepEqual(diags.map((d) => d.message), [], row.id);
  }
});

test('every row: print then assemble gives the same bytes, in both dialects', () => {
  const r = rng(3);
  const failures: string[] = [];
  for (const row of OPCODES) {
    for (let k = 0; k < 10; k++) {
      const insns = randomInsn(row, r);
      for (const d of ['llvm', 'ubpf'] as const) {
        const f = roundTrip(insns, d);
        if (f) failures.push(f);
      }
    }
  }
  assert.deepEqual(failures.slice(0, 10), []);
});

test('100,000 random valid instructions survive encode, decode, print, assemble', () => {
  const r = rng(4);
  const failures: string[] = [];
  for (let n = 0; n < 100_000; n++) {
    const insns = randomInsn(randomRow(r), r);
    const decoded = decodeSlots(encodeSlots(insns));
    assert.deepEqual(decoded, insns);
    const f = roundTrip(decoded, n % 2 ? 'llvm' : 'ubpf');
    if (f) failures.push(f);
    if (failures.length > 10) break;
  }
  assert.deepEqual(failures, []);
});

test('load check refuses reserved fields, bad registers, bad jumps and broken lddw', () => {
  const check = (insns: Insn[], pattern: RegExp, cpu: 'v3' | 'v4' = 'v4') => {
    const msgs = loadCheck(insns, { cpu }).map((d) => d.message);
    assert.ok(msgs.some((m) => pattern.test(m)), `expected ${pattern}, got ${JSON.stringify(msgs)}`);
  };
  const exit: Insn = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
  check([{ code: 0xb7, dst: 0, src: 1, off: 0, imm: 0 }, exit], /non-zero src field/);
  check([{ code: 0x07, dst: 11, src: 0, off: 0, imm: 0 }, exit], /invalid register r11/);
  check([{ code: 0x05, dst: 0, src: 0, off: 5, imm: 0 }, exit], /jump out of bounds/);
  check([{ code: 0x05, dst: 0, src: 0, off: 1, imm: 0 }, { code: 0x18, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0, dst: 0, src: 0, off: 0, imm: 0 }, exit], /middle of an lddw/);
  check([{ code: 0x18, dst: 0, src: 0, off: 0, imm: 0 }], /incomplete lddw/);
  check([{ code: 0xb7, dst: 10, src: 0, off: 0, imm: 0 }, exit], /R10 is read only/);
  check([{ code: 0x06, dst: 0, src: 0, off: 0, imm: 0 }, exit], /gotol at PC 0 needs ISA v4, newer than v3/, 'v3');
  check([{ code: 0xff, dst: 0, src: 0, off: 0, imm: 0 }, exit], /unknown opcode 0xff/);
});
