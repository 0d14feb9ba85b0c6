/**
 * core/verifier: our verifier, meant to give Linux 6.18's verdict (privileged) in the
 * kernel's words, on the instruction that causes it. It never throws on a program: every
 * refusal is a result. See verify.ts for the walk, step.ts and its neighbours for the rules.
 */

import { BpfObject } from '../object';
import { linkProgram, ProgramRef } from '../link';
import { verifyProgram, VerifyResult } from './verify';

export { verifyProgram, VerifyResult, VerifyOptions, RegStrings, COMPLEXITY_LIMIT } from './verify';

/** Links one program of an object (its subprograms appended, as libbpf does) and verifies it. */
export function verifyObjectProgram(obj: BpfObject, ref: ProgramRef, opts: { progType: string; attachType?: string; license?: string }): VerifyResult {
  const { program } = linkProgram(obj, ref);
  return verifyProgram(program, { progType: opts.progType, attachType: opts.attachType, license: opts.license ?? obj.license, maps: obj.maps });
}
