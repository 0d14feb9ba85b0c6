/**
 * Fuzz: random, unverified programs run in the VM. Whatever they do, the run ends with a
 * Stop (exit, fault or budget) and no JavaScript exception escapes; memory stays inside
 * the regions (a bad access is a fault, checked by the fault messages' shape).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSlots } from '../../core/isa/insn';
import { emptyObject } from '../../core/object';
import { linkProgram, listPrograms } from '../../core/link';
import { runRaw } from '../../core/vm/raw';
import { randInt, randomInsn, randomRow, rng } from '../gen';

function program(insns: ReturnType<typeof decodeSlots>) {
  const obj = emptyObject();
  obj.sections.push({ name: '.text', kind: 'code', insns, data: new Uint8Array(0), relocs: [], lines: [] });
  return linkProgram(obj, listPrograms(obj)[0]).program;
}

test('random bytes as programs: every run stops, nothing throws', () => {
  const r = rng(20);
  for (let n = 0; n < 5000; n++) {
    const bytes = Uint8Array.from({ length: 8 * randInt(r, 1, 24) }, () => randInt(r, 0, 255));
    const mem = Uint8Array.from({ length: randInt(r, 0, 64) }, () => randInt(r, 0, 255));
    const res = runRaw(program(decodeSlots(bytes)), mem, 10_000);
    assert.ok(['exit', 'fault'].includes(res.stop.reason), res.stop.reason);
  }
});

test('random valid instructions as programs (well-formed, unverified): every run stops, nothing throws', () => {
  const r = rng(21);
  let faults = 0, exits = 0;
  for (let n = 0; n < 5000; n++) {
    const insns = [];
    const len = randInt(r, 1, 30);
    for (let k = 0; k < len; k++) insns.push(...randomInsn(randomRow(r), r));
    insns.push({ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
    // Keep jumps short so that some programs get somewhere.
    for (const i of insns) if ((i.code & 7) === 5 || (i.code & 7) === 6) { i.off = randInt(r, -3, 3); if (i.code === 0x06) i.imm = i.off; }
    const res = runRaw(program(insns), Uint8Array.from({ length: 32 }, (_, k) => k), 5_000);
    if (res.stop.reason === 'exit') exits++;
    else {
      faults++;
      assert.match(res.stop.message ?? '', / at insn \d+/);
    }
  }
  assert.ok(exits > 0 && faults > 0, `exits ${exits}, faults ${faults}`);
});
