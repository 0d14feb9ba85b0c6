/**
 * The solver behind counterexamples: Z3 (the z3-solver package, Z3 compiled to WebAssembly),
 * over the bit-vector terms of term.ts. Z3 decides bit-vector formulas exactly, so an
 * "unsat" is a proof that no input takes the path: what lets us tell a user that the
 * verifier's objection cannot happen at run time.
 *
 * Loaded on first use (it takes a few hundred milliseconds) and shared after that. Like
 * core/kernel, this file reaches outside core's pure computation (Z3 loads its WebAssembly
 * and runs threads); everything else in core/counterexample is plain.
 */

import type { BitVec, Bool as Z3Bool, BitVecNum, Context } from 'z3-solver';
import { Cond, Term } from './term';

export type SolveResult =
  | { sat: true; model: Map<string, bigint | boolean> }
  /** `core`: the labels of the constraints that cannot hold together (an unsat core). */
  | { sat: false; core: string[] }
  | { sat: 'unknown'; reason: string };

/** A constraint and a label naming where it came from (for the unsat core). */
export interface Labelled {
  cond: Cond;
  label: string;
}

export interface Solver {
  solve(constraints: readonly Labelled[], vars: ReadonlyMap<string, number | 'bool'>): Promise<SolveResult>;
}

let shared: Promise<{ ctx: Context<'cex'>; close(): void }> | undefined;

async function z3(): Promise<{ ctx: Context<'cex'>; close(): void }> {
  shared ??= (async () => {
    const { init } = await import('z3-solver');
    // Emscripten reports each worker thread that answers after closeSolver() ended it; that is
    // the expected end of a run, not something to show a user. Anything else Z3 prints goes on.
    const api = await init({ printErr: (text: string) => { if (!/command from terminated worker/.test(text)) console.error(text); } });
    return { ctx: api.Context('cex'), close: () => api.em.PThread.terminateAllThreads() };
  })();
  return shared;
}

/** Stops Z3's threads so that a process (the CLI, a test) can exit. */
export async function closeSolver(): Promise<void> {
  if (!shared) return;
  const s = await shared;
  shared = undefined;
  s.close();
}

export const z3Solver: Solver = {
  async solve(constraints, vars) {
    const { ctx } = await z3();
    const solver = new ctx.Solver();
    solver.set('timeout', 20_000);
    const translate = translator(ctx);
    constraints.forEach((c, k) => solver.addAndTrack(translate.cond(c.cond), `c${k}`));
    const verdict = await solver.check();
    if (verdict === 'unknown') return { sat: 'unknown', reason: solver.reasonUnknown?.() ?? 'the solver gave up' };
    if (verdict === 'unsat') {
      const core = solver.unsatCore();
      const labels: string[] = [];
      for (let i = 0; i < core.length(); i++) {
        const k = Number(/^c(\d+)$/.exec(core.get(i).toString())?.[1]);
        if (Number.isInteger(k) && constraints[k]) labels.push(constraints[k].label);
      }
      return { sat: false, core: labels };
    }
    const m = solver.model();
    const model = new Map<string, bigint | boolean>();
    for (const [name, w] of vars) {
      const v = m.eval(w === 'bool' ? ctx.Bool.const(name) : ctx.BitVec.const(name, w), true);
      if (w === 'bool') model.set(name, v.toString() === 'true');
      else model.set(name, (v as BitVecNum<number, 'cex'>).value());
    }
    return { sat: true, model };
  },
};

type Bits = BitVec<number, 'cex'>;
type Bool = Z3Bool<'cex'>;

function translator(ctx: Context<'cex'>) {
  const terms = new Map<Term, Bits>();
  const conds = new Map<Cond, Bool>();
  const term = (t: Term): Bits => {
    let e = terms.get(t);
    if (e) return e;
    e = build(t);
    terms.set(t, e);
    return e;
  };
  const build = (t: Term): Bits => {
    switch (t.op) {
      case 'const': return ctx.BitVec.val(t.v, t.w);
      case 'var': return ctx.BitVec.const(t.name, t.w);
      case 'not': return term(t.a).not();
      case 'zext': return term(t.a).zeroExt(t.w - t.a.w);
      case 'sext': return term(t.a).signExt(t.w - t.a.w);
      case 'extract': return term(t.a).extract(t.lo + t.w - 1, t.lo);
      case 'concat': return ctx.Concat(term(t.hi), term(t.lo));
      case 'ite': return ctx.If(cond(t.c), term(t.a), term(t.b)) as Bits;
      case 'bin': {
        const a = term(t.a), b = term(t.b);
        switch (t.fn) {
          case 'add': return a.add(b);
          case 'sub': return a.sub(b);
          case 'mul': return a.mul(b);
          case 'udiv': return a.udiv(b);
          case 'urem': return a.urem(b);
          case 'sdiv': return a.sdiv(b);
          case 'srem': return a.srem(b);
          case 'and': return a.and(b);
          case 'or': return a.or(b);
          case 'xor': return a.xor(b);
          case 'shl': return a.shl(b);
          case 'lshr': return a.lshr(b);
          case 'ashr': return a.shr(b);
        }
      }
    }
  };
  const cond = (c: Cond): Bool => {
    let e = conds.get(c);
    if (e) return e;
    e = buildCond(c);
    conds.set(c, e);
    return e;
  };
  const buildCond = (c: Cond): Bool => {
    switch (c.op) {
      case 'true': return ctx.Bool.val(true);
      case 'false': return ctx.Bool.val(false);
      case 'bvar': return ctx.Bool.const(c.name);
      case 'bnot': return cond(c.a).not();
      case 'band': return cond(c.a).and(cond(c.b));
      case 'bor': return cond(c.a).or(cond(c.b));
      case 'cmp': {
        const a = term(c.a), b = term(c.b);
        switch (c.fn) {
          case 'eq': return a.eq(b);
          case 'ne': return a.neq(b);
          case 'ult': return a.ult(b);
          case 'ule': return a.ule(b);
          case 'ugt': return a.ugt(b);
          case 'uge': return a.uge(b);
          case 'slt': return a.slt(b);
          case 'sle': return a.sle(b);
          case 'sgt': return a.sgt(b);
          case 'sge': return a.sge(b);
        }
      }
    }
  };
  return { term, cond };
}
