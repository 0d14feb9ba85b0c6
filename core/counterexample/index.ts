/**
 * core/counterexample: for a program the verifier rejects, an input that drives the VM to
 * the failing instruction in the state the verifier objected to, or the news that no input
 * can (the verifier was conservative). `verify --counterexample` and the editor's "Debug
 * this error" ask for it.
 *
 * The search runs the verifier's path symbolically (symbolic.ts), solves its conditions with
 * Z3 (z3.ts), and checks the answer by running the VM on it from the start: the answer says
 * whether the run faults at the failing instruction or reaches it, and is never given
 * unchecked.
 */

import { BpfObject } from '../object';
import { linkProgram, ProgramRef } from '../link';
import { VerifyResult } from '../verifier/verify';
import { createRun } from '../vm/run';
import { loadMapsJson, MapsJson } from '../maps/json';
import { mapsForObject } from '../vm/run';
import { hasErrors } from '../diag';
import { ctxFieldAt } from '../progtypes/contexts';
import { evalCond, evalTerm } from './term';
import { ctxByte, envVarName, pktByte, PACKET_LEN, runSymbolic, SymbolicPath } from './symbolic';
import { parseEnvJson, parseHex } from '../input/parse';
import { toHex } from '../maps/base';
import { DEFAULT_ENV } from '../vm/host';
import { Labelled, Solver } from './z3';

/** An input in the shape of `run`'s options (DESIGN.md, `verify --counterexample`). */
export interface CounterexampleInput {
  packet?: string;
  ctx?: Record<string, number | string | (number | string)[]>;
  maps?: MapsJson;
  /** The environment fields the path read (the shape of `run --env`); the others keep their defaults. */
  env?: Record<string, number | string>;
}

export type Counterexample =
  | (CounterexampleInput & {
    /** What the VM did with it, from the start: faulted at the failing instruction, or reached it. */
    run: 'faults' | 'reaches';
    /** Values the search fixed rather than solved for, where there were any. */
    assumptions?: string[];
  })
  /** No run gets there: the verifier's objection cannot happen. */
  | { infeasible: string }
  /** The search could not answer either way. */
  | { unknown: string };

const MAX_PATH_STEPS = 100_000;

export interface CounterexampleRequest {
  object: BpfObject;
  ref: ProgramRef;
  progType: string;
  result: VerifyResult;
}

export async function findCounterexample(req: CounterexampleRequest, solver: Solver): Promise<Counterexample> {
  const r = req.result;
  if (r.accepted || r.insnIdx === undefined || r.errorStep === undefined || !r.message) return { unknown: 'the program is not rejected at an instruction' };
  // A symbolic run costs far more per step than the VM: paths longer than this are left alone
  // rather than keep an editor's request (or the CLI) busy for minutes.
  if (r.errorStep > MAX_PATH_STEPS) return { unknown: `the rejected path runs ${r.errorStep.toLocaleString('en')} instructions; the search follows at most ${MAX_PATH_STEPS.toLocaleString('en')}` };
  if (r.message.startsWith('BPF program is too large') || r.message.startsWith('infinite loop')) {
    return { unknown: 'the verifier stopped on the size of its walk, not on a state a run can reach' };
  }
  const { program, diagnostics } = linkProgram(req.object, req.ref);
  if (hasErrors(diagnostics)) return { unknown: diagnostics[0].message };
  const path = await runSymbolic({
    program, progType: req.progType, maps: req.object.maps, path: r.path, errorStep: r.errorStep, failPc: r.insnIdx, message: r.message,
  }, solver);
  const lineOf = (pc: number) => { const p = program.lines[pc]; return p ? `line ${p.line + 1}` : `insn ${pc}`; };
  if (path.infeasibleAt) {
    if (path.assumptions.length) return { unknown: `no input found once ${path.assumptions.join(', ')}` };
    const at = path.infeasibleAt;
    const reasons = at.after.filter((l) => !isInputLimit(l));
    return {
      infeasible: `no input takes the verifier's path: the jump at ${lineOf(at.insnIdx)} is ${at.taken ? 'never' : 'always'} taken` +
        (reasons.length ? ` once ${reasons.join('; ')}` : ' whatever the input') + inputRules(await neededRules(path.constraints, path.vars, at.after, solver)),
    };
  }
  if (path.stopped) return { unknown: path.stopped };
  const constraints = path.objection ? [...path.constraints, path.objection] : path.constraints;
  const solved = await solver.solve(constraints, path.vars);
  if (solved.sat === 'unknown') return { unknown: `the solver gave up: ${solved.reason}` };
  if (solved.sat === false) {
    if (path.assumptions.length) return { unknown: `no input found once ${path.assumptions.join(', ')}` };
    return {
      infeasible: (path.objection && !solved.core.some((l) => l !== path.objection!.label && !isInputLimit(l)) ? `every run that gets there is safe: ${path.objection.label} cannot happen`
        : `the verifier's objection (${path.objection?.label ?? 'reaching it'}) cannot happen: ${whyNot(solved.core)}`) +
        inputRules(await neededRules(constraints, path.vars, solved.core, solver)),
    };
  }
  const input = inputOf(path, solved.model);
  const run = checkInput(req, input);
  if (!run) return { unknown: `the input found does not drive the VM to insn ${r.insnIdx} (a helper's result or a context field the input cannot set differs)` };
  return { ...input, run, ...(path.assumptions.length ? { assumptions: path.assumptions } : {}) };
}

function isInputLimit(label: string): boolean {
  return /^a frame|^an IPv/.test(label);
}

/** The unsat core in words: which of the path's conditions cannot hold together. */
function whyNot(core: string[]): string {
  const parts = core.filter((l) => !isInputLimit(l));
  return parts.length ? `these cannot all hold: ${parts.join('; ')}` : 'no packet is long enough';
}

/** The rules on test-run inputs a proof leaned on: without them, a real packet might get there. */
function inputRules(rules: string[]): string {
  return rules.length ? ` (under BPF_PROG_TEST_RUN's rules for input: ${rules.join('; ')})` : '';
}

/** The input rules of an unsat core that the proof needs: a solver's core need not be minimal. */
async function neededRules(constraints: readonly Labelled[], vars: SymbolicPath['vars'], core: string[], solver: Solver): Promise<string[]> {
  let kept = constraints;
  const needed: string[] = [];
  // The length limit is every standard Ethernet frame's, not a rule of the test run alone.
  for (const rule of core.filter((l) => isInputLimit(l) && !/^a frame of at most/.test(l))) {
    const without = kept.filter((c) => c.label !== rule);
    if ((await solver.solve(without, vars)).sat === false) kept = without;
    else needed.push(rule);
  }
  return needed;
}

const hex = (bytes: Iterable<bigint | number>) => toHex(Uint8Array.from(bytes, Number));

function inputOf(path: SymbolicPath, model: Map<string, bigint | boolean>): CounterexampleInput {
  const byte = (name: string) => Number((model.get(name) as bigint | undefined) ?? 0n);
  const input: CounterexampleInput = {};
  if (path.packet) {
    const len = Number(model.get(PACKET_LEN) ?? 64n);
    input.packet = hex(Array.from({ length: len }, (_, i) => byte(pktByte(i))));
  }
  if (path.ctx) {
    const bytes = Array.from({ length: path.ctx.size }, (_, i) => byte(ctxByte(i)));
    const fields: NonNullable<CounterexampleInput['ctx']> = {};
    for (let off = 0; off < bytes.length; off++) {
      const at = ctxFieldAt(path.ctx, off);
      if (!at) continue;
      const f = at.field;
      const k = at.index ?? 0;
      const start = f.off + k * f.size;
      if (start !== off) continue;
      let v = 0n;
      for (let j = f.size - 1; j >= 0; j--) v = (v << 8n) | BigInt(bytes[start + j]);
      if (f.count) {
        const arr = (fields[f.name] as (number | string)[] | undefined) ?? Array(f.count).fill(0);
        arr[k] = jsonNumber(v);
        fields[f.name] = arr;
      } else if (v !== 0n || (path.packet && path.vars.has(ctxByte(start)))) {
        // A packet program's field keeps the test run's default unless the input names it, even as 0.
        fields[f.name] = jsonNumber(v);
      }
    }
    for (const [name, v] of Object.entries(fields)) if (Array.isArray(v) && v.every((x) => x === 0)) delete fields[name];
    if (!path.packet || Object.keys(fields).length) input.ctx = fields;
  }
  const maps: MapsJson = {};
  for (const l of path.lookups) {
    if (!evalCond(l.present, model)) continue;
    const entry = { key: hex(l.key.map((t) => evalTerm(t, model))), value: hex(l.initial.map((t) => evalTerm(t, model))) };
    const m = (maps[l.map.name] ??= { type: l.map.type, entries: [] });
    if (!m.entries.some((e) => e.key === entry.key)) m.entries.push(entry);
  }
  if (Object.keys(maps).length) input.maps = maps;
  if (path.env.size) {
    input.env = {};
    for (const name of [...path.env].sort()) {
      const v = BigInt((model.get(envVarName(name)) as bigint | undefined) ?? 0n);
      input.env[name] = name === 'timeNs' || name === 'bootTimeNs' || name === 'jiffies' ? v.toString() : Number(v);
    }
  }
  return input;
}

/** Numbers past 2^53 as decimal strings, which --ctx also takes. */
function jsonNumber(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** Runs the VM on the input: 'faults' at the failing instruction, 'reaches' it, or undefined. */
export function checkInput(req: CounterexampleRequest, input: CounterexampleInput): 'faults' | 'reaches' | undefined {
  const failPc = req.result.insnIdx!;
  const env = input.env ? parseEnvJson(JSON.stringify(input.env)) : DEFAULT_ENV;
  if (typeof env === 'string') return undefined;
  const packet = input.packet !== undefined ? parseHex(input.packet) : undefined;
  if (typeof packet === 'string') return undefined;
  const attempt = (breakAt?: number) => {
    const maps = mapsForObject(req.object, env);
    if (input.maps && hasErrors(loadMapsJson(maps, input.maps))) return undefined;
    const { run } = createRun(req.object, req.ref, { progType: req.progType, maps, env, input: { packet, ctxFields: input.ctx } });
    if (!run) return undefined;
    return run.vm.run(breakAt === undefined ? {} : { breakpoints: new Set([breakAt]) });
  };
  const whole = attempt();
  if (whole?.reason === 'fault' && whole.pc === failPc) return 'faults';
  if (failPc === 0) return 'reaches';
  const stop = attempt(failPc);
  return stop?.reason === 'breakpoint' && stop.pc === failPc ? 'reaches' : undefined;
}
