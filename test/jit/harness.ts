/**
 * Running one program both ways, in the interpreter (`vm.run`) and in the JIT (`runJit`), on
 * the same input, and listing every difference in what came out: the stop (reason, pc,
 * message), every register, the instruction count, and the bytes of every memory region.
 * Shared by the JIT tests and scripts/jit-fuzz.mjs.
 */

import { Insn } from '../../core/isa/insn';
import { emptyObject } from '../../core/object';
import { LinkedProgram, linkProgram, listPrograms } from '../../core/link';
import { Machine, Stop } from '../../core/vm/machine';
import { createRawMachine } from '../../core/vm/raw';
import { JIT_SETTINGS, runJit } from '../../core/jit';
import { toHex } from '../../core/input/parse';

// Compiled code from the first entry (the driver's default interprets a leader a few times first).
JIT_SETTINGS.hot = 0;

export interface Outcome {
  stops: string[];
  regs: string;
  insns: number;
  memory: string;
}

export function rawProgram(insns: Insn[]): LinkedProgram {
  const obj = emptyObject();
  obj.sections.push({ name: '.text', kind: 'code', insns, data: new Uint8Array(0), relocs: [], lines: [] });
  return linkProgram(obj, listPrograms(obj)[0]).program;
}

export function stopText(s: Stop): string {
  return `${s.reason}@${s.pc}${s.message ? `: ${s.message}` : ''}`;
}

export function machineState(vm: Machine): { regs: string; insns: number; memory: string } {
  const regs = Array.from({ length: 11 }, (_, k) => `r${k}=${vm.reg(k).toString(16)}`).join(' ');
  const memory = vm.memory.regions().map((r) => `${r.name}[${r.lowOff},${r.highOff}):${toHex(r.bytes)}`).join('\n');
  return { regs: `${regs} pc=${vm.pc}`, insns: vm.insnCount, memory };
}

/** How to drive a run: to the end, in slices of `maxSteps`, or with breakpoints (resumed until the end). */
export interface Drive {
  maxSteps?: number;
  breakpoints?: ReadonlySet<number>;
}

/** Runs a machine to its end the way `drive` says, with one engine; every Stop on the way, in order. */
export function driveRun(vm: Machine, jit: boolean, drive: Drive = {}): string[] {
  const stops: string[] = [];
  for (let k = 0; k < 100_000; k++) {
    const opts = { maxSteps: drive.maxSteps, breakpoints: drive.breakpoints };
    const s = jit ? runJit(vm, opts) : vm.run(opts);
    stops.push(stopText(s));
    if (s.reason !== 'step' && s.reason !== 'breakpoint') return stops;
  }
  stops.push('(still running)');
  return stops;
}

export function outcome(vm: Machine, jit: boolean, drive: Drive = {}): Outcome {
  const stops = driveRun(vm, jit, drive);
  return { stops, ...machineState(vm) };
}

/** The differences between two outcomes, as lines; empty when they agree. */
export function differences(interp: Outcome, jit: Outcome): string[] {
  const out: string[] = [];
  if (interp.stops.join('\n') !== jit.stops.join('\n')) out.push(`stops: interpreter [${interp.stops.join(' | ')}], JIT [${jit.stops.join(' | ')}]`);
  if (interp.regs !== jit.regs) out.push(`registers: interpreter ${interp.regs}, JIT ${jit.regs}`);
  if (interp.insns !== jit.insns) out.push(`instructions: interpreter ${interp.insns}, JIT ${jit.insns}`);
  if (interp.memory !== jit.memory) out.push(`memory: interpreter\n${interp.memory}\nJIT\n${jit.memory}`);
  return out;
}

/** A `raw` run both ways (r1 = a copy of `mem`, r2 its length, helpers 0-5). */
export function compareRaw(program: LinkedProgram, mem: Uint8Array | undefined, budget: number, drive: Drive = {}): string[] {
  const a = createRawMachine(program, mem, budget).vm;
  const b = createRawMachine(program, mem, budget).vm;
  return differences(outcome(a, false, drive), outcome(b, true, drive));
}
