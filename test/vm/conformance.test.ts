/** The conformance suite in ../shared/conformance passes in full through the CLI, as CI and users run it. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CLI, SHARED, TEST_DATA } from '../paths';
import { run } from '../tools';

test('conformance: every file passes, except the one tied to ISA v3, which is skipped with its reason', () => {
  const r = run(process.execPath, [CLI, 'conformance', join(SHARED, 'conformance')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  const closing = lines[lines.length - 1];
  const m = /^(\d+) passed, (\d+) failed, (\d+) skipped$/.exec(closing);
  assert.ok(m, closing);
  assert.equal(Number(m[2]), 0);
  assert.ok(Number(m[1]) >= 420, closing);
  const skips = lines.filter((l) => l.startsWith('SKIP'));
  assert.equal(skips.length, 1, skips.join('\n'));
  assert.match(skips[0], /err-unknown-opcode\.data: expects an error that only ISA v3 and older give/);
});

test('conformance --cpu v3 skips the v4 programs and still fails none', () => {
  const r = run(process.execPath, [CLI, 'conformance', join(SHARED, 'conformance'), '--cpu', 'v3']);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^\d+ passed, 0 failed, \d+ skipped$/m);
  assert.match(r.stdout, /SKIP .*bswap16\.data: needs ISA v4/);
});

test('conformance reports a failing file and exits 1', () => {
  const r = run(process.execPath, [CLI, 'conformance', join(TEST_DATA, 'vm', 'wrong-result.data')]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL .*wrong-result\.data: expected result 0x2a, got result 0x7/);
  assert.match(r.stdout, /^0 passed, 1 failed, 0 skipped$/m);
});
