/** The stepping API the debugger drives: step, breakpoints, frames, registers, memory, events. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { createRun } from '../../core/vm/run';
import { RunEvent } from '../../core/vm/host';

const PROG = `.map counts, type=array, key=4, value=8, max_entries=1
.section xdp
  r6 = 7          # 0
  call f          # 1
  r0 += r6        # 2
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = counts ll  # 6-7
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 5
  *(u64 *)(r0 + 0) = r1
  r0 = 42
out:
  exit
f:
  r6 = 1          # 14
  r0 = 35
  exit
`;

function start(emit?: (e: RunEvent) => void) {
  const { object, diagnostics } = assemble(PROG);
  assert.deepEqual(diagnostics, []);
  const packet = new Uint8Array(64);
  const { run } = createRun(object, listPrograms(object)[0], { progType: 'xdp', input: { packet }, emit });
  assert.ok(run);
  return run;
}

test('step runs one instruction at a time', () => {
  const { vm } = start();
  assert.equal(vm.pc, 0);
  assert.equal(vm.step().reason, 'step');
  assert.equal(vm.pc, 1);
  assert.equal(vm.reg(6), 7n);
  vm.step(); // call f
  assert.equal(vm.pc, 14);
  const frames = vm.callStack();
  assert.equal(frames.length, 2);
  assert.equal(frames[0].pc, 1); // the call site
  assert.equal(frames[1].pc, 14);
  assert.notEqual(frames[0].stack, frames[1].stack);
});

test('breakpoints stop before the instruction; the starting one does not stop again', () => {
  const { vm } = start();
  const bps = new Set([2, 15]);
  let stop = vm.run({ breakpoints: bps });
  assert.deepEqual([stop.reason, stop.pc], ['breakpoint', 15]);
  assert.equal(vm.reg(6), 1n); // r6 = 1 ran in f, r0 = 35 did not
  stop = vm.run({ breakpoints: bps });
  assert.deepEqual([stop.reason, stop.pc], ['breakpoint', 2]);
  assert.equal(vm.reg(6), 7n); // restored by the return
  assert.equal(vm.reg(0), 35n);
  stop = vm.run({ breakpoints: bps });
  assert.equal(stop.reason, 'exit');
  assert.equal(vm.reg(0), 42n);
});

test('registers and memory can be read and written', () => {
  const run = start();
  const { vm } = run;
  vm.setReg(6, 100n);
  vm.step();
  assert.equal(vm.reg(6), 7n);
  const fp = vm.reg(10);
  assert.equal(vm.writeMemory(fp - 8n, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])), undefined);
  assert.deepEqual([...(vm.readMemory(fp - 8n, 8) as Uint8Array)], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.match(vm.readMemory(fp, 1) as string, /invalid read of 1 byte/);
  assert.match(vm.writeMemory(0n, new Uint8Array(1))!, /NULL pointer/);
});

test('events: helper calls and map changes reach the debugger hook', () => {
  const events: RunEvent[] = [];
  const run = start((e) => events.push(e));
  run.vm.run();
  const helpers = events.filter((e) => e.kind === 'helper').map((e) => [e.pc, e.helper]);
  assert.deepEqual(helpers, [[8, '1']]);
  const res = run.result();
  assert.equal(res.r0, 42n);
  assert.equal(res.maps.get('counts')!.entries()[0].value![0], 5); // written through the value pointer
});
