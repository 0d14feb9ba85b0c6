/**
 * Runs one test case: the machinery of `run` (createRun, maps from JSON, the classic
 * interpreter) on inputs the caller has already read into bytes and values. A capture with
 * no index runs packet by packet, maps carried over, and stops at the first fault, as
 * `run --pcap` does. What the run gave comes back in the shape `compareOutcome` reads, with
 * the instruction where the last run stopped and its source line.
 *
 * An input the run cannot take (unknown map, a context field the type lacks, a packet the
 * kernel would refuse) is a problem, not a failure: it names the field of the case at fault.
 */

import { BpfObject, SourcePos } from '../object';
import { ProgramRef } from '../link';
import { hasErrors, Span } from '../diag';
import { CInsn } from '../cbpf/opcodes';
import { createCbpfMachine } from '../cbpf/run';
import { runJit } from '../jit';
import { loadMapsJson, MapsJson, mapsToJson } from '../maps/json';
import { toHex } from '../maps/base';
import { DEFAULT_ENV, RunEnv } from '../vm/host';
import { createRun, DEFAULT_BUDGET, mapsForObject, RunResult } from '../vm/run';

export type CaseTarget =
  | { kind: 'ebpf'; obj: BpfObject; ref: ProgramRef; progType: string }
  /** Classic BPF, run as `run` runs it by default: tcpdump's interpreter, on the frame. */
  | { kind: 'cbpf'; insns: readonly CInsn[]; lines: readonly (Span | undefined)[] };

export interface ResolvedInput {
  /** One run per packet, in order; `[undefined]` for one run without a packet. */
  packets: (Uint8Array | undefined)[];
  ctx?: Record<string, unknown>;
  mem?: Uint8Array;
  /** Initial map contents, in the shape of `run --json`'s `maps`. */
  maps?: unknown;
  env?: RunEnv;
  budget?: number;
  jit?: boolean;
}

export interface CaseOutcome {
  exit: 'ok' | 'fault';
  r0?: bigint;
  /** The fault's message. */
  error?: string;
  /** The packet after the last run (for `raw`, its memory). */
  packet?: Uint8Array;
  maps: MapsJson;
  /** Ringbuf and perf-event records of every run, in order. */
  events: { map: string; data: string }[];
  /** The slot the last run stopped at: the exit reached, or the instruction that faulted. */
  insn: number;
  pos?: SourcePos;
  /** How many runs there were (one per packet of a capture, up to a fault). */
  runs: number;
}

export interface CaseProblem {
  /** The field of the case at fault, as `fieldSpan` takes it (`input.maps`). */
  field: string;
  message: string;
}

export function runCase(target: CaseTarget, input: ResolvedInput): CaseOutcome | CaseProblem {
  return target.kind === 'cbpf' ? runClassic(target, input) : runEbpf(target, input);
}

export function isProblem(r: CaseOutcome | CaseProblem): r is CaseProblem {
  return 'message' in r && 'field' in r;
}

function runEbpf(t: Extract<CaseTarget, { kind: 'ebpf' }>, input: ResolvedInput): CaseOutcome | CaseProblem {
  const env = input.env ?? DEFAULT_ENV;
  const maps = mapsForObject(t.obj, env);
  if (hasErrors(maps.diagnostics)) return { field: '', message: maps.diagnostics.find((d) => d.severity === 'error')!.message };
  if (input.maps !== undefined) {
    const diags = loadMapsJson(maps, input.maps);
    if (hasErrors(diags)) return { field: 'input.maps', message: diags.filter((d) => d.severity === 'error').map((d) => d.message).join('; ') };
  }
  const events: CaseOutcome['events'] = [];
  let last: { result: RunResult; lines: readonly (SourcePos | undefined)[] } | undefined;
  let runs = 0;
  for (const [k, packet] of input.packets.entries()) {
    const { run, diagnostics } = createRun(t.obj, t.ref, {
      progType: t.progType, env, budget: input.budget ?? DEFAULT_BUDGET, maps,
      input: { packet, mem: input.mem, ctxFields: input.ctx },
    });
    if (!run) {
      const why = diagnostics.find((d) => d.severity === 'error')?.message ?? 'cannot run';
      return { field: 'input', message: input.packets.length > 1 ? `packet ${k}: ${why}` : why };
    }
    if (input.jit) runJit(run.vm); else run.vm.run();
    const result = run.result();
    events.push(...result.output.events.map((e) => ({ map: e.map, data: toHex(e.data) })));
    last = { result, lines: run.vm.program.lines };
    runs++;
    if (result.stop.reason !== 'exit') break;
  }
  const { result, lines } = last!;
  const ok = result.stop.reason === 'exit';
  return {
    exit: ok ? 'ok' : 'fault',
    ...(ok ? { r0: result.r0 } : { error: result.stop.message ?? result.stop.reason }),
    packet: result.packet,
    maps: mapsToJson(maps),
    events,
    insn: result.stop.pc,
    pos: lines[result.stop.pc],
    runs,
  };
}

function runClassic(t: Extract<CaseTarget, { kind: 'cbpf' }>, input: ResolvedInput): CaseOutcome | CaseProblem {
  for (const field of ['ctx', 'mem', 'maps', 'env'] as const) {
    if (input[field] !== undefined) return { field: `input.${field}`, message: `classic BPF takes a packet only, not "${field}"` };
  }
  let outcome: CaseOutcome | undefined;
  for (const [k, packet] of input.packets.entries()) {
    const m = createCbpfMachine(t.insns, packet ?? new Uint8Array(0));
    const verdict = m.run(input.budget);
    // A ret leaves pc one past itself; a fault leaves it on the instruction at fault.
    const insn = m.state.fault ? m.state.pc : m.state.pc - 1;
    outcome = {
      exit: m.state.fault ? 'fault' : 'ok',
      ...(m.state.fault ? { error: m.state.fault } : { r0: BigInt(verdict) }),
      packet, maps: {}, events: [], insn, pos: t.lines[insn], runs: k + 1,
    };
    if (m.state.fault) break;
  }
  return outcome!;
}
