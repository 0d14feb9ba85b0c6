/**
 * Fuzz: random programs (test/jit/fuzzPrograms.ts), valid or not, run in the interpreter
 * and in the JIT; everything must agree, faults and their messages included. `npm test`
 * runs EBPF_JIT_FUZZ_COUNT programs (default 5,000); scripts/jit-fuzz.mjs runs 100,000.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../gen';
import { slotHex } from '../../core/isa/insn';
import { fuzzCase } from './fuzzPrograms';
import { compareRaw, rawProgram } from './harness';
import { JIT_SETTINGS } from '../../core/jit';

const COUNT = Number(process.env.EBPF_JIT_FUZZ_COUNT ?? 5000);
const SEED = Number(process.env.EBPF_JIT_FUZZ_SEED ?? 1);

test(`JIT and interpreter agree on ${COUNT} random programs (seed ${SEED})`, () => {
  const r = rng(SEED);
  const failures: string[] = [];
  for (let n = 0; n < COUNT && failures.length < 3; n++) {
    const c = fuzzCase(r);
    // Every third program goes from the interpreter to compiled code on the way (the driver's tiering).
    JIT_SETTINGS.hot = n % 3 === 0 ? 2 : 0;
    const diff = compareRaw(rawProgram(c.insns), c.mem, c.budget, c.drive);
    if (diff.length) failures.push(`#${n}: ${diff.join('\n  ')}\nprogram: ${c.insns.map(slotHex).join(' ')}\nmem: ${Buffer.from(c.mem).toString('hex')} budget ${c.budget} drive ${JSON.stringify({ ...c.drive, breakpoints: c.drive.breakpoints && [...c.drive.breakpoints] })}`);
  }
  JIT_SETTINGS.hot = 0;
  assert.deepEqual(failures, []);
});
