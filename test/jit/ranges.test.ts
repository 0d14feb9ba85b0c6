/**
 * The JIT's range analysis and what rests on it: the intervals it finds on the benchmark
 * loops, the entry guards that send a state it did not foresee (a debugger's edit) to the
 * interpreter, breakpoints and step slices through compiled loops, and the compile cache.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { assemble } from '../../core/asm/assemble';
import { BpfObject } from '../../core/object';
import { linkProgram, listPrograms } from '../../core/link';
import { createRun, Run } from '../../core/vm/run';
import { compileProgram, runJit } from '../../core/jit';
import { Range } from '../../core/jit/ranges';
import { driveRun, machineState, rawProgram } from './harness';
import { createRawMachine } from '../../core/vm/raw';

function bench(name: string): BpfObject {
  const { object, diagnostics } = assemble(readFileSync(join(REPO_ROOT, 'test', 'data', 'bench', `${name}.bpf.s`), 'utf8'));
  assert.ok(!diagnostics.some((d) => d.severity === 'error'), name);
  return object;
}

function prepared(obj: BpfObject): Run {
  const packet = new Uint8Array(1500);
  packet.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 8, 0, 0x45]);
  const { run } = createRun(obj, listPrograms(obj)[0], { progType: 'xdp', input: { packet } });
  assert.ok(run);
  return run;
}

function rangeAt(obj: BpfObject, leader: number, reg: number): Range | null | undefined {
  const code = compileProgram(linkProgram(obj, listPrograms(obj)[0]).program);
  return code.ranges.get(leader)?.[reg];
}

test('the counters of the benchmark loops are known at their loop heads', () => {
  assert.deepEqual(rangeAt(bench('compute'), 3, 6), { min: 0, max: 99999 }); // i
  assert.deepEqual(rangeAt(bench('compute'), 3, 7), null); // the sum of squares: no bound without counting iterations
  assert.deepEqual(rangeAt(bench('checksum'), 4, 4), { min: 0, max: 1499 }); // the byte offset (intervals know no parity)
  assert.deepEqual(rangeAt(bench('mix'), 6, 6), { min: 0, max: 1999 });
});

test('a register changed under a compiled loop (as a debugger may) goes to the interpreter, with the same result', () => {
  for (const [name, reg, value] of [['compute', 6, 1n << 40n], ['compute', 6, 99998n], ['checksum', 4, 0xffffffffn], ['mix', 6, 1n << 33n]] as const) {
    const results = [false, true].map((jit) => {
      const run = prepared(bench(name));
      const first = jit ? runJit(run.vm, { maxSteps: 50 }) : run.vm.run({ maxSteps: 50 });
      assert.equal(first.reason, 'step');
      run.vm.setReg(reg, value);
      const stops = driveRun(run.vm, jit);
      return `${stops.join(' | ')}\n${machineState(run.vm).regs} ${run.vm.insnCount}`;
    });
    assert.equal(results[1], results[0], `${name} r${reg} = ${value}`);
  }
});

test('a loop whose counter a debugger moved past what the analysis assumed still runs as in the interpreter', () => {
  // r1 counts 1..9 at the head ([0, 9]); moved to 2^32 + 3 it never meets 10 in its low half alone.
  const program = rawProgram([
    { code: 0xb7, dst: 1, src: 0, off: 0, imm: 0 },
    { code: 0x07, dst: 1, src: 0, off: 0, imm: 1 },
    { code: 0x55, dst: 1, src: 0, off: -2, imm: 10 },
    { code: 0xbf, dst: 0, src: 1, off: 0, imm: 0 },
    { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ]);
  for (const [steps, value] of [[5, (1n << 32n) + 3n], [4, (1n << 32n) + 3n], [3, 11n], [5, 1n << 60n]] as const) {
    const results = [false, true].map((jit) => {
      const vm = createRawMachine(program, undefined, 5000).vm;
      const first = jit ? runJit(vm, { maxSteps: steps }) : vm.run({ maxSteps: steps });
      assert.equal(first.reason, 'step');
      vm.setReg(1, value);
      return `${driveRun(vm, jit).join(' | ')} ${machineState(vm).regs} ${vm.insnCount}`;
    });
    assert.equal(results[1], results[0], `after ${steps} steps, r1 = ${value}`);
  }
});

test('breakpoints inside a compiled loop stop as the interpreter stops, hit after hit', () => {
  for (const name of ['checksum', 'mix', 'filter']) {
    const obj = bench(name);
    const n = linkProgram(obj, listPrograms(obj)[0]).program.insns.length;
    for (let bp = 0; bp < n; bp += 3) {
      const hits = [false, true].map((jit) => {
        const run = prepared(obj);
        const out: string[] = [];
        for (let k = 0; k < 30; k++) {
          const s = jit ? runJit(run.vm, { breakpoints: new Set([bp]) }) : run.vm.run({ breakpoints: new Set([bp]) });
          out.push(`${s.reason}@${s.pc}:${run.vm.insnCount}`);
          if (s.reason !== 'breakpoint') break;
        }
        return out.join(' ');
      });
      assert.equal(hits[1], hits[0], `${name} breakpoint at ${bp}`);
    }
  }
});

test('step slices and the budget end at the same instruction in compiled code', () => {
  const obj = bench('mix');
  for (const maxSteps of [1, 2, 7, 100, 4096]) {
    const a = prepared(obj), b = prepared(obj);
    assert.deepEqual(driveRun(b.vm, true, { maxSteps }).slice(0, 50), driveRun(a.vm, false, { maxSteps }).slice(0, 50), `maxSteps ${maxSteps}`);
    assert.deepEqual(machineState(b.vm), machineState(a.vm));
  }
  for (const budget of [1, 5, 17, 1000, 33_333]) {
    const program = rawProgram(linkProgram(obj, listPrograms(obj)[0]).program.insns);
    const a = createRawMachine(program, undefined, budget).vm, b = createRawMachine(program, undefined, budget).vm;
    assert.deepEqual(driveRun(b, true), driveRun(a, false), `budget ${budget}`);
    assert.equal(b.insnCount, a.insnCount);
  }
});

test('one compiled form per program: by the linked program, and by its contents', () => {
  const obj = bench('filter');
  const ref = listPrograms(obj)[0];
  const p1 = linkProgram(obj, ref).program, p2 = linkProgram(obj, ref).program;
  assert.notEqual(p1, p2);
  assert.equal(compileProgram(p1), compileProgram(p1));
  assert.equal(compileProgram(p2), compileProgram(p1));
  const other = bench('checksum');
  assert.notEqual(compileProgram(linkProgram(other, listPrograms(other)[0]).program), compileProgram(p1));
});
