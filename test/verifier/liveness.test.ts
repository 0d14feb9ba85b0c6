/**
 * Static liveness (core/verifier/liveness.ts) and its use by pruning: what each instruction
 * finds live on small programs, and that states differing only in dead values are merged
 * while states differing in a live one are still both walked (with the kernel's verdict
 * beside ours where bpf(2) can be used).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../core/asm/assemble';
import { linkProgram, listPrograms } from '../../core/link';
import { checkCfg } from '../../core/verifier/cfg';
import { computeLiveness, LiveSet, regLive, stackByteLive } from '../../core/verifier/liveness';
import { verifyProgram, VerifyResult } from '../../core/verifier';
import { canLoadBpf } from '../tools';
import { TEST_DATA } from '../paths';
import { kernelVerdict } from './kernelVerdict';

function insnsOf(text: string) {
  const { object, diagnostics } = assemble(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  return { object, program: linkProgram(object, listPrograms(object)[0]).program };
}

/** Liveness before each instruction of `text` (a `.section xdp` program). */
function liveness(text: string): LiveSet[] {
  const { program } = insnsOf(text);
  const l = computeLiveness(program.insns, checkCfg(program.insns).subprogs);
  return program.insns.map((_, pc) => l.before(pc)!);
}

const regs = (s: LiveSet) => [...Array(10).keys()].filter((r) => regLive(s, r));
const liveBytes = (s: LiveSet) => [...Array(512).keys()].map((k) => -512 + k).filter((off) => stackByteLive(s, off));

function verify(text: string, progType = 'xdp'): VerifyResult {
  const { object, program } = insnsOf(text);
  return verifyProgram(program, { progType, maps: object.maps });
}

function kernelAgrees(t: { skip(m: string): void }, text: string, accepted: boolean): void {
  if (!canLoadBpf()) { t.skip('bpf(2) needs root on Linux'); return; }
  const k = kernelVerdict({ comment: [], asm: text, progType: 'xdp', asmLine: 0 });
  if ('unavailable' in k || 'broken' in k) { t.skip(`kernel: ${'unavailable' in k ? k.unavailable : k.broken}`); return; }
  assert.equal(k.result, accepted ? 'accept' : 'reject', k.log);
}

test('a register written before any read is dead; one read later is live until then', () => {
  const s = liveness('.section xdp\nr3 = 1\nr4 = 2\nr3 = r4\nr0 = r3\nexit\n');
  assert.deepEqual(regs(s[0]), []); // r3 = 1 is overwritten before use: nothing is live
  assert.deepEqual(regs(s[1]), []);
  assert.deepEqual(regs(s[2]), [4]);
  assert.deepEqual(regs(s[3]), [3]);
  assert.deepEqual(regs(s[4]), [0]); // exit reads r0
});

test('stack bytes overwritten before any read are dead, byte by byte', () => {
  // fp-8..fp-5 are written (4 bytes) after the 8-byte store, then all 8 are read:
  // before the 4-byte store only fp-4..fp-1 of the first store are still live.
  const s = liveness('.section xdp\nr1 = 0\n*(u64 *)(r10 - 8) = r1\n*(u32 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit\n');
  assert.deepEqual(liveBytes(s[3]), [-8, -7, -6, -5, -4, -3, -2, -1]);
  assert.deepEqual(liveBytes(s[2]), [-4, -3, -2, -1]);
  assert.deepEqual(liveBytes(s[1]), []);
  // Through a copy of the frame pointer at a known offset too.
  const t = liveness('.section xdp\nr2 = r10\nr2 += -16\nr0 = *(u32 *)(r2 + 4)\nexit\n');
  assert.deepEqual(liveBytes(t[2]), [-12, -11, -10, -9]);
});

test('a stack pointer given to a helper, or stored, makes the whole frame live', () => {
  const lookup = liveness('.section xdp\n.map m, type=hash, key=4, value=8, max_entries=4\nr1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = m ll\ncall map_lookup_elem\nr0 = 0\nexit\n');
  const call = 6;
  assert.equal(liveBytes(lookup[call]).length, 512, 'the helper may read any byte through r2');
  assert.deepEqual(regs(lookup[call]), [1, 2]); // map_lookup_elem takes two arguments
  assert.deepEqual(liveBytes(lookup[call + 1]), []);
  // Spilled and filled back, the pointer's offset is no longer known: a read through it reads everything.
  const spill = liveness('.section xdp\nr2 = r10\nr2 += -8\n*(u64 *)(r10 - 16) = r2\nr3 = *(u64 *)(r10 - 16)\nr0 = *(u8 *)(r3 + 0)\nexit\n');
  assert.equal(liveBytes(spill[4]).length, 512);
  // A store through it overwrites nothing for sure: the earlier store stays live.
  const write = liveness('.section xdp\nr1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\n*(u64 *)(r10 - 16) = r2\nr3 = *(u64 *)(r10 - 16)\n*(u64 *)(r3 + 0) = r1\nr0 = *(u64 *)(r10 - 8)\nexit\n');
  assert.ok(liveBytes(write[1]).includes(-8) === false && liveBytes(write[6]).includes(-8), 'fp-8 is live across the store through an unknown pointer');
});

test('in a loop, the counter is live at the head and a value rewritten each pass is not', () => {
  const s = liveness('.section xdp\nr6 = 0\nloop:\nr4 = r6\nr4 *= 3\nr6 += 1\nif r6 < 10 goto loop\nr0 = r4\nexit\n');
  assert.deepEqual(regs(s[1]), [6]);
  assert.deepEqual(regs(s[4]), [4, 6]); // the back-edge needs r6, the exit r4
});

test('across a bpf-to-bpf call the caller keeps r6-r9 live; the callee has its own registers', () => {
  const s = liveness('.section xdp\nr6 = 1\nr1 = 2\ncall f\nr0 += r6\nexit\nf:\nr6 = r1\nr0 = r6\nexit\n');
  assert.deepEqual(regs(s[2]), [1, 2, 3, 4, 5, 6]); // a call reads r1-r5; r6 lives on past it
  assert.deepEqual(regs(s[5]), [1]); // the callee's r6 is written before it reads it
});

test('paths differing only in dead values are pruned where they meet', () => {
  // r4 and fp-16 differ between the two paths, and both are overwritten after the join.
  const text = '.section xdp\nr5 = *(u32 *)(r1 + 12)\nr4 = 7\nif r5 > 3 goto b\nr4 = 9\nr1 = 1\n*(u64 *)(r10 - 16) = r1\ngoto join\nb:\nr1 = 2\n*(u64 *)(r10 - 16) = r1\njoin:\nr4 = 0\n*(u64 *)(r10 - 16) = r4\nr0 = 0\nexit\n';
  const r = verify(text);
  assert.equal(r.accepted, true, r.message);
  const join = 9;
  assert.equal(r.visits(3) + r.visits(7), 2, 'both sides of the branch are walked');
  assert.equal(r.visits(join), 1, 'the second path to reach the join is pruned there');
  assert.equal(regLive(r.liveBefore(join)!, 4), false);
});

test('paths differing in a live register are both walked', (t) => {
  // r6 is 0 on one path and -8 on the other, and is used as a stack offset after the join.
  const text = '.section xdp\nr5 = *(u32 *)(r1 + 12)\nr6 = 0\nr4 = 7\nif r5 > 3 goto b\nr4 = 9\ngoto join\nb:\nr6 = -8\njoin:\nr4 = 0\nr1 = r10\nr1 += r6\nr0 = *(u8 *)(r1 - 8)\nr0 = 0\nexit\n';
  const r = verify(text);
  assert.equal(r.accepted, true, r.message);
  assert.equal(r.visits(7), 2, 'r6 is live at the join: both paths go on from it');
  kernelAgrees(t, text, true);
});

test('a live stack value that differs only later makes an error: still found', (t) => {
  // The taken path stores 100 at fp-16, the other 0; after the join the value goes through a
  // dead register (r4, overwritten) and is read back to index the stack: only the taken path
  // fails. Pruning it at the join would accept the program.
  const text = '.section xdp\nr5 = *(u32 *)(r1 + 12)\nr1 = 0\nr4 = 1\nif r5 > 3 goto b\n*(u64 *)(r10 - 16) = r1\ngoto join\nb:\nr1 = 100\nr4 = 2\n*(u64 *)(r10 - 16) = r1\njoin:\nr4 = 0\nr6 = *(u64 *)(r10 - 16)\nr1 = r10\nr1 += r6\nr0 = *(u8 *)(r1 - 8)\nr0 = r4\nexit\n';
  const r = verify(text);
  assert.equal(r.accepted, false);
  assert.match(r.message!, /invalid read from stack/);
  assert.equal(r.path.some((p) => p.insnIdx === 3 && p.taken), true, 'the error is on the taken path');
  kernelAgrees(t, text, false);
});

test('mix.bpf.s (a 2,000-pass loop with two data-dependent branches per pass) is accepted, in as many instructions as the kernel\'s order', (t) => {
  const text = readFileSync(join(TEST_DATA, 'bench', 'mix.bpf.s'), 'utf8');
  const r = verify(text);
  assert.equal(r.accepted, true, r.message);
  assert.ok(r.stats.processedInsns < 200_000, `${r.stats.processedInsns} instructions processed`);
  t.diagnostic(`ours: ${r.stats.processedInsns} instructions processed`);
  if (!canLoadBpf()) { t.skip('bpf(2) needs root on Linux'); return; }
  const k = kernelVerdict({ comment: [], asm: text, progType: 'xdp', asmLine: 0 });
  if ('unavailable' in k || 'broken' in k) { t.skip(`kernel: ${'unavailable' in k ? k.unavailable : k.broken}`); return; }
  assert.equal(k.result, 'accept');
  const theirs = Number(/processed (\d+) insns/.exec(k.log)?.[1]);
  t.diagnostic(`the kernel: ${theirs}`);
  assert.ok(r.stats.processedInsns < 4 * theirs && theirs < 4 * r.stats.processedInsns, `ours ${r.stats.processedInsns}, the kernel's ${theirs}`);
});
