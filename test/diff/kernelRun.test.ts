/**
 * Differential test of the VM against the running kernel's BPF_PROG_TEST_RUN: generated
 * programs (test/gen/programs.ts), each accepted by the kernel, run both ways on the same
 * packet; return value, output packet and map contents must agree. `npm test` runs
 * EBPF_DIFF_COUNT programs per type (default 100); scripts/diff-kernel.mjs runs 10,000.
 * Skips, saying why, where bpf(2) is not permitted.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelAvailable } from '../../core/kernel';
import { generateProgram, DiffProgType } from '../gen/programs';
import { rng } from '../gen';
import { compareSource } from './kernelRun';

const available = kernelAvailable();
const skip = available.ok ? undefined : `the kernel is not available: ${available.reason}`;
const COUNT = Number(process.env.EBPF_DIFF_COUNT ?? 100);
const SEED = Number(process.env.EBPF_DIFF_SEED ?? 1);
/** EBPF_DIFF_CALLS=0 leaves map operations and helper calls out (to isolate the interpreter). */
const CALLS = process.env.EBPF_DIFF_CALLS !== '0';

for (const progType of ['xdp', 'sched_cls', 'socket_filter'] as DiffProgType[]) {
  test(`VM agrees with BPF_PROG_TEST_RUN on ${COUNT} generated ${progType} programs`, { skip }, () => {
    const r = rng(SEED * 1000 + progType.length);
    const failures: string[] = [];
    let rejected = 0;
    for (let n = 0; n < COUNT; n++) {
      const g = generateProgram(r, progType, { calls: CALLS });
      const c = compareSource(g.text, progType, g.packet);
      if (c.rejected) { rejected++; failures.push(`#${n} rejected by the kernel (a generator bug): ${c.rejected}\n${g.text}`); }
      else if (c.differences.length) failures.push(`#${n}: ${c.differences.join('\n  ')}\n${g.text}\npacket ${Buffer.from(g.packet).toString('hex')}`);
      if (failures.length >= 3) break;
    }
    assert.deepEqual(failures, [], `${failures.length} failures (${rejected} rejected)`);
  });
}
