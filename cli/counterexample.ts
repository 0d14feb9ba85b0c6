/** `verify --counterexample`: an input for each rejected program (core/counterexample), with Z3 as the solver. */

import { BpfObject } from '../core/object';
import { ProgramRef } from '../core/link';
import { VerifyResult } from '../core/verifier';
import { Counterexample, findCounterexample } from '../core/counterexample';
import { closeSolver, z3Solver } from '../core/counterexample/z3';

export async function counterexamples<C extends { ref: ProgramRef; progType: string; result: VerifyResult }>(object: BpfObject, checked: C[]): Promise<Map<C, Counterexample>> {
  const out = new Map<C, Counterexample>();
  try {
    for (const c of checked) {
      if (c.result.accepted) continue;
      out.set(c, await findCounterexample({ object, ref: c.ref, progType: c.progType, result: c.result }, z3Solver));
    }
  } finally {
    await closeSolver();
  }
  return out;
}

/** One line for the terminal. */
export function describeCounterexample(c: Counterexample): string {
  if ('infeasible' in c) return `no run gets there: ${c.infeasible}`;
  if ('unknown' in c) return `counterexample: none found (${c.unknown})`;
  const parts: string[] = [];
  if (c.packet !== undefined) parts.push(`--packet ${c.packet}`);
  if (c.ctx && Object.keys(c.ctx).length) parts.push(`--ctx '${JSON.stringify(c.ctx)}'`);
  if (c.maps) parts.push(`maps ${JSON.stringify(c.maps)}`);
  if (c.env) parts.push(`env ${JSON.stringify(c.env)}`);
  const what = c.run === 'faults' ? 'the run faults there' : 'the run reaches it';
  return `counterexample (${what}): ${parts.join(' ') || 'any input'}`;
}
