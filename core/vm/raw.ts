/**
 * Running a program of the `raw` type, as the conformance suite runs programs: r1 = a
 * writable copy of the input memory (0 when there is none), r2 = its length, and the
 * suite's helpers 0-5 (DESIGN.md, `--prog-type raw`).
 */

import { LinkedProgram } from '../link';
import { rawHelper } from '../helpers/conformance';
import { Machine, Stop } from './machine';
import { Memory } from './memory';

export interface RawRunResult {
  stop: Stop;
  r0: bigint;
  insns: number;
  mem?: Uint8Array;
}

export function createRawMachine(program: LinkedProgram, mem: Uint8Array | undefined, budget: number): { vm: Machine; memCopy?: Uint8Array } {
  const memory = new Memory();
  const vm = new Machine({ program, memory, budget, helper: (id) => rawHelper(id)?.impl });
  let memCopy: Uint8Array | undefined;
  if (mem && mem.length > 0) {
    memCopy = Uint8Array.from(mem);
    const region = memory.add('mem', 'mem', memCopy, true);
    const a = Memory.address(region, 0);
    vm.lo[1] = a.lo; vm.hi[1] = a.hi;
    vm.lo[2] = memCopy.length;
  }
  return { vm, memCopy };
}

export function runRaw(program: LinkedProgram, mem: Uint8Array | undefined, budget = 1_000_000): RawRunResult {
  const { vm, memCopy } = createRawMachine(program, mem, budget);
  const stop = vm.run();
  return { stop, r0: vm.reg(0), insns: vm.insnCount, mem: memCopy };
}
