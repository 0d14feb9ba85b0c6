/**
 * The debugger's `continue` runs compiled code (core/jit) when only breakpoint locations can
 * stop it. These tests hold it to the interpreter's pace: the same stops, with the same hit
 * counts and the same registers, as a continue that a data breakpoint forces to go one
 * instruction at a time.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { DebugEvent, DebugRuntime } from '../../core/debug/runtime';

// 20,000 iterations: far past the JIT's threshold for compiling a loop (JIT_SETTINGS.hot).
const LOOP = `
  r6 = 0
  r7 = 0
loop:
  r7 += r6
  r6 += 1
  if r6 < 20000 goto loop
  r0 = r7
  exit
`;

function session(text: string, opts: { hitCondition?: string; condition?: string; forceSteps?: boolean }) {
  const { object } = assemble(text);
  const ref = listPrograms(object)[0];
  const events: DebugEvent[] = [];
  const rt: DebugRuntime = new DebugRuntime({ object, ref, progType: 'socket_filter', packets: [new Uint8Array(64)] }, (e) => events.push(e), {
    condition: (c: string): boolean | string => {
      const m = /^r6 == (\d+)$/.exec(c);
      return m ? rt.run.vm.reg(6) === BigInt(m[1]) : `unknown condition ${c}`;
    },
    interpolate: (t) => t,
  });
  assert.deepEqual(rt.start().filter((d: { severity: string }) => d.severity === 'error'), []);
  // The `r7 += r6` line: slot 2.
  rt.breakpoints = [{ id: 1, pc: 2, hitCondition: opts.hitCondition, condition: opts.condition, hits: 0 }];
  // A breakpoint on a helper (one the program never calls) makes continue watch every step.
  if (opts.forceSteps) rt.helperBreaks.set(1, 9);
  return { rt, events };
}

/** Continues until a stop event or the end; returns the stops seen. */
function continueToStop(rt: DebugRuntime, events: DebugEvent[]): DebugEvent | undefined {
  const seen = events.length;
  for (let slices = 0; slices < 10_000; slices++) {
    if (rt.resume('continue', 1000)) break;
  }
  return events.slice(seen).find((e) => e.kind === 'stopped' || e.kind === 'exited');
}

for (const bp of [{ hitCondition: '5000' }, { condition: 'r6 == 12345' }, { hitCondition: '% 7000' }]) {
  test(`continue in compiled code stops where stepping does (${JSON.stringify(bp)})`, () => {
    const fast = session(LOOP, bp);
    const slow = session(LOOP, { ...bp, forceSteps: true });
    for (let stop = 0; stop < 3; stop++) {
      const a = continueToStop(fast.rt, fast.events);
      const b = continueToStop(slow.rt, slow.events);
      assert.equal(a?.kind, b?.kind, `stop ${stop}`);
      if (a?.kind !== 'stopped') break;
      assert.equal(a.reason, 'breakpoint');
      assert.equal(fast.rt.pc, slow.rt.pc);
      assert.equal(fast.rt.position, slow.rt.position, `stop ${stop}: instructions run`);
      for (const r of [0, 6, 7]) assert.equal(fast.rt.run.vm.reg(r), slow.rt.run.vm.reg(r), `stop ${stop}: r${r}`);
      assert.equal(fast.rt.breakpoints[0].hits, slow.rt.breakpoints[0].hits);
    }
  });
}

test('a hit count of 5000 stops with r6 = 4999, after compiled code ran the loop', () => {
  const { rt, events } = session(LOOP, { hitCondition: '5000' });
  const stop = continueToStop(rt, events);
  assert.equal(stop?.kind, 'stopped');
  assert.equal(rt.run.vm.reg(6), 4999n);
  // Back to the end: the run's result is the interpreter's sum.
  rt.breakpoints = [];
  const end = continueToStop(rt, events);
  assert.equal(end?.kind, 'exited');
  assert.equal(rt.results[0].r0, BigInt((19999 * 20000) / 2));
});

test('step back after a compiled continue rebuilds the same state', () => {
  const { rt, events } = session(LOOP, { hitCondition: '15000' });
  continueToStop(rt, events);
  const at = { pos: rt.position, r6: rt.run.vm.reg(6), r7: rt.run.vm.reg(7) };
  rt.granularity = 'instruction';
  rt.stepBack();
  assert.equal(rt.position, at.pos - 1);
  rt.resume('stepIn');
  assert.deepEqual({ pos: rt.position, r6: rt.run.vm.reg(6), r7: rt.run.vm.reg(7) }, at);
});
