/**
 * The verifier's differential fuzzer (issue #4): programs from test/gen/verifierPrograms.ts,
 * built to sit near the verifier's rules, are judged by the running kernel and by our
 * verifier. This file checks that
 *
 *   - every generated program assembles, and our verifier gives each a verdict without
 *     throwing or reporting an internal error (always);
 *   - our verdicts agree with the kernel's no less often than before, a ratchet like the
 *     corpus test's floors (where bpf(2) is permitted; skipped, saying why, elsewhere);
 *   - soundness: every program our verifier accepts runs in our VM, on several random
 *     packets, without a fault (always). A fault means we accepted something unsafe.
 *
 * `npm test` runs EBPF_VFUZZ_COUNT programs (default 300) from EBPF_VFUZZ_SEED (default 1);
 * scripts/verifier-fuzz.mjs runs 20,000 and groups the disagreements by message.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { BpfObject } from '../../core/object';
import { listPrograms } from '../../core/link';
import { verifyObjectProgram } from '../../core/verifier';
import { runProgram } from '../../core/vm/run';
import { kernelAvailable } from '../../core/kernel';
import { rng } from '../gen';
import { VerifierFuzzProgram, generateVerifierProgram, soundnessInputs } from '../gen/verifierPrograms';
import { kernelVerdict } from './kernelVerdict';

const COUNT = Number(process.env.EBPF_VFUZZ_COUNT ?? 300);
const SEED = Number(process.env.EBPF_VFUZZ_SEED ?? 1);

/**
 * FIXME(#4): our verifier does not yet agree with the kernel on every generated program. The
 * agreement may only go up: these floors (percentages) are the lower of what it reached on
 * the default 300 programs and on scripts/verifier-fuzz.mjs's 20,000 (seed 1) when last
 * raised, so either run fails on a change that lowers it. The goal is 100% of verdicts, and
 * of messages as many as the corpus reaches.
 */
const VERDICT_FLOOR_PCT = 99.9; // 300 programs: 100%; 20,000: 99.91%
const MESSAGE_FLOOR_PCT = 95.4; // 300 programs: 95.45%; 20,000: 96.61%
/** Disagreements listed one a line; past this many, scripts/verifier-fuzz.mjs groups them better. */
const MAX_LISTED = 60;

interface Verdict {
  result: 'accept' | 'reject';
  error?: string;
}

interface Judged {
  n: number;
  program: VerifierFuzzProgram;
  object: BpfObject;
  ours: Verdict;
  inputs: ReturnType<typeof soundnessInputs>;
}

/** Our verdict; a thrown exception becomes an `internal verifier error` reject, as the verifier itself words them. */
function ourVerdict(obj: BpfObject, progType: string): Verdict {
  try {
    const res = verifyObjectProgram(obj, listPrograms(obj)[0], { progType });
    return res.accepted ? { result: 'accept' } : { result: 'reject', error: res.message ?? '' };
  } catch (e) {
    return { result: 'reject', error: `internal verifier error (thrown): ${e instanceof Error ? e.stack ?? e.message : String(e)}` };
  }
}

const pct = (a: number, b: number) => (b ? (100 * a) / b : 100);
const show = (v: Verdict) => (v.result === 'accept' ? 'accept' : `reject (${v.error})`);

// Generated and judged by our verifier once, at load: the three tests share them.
const judged: Judged[] = [];
const broken: string[] = [];
{
  const r = rng(SEED);
  for (let n = 0; n < COUNT; n++) {
    const program = generateVerifierProgram(r);
    const inputs = soundnessInputs(r, program.progType);
    const { object, diagnostics } = assemble(program.text);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) broken.push(`#${n} does not assemble: ${errors.map((d) => d.message).join('; ')}\n${program.text}`);
    else judged.push({ n, program, object, ours: ourVerdict(object, program.progType), inputs });
  }
}

test(`${COUNT} generated programs assemble and our verifier judges them without crashing`, () => {
  assert.deepEqual(broken, [], 'the generator wrote programs that do not assemble');
  const crashes = judged
    .filter((j) => j.ours.error?.startsWith('internal verifier error'))
    .map((j) => `#${j.n} (${j.program.progType}, ${j.program.family}): ${j.ours.error}\n${j.program.text}`);
  assert.deepEqual(crashes, [], 'our verifier crashed');
});

const kernel = kernelAvailable();
const kernelSkip = kernel.ok ? undefined : `bpf(2) is not permitted here: ${kernel.reason}`;

test(`our verifier agrees with the kernel on ${COUNT} generated programs (no lower than before)`, { skip: kernelSkip }, (t) => {
  let verdicts = 0, rejects = 0, messages = 0, kernelAccepts = 0;
  const perFamily = new Map<string, { n: number; verdicts: number }>();
  const mismatches: string[] = [];
  const problems: string[] = [];
  for (const j of judged) {
    const k = kernelVerdict({ comment: [], asm: j.program.text, progType: j.program.progType, asmLine: 0 });
    if ('unavailable' in k || 'broken' in k) {
      problems.push(`#${j.n}: the kernel could not judge it: ${'unavailable' in k ? k.unavailable : k.broken}`);
      continue;
    }
    const fam = perFamily.get(j.program.family) ?? { n: 0, verdicts: 0 };
    perFamily.set(j.program.family, fam);
    fam.n++;
    if (k.result === 'accept') kernelAccepts++;
    if (k.result === j.ours.result) { verdicts++; fam.verdicts++; }
    if (k.result === 'reject') {
      rejects++;
      if (j.ours.result === 'reject' && j.ours.error === k.error) messages++;
    }
    if (k.result !== j.ours.result || k.error !== j.ours.error) {
      mismatches.push(`#${j.n} ${j.program.progType} (${j.program.family}): kernel ${show(k)}, ours ${show(j.ours)}`);
    }
  }
  assert.deepEqual(problems, []);
  const compared = judged.length;
  const verdictPct = pct(verdicts, compared);
  const messagePct = pct(messages, rejects);
  t.diagnostic(`seed ${SEED}: ${compared} programs, the kernel accepts ${kernelAccepts}`);
  t.diagnostic(`verdicts agree on ${verdicts}/${compared} (${verdictPct.toFixed(2)}%), messages on ${messages}/${rejects} kernel rejects (${messagePct.toFixed(2)}%)`);
  t.diagnostic(`verdicts per family: ${[...perFamily].sort(([a], [b]) => a.localeCompare(b)).map(([f, s]) => `${f} ${s.verdicts}/${s.n}`).join(', ')}`);
  for (const m of mismatches.slice(0, MAX_LISTED)) t.diagnostic(m);
  if (mismatches.length > MAX_LISTED) t.diagnostic(`... and ${mismatches.length - MAX_LISTED} more (scripts/verifier-fuzz.mjs groups them by message)`);
  assert.ok(verdictPct >= VERDICT_FLOOR_PCT, `verdicts agree on ${verdictPct.toFixed(2)}%, less than the floor of ${VERDICT_FLOOR_PCT}%`);
  assert.ok(messagePct >= MESSAGE_FLOOR_PCT, `messages agree on ${messagePct.toFixed(2)}%, less than the floor of ${MESSAGE_FLOOR_PCT}%`);
});

test(`every generated program our verifier accepts runs in the VM without a fault`, (t) => {
  let accepted = 0;
  const faults: string[] = [];
  for (const j of judged) {
    if (j.ours.result !== 'accept') continue;
    accepted++;
    for (const input of j.inputs) {
      const run = runProgram(j.object, listPrograms(j.object)[0], { progType: j.program.progType, input });
      const stop = run.result?.stop;
      if (stop?.reason === 'exit') continue;
      const why = stop ? `${stop.reason} at insn ${stop.pc}: ${stop.message ?? ''}` : `the run could not start: ${run.diagnostics.map((d) => d.message).join('; ')}`;
      const data = input.packet ? `packet ${Buffer.from(input.packet).toString('hex')}` : `ctx ${Buffer.from(input.ctxBytes ?? []).toString('hex')}`;
      faults.push(`#${j.n} ${j.program.progType} (${j.program.family}): ${why}\n${j.program.text}${data}`);
      break;
    }
  }
  t.diagnostic(`${accepted} of ${judged.length} programs accepted by our verifier, each run on ${judged[0]?.inputs.length ?? 0} inputs`);
  for (const f of faults) t.diagnostic(f);
  assert.deepEqual(faults, [], 'our verifier accepted programs that fault in the VM (unsafe)');
});
