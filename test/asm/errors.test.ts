/** Bad input: every error is a diagnostic with its line, column and what was expected; all are reported. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';

function errors(text: string): string[] {
  return assemble(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.span!.line + 1}:${d.span!.col + 1}: ${d.message}`);
}

test('reports every error in the file, each on its own line', () => {
  const errs = errors('r0 = 1\nr1 +=\nfoo r1, 2\nr2 = 0x100000000\nexit\ngoto nowhere\n');
  assert.equal(errs.length, 4, errs.join('\n'));
  assert.match(errs[0], /^2:/);
  assert.match(errs[1], /^3:1: unknown instruction/);
  assert.match(errs[2], /^4:\d+: immediate 4294967296 does not fit in 32 bits/);
  assert.match(errs[3], /^6:6: unknown label 'nowhere'/);
});

test('says what was expected and where', () => {
  const [e] = errors('r1 = *(u32 *)(r2 + )');
  assert.match(e, /expected/);
  const [f] = errors('if r1 > 5 goto');
  assert.match(f, /^1:\d+: expected a jump target/);
});

test('offsets beyond 16 bits are refused', () => {
  assert.match(errors('r1 = *(u8 *)(r2 + 40000)')[0], /does not fit in a signed 16-bit field/);
  assert.match(errors('ldxb r1, [r2-40000]')[0], /does not fit in a signed 16-bit field/);
});

test('label problems', () => {
  assert.match(errors('a:\na:\nexit')[0], /^2:1: label 'a' is already defined/);
  const far = ['goto far', ...Array(40000).fill('r0 = 0'), 'far: exit'].join('\n');
  assert.match(errors(far)[0], /beyond a 16-bit jump offset; use gotol/);
  assert.deepEqual(errors(['gotol far', ...Array(40000).fill('r0 = 0'), 'far: exit'].join('\n')), []);
});

test('maps: unknown names and bad declarations', () => {
  assert.match(errors('r1 = map_fd(nope) ll')[0], /unknown map 'nope'/);
  assert.match(errors('.map m, type=hashy, key=4, value=4, max_entries=1')[0], /unknown map type 'hashy'/);
  assert.match(errors('.map m, type=hash, key=4, colour=4')[0], /unknown map attribute 'colour'/);
  assert.match(errors('.map outer, type=array_of_maps, key=4, max_entries=4')[0], /needs inner=NAME/);
});

test('calls: by helper name, by number, to a label, and unknown', () => {
  const r = assemble('call bpf_map_lookup_elem\ncall map_lookup_elem\ncall 1\ncall f\nexit\nf: r0 = 0\nexit');
  assert.deepEqual(r.diagnostics, []);
  const s = r.object.sections[0].insns;
  assert.deepEqual(s.slice(0, 4).map((i) => [i.src, i.imm]), [[0, 1], [0, 1], [0, 1], [1, 1]]);
  assert.match(errors('call not_a_function')[0], /unknown function 'not_a_function'/);
});

test('never throws, whatever the input', () => {
  for (const text of ['', '\u0000\u0001', '}{', '"unterminated', '.section', '.map', 'lock', 'r0 = (', '/* open', '%r', 'r99 = 1']) {
    assert.doesNotThrow(() => assemble(text));
  }
});
