/**
 * Differential test against tcpdump (libpcap's compiler and filter), on a generated capture
 * of 1,200 varied frames (frames.ts) and 96 filter expressions. For each expression:
 * - tcpdump compiles it for the capture (`-r CAPTURE -ddd EXPR`); the -d, -dd and -ddd
 *   outputs parse to the same instructions, our -d printing matches tcpdump's byte for byte,
 *   and the kernel's classic checks (ours) accept libpcap's code;
 * - the frames our classic interpreter keeps are exactly those `tcpdump -r CAPTURE EXPR`
 *   prints (the timestamp numbers the frame);
 * - the eBPF translation passes our verifier, and on every frame gives the interpreter's
 *   verdict in our VM and, where bpf(2) is permitted, in the kernel (sched_cls through
 *   BPF_PROG_TEST_RUN). A frame BPF_PROG_TEST_RUN refuses must be refused by both.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap } from '../../core/input/pcap';
import { parseCbpf } from '../../core/cbpf/parse';
import { printTcpdump } from '../../core/cbpf/print';
import { checkCbpf } from '../../core/cbpf/check';
import { findTool, run } from '../tools';
import { FILTER_EXPRESSIONS, generateFrames } from './frames';
import { KERNEL, runThreeWays } from './threeWays';

const TCPDUMP = findTool('tcpdump');
const SKIP = TCPDUMP ? undefined : 'tcpdump not found (install Debian\'s tcpdump; .ci/run does)';
const FRAME_COUNT = 1200;
// writePcap stamps frame i with second FIRST_SECOND + i.
const FIRST_SECOND = 1_700_000_000;

test(`tcpdump, our interpreter, our VM and the kernel keep the same frames (${FILTER_EXPRESSIONS.length} expressions × ${FRAME_COUNT} frames)`, { skip: SKIP }, (t) => {
  const frames = generateFrames(FRAME_COUNT, 1);
  const dir = mkdtempSync(join(tmpdir(), 'cbpf-'));
  try {
    const capture = join(dir, 'frames.pcap');
    writeFileSync(capture, writePcap(frames));
    const failures: string[] = [];
    let kernelCompared = 0, refusedByTestRun = 0;
    for (const expr of FILTER_EXPRESSIONS) {
      const dump = (flag: string) => run(TCPDUMP!, ['-r', capture, flag, expr]);
      const ddd = dump('-ddd');
      assert.equal(ddd.status, 0, `${expr}: ${ddd.stderr}`);
      const prog = parseCbpf(ddd.stdout);
      assert.deepEqual(prog.diagnostics, [], expr);
      for (const flag of ['-d', '-dd']) {
        const out = dump(flag).stdout;
        const other = parseCbpf(out);
        assert.deepEqual(other.diagnostics, [], `${expr} ${flag}`);
        assert.deepEqual(other.insns, prog.insns, `${expr}: ${flag} and -ddd differ`);
        if (flag === '-d') assert.equal(printTcpdump(prog.insns), out, `${expr}: our -d printing`);
      }
      assert.deepEqual(checkCbpf(prog.insns), [], `${expr}: the checker rejects libpcap's code`);

      const kept = run(TCPDUMP!, ['-r', capture, '-n', '-tt', expr]);
      assert.equal(kept.status, 0, `${expr}: ${kept.stderr}`);
      // tcpdump may print several lines for one frame; each starts with its timestamp.
      const theirs = [...new Set(kept.stdout.split('\n').filter((l) => /^\d+\.\d+ /.test(l)).map((l) => Number(l.split('.')[0]) - FIRST_SECOND))];
      const r = runThreeWays(prog.insns, frames);
      if (typeof r === 'string') { failures.push(`${expr}: cannot translate: ${r}`); continue; }
      const ours = r.interp.flatMap((v, i) => (v !== 0 ? [i] : []));
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) failures.push(`${expr}: tcpdump keeps ${theirs.length} frames, our interpreter ${ours.length}`);
      if (!r.verifier.accepted) failures.push(`${expr}: our verifier rejects the translation: ${r.verifier.message}`);
      const vmDiff = r.vm.findIndex((v, i) => (typeof v === 'number' ? v !== r.interp[i] : !v.startsWith('refused')));
      if (vmDiff >= 0) failures.push(`${expr}: frame ${vmDiff}: VM ${r.vm[vmDiff]}, interpreter ${r.interp[vmDiff]}`);
      if (KERNEL.ok) {
        if (typeof r.kernel === 'string') { failures.push(`${expr}: the kernel: ${r.kernel}`); continue; }
        const k = r.kernel;
        const kDiff = k.findIndex((v, i) => (typeof v === 'number' ? v !== r.vm[i] : typeof r.vm[i] === 'number'));
        if (kDiff >= 0) failures.push(`${expr}: frame ${kDiff}: kernel ${k[kDiff]}, VM ${r.vm[kDiff]}`);
        kernelCompared += k.filter((v) => typeof v === 'number').length;
        refusedByTestRun += k.filter((v) => typeof v !== 'number').length;
      }
      if (failures.length >= 10) break;
    }
    assert.deepEqual(failures, []);
    t.diagnostic(`kernel runs compared: ${kernelCompared}; frames BPF_PROG_TEST_RUN refused (and the VM too): ${refusedByTestRun}`);
    if (KERNEL.ok) {
      // Most frames run in the kernel; the rest are the truncated IP frames test_run refuses.
      assert.ok(kernelCompared > FILTER_EXPRESSIONS.length * FRAME_COUNT * 0.95, `${kernelCompared} kernel runs, ${refusedByTestRun} refused`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
