/**
 * The verifier corpus (test/data/verifier/*.data, described in its README.md): small programs
 * with the verdict, message, errno and log that the running kernel gave them, recorded by
 * scripts/record-verifier-corpus.mjs. This file checks that
 *
 *   - every case is well formed and assembles without errors (always);
 *   - the kernel still gives every case its recorded verdict, message, errno and log, so the
 *     expectations never go stale (where bpf(2) is permitted; skipped, saying why, elsewhere);
 *   - our own verifier agrees with the recorded verdicts (see ourVerdict below).
 *
 * It also prints a summary: cases per area (the file name up to its first `-`), accepted and
 * rejected, and how many distinct kernel messages the rejects carry.
 */

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyObjectProgram } from '../../core/verifier';
import { listPrograms } from '../../core/link';
import { kernelAvailable } from '../../core/kernel';
import { TEST_DATA } from '../paths';
import { VerifierCase, areaOf, assembleCase, formatCase, kernelVerdict, parseCase } from './kernelVerdict';

const DIR = join(TEST_DATA, 'verifier');
const RERECORD = 'npm run build && npx tsc -p tsconfig.json && node scripts/record-verifier-corpus.mjs';

interface CorpusFile {
  file: string;
  text: string;
  parsed: VerifierCase | { broken: string };
}

const files: CorpusFile[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.data'))
  .sort()
  .map((file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    return { file, text, parsed: parseCase(text) };
  });

function caseOf(f: CorpusFile): VerifierCase {
  assert.ok(!('broken' in f.parsed), `${f.file}: ${'broken' in f.parsed ? f.parsed.broken : ''}`);
  return f.parsed as VerifierCase;
}

/** Our verifier's verdict on a case: the object assembled, its first program, the case's type and license. */
function ourVerdict(c: VerifierCase): { result: 'accept' | 'reject'; error?: string } | undefined {
  const a = assembleCase(c);
  if ('broken' in a) return undefined;
  const res = verifyObjectProgram(a.object, listPrograms(a.object)[0], { progType: c.progType, attachType: c.attachType, license: c.license });
  return res.accepted ? { result: 'accept' } : { result: 'reject', error: res.message };
}

test('the verifier corpus is well formed', () => {
  assert.ok(files.length > 0, `no .data files in ${DIR}`);
  const problems: string[] = [];
  for (const f of files) {
    if ('broken' in f.parsed) { problems.push(`${f.file}: ${f.parsed.broken}`); continue; }
    const c = f.parsed;
    if (!/^[a-z0-9]+(-[a-z0-9]+)+\.data$/.test(f.file)) problems.push(`${f.file}: name it area-what-it-tests.data, in lower case`);
    if (c.comment.length === 0) problems.push(`${f.file}: no # comment saying what the case is about`);
    if (!c.result || c.log === undefined) problems.push(`${f.file}: not recorded yet (${RERECORD} ${join('test/data/verifier', f.file)})`);
    else if (c.result === 'reject' && (!c.error || !c.errno)) problems.push(`${f.file}: a reject without -- error or -- errno`);
    else if (c.result === 'accept' && (c.error !== undefined || c.errno !== undefined)) problems.push(`${f.file}: an accept with -- error or -- errno`);
    if (formatCase(c) !== f.text) problems.push(`${f.file}: not in the recorder's layout (sections out of order, or stray blank lines); re-record it`);
  }
  assert.deepEqual(problems, []);
});

describe('every verifier corpus case assembles', () => {
  for (const f of files) {
    test(f.file, () => {
      const res = assembleCase(caseOf(f));
      assert.ok(!('broken' in res), 'broken' in res ? res.broken : '');
    });
  }
});

const kernel = kernelAvailable();
const kernelSkip = kernel.ok ? undefined : `bpf(2) is not permitted here: ${kernel.reason}`;

describe('the kernel still gives each corpus case its recorded verdict', { skip: kernelSkip }, () => {
  for (const f of files) {
    test(f.file, () => {
      const c = caseOf(f);
      const v = kernelVerdict(c);
      assert.ok(!('unavailable' in v), 'unavailable' in v ? v.unavailable : '');
      assert.ok(!('broken' in v), 'broken' in v ? v.broken : '');
      const stale = `the recorded expectation is stale; re-record with ${RERECORD} test/data/verifier/${f.file}`;
      assert.deepEqual(
        { result: v.result, error: v.error, errno: v.errno },
        { result: c.result, error: c.error, errno: c.errno },
        stale,
      );
      assert.equal(v.log, c.log, `the log differs: ${stale}`);
    });
  }
});

/**
 * FIXME(#4): the verifier is not finished. Its agreement with the kernel on this corpus may
 * only go up: these floors are what it reached when last raised; a change that lowers either
 * fails here, and the note on issue #4 lists the cases still differing. The goal is 100% of
 * verdicts and at least 90% of messages.
 */
const VERDICT_FLOOR = 505;
const MESSAGE_FLOOR = 305;

test('our verifier agrees with the corpus (no lower than before)', (t) => {
  let compared = 0, verdicts = 0, messages = 0, rejects = 0;
  const mismatches: string[] = [];
  for (const f of files) {
    if ('broken' in f.parsed) continue;
    const c = f.parsed;
    const ours = ourVerdict(c);
    if (!ours) continue;
    compared++;
    if (ours.result === c.result) verdicts++;
    if (c.result === 'reject') {
      rejects++;
      if (ours.result === 'reject' && ours.error === c.error) messages++;
    }
    if (ours.result !== c.result) mismatches.push(`${f.file}: kernel ${c.result}${c.error ? ` (${c.error})` : ''}, ours ${ours.result}${ours.error ? ` (${ours.error})` : ''}`);
    else if (c.result === 'reject' && ours.error !== c.error) mismatches.push(`${f.file}: kernel says '${c.error}', ours '${ours.error}'`);
  }
  t.diagnostic(`compared ${compared} of ${files.length} cases: verdict ${verdicts}/${compared}, message ${messages}/${rejects} rejects`);
  for (const m of mismatches) t.diagnostic(m);
  assert.ok(verdicts >= VERDICT_FLOOR, `verdicts agree on ${verdicts}, fewer than ${VERDICT_FLOOR}`);
  assert.ok(messages >= MESSAGE_FLOOR, `messages agree on ${messages}, fewer than ${MESSAGE_FLOOR}`);
});

test('verifier corpus summary', (t) => {
  const byArea = new Map<string, { accept: number; reject: number }>();
  const messages = new Set<string>();
  let accept = 0;
  let reject = 0;
  for (const f of files) {
    if ('broken' in f.parsed || !f.parsed.result) continue;
    const area = areaOf(f.file);
    const n = byArea.get(area) ?? { accept: 0, reject: 0 };
    n[f.parsed.result]++;
    byArea.set(area, n);
    if (f.parsed.result === 'accept') accept++;
    else {
      reject++;
      if (f.parsed.error) messages.add(f.parsed.error);
    }
  }
  const areas = [...byArea].sort(([a], [b]) => a.localeCompare(b)).map(([a, n]) => `${a} ${n.accept}+${n.reject}`);
  t.diagnostic(`${files.length} cases: ${accept} accept, ${reject} reject, ${messages.size} distinct kernel messages`);
  t.diagnostic(`per area (accept+reject): ${areas.join(', ')}`);
  assert.ok(files.length > 0);
});
