/**
 * The debugger's runtime (vscode-mock-debug's MockRuntime, over our VM): one debug session
 * runs a program once per input packet, in turn, with the maps carried from one run to the
 * next, and stops where the user asked. It speaks instruction indices and positions; the
 * debug adapter turns them into DAP.
 *
 * Going back: a run is deterministic (the environment, the random seed and every input are
 * fixed), so the state after any number of instructions is rebuilt by running again from
 * the start with fresh maps. Nothing is recorded as the run goes, so a 10,000,000-instruction
 * session costs no memory to step back through; a step back costs one replay, which the
 * VM does at tens of millions of instructions a second.
 *
 * Speed: `continue` and replays run compiled code (core/jit), which stops before breakpoint
 * locations just as the interpreter does; steps, and a continue that data or helper
 * breakpoints must watch at every instruction, go one instruction at a time.
 */

import { BpfObject } from '../object';
import { LinkedProgram, ProgramRef } from '../link';
import { Diagnostic, hasErrors } from '../diag';
import { createRun, mapsForObject, Run, RunResult } from '../vm/run';
import { DEFAULT_ENV, RunEnv } from '../vm/host';
import { Stop } from '../vm/machine';
import { runJit } from '../jit';
import { MapSet } from '../maps/create';
import { loadMapsJson } from '../maps/json';
import { lookupRow } from '../isa/opcodes';
import { helperById } from '../helpers/table';

export interface DebugInput {
  object: BpfObject;
  ref: ProgramRef;
  progType: string;
  /** One run per packet, in turn; `[undefined]` for a program that takes none. */
  packets: (Uint8Array | undefined)[];
  ctxFields?: Record<string, unknown>;
  mem?: Uint8Array;
  /** Initial map contents, in the shape `run --json` prints. */
  maps?: unknown;
  env?: RunEnv;
  budget?: number;
}

export interface Breakpoint {
  id: number;
  pc: number;
  condition?: string;
  /** `N` or `== N` (the Nth hit), `>= N`, `> N`, `% N` (every Nth). */
  hitCondition?: string;
  /** A logpoint: prints instead of stopping; `{expr}` is replaced by the expression's value. */
  logMessage?: string;
  hits: number;
}

/** A watched place: a map value by key, or a stack slot of a frame (by depth). */
export type Watch = { id: number; kind: 'map'; map: string; key: Uint8Array } | { id: number; kind: 'stack'; depth: number; offset: number; size: number };

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'instruction breakpoint' | 'data breakpoint' | 'exception' | 'pause' | 'goto';

export type DebugEvent =
  | { kind: 'stopped'; reason: StopReason; description?: string; breakpointIds?: number[] }
  | { kind: 'output'; text: string; category: 'console' | 'stdout' }
  /** The run of a packet ended: its verdict (or fault), for the per-packet table. */
  | { kind: 'packetDone'; packet: number; result: PacketResult }
  | { kind: 'exited'; results: PacketResult[] };

export interface PacketResult {
  packet: number;
  retval?: number;
  r0?: bigint;
  fault?: string;
  insns: number;
}

export interface Conditions {
  /** Whether a breakpoint's condition holds now; a string is an error in it (the adapter stops and says so). */
  condition(text: string): boolean | string;
  /** A logpoint's message with its `{expr}` parts evaluated. */
  interpolate(text: string): string;
}

/** How a resume moves: by instruction, over calls, out of the current function, or to the end. */
export type ResumeMode = 'continue' | 'stepIn' | 'next' | 'stepOut';

export class DebugRuntime {
  run!: Run;
  /** Index of the packet being run. */
  packet = 0;
  results: PacketResult[] = [];
  breakpoints: Breakpoint[] = [];
  /** Helper ids whose calls stop the run (function breakpoints on helpers). */
  helperBreaks = new Map<number, number>();
  watches: Watch[] = [];
  /** Exception filters: runtime faults, helpers returning an error. */
  stopOnFault = true;
  stopOnHelperError = false;
  granularity: 'line' | 'instruction' = 'line';
  private maps!: MapSet;
  private paused = false;
  private printed = { printk: 0, events: 0 };
  /** Instructions run by the runs of earlier packets. */
  private before = 0;
  private watched = new Map<number, string>();
  /** The current packet's run faulted and the user was shown it: resuming moves on to the next packet. */
  private faultShown = false;

  private events: (e: DebugEvent) => void;

  constructor(readonly input: DebugInput, events: (e: DebugEvent) => void, private readonly conditions?: Conditions) {
    this.events = events;
  }

  /** Runs `fn` with every event dropped (a replay repeats what the user has already seen). */
  private silently<T>(fn: () => T): T {
    const events = this.events;
    this.events = () => undefined;
    try { return fn(); } finally { this.events = events; }
  }

  /** Starts (or restarts) the session at the first instruction of the first packet. */
  start(): Diagnostic[] {
    this.maps = mapsForObject(this.input.object, this.input.env ?? DEFAULT_ENV);
    const diags = [...this.maps.diagnostics];
    if (this.input.maps !== undefined) diags.push(...loadMapsJson(this.maps, this.input.maps));
    if (hasErrors(diags)) return diags;
    this.results = [];
    this.before = 0;
    this.printed = { printk: 0, events: 0 };
    for (const b of this.breakpoints) b.hits = 0;
    return this.startPacket(0);
  }

  private startPacket(k: number): Diagnostic[] {
    this.packet = k;
    this.printed = { printk: 0, events: 0 };
    this.faultShown = false;
    const { run, diagnostics } = createRun(this.input.object, this.input.ref, {
      progType: this.input.progType, env: this.input.env, budget: this.input.budget, maps: this.maps,
      input: { packet: this.input.packets[k], mem: this.input.mem, ctxFields: this.input.ctxFields },
    });
    if (!run) return diagnostics.length ? diagnostics : [{ code: 'debug', severity: 'error', message: 'cannot start the run' }];
    this.run = run;
    this.snapshotWatches();
    return diagnostics;
  }

  get program(): LinkedProgram {
    return this.run.vm.program;
  }

  /** The instruction the run stands at: after a fault, the one that faulted. */
  get pc(): number {
    const done = this.run.vm.done;
    return done && done.reason === 'fault' ? done.pc : this.run.vm.pc;
  }

  /** bpf-to-bpf frames, innermost last, with the faulting instruction in the innermost after a fault. */
  frames(): ReturnType<Run['vm']['callStack']> {
    const frames = this.run.vm.callStack();
    frames[frames.length - 1].pc = this.pc;
    return frames;
  }

  /** Instructions executed since the session began, over every packet: the session's clock. */
  get position(): number {
    return this.before + this.run.vm.insnCount;
  }

  get finished(): boolean {
    return this.packet >= this.input.packets.length;
  }

  pause(): void {
    this.paused = true;
  }

  /**
   * Moves the run forward by at most `budget` instructions. Returns true when it stopped
   * (an event says why), false when the budget ran out first (call again: the adapter yields
   * between slices so that `pause` arrives).
   */
  resume(mode: ResumeMode, budget = 200_000, origin = this.origin()): boolean {
    const vm = this.run.vm;
    if (this.finished) return this.stop('step');
    if (vm.done) return this.packetEnded(vm.done);
    if (mode === 'continue' && this.runsCompiled()) return this.continueCompiled(budget);
    while (budget-- > 0) {
      if (this.paused) { this.paused = false; return this.stop('pause'); }
      const pc = vm.pc;
      const stop = vm.step();
      if (stop.reason !== 'step') return this.packetEnded(stop);
      this.emitOutput();
      if (this.stopOnHelperError && this.helperFailed(pc)) return this.stop('exception', `helper ${this.helperName(pc)} returned ${vm.reg(0) - (1n << 64n)}`);
      const helperHit = this.helperBreakAt(pc);
      if (helperHit !== undefined) return this.stop('function breakpoint', undefined, [helperHit]);
      if (this.watches.length) {
        const changed = this.changedWatch();
        if (changed !== undefined) return this.stop('data breakpoint', undefined, [changed]);
      }
      const hit = this.breakpointHit(vm.pc);
      if (hit.length) return this.stop('breakpoint', undefined, hit);
      if (mode !== 'continue' && this.stepDone(mode, origin)) return this.stop('step');
    }
    return false;
  }

  /**
   * Whether a `continue` may run compiled code (core/jit): only breakpoint locations can stop
   * it, so no data or helper breakpoints and no stop on helper errors, which watch every step.
   */
  private runsCompiled(): boolean {
    return this.watches.length === 0 && this.helperBreaks.size === 0 && !this.stopOnHelperError;
  }

  /** `continue` in compiled code, stopping before breakpoint locations to test their conditions. */
  private continueCompiled(budget: number): boolean {
    const vm = this.run.vm;
    const locations = new Set(this.breakpoints.map((b) => b.pc));
    while (budget > 0) {
      if (this.paused) { this.paused = false; return this.stop('pause'); }
      const before = vm.insnCount;
      const stop = runJit(vm, { breakpoints: locations, maxSteps: budget });
      budget -= Math.max(1, vm.insnCount - before);
      this.emitOutput();
      if (stop.reason === 'exit' || stop.reason === 'fault' || stop.reason === 'budget') return this.packetEnded(stop);
      // A slice may also end on a location (its steps ran out there): the interpreter would have stopped.
      if (locations.has(vm.pc) && vm.insnCount !== before) {
        const hit = this.breakpointHit(vm.pc);
        if (hit.length) return this.stop('breakpoint', undefined, hit);
      }
    }
    return false;
  }

  /** Where a step began: its depth and source line, so that a step ends on a new line at the right depth. */
  origin(): { depth: number; line?: number; packet: number } {
    return { depth: this.run.vm.callStack().length, line: this.lineOf(this.run.vm.pc), packet: this.packet };
  }

  private stepDone(mode: ResumeMode, origin: { depth: number; line?: number }): boolean {
    const depth = this.run.vm.callStack().length;
    const newLine = this.granularity === 'instruction' || this.lineOf(this.run.vm.pc) !== origin.line;
    if (mode === 'stepIn') return newLine || depth !== origin.depth;
    if (mode === 'next') return depth < origin.depth || (depth === origin.depth && newLine);
    return depth < origin.depth;
  }

  lineOf(pc: number): number | undefined {
    const pos = this.program.lines[pc];
    return pos ? pos.line : undefined;
  }

  private stop(reason: StopReason, description?: string, breakpointIds?: number[]): true {
    this.events({ kind: 'stopped', reason, description, breakpointIds });
    return true;
  }

  private packetEnded(stop: Stop): boolean {
    this.emitOutput();
    const vm = this.run.vm;
    const result: RunResult = this.run.result();
    const done: PacketResult = {
      packet: this.packet, insns: vm.insnCount,
      ...(stop.reason === 'exit' ? { r0: result.r0, retval: Number((result.r0 ?? 0n) & 0xffffffffn) } : { fault: stop.message ?? stop.reason }),
    };
    if (stop.reason !== 'exit' && this.stopOnFault && !this.faultShown) {
      // Stay on the faulting instruction so that the user sees the state that caused it.
      this.faultShown = true;
      return this.stop('exception', stop.message ?? stop.reason);
    }
    this.results.push(done);
    this.events({ kind: 'packetDone', packet: this.packet, result: done });
    this.before += vm.insnCount;
    if (this.packet + 1 < this.input.packets.length) {
      const diags = this.startPacket(this.packet + 1);
      if (hasErrors(diags)) {
        this.events({ kind: 'output', category: 'console', text: `packet ${this.packet}: ${diags.map((d) => d.message).join('; ')}\n` });
        this.packet = this.input.packets.length;
        this.events({ kind: 'exited', results: this.results });
        return true;
      }
      const hit = this.breakpointHit(this.run.vm.pc);
      if (hit.length) return this.stop('breakpoint', `packet ${this.packet}`, hit);
      return false;
    }
    this.packet = this.input.packets.length;
    this.events({ kind: 'exited', results: this.results });
    return true;
  }

  /** The breakpoints at `pc` whose condition and hit count say stop; logpoints print and do not stop. */
  private breakpointHit(pc: number): number[] {
    const ids: number[] = [];
    for (const b of this.breakpoints) {
      if (b.pc !== pc) continue;
      if (b.condition) {
        const c = this.conditions?.condition(b.condition) ?? true;
        if (typeof c === 'string') {
          this.events({ kind: 'output', category: 'console', text: `breakpoint condition '${b.condition}': ${c}\n` });
          ids.push(b.id);
          continue;
        }
        if (!c) continue;
      }
      b.hits++;
      if (b.hitCondition && !hitConditionHolds(b.hitCondition, b.hits)) continue;
      if (b.logMessage !== undefined) {
        this.events({ kind: 'output', category: 'console', text: (this.conditions?.interpolate(b.logMessage) ?? b.logMessage) + '\n' });
        continue;
      }
      ids.push(b.id);
    }
    return ids;
  }

  private helperName(pc: number): string {
    const i = this.program.insns[pc];
    return helperById(i.imm)?.name ?? `#${i.imm}`;
  }

  private isHelperCall(pc: number): boolean {
    const i = this.program.insns[pc];
    return !!i && i.code === 0x85 && i.src === 0;
  }

  private helperBreakAt(pc: number): number | undefined {
    if (!this.helperBreaks.size || !this.isHelperCall(pc)) return undefined;
    return this.helperBreaks.get(this.program.insns[pc].imm);
  }

  /** A helper that returns a negative errno on failure did (its prototype returns an integer). */
  private helperFailed(pc: number): boolean {
    if (!this.isHelperCall(pc)) return false;
    const h = helperById(this.program.insns[pc].imm);
    if (h?.proto?.ret !== 'integer') return false;
    const r0 = this.run.vm.reg(0);
    return r0 >= 1n << 63n && r0 >= (1n << 64n) - 4096n;
  }

  private emitOutput(): void {
    const out = this.run.host.output;
    while (this.printed.printk < out.printk.length) {
      this.events({ kind: 'output', category: 'stdout', text: `${out.printk[this.printed.printk++]}\n` });
    }
    const records = this.maps.events;
    while (this.printed.events < records.length) {
      const e = records[this.printed.events++];
      this.events({ kind: 'output', category: 'stdout', text: `${e.map}: ${Buffer.from(e.data).toString('hex')}\n` });
    }
  }

  // --- data breakpoints -----------------------------------------------------------------

  private watchValue(w: Watch): string {
    if (w.kind === 'map') {
      const v = this.maps.get(w.map)?.sysLookup(w.key);
      return v instanceof Uint8Array ? Buffer.from(v).toString('hex') : '-';
    }
    const frame = this.run.vm.callStack()[w.depth];
    if (!frame) return '-';
    const off = frame.stack.bytes.length + w.offset;
    return Buffer.from(frame.stack.bytes.subarray(off, off + w.size)).toString('hex');
  }

  snapshotWatches(): void {
    this.watched = new Map(this.watches.map((w) => [w.id, this.watchValue(w)]));
  }

  private changedWatch(): number | undefined {
    for (const w of this.watches) {
      const now = this.watchValue(w);
      if (now !== this.watched.get(w.id)) {
        this.snapshotWatches();
        return w.id;
      }
    }
    return undefined;
  }

  // --- going back -------------------------------------------------------------------------

  /**
   * Rebuilds the state after `target` instructions of the session (0: the entry) by running
   * again from the start, with breakpoints, output and events off. Returns false if the
   * session is shorter than that.
   */
  replayTo(target: number): boolean {
    const saved = { bps: this.breakpoints, helpers: this.helperBreaks, watches: this.watches, fault: this.stopOnFault, helperError: this.stopOnHelperError };
    this.breakpoints = []; this.helperBreaks = new Map(); this.watches = []; this.stopOnFault = true; this.stopOnHelperError = false;
    try {
      return this.silently(() => this.replay(target));
    } finally {
      this.breakpoints = saved.bps; this.helperBreaks = saved.helpers; this.watches = saved.watches;
      this.stopOnFault = saved.fault; this.stopOnHelperError = saved.helperError;
      this.snapshotWatches();
    }
  }

  private replay(target: number): boolean {
    this.start();
    while (this.position < target && !this.finished) {
      const stop = runJit(this.run.vm, { maxSteps: Math.min(target - this.position, 1_000_000) });
      if (stop.reason === 'step') continue;
      if (stop.reason !== 'exit') break;
      this.packetEnded(stop);
    }
    return this.position === target;
  }

  /** One instruction (or line) back. */
  stepBack(): void {
    const origin = this.origin();
    let target = this.position - 1;
    while (target > 0) {
      this.replayTo(target);
      const o = this.origin();
      if (this.granularity === 'instruction' || o.line !== origin.line || o.depth !== origin.depth || o.packet !== origin.packet) break;
      target--;
    }
    if (target <= 0) this.replayTo(0);
    this.stop('step');
  }

  /** Back to the last breakpoint hit before now (or the entry), found by one replay that notes the hits. */
  reverseContinue(): void {
    const now = this.position;
    const bpPcs = new Set(this.breakpoints.map((b) => b.pc));
    this.replayTo(0);
    let last = 0;
    while (this.position < now - 1 && !this.finished) {
      const stop = this.run.vm.step();
      if (stop.reason !== 'step' && stop.reason !== 'exit') break;
      if (stop.reason === 'exit' && !this.silently(() => { this.packetEnded(stop); return !this.finished; })) break;
      if (bpPcs.has(this.run.vm.pc) && this.position < now) last = this.position;
    }
    this.replayTo(last);
    this.stop(last === 0 ? 'entry' : 'breakpoint');
  }

  /** The map set of the session (as it is now). */
  get mapSet(): MapSet {
    return this.maps;
  }

  /** Whether the instruction at `pc` is a call of a bpf-to-bpf function. */
  isLocalCall(pc: number): boolean {
    const row = lookupRow(this.program.insns[pc] ?? { code: 0, src: 0, off: 0, imm: 0 });
    return row?.kind === 'call_local';
  }
}

/** Whether a hit count satisfies `N`, `== N`, `>= N`, `> N`, `< N`, `<= N` or `% N`. */
export function hitConditionHolds(cond: string, hits: number): boolean {
  const m = /^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$/.exec(cond);
  if (!m) return true;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>=': return hits >= n;
    case '>': return hits > n;
    case '<': return hits < n;
    case '<=': return hits <= n;
    case '%': return n > 0 && hits % n === 0;
    default: return hits === n;
  }
}
