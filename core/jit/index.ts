/**
 * core/jit: runs a linked program as JavaScript compiled from it, against the same Machine
 * the interpreter runs (registers, memory, frames, budget, helpers), so that a run gives the
 * same result, the same packet and maps, and the same fault in the same words either way.
 *
 * - Compiled once per program (`new Function`, in chunks small enough for V8 to optimise),
 *   cached by the LinkedProgram and by its contents (runs of one object share one link).
 * - 64-bit values are pairs of int32 locals, and plain 32-bit numbers where the JIT's range
 *   analysis (core/jit/ranges.ts) shows the high half is 0; no BigInt on the hot path (64-bit
 *   division and modulo of wide operands still use it, as the interpreter does). Loops become
 *   JavaScript loops (core/jit/emit.ts).
 * - Memory goes through the regions' DataViews, with the interpreter's checks inline; a check
 *   that fails calls the interpreter's slow path for that access.
 * - What is rare or hard (calls, bpf-to-bpf frames, atomics, legacy packet loads, tail calls,
 *   unknown opcodes, the last few instructions of the budget, blocks holding a breakpoint)
 *   runs one instruction at a time in the interpreter (core/vm/loop.ts); the driver below
 *   goes back and forth.
 *
 * Invariant: for any program, valid or not, `runJit(vm)` leaves the machine as `vm.run()`
 * would, step for step at every point where control returns to the driver.
 */

import * as I from '../vm/int64';
import { LinkedProgram } from '../link';
import { decodeProgram, DecodedProgram, Machine, Stop } from '../vm/machine';
import { interpret } from '../vm/loop';
import { Block, buildCfg, Cfg, chunksOf } from './cfg';
import { ChunkPlan, emitChunk, forcedEntries, planChunk } from './emit';
import { analyzeRanges, RegState } from './ranges';

export interface RunJitOptions {
  /** Stop before any of these pcs (not the starting one), as `Machine.run` does. */
  breakpoints?: ReadonlySet<number>;
  /** Stop with reason `step` after this many instructions. */
  maxSteps?: number;
}

/** What a chunk hands back: a Stop (exit or fault), or one of these marks. */
const INTERP: Stop = Object.freeze({ reason: 'step', pc: -1 }) as Stop;
const LEAVE: Stop = Object.freeze({ reason: 'step', pc: -1 }) as Stop;
const GUARD: Stop = Object.freeze({ reason: 'step', pc: -1 }) as Stop;

type ChunkFn = (vm: Machine, limit: number, bp: Uint8Array | null) => Stop;

export interface CompiledProgram {
  n: number;
  /** For each leader with a case, the chunk it enters (-1 elsewhere). */
  entryChunk: Int32Array;
  /** For each leader, the length of its block (0 elsewhere): what the driver interprets at a time. */
  blockLen: Int32Array;
  /** Times the driver came to each entry while it was cold (interpreted), up to JIT_SETTINGS.hot. */
  hits: Uint16Array;
  chunks: { plan: ChunkPlan; fn?: ChunkFn; source?: string }[];
  blocks: Block[];
  /** Per leader, the intervals the code assumes (for tests and the bench's report). */
  ranges: Map<number, RegState>;
  cfg: Cfg;
  program: LinkedProgram;
}

/**
 * Settings the bench and the tests change: whether to use the range analysis, and how many
 * times the driver interprets a leader before it runs (and, the first time, compiles) its
 * chunk. Code run only a few times is faster in the interpreter than in a function V8 has not
 * optimised yet; the tests set `hot` to 0, to run compiled code from the start.
 */
export const JIT_SETTINGS = { ranges: true, hot: 1000 };

/**
 * Instructions a chunk may run before it returns to the driver. Returning now and then keeps
 * the count a small integer, and gets the chunk optimised by V8 as a whole function: one that
 * runs a long loop in a single call is left in on-stack-replacement code in some processes,
 * 1.5 times slower (the speed of a run depended on V8's compile timing).
 */
const MAX_LIMIT = 1 << 16;

/**
 * Runs like `vm.run(opts)`, in compiled code where it can. Returns the same Stop; after an
 * exit or a fault the machine is finished, as after `vm.run`.
 */
export function runJit(vm: Machine, opts?: RunJitOptions): Stop {
  const done = vm.done;
  if (done) return done;
  const bps = opts?.breakpoints && opts.breakpoints.size > 0 ? opts.breakpoints : undefined;
  let steps = opts?.maxSteps ?? Infinity;
  let program = vm.program;
  let code = codeFor(vm);
  let marks = bps ? breakpointMarks(code, bps) : null;
  const hot = JIT_SETTINGS.hot;
  let first = true;
  let viaInterpreter = false;
  for (;;) {
    if (steps <= 0) return { reason: 'step', pc: vm.pc };
    const pc = vm.pc;
    if (bps !== undefined && !first && bps.has(pc)) return { reason: 'breakpoint', pc };
    first = false;
    const inRange = pc >= 0 && pc < code.n;
    const marked = marks !== null && inRange && marks[pc] === 1;
    const k = inRange && !viaInterpreter && !marked ? code.entryChunk[pc] : -1;
    if (k >= 0 && code.hits[pc] >= hot) {
      const before = vm.insnCount;
      const stop = chunkFn(code, k)(vm, Math.min(vm.budgetLeft, steps, MAX_LIMIT) | 0, marks);
      steps -= vm.insnCount - before;
      if (stop === INTERP || stop === GUARD) viaInterpreter = true;
      else if (stop !== LEAVE) return vm.finish(stop);
      continue;
    }
    if (k >= 0) code.hits[pc]++;
    // The interpreter: a whole block from a leader (no calls inside, so every instruction is one
    // step), or one instruction (a handover, the middle of a block, a block with a breakpoint).
    const len = inRange && !viaInterpreter && !marked && code.blockLen[pc] > 0 ? code.blockLen[pc] : 1;
    viaInterpreter = false;
    const before = vm.insnCount;
    const stop = interpret(vm, Math.min(len, steps))!;
    steps -= len === 1 ? 1 : vm.insnCount - before;
    if (stop.reason !== 'step') return vm.finish(stop);
    if (vm.program !== program) { // a tail call
      program = vm.program;
      code = codeFor(vm);
      marks = bps ? breakpointMarks(code, bps) : null;
    }
  }
}

/** The function of a chunk, compiled the first time it is wanted. */
function chunkFn(code: CompiledProgram, k: number): ChunkFn {
  const c = code.chunks[k];
  if (c.fn) return c.fn;
  const ranges = JIT_SETTINGS.ranges ? code.ranges : topRanges(c.plan.blocks);
  c.source = emitChunk(code.cfg, code.program, c.plan, ranges);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  c.fn = new Function('I', 'INTERP', 'LEAVE', 'GUARD', c.source)(I, INTERP, LEAVE, GUARD) as ChunkFn;
  return c.fn;
}

/** The JavaScript of every chunk (compiling them all), for tests and for reading what the JIT made. */
export function chunkSources(code: CompiledProgram): string[] {
  return code.chunks.map((c, k) => { chunkFn(code, k); return c.source!; });
}

/** The compiled form of the machine's program, kept on the machine for the next run. */
function codeFor(vm: Machine): CompiledProgram {
  if (vm.jitFor === vm.program) return vm.jitCode as CompiledProgram;
  const code = compileProgram(vm.program);
  vm.jitCode = code;
  vm.jitFor = vm.program;
  return code;
}

/** The compiled form of a program, from the cache when the same instructions were compiled before. */
export function compileProgram(program: LinkedProgram): CompiledProgram {
  const hit = byProgram.get(program);
  if (hit) return hit;
  const decoded = decodeProgram(program);
  const key = contentKey(program, decoded);
  let entry = byContent.get(key.hash);
  if (!entry || !sameContent(entry.key, key)) {
    entry = { key, compiled: compile(program, decoded) };
    byContent.set(key.hash, entry);
    if (byContent.size > CACHE_ENTRIES) byContent.delete(byContent.keys().next().value!);
  }
  byProgram.set(program, entry.compiled);
  return entry.compiled;
}

/** Forgets every compiled program (after JIT_SETTINGS change). */
export function clearJitCache(): void {
  byContent.clear();
  byProgram = new WeakMap();
}

function compile(program: LinkedProgram, decoded: DecodedProgram): CompiledProgram {
  const cfg = buildCfg(program, decoded);
  const ranges = JIT_SETTINGS.ranges ? analyzeRanges(cfg, program) : new Map<number, RegState>();
  const entryChunk = new Int32Array(cfg.n).fill(-1);
  const blockLen = new Int32Array(cfg.n);
  for (const b of cfg.blocks) blockLen[b.leader] = b.pcs.length;
  const grouped = chunksOf(cfg);
  const chunkOf = new Map<number, number>();
  grouped.forEach((blocks, k) => { for (const b of blocks) chunkOf.set(b.leader, k); });
  const forced = forcedEntries(cfg, chunkOf);
  const chunks = grouped.map((blocks, k) => {
    const plan = planChunk(cfg, blocks, forced);
    for (const e of plan.entries) entryChunk[e] = k;
    return { plan };
  });
  return { n: cfg.n, entryChunk, blockLen, hits: new Uint16Array(cfg.n), chunks, blocks: cfg.blocks, ranges, cfg, program };
}

function topRanges(blocks: Block[]): Map<number, RegState> {
  return new Map(blocks.map((b) => [b.leader, new Array(11).fill(null)]));
}

/** Leaders of the blocks that run through a breakpoint: those blocks run in the interpreter. */
function breakpointMarks(code: CompiledProgram, bps: ReadonlySet<number>): Uint8Array {
  const marks = new Uint8Array(code.n);
  for (const b of code.blocks) if (b.pcs.some((pc) => bps.has(pc))) marks[b.leader] = 1;
  return marks;
}

// --- the cache ----------------------------------------------------------------------------

const CACHE_ENTRIES = 64;

interface ContentKey {
  hash: string;
  decoded: DecodedProgram;
  mapSlots: number[];
  functions: number[];
}

let byProgram = new WeakMap<LinkedProgram, CompiledProgram>();
const byContent = new Map<string, { key: ContentKey; compiled: CompiledProgram }>();

function contentKey(program: LinkedProgram, decoded: DecodedProgram): ContentKey {
  let h = 0x811c9dc5;
  const mix = (v: number) => { h = Math.imul(h ^ (v & 0xffff), 16777619); h = Math.imul(h ^ (v >>> 16), 16777619); };
  for (let k = 0; k < decoded.ops.length; k++) {
    mix(decoded.ops[k] | (decoded.dsts[k] << 9) | (decoded.srcs[k] << 13)); mix(decoded.offs[k]); mix(decoded.imms[k]);
  }
  const mapSlots = [...program.mapRefs.keys()].sort((a, b) => a - b);
  const functions = program.functions.map((f) => f.slot).sort((a, b) => a - b);
  for (const s of mapSlots) mix(s);
  mix(-1);
  for (const s of functions) mix(s);
  return { hash: `${decoded.ops.length}:${(h >>> 0).toString(16)}`, decoded, mapSlots, functions };
}

function sameContent(a: ContentKey, b: ContentKey): boolean {
  const eq = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    if (x.length !== y.length) return false;
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
    return true;
  };
  return eq(a.decoded.ops, b.decoded.ops) && eq(a.decoded.dsts, b.decoded.dsts) && eq(a.decoded.srcs, b.decoded.srcs) &&
    eq(a.decoded.offs, b.decoded.offs) && eq(a.decoded.imms, b.decoded.imms) && eq(a.mapSlots, b.mapSlots) && eq(a.functions, b.functions);
}
