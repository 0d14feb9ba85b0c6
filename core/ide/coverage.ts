/**
 * Coverage of a document's programs, per source line: how many times the verifier processed
 * the line's instructions (its states, summed over every program and path) and how many
 * times runs over given inputs executed them. The editor shades lines by the first and marks
 * the second; the control-flow graph shows both per block.
 *
 * Runs step the interpreter one instruction at a time and count the slot about to run, so
 * that the VM's loop and JIT stay free of counting (a run here is a debugger's pace, not a
 * benchmark's). The slot that faults counts: it was reached. Slots of a tail-called program
 * do not count (they are another program's).
 */

import { Diagnostic, error, hasErrors } from '../diag';
import { BpfObject } from '../object';
import { LinkedProgram, ProgramRef } from '../link';
import { createRun, mapsForObject } from '../vm/run';
import { DEFAULT_ENV, RunEnv } from '../vm/host';
import { MapSet } from '../maps/create';
import { loadMapsJson } from '../maps/json';
import { readCapture } from '../input/pcap';
import { parseHex } from '../input/parse';
import { Analysis } from './analysis';

export interface CoverageInputs {
  /** One run per packet, in turn, maps carried over; `[undefined]` is one run with no packet. */
  packets: readonly (Uint8Array | undefined)[];
  ctxFields?: Record<string, unknown>;
  /** The memory of `raw`, or the context bytes of packet-less types. */
  mem?: Uint8Array;
  /** Initial map contents, in the shape `run --json` prints. */
  maps?: unknown;
  env?: RunEnv;
  /** The instruction budget of each run. */
  budget?: number;
  /** Counts stop after this many instructions over all runs (what a debug session has run so far). */
  maxInsns?: number;
}

/** A run's end: its return value, or its fault, or neither when the count limit stopped it first. */
export interface RunSummary {
  index: number;
  retval?: number;
  fault?: string;
  insns: number;
}

export interface ExecutedCounts {
  /** Times each slot of the linked program was reached (the second slot of an lddw stays 0). */
  counts: Uint32Array;
  /** The program the counts index (absent when no run started). */
  program?: LinkedProgram;
  runs: RunSummary[];
  diagnostics: Diagnostic[];
}

export interface LineCoverage {
  /** 0-based line of the document. */
  line: number;
  /** Instructions of the line the verifier processed, over every program and path. */
  verifierVisits: number;
  /**
   * Times the runs reached the line: the most any of its instructions ran (a classic BPF line
   * is several eBPF instructions, run together); absent when nothing was run.
   */
  executed?: number;
}

/** Runs program `ref` of `obj` over each input in turn and counts the executions of each slot. */
export function executedCounts(obj: BpfObject, ref: ProgramRef, progType: string, inputs: CoverageInputs): ExecutedCounts {
  const env = inputs.env ?? DEFAULT_ENV;
  const maps: MapSet = mapsForObject(obj, env);
  const diagnostics: Diagnostic[] = [...maps.diagnostics];
  if (inputs.maps !== undefined) diagnostics.push(...loadMapsJson(maps, inputs.maps));
  let counts = new Uint32Array(0);
  let program: LinkedProgram | undefined;
  const runs: RunSummary[] = [];
  if (hasErrors(diagnostics)) return { counts, runs, diagnostics };
  let left = inputs.maxInsns ?? Infinity;
  // The first run starts even with nothing to count, so that the slots are known (all 0).
  for (let index = 0; index < inputs.packets.length && (index === 0 || left > 0); index++) {
    const made = createRun(obj, ref, { progType, env, budget: inputs.budget, maps, input: { packet: inputs.packets[index], ctxFields: inputs.ctxFields, mem: inputs.mem } });
    diagnostics.push(...made.diagnostics);
    if (!made.run) break;
    const vm = made.run.vm;
    const main = vm.opts.program;
    program = main;
    if (counts.length !== main.insns.length) counts = new Uint32Array(main.insns.length);
    while (!vm.done && left > 0) {
      if (vm.program === main && vm.pc >= 0 && vm.pc < counts.length) counts[vm.pc]++;
      vm.step();
      left--;
    }
    const r = made.run.result();
    if (!vm.done) runs.push({ index, insns: r.insns });
    else if (r.stop.reason === 'exit') runs.push({ index, retval: Number(r.r0! & 0xffffffffn), insns: r.insns });
    else runs.push({ index, fault: r.stop.message ?? r.stop.reason, insns: r.insns });
  }
  return { counts, program, runs, diagnostics };
}

/**
 * Executions per source line of a linked program, as lineCoverage counts them (the lines of
 * the file it was built from; `file` set only where the object's line info names one).
 */
export function executedLines(program: LinkedProgram, counts: ArrayLike<number>): { file?: string; line: number; executed: number }[] {
  const at = new Map<string, { file?: string; line: number; executed: number }>();
  program.lines.forEach((pos, pc) => {
    if (!pos) return;
    const key = `${pos.file ?? ''}\0${pos.line}`;
    const x = at.get(key) ?? { ...(pos.file !== undefined ? { file: pos.file } : {}), line: pos.line, executed: 0 };
    x.executed = Math.max(x.executed, counts[pc] ?? 0);
    at.set(key, x);
  });
  return [...at.values()].sort((x, y) => (x.file ?? '').localeCompare(y.file ?? '') || x.line - y.line);
}

/**
 * The lines of the analysed document that hold instructions, in order, with the verifier's
 * visits and, given `executed` (counts of program `program`), the runs' executions.
 */
export function lineCoverage(a: Analysis, executed?: { program: number; counts: ArrayLike<number> }): LineCoverage[] {
  const out: LineCoverage[] = [];
  for (const line of [...a.insnsAtLine.keys()].sort((x, y) => x - y)) {
    let verifierVisits = 0;
    let ran = 0;
    for (const at of a.insnsAtLine.get(line)!) {
      verifierVisits += a.programs[at.program]?.result?.visits(at.insnIdx) ?? 0;
      if (executed && at.program === executed.program) ran = Math.max(ran, executed.counts[at.insnIdx] ?? 0);
    }
    out.push(executed ? { line, verifierVisits, executed: ran } : { line, verifierVisits });
  }
  return out;
}

export interface DocumentCoverage {
  /** The program that was run (index into the analysis's programs), when inputs were given. */
  program?: number;
  lines: LineCoverage[];
  runs?: RunSummary[];
  /** Per-slot executions of the program run (for the graph's blocks). */
  counts?: Uint32Array;
  error?: string;
}

/**
 * A document's coverage: the verifier's visits alone, or with the executions of the program
 * the selector names (the first by default) run over `inputs`.
 */
export function documentCoverage(a: Analysis, sel: { section?: string; program?: string } = {}, inputs?: CoverageInputs): DocumentCoverage {
  if (!inputs) return { lines: lineCoverage(a) };
  const program = a.programs.findIndex((x) => (!sel.section || x.ref.section === sel.section) && (!sel.program || x.ref.name === sel.program));
  if (program < 0) return { lines: lineCoverage(a), error: 'the document holds no program to run' };
  const p = a.programs[program];
  const ran = executedCounts(a.object, p.ref, p.progType, inputs);
  const failed = ran.diagnostics.find((d) => d.severity === 'error');
  return {
    program, lines: lineCoverage(a, { program, counts: ran.counts }), runs: ran.runs, counts: ran.counts,
    ...(failed ? { error: failed.message } : {}),
  };
}

/** A run's inputs from the editor's choices: a packet in hex, a capture's bytes, or neither (one run). */
export function coverageInputs(choice: { packetHex?: string; pcap?: Uint8Array; ctx?: Record<string, unknown> }): CoverageInputs | Diagnostic {
  let packets: (Uint8Array | undefined)[] = [undefined];
  if (choice.pcap) {
    const cap = readCapture(choice.pcap);
    if (hasErrors(cap.diagnostics)) return cap.diagnostics.find((d) => d.severity === 'error')!;
    if (cap.packets.length === 0) return error('pcap', 'the capture holds no packets');
    packets = cap.packets.map((x) => x.data);
  } else if (choice.packetHex !== undefined) {
    const b = parseHex(choice.packetHex);
    if (typeof b === 'string') return error('packet', b);
    packets = [b];
  }
  return { packets, ctxFields: choice.ctx };
}
