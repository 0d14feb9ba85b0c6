/**
 * core/ide/lens.ts: the verdict lens and the Run and Debug lenses above each program, where
 * they sit, what they say for accepted, rejected and unassembled programs, and the single
 * lens above a classic filter.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument, Language } from '../../core/ide/analysis';
import { CodeLens, codeLenses } from '../../core/ide/lens';
import { REPO_ROOT } from '../paths';

const example = (name: string) => readFileSync(join(REPO_ROOT, 'examples', name), 'utf8');
const lines = (...xs: string[]) => `${xs.join('\n')}\n`;

function lensesOf(text: string, language: Language = 'ebpf', defaultProgType?: string): CodeLens[] {
  return codeLenses(analyzeDocument(text, { language, defaultProgType }));
}

test('an accepted program: its size, verdict and processed count, then Run and Debug, on its label line', () => {
  const lenses = lensesOf(example('xdp_drop_udp.bpf.s'));
  const target = { section: 'xdp', program: 'xdp_drop_udp' };
  assert.deepEqual(lenses.map((l) => [l.line, l.command?.id]), [[13, 'ebpf.showVerifierLog'], [13, 'ebpf.run'], [13, 'ebpf.debug']]);
  assert.match(lenses[0].title, /^28 insns · accepted \(xdp\) · \d+ processed$/);
  assert.deepEqual(lenses.slice(1).map((l) => l.title), ['Run', 'Debug']);
  for (const l of lenses) assert.deepEqual(l.command?.args, [target]);
});

test('a rejected program shows the verifier message', () => {
  const lenses = lensesOf(lines('\t.section tc', 'prog:', '\tr2 = 1', '\texit'));
  assert.equal(lenses[0].line, 1);
  assert.equal(lenses[0].title, '2 insns · rejected: R0 !read_ok');
  assert.deepEqual(lenses[1].command?.args, [{ section: 'tc', program: 'tc' }]);
});

test('long messages are cut to 80 characters', () => {
  const text = lines('\t.section cgroup_skb/ingress', 'prog:', '\tr0 = *(u32 *)(r1 + 0)', '\texit');
  const title = lensesOf(text)[0].title;
  const message = title.slice(title.indexOf('rejected: ') + 'rejected: '.length);
  assert.match(title, /rejected: At program exit the register R0/);
  assert.ok(message.length <= 80 && message.endsWith('…'), message);
});

test('a document with assembly errors: one lens per program, saying so, and no commands', () => {
  const lenses = lensesOf(lines('\t.section xdp', 'prog:', '\tr0 = 2', '\tr1 = = 3', '\texit'));
  assert.deepEqual(lenses, [{ line: 1, title: 'not verified: assembly errors' }]);
});

test('several programs each get their lenses; a program without a label sits on its first instruction', () => {
  const text = lines('\t.section xdp', '\t.globl first', 'first:', '\tr0 = 2', '\texit', '\t.globl second', '# the second one', 'second:', '\tr0 = 1', '\texit',
    '\t.section tc', '\tr0 = 0', '\texit');
  const verdicts = lensesOf(text).filter((l) => l.command?.id === 'ebpf.showVerifierLog');
  assert.deepEqual(verdicts.map((l) => [l.line, l.command?.args]), [
    [2, [{ section: 'xdp', program: 'first' }]], [7, [{ section: 'xdp', program: 'second' }]], [11, [{ section: 'tc', program: 'tc' }]],
  ]);
  assert.deepEqual(verdicts.map((l) => l.title.replace(/ · \d+ processed/, '')), ['2 insns · accepted (xdp)', '2 insns · accepted (xdp)', '2 insns · accepted (sched_cls)']);
});

test('a classic filter: one lens with both sizes and the verdict on its translation', () => {
  const lenses = lensesOf(example('http_syn.cbpf'), 'cbpf');
  assert.equal(lenses.length, 1);
  assert.equal(lenses[0].line, 4);
  assert.match(lenses[0].title, /^14 classic → \d+ eBPF insns · accepted \(sched_cls\) · \d+ processed$/);
  assert.equal(lenses[0].command?.id, 'ebpf.showVerifierLog');
  assert.deepEqual(lensesOf('\tldh [12]\n\tjne #0x800, nowhere\n\tret #0\n', 'cbpf').map((l) => l.title), ['3 classic insns · not verified: errors']);
  assert.deepEqual(lensesOf('; nothing\n', 'cbpf'), []);
});
