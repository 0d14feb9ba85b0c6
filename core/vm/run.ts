/**
 * A run: one program of an object, its maps, its context and packet, the environment and
 * what the run collects, set up around a machine. `createRun` hands back the machine for a
 * debugger to step (or to run with `runJit` from core/jit); `runProgram` runs to the end,
 * in the interpreter or, with `jit`, in compiled code. A run sees what BPF_PROG_TEST_RUN would
 * give the same program on the same input (core/vm/context.ts).
 */

import { Diagnostic, error } from '../diag';
import { BpfObject } from '../object';
import { LinkedProgram, linkProgram, listPrograms, ProgramRef } from '../link';
import { helperById } from '../helpers/table';
import { rawHelper } from '../helpers/conformance';
import { BpfMap } from '../maps/base';
import { createMaps, MapSet } from '../maps/create';
import { HelperImpl, Machine, Stop } from './machine';
import { Memory, Region, RegionKind } from './memory';
import { ContextInput, prepareContext, PreparedContext } from './context';
import { DEFAULT_ENV, Host, PacketState, RunEnv, RunEvent, RunOutput } from './host';
import { runJit } from '../jit';

export const DEFAULT_BUDGET = 1_000_000;
/** High half of a map handle (the value an lddw of a map reference leaves in a register). */
export const MAP_HANDLE_HI = 0x7e00;

export interface RunOptions {
  /** A kernel program type name, or `raw`. */
  progType: string;
  input: ContextInput & { mem?: Uint8Array };
  env?: RunEnv;
  budget?: number;
  /** Maps carried over from an earlier run (--repeat, one run per pcap packet). */
  maps?: MapSet;
  emit?: (e: RunEvent) => void;
  /** Run compiled code (core/jit): the same results as the interpreter's, faster. */
  jit?: boolean;
}

export interface RunResult {
  stop: Stop;
  /** r0 at exit (undefined after a fault). */
  r0?: bigint;
  insns: number;
  packet?: Uint8Array;
  output: RunOutput;
  maps: MapSet;
}

export interface Run {
  vm: Machine;
  host: Host;
  /** What the run gave, once the machine has stopped for good. */
  result(): RunResult;
  /**
   * Makes the run ready to go again from its first instruction, as BPF_PROG_TEST_RUN's
   * `repeat` does: maps carry over; the packet, context and memory go back to the input unless
   * `keepMemory` (the kernel keeps them as the last run left them).
   */
  again(opts?: { keepMemory?: boolean }): void;
}

/** Builds maps for an object's declarations (shared by the runs of one invocation); a prog_array's values name its programs. */
export function mapsForObject(obj: BpfObject, env: RunEnv = DEFAULT_ENV): MapSet {
  return createMaps(obj.maps, { nCpus: env.nCpus, programs: listPrograms(obj).map((p) => p.name) });
}

/**
 * linkProgram, once per object and program: the runs of one invocation (--repeat, a pcap, a
 * debug session) share one LinkedProgram, and so one compiled form in the JIT's cache. An
 * object is taken as unchanged once run; a section list or instruction array replaced since
 * is noticed, and linked again.
 */
export function linkCached(obj: BpfObject, ref: ProgramRef): ReturnType<typeof linkProgram> {
  let perObj = linkCache.get(obj);
  if (!perObj) { perObj = new Map(); linkCache.set(obj, perObj); }
  const key = `${ref.section}\0${ref.name}\0${ref.start}\0${ref.end}`;
  const hit = perObj.get(key);
  const shape = obj.sections.map((sec) => sec.insns);
  if (hit && hit.sections === obj.sections && hit.shape.length === shape.length && hit.shape.every((x, k) => x === shape[k] && x.length === hit.lengths[k])) return hit.linked;
  const linked = linkProgram(obj, ref);
  perObj.set(key, { sections: obj.sections, shape, lengths: shape.map((x) => x.length), linked });
  return linked;
}

const linkCache = new WeakMap<BpfObject, Map<string, { sections: unknown; shape: unknown[][]; lengths: number[]; linked: ReturnType<typeof linkProgram> }>>();

export function createRun(obj: BpfObject, ref: ProgramRef, opts: RunOptions): { run?: Run; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const env = opts.env ?? DEFAULT_ENV;
  const linked = linkCached(obj, ref);
  diagnostics.push(...linked.diagnostics);
  let maps = opts.maps;
  if (!maps) {
    maps = mapsForObject(obj, env);
    diagnostics.push(...maps.diagnostics);
  }
  let firstEvent = maps.events.length;
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  const memory = new Memory();
  const output: RunOutput = { printk: [], events: [] };
  for (const m of maps.values()) m.onChange = opts.emit ? (c) => opts.emit!({ kind: 'map', pc: vm.pc, map: c.map }) : undefined;
  const host = new RunHost(obj, memory, maps, env, opts.progType, output, opts.emit);
  const raw = opts.progType === 'raw';
  const helper = (id: number): HelperImpl | undefined => (raw ? rawHelper(id)?.impl : (helperById(id) as { impl?: HelperImpl } | undefined)?.impl);
  const program = linked.program;
  const vm: Machine = new Machine({
    program, memory, host, helper, budget: opts.budget ?? DEFAULT_BUDGET,
    mapAddress: (slot) => host.refAddress(vm.program, slot),
  });

  let prepared: PreparedContext | undefined;
  let memCopy: Uint8Array | undefined;
  if (raw) {
    if (opts.input.mem && opts.input.mem.length) {
      memCopy = Uint8Array.from(opts.input.mem);
      const region = memory.add('mem', 'mem', memCopy, true);
      const a = Memory.address(region, 0);
      vm.lo[1] = a.lo; vm.hi[1] = a.hi; vm.lo[2] = memCopy.length;
    }
  } else {
    const ctx = prepareContext(opts.progType, memory, { ...opts.input, ctxBytes: opts.input.ctxBytes ?? opts.input.mem });
    diagnostics.push(...ctx.diagnostics);
    if (!ctx.prepared || ctx.diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
    prepared = ctx.prepared;
    host.packet = prepared.packet;
    vm.lo[1] = prepared.r1.lo; vm.hi[1] = prepared.r1.hi;
  }
  // What `again` puts back: the entry registers, and the input bytes with the packet's bounds.
  const entryLo = vm.lo.slice(), entryHi = vm.hi.slice();
  const saved = [prepared?.ctx, prepared?.packet?.region].filter((r): r is Region => r !== undefined)
    .map((r) => ({ r, bytes: r.bytes.slice(), lowOff: r.lowOff, highOff: r.highOff }));
  const savedMem = memCopy?.slice();
  const savedPacket = prepared?.packet ? { ...prepared.packet } : undefined;
  const run: Run = {
    vm,
    host,
    again: (o = {}) => {
      vm.restart(entryLo, entryHi);
      if (output.printk.length) output.printk = [];
      if (output.events.length) output.events = [];
      firstEvent = maps!.events.length;
      if (o.keepMemory) return;
      for (const x of saved) { x.r.bytes.set(x.bytes); x.r.lowOff = x.lowOff; x.r.highOff = x.highOff; }
      if (memCopy && savedMem) memCopy.set(savedMem);
      if (prepared?.packet && savedPacket) Object.assign(prepared.packet, savedPacket);
    },
    result: () => {
      const stop = vm.done ?? { reason: 'step', pc: vm.pc };
      output.events = maps!.events.slice(firstEvent).map((e) => ({ map: e.map, data: e.data }));
      return {
        stop,
        r0: stop.reason === 'exit' ? vm.reg(0) : undefined,
        insns: vm.insnCount,
        packet: prepared?.packetOut() ?? memCopy,
        output,
        maps: maps!,
      };
    },
  };
  return { run, diagnostics };
}

/** Runs a program to its end. */
export function runProgram(obj: BpfObject, ref: ProgramRef, opts: RunOptions): { result?: RunResult; diagnostics: Diagnostic[] } {
  const { run, diagnostics } = createRun(obj, ref, opts);
  if (!run) return { diagnostics };
  if (opts.jit) runJit(run.vm); else run.vm.run();
  return { result: run.result(), diagnostics };
}

/** The one program of an object, or the one a selector names. */
export function selectProgram(obj: BpfObject, sel: { section?: string; program?: string }): ProgramRef | Diagnostic {
  const all = listPrograms(obj);
  const hits = all.filter((p) => (!sel.section || p.section === sel.section) && (!sel.program || p.name === sel.program));
  if (hits.length === 1) return hits[0];
  const list = all.map((p) => (p.name === p.section ? p.section : `${p.section}/${p.name}`)).join(', ') || 'none';
  if (hits.length === 0) return error('select', `no program matches${sel.section ? ` section ${sel.section}` : ''}${sel.program ? ` name ${sel.program}` : ''} (programs: ${list})`);
  return error('select', `the file holds several programs; choose one with --section or --program (programs: ${list})`);
}

class RunHost implements Host {
  packet?: PacketState;
  private handles: BpfMap[];
  private regions = new WeakMap<Uint8Array, Region>();
  private rng: number;
  private linked = new Map<string, LinkedProgram>();

  constructor(
    private obj: BpfObject,
    private memory: Memory,
    readonly maps: Map<string, BpfMap>,
    readonly env: RunEnv,
    readonly progType: string,
    readonly output: RunOutput,
    readonly emit?: (e: RunEvent) => void,
  ) {
    this.handles = [...maps.values()];
    this.rng = env.seed >>> 0 || 1;
  }

  mapAt(lo: number, hi: number): BpfMap | undefined {
    return hi === MAP_HANDLE_HI ? this.handles[lo] : undefined;
  }

  mapHandle(map: BpfMap): { lo: number; hi: number } {
    let k = this.handles.indexOf(map);
    if (k < 0) { this.handles.push(map); k = this.handles.length - 1; } // an inner map met through a map-in-map
    return { lo: k, hi: MAP_HANDLE_HI };
  }

  /** The value an lddw at this slot loads: a map's handle, or an address in its value. */
  refAddress(program: LinkedProgram, slot: number): { lo: number; hi: number } | undefined {
    const ref = program.mapRefs.get(slot);
    if (!ref) return undefined;
    const map = this.maps.get(ref.map);
    if (!map) return undefined;
    if (ref.kind === 'map') return this.mapHandle(map);
    // BPF_PSEUDO_MAP_VALUE: the address of element 0 of an array map, plus the offset.
    const value = map.lookup(new Uint8Array(4), this.env.cpu);
    if (!value) return undefined;
    const a = this.addressOf(value, `map_value(${map.name})`, 'map_value', true);
    return { lo: (a.lo + ref.offset) | 0, hi: a.hi };
  }

  addressOf(bytes: Uint8Array, name: string, kind: RegionKind, writable: boolean): { lo: number; hi: number } {
    let r = this.regions.get(bytes);
    if (!r) {
      r = this.memory.add(name, kind, bytes, writable);
      this.regions.set(bytes, r);
    }
    return Memory.address(r, 0);
  }

  release(bytes: Uint8Array): void {
    const r = this.regions.get(bytes);
    if (r) { this.memory.remove(r); this.regions.delete(bytes); }
  }

  /** xorshift32: reproducible from env.seed. */
  random(): number {
    let x = this.rng;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  tailCallTarget(map: BpfMap, index: number): LinkedProgram | undefined {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, index >>> 0, true);
    const name = map.lookupRef(key);
    if (!name) return undefined;
    let p = this.linked.get(name);
    if (!p) {
      const ref = listPrograms(this.obj).find((x) => x.name === name || x.section === name);
      if (!ref) return undefined;
      p = linkCached(this.obj, ref).program;
      this.linked.set(name, p);
    }
    return p;
  }
}
