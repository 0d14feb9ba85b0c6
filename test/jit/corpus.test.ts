/**
 * The JIT against the interpreter on the VM-versus-kernel corpus (test/gen/programs.ts):
 * programs the kernel accepts, with map operations, helper calls, packet reads and writes
 * and loops, run as xdp, sched_cls and socket_filter on their packets. Return value, stop,
 * output packet, every map's contents, printk output and the instruction count must agree.
 * `npm test` runs EBPF_JIT_CORPUS_COUNT programs per type (default 400, 1,200 in all).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { createRun, RunResult } from '../../core/vm/run';
import { runJit } from '../../core/jit';
import { toHex } from '../../core/input/parse';
import { generateProgram, DiffProgType } from '../gen/programs';
import { rng } from '../gen';
import { machineState, stopText } from './harness';

const COUNT = Number(process.env.EBPF_JIT_CORPUS_COUNT ?? 400);
const SEED = Number(process.env.EBPF_JIT_CORPUS_SEED ?? 1);

function summary(res: RunResult): string {
  const maps = [...res.maps.values()].map((m) => `${m.name}: ${m.entries().map((e) => `${e.key ? toHex(e.key) : ''}=${e.value ? toHex(e.value) : (e.values ?? []).map(toHex).join('/')}`).sort().join(', ')}`);
  return [
    `stop ${stopText(res.stop)} r0 ${res.r0} insns ${res.insns}`,
    `packet ${res.packet ? toHex(res.packet) : '-'}`,
    ...maps,
    `printk ${JSON.stringify(res.output.printk)} events ${res.output.events.map((e) => `${e.map}:${toHex(e.data)}`).join(',')}`,
  ].join('\n');
}

for (const progType of ['xdp', 'sched_cls', 'socket_filter'] as DiffProgType[]) {
  test(`JIT and interpreter agree on ${COUNT} generated ${progType} programs`, () => {
    const r = rng(SEED * 1000 + progType.length);
    const failures: string[] = [];
    for (let n = 0; n < COUNT && failures.length < 3; n++) {
      const g = generateProgram(r, progType);
      const { object, diagnostics } = assemble(g.text);
      assert.ok(!diagnostics.some((d) => d.severity === 'error'), g.text);
      const ref = listPrograms(object)[0];
      const outs = [false, true].map((jit) => {
        const { run } = createRun(object, ref, { progType, input: { packet: g.packet } });
        assert.ok(run, `#${n} cannot run`);
        if (jit) runJit(run.vm); else run.vm.run();
        return `${summary(run.result())}\n${machineState(run.vm).regs}`;
      });
      if (outs[0] !== outs[1]) failures.push(`#${n}:\ninterpreter\n${outs[0]}\nJIT\n${outs[1]}\n${g.text}`);
    }
    assert.deepEqual(failures, []);
  });
}
