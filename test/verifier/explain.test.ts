/**
 * core/verifier/explain.ts against the verifier corpus (test/data/verifier/*.data), whose
 * rejects carry real Linux 6.18 messages. It checks that
 *
 *   - most rejected cases get an explanation (at least 85%; the rest are listed);
 *   - every row is the first to match some real message, from the corpus or its `example`;
 *   - explanations and fixes are sentences that end with a period and name no internal
 *     kernel function;
 *   - the code between backticks in every fix assembles.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../core/asm/assemble';
import { EXPLAIN_ROWS, explainMessage } from '../../core/verifier/explain';
import { TEST_DATA } from '../paths';
import { parseCase } from './kernelVerdict';

const DIR = join(TEST_DATA, 'verifier');
const MIN_COVERAGE = 0.85;

/** Every rejected corpus case with its recorded message. */
const rejects: { file: string; message: string }[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.data'))
  .sort()
  .flatMap((file) => {
    const c = parseCase(readFileSync(join(DIR, file), 'utf8'));
    return 'broken' in c || c.result !== 'reject' || c.error === undefined ? [] : [{ file, message: c.error }];
  });

/** The real messages: the corpus's, then the rows' examples. */
const messages: string[] = [...new Set([...rejects.map((r) => r.message), ...EXPLAIN_ROWS.flatMap((r) => (r.example ? [r.example] : []))])];

/**
 * Names of the kernel's own functions (check_mem_access(), __mark_reg_unknown, do_check...):
 * the explanations speak of the program, never of the verifier's insides. Helper names such
 * as bpf_map_push_elem are fine: `\b` keeps their inner words from matching.
 */
const KERNEL_INTERNAL =
  /\b(?:__\w+|(?:check|do|adjust|mark|sanitize|push|is|reg|update|process|resolve|convert|fixup|verbose|states|tnum|bpf_check|bpf_verifier)_[a-z0-9_]+|\w+\(\))|verifier\.c/;

/** What a fix's code is assembled inside: the label and map names fixes may use. */
function wrapCode(code: string): string {
  return ['.map my_map, type=array, key=4, value=8, max_entries=1', 'loop:', code, 'out:', 'r0 = 0', 'exit', ''].join('\n');
}

test('explanations cover the rejected corpus cases', (t) => {
  assert.ok(rejects.length > 0, `no rejected cases in ${DIR}`);
  const uncovered = rejects.filter((r) => explainMessage(r.message) === undefined);
  const covered = rejects.length - uncovered.length;
  t.diagnostic(`${covered} of ${rejects.length} rejected cases explained (${((100 * covered) / rejects.length).toFixed(1)}%), ${EXPLAIN_ROWS.length} rows`);
  for (const u of uncovered) t.diagnostic(`unexplained: ${u.message} (${u.file})`);
  assert.ok(covered >= MIN_COVERAGE * rejects.length, `only ${covered} of ${rejects.length} rejected cases are explained`);
});

test('every row is the first to match a real message', () => {
  const problems: string[] = [];
  for (const row of EXPLAIN_ROWS) {
    if (row.example !== undefined && !row.pattern.test(row.example)) problems.push(`${row.pattern}: its example does not match: ${row.example}`);
    const used = messages.some((msg) => EXPLAIN_ROWS.find((r) => r.pattern.test(msg)) === row);
    if (!used) problems.push(`${row.pattern}: first for no corpus message nor its example`);
  }
  assert.deepEqual(problems, []);
});

test('explanations and fixes are sentences and name no kernel internals', () => {
  const problems: string[] = [];
  for (const msg of messages) {
    const e = explainMessage(msg);
    if (!e) continue;
    for (const [what, text] of [['explain', e.explain], ['fix', e.fix]] as const) {
      if (text === undefined) continue;
      if (!/\.$/.test(text)) problems.push(`${what} of "${msg}" does not end with a period: ${text}`);
      if (text !== text.trim() || /\s{2}/.test(text)) problems.push(`${what} of "${msg}" has stray spaces: ${text}`);
      if (/undefined|NaN|\$\{/.test(text)) problems.push(`${what} of "${msg}" shows a missing value: ${text}`);
      const internal = KERNEL_INTERNAL.exec(text);
      if (internal) problems.push(`${what} of "${msg}" names a kernel internal (${internal[0]}): ${text}`);
    }
    if (e.explain.includes('`')) problems.push(`explain of "${msg}" has backticks (code belongs in the fix): ${e.explain}`);
  }
  assert.deepEqual(problems, []);
});

test('the code in fixes assembles', () => {
  const problems: string[] = [];
  let nSnippets = 0;
  for (const msg of messages) {
    const fix = explainMessage(msg)?.fix;
    if (!fix) continue;
    if ((fix.match(/`/g) ?? []).length % 2 !== 0) problems.push(`unbalanced backticks in the fix of "${msg}": ${fix}`);
    for (const [, code] of fix.matchAll(/`([^`]+)`/g)) {
      nSnippets++;
      const errors = assemble(wrapCode(code)).diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) problems.push(`\`${code}\` (fix of "${msg}"): ${errors.map((d) => d.message).join('; ')}`);
    }
  }
  assert.ok(nSnippets > 0, 'no fix contains code');
  assert.deepEqual(problems, []);
});
