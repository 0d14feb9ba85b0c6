/**
 * Semantic tokens and folding ranges: exact results on small eBPF and classic BPF
 * documents, and on every file we have plus fuzz input the invariants the server relies
 * on (tokens sorted, single-line, non-overlapping, inside their line, from the legend;
 * folding ranges spanning lines of the document, one per start line).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentNames, TOKEN_MODIFIERS, TOKEN_TYPES, foldingRanges, semanticTokens } from '../../core/ide/tokens';
import { randInt, rng } from '../gen';
import { REPO_ROOT, TEST_DATA } from '../paths';

/** Tokens as `line text:type+modifiers`, easy to read in a failing assertion. */
function describe(text: string, language: 'ebpf' | 'cbpf', names?: DocumentNames): string[] {
  const lines = text.split('\n');
  const byLine = new Map<number, string[]>();
  for (const t of semanticTokens(text, language, names)) {
    const word = `${lines[t.line].slice(t.col, t.col + t.length)}:${t.type}${t.modifiers ? `+${t.modifiers.join('+')}` : ''}`;
    byLine.set(t.line, [...(byLine.get(t.line) ?? []), word]);
  }
  return [...byLine].map(([line, words]) => `${line} ${words.join(' ')}`);
}

function checkInvariants(text: string, language: 'ebpf' | 'cbpf', name: string): void {
  const lines = text.split(/\r\n|\r|\n/);
  let prev: { line: number; end: number } | undefined;
  for (const t of semanticTokens(text, language)) {
    assert.ok(TOKEN_TYPES.includes(t.type) && (t.modifiers ?? []).every((m) => TOKEN_MODIFIERS.includes(m)), `${name}: legend`);
    assert.ok(t.length > 0 && t.col >= 0 && t.line < lines.length && t.col + t.length <= lines[t.line].length, `${name}: out of bounds ${JSON.stringify(t)}`);
    assert.ok(!prev || t.line > prev.line || (t.line === prev.line && t.col >= prev.end), `${name}: unsorted or overlapping ${JSON.stringify(t)}`);
    prev = { line: t.line, end: t.col + t.length };
  }
  const starts = new Set<number>();
  for (const r of foldingRanges(text, language)) {
    assert.ok(r.startLine >= 0 && r.endLine > r.startLine && r.endLine < lines.length, `${name}: bad range ${JSON.stringify(r)}`);
    assert.ok(!starts.has(r.startLine), `${name}: two ranges start on line ${r.startLine}`);
    starts.add(r.startLine);
  }
}

function filesIn(dir: string, suffix: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesIn(p, suffix) : n.endsWith(suffix) ? [p] : [];
  });
}

const EBPF_DOC = [
  '# two',
  '# comments',
  '',
  '# region setup',
  '/* a block',
  '   comment */',
  '\t.map counts, type=hash, key=4, value=8, max_entries=16',
  '# endregion',
  '\t.section xdp/frags',
  '\t.globl prog',
  'prog:',
  '\tr1 = counts ll',
  '\tcall bpf_map_lookup_elem',
  '\tif r0 s>= -1 goto out',
  '\tr2 = *(u32 *)(r1 + 4)',
  '\tlock *(u64 *)(r0 + 0) += r1',
  '\tcall sub',
  'out:',
  '\texit',
  '',
  '# the callee',
  'sub:',
  '\tw0 = (s8)w1',
  '\texit',
  '\t.license "GPL"',
  '',
].join('\n');

test('eBPF semantic tokens: mnemonics, registers, casts, labels, functions, helpers, maps, directives', () => {
  assert.deepEqual(describe(EBPF_DOC, 'ebpf'), [
    '6 .map:macro counts:variable+declaration 4:number 8:number 16:number',
    '8 .section:macro xdp/frags:namespace+declaration',
    '9 .globl:macro prog:function',
    '10 prog:function+declaration',
    '11 r1:register =:operator counts:variable ll:keyword',
    '12 call:keyword bpf_map_lookup_elem:function+defaultLibrary',
    '13 if:keyword r0:register s>=:operator -1:number goto:keyword out:label',
    '14 r2:register =:operator *:operator u32:type *:operator r1:register +:operator 4:number',
    '15 lock:keyword *:operator u64:type *:operator r0:register +:operator 0:number +=:operator r1:register',
    '16 call:keyword sub:function',
    '17 out:label+declaration',
    '18 exit:keyword',
    '21 sub:function+declaration',
    '22 w0:register =:operator s8:type w1:register',
    '23 exit:keyword',
    '24 .license:macro "GPL":string',
  ]);
});

test('eBPF semantic tokens: uBPF spelling, and names given by the caller', () => {
  const text = 'f: ldxw r2, [r6+16]\n  add r2, -4\n  jeq r0, 0, +3\n  lddw r1, map_fd(m)\n  call local f\n  call 1\n  ja done';
  assert.deepEqual(describe(text, 'ebpf'), [
    '0 f:function+declaration ldxw:keyword r2:register r6:register +:operator 16:number',
    '1 add:keyword r2:register -4:number',
    '2 jeq:keyword r0:register 0:number +3:number',
    '3 lddw:keyword r1:register map_fd:keyword',
    '4 call:keyword local:keyword f:function',
    '5 call:keyword 1:number',
    '6 ja:keyword',
  ]);
  const names: DocumentNames = { labels: new Set(['f', 'done']), maps: new Set(['m']), functions: new Set() };
  assert.deepEqual(describe(text, 'ebpf', names).filter((l) => /^[036] /.test(l)), [
    '0 f:label+declaration ldxw:keyword r2:register r6:register +:operator 16:number',
    '3 lddw:keyword r1:register map_fd:keyword m:variable',
    '6 ja:keyword done:label',
  ]);
});

const CBPF_DOC = [
  '; filter',
  ';region checks',
  '\tldh [12]            ; ethertype',
  '\tjeq #0x800, ip, drop',
  ';endregion',
  'ip:\tldx 4*([14]&0xf)',
  '\tld M[2]',
  '\tldh [x + 16]',
  '\tjset %x, drop',
  '\tld #len',
  '\tret a',
  'drop:\tret #-1',
].join('\n');

test('classic BPF semantic tokens: mnemonics, #k, X and A, M[], labels, comments', () => {
  assert.deepEqual(describe(CBPF_DOC, 'cbpf'), [
    '0 ; filter:comment',
    '1 ;region checks:comment',
    '2 ldh:keyword 12:number ; ethertype:comment',
    '3 jeq:keyword #0x800:number ip:label drop:label',
    '4 ;endregion:comment',
    '5 ip:label+declaration ldx:keyword 4:number *:operator 14:number &:operator 0xf:number',
    '6 ld:keyword M:variable 2:number',
    '7 ldh:keyword x:register +:operator 16:number',
    '8 jset:keyword %x:register drop:label',
    '9 ld:keyword #len:keyword',
    '10 ret:keyword a:register',
    '11 drop:label+declaration ret:keyword #-1:number',
  ]);
});

test('folding ranges: comment runs, block comments, regions, sections and functions', () => {
  assert.deepEqual(foldingRanges(EBPF_DOC, 'ebpf'), [
    { startLine: 0, endLine: 1, kind: 'comment' },
    { startLine: 3, endLine: 7, kind: 'region' },
    { startLine: 4, endLine: 5, kind: 'comment' },
    { startLine: 8, endLine: 24 },
    { startLine: 10, endLine: 18 },
    { startLine: 21, endLine: 24 },
  ]);
  assert.deepEqual(foldingRanges(CBPF_DOC, 'cbpf'), [{ startLine: 1, endLine: 4, kind: 'region' }]);
  assert.deepEqual(foldingRanges('; a\n; b\n\tret #0\n', 'cbpf'), [{ startLine: 0, endLine: 1, kind: 'comment' }]);
  assert.deepEqual(foldingRanges('r0 = 0 /* open\n\n', 'ebpf'), [{ startLine: 0, endLine: 2, kind: 'comment' }]);
});

test('examples and test data: tokens and folding ranges keep their invariants', () => {
  const files = [
    ...filesIn(join(REPO_ROOT, 'examples'), '.bpf.s'), ...filesIn(join(REPO_ROOT, 'examples'), '.cbpf'),
    ...filesIn(join(TEST_DATA, 'llvm'), '.s'), ...filesIn(join(TEST_DATA, 'elf'), '.s'),
  ];
  for (const f of files) checkInvariants(readFileSync(f, 'utf8'), f.endsWith('.cbpf') ? 'cbpf' : 'ebpf', f);
  const corpus = readFileSync(join(TEST_DATA, 'llvm', 'corpus.s'), 'utf8');
  const types = new Set(semanticTokens(corpus, 'ebpf').map((t) => t.type));
  for (const type of ['keyword', 'register', 'number', 'operator', 'label', 'function', 'macro', 'type', 'string', 'namespace']) {
    assert.ok(types.has(type as (typeof TOKEN_TYPES)[number]), `no ${type} in the corpus`);
  }
});

const WORDS = ['r0', 'w1', '%r3', '=', '+=', '-', '+', '*', '(', ')', '[', ']', ',', ':', ';', 'u8', 'u64', 's', '>=', 'goto', 'if',
  'call', 'exit', 'lock', 'll', 'skb', '0x10', '08', 'L1', 'L1:', '.map', '.section', '"GPL"', '"open', 'map_fd', 'bpf_map_lookup_elem',
  '#', '# region', '# endregion', ';region', ';endregion', '//', '/*', '*/', 'ldh', 'jeq', '#0x800', '%x', 'M', 'x', '\t', '\n', '\n',
  '\r\n', ' ', 'é', '\u00a0', '🙂'];

test('fuzz: tokens and folding ranges never throw and keep their invariants', () => {
  const r = rng(41);
  for (let n = 0; n < 4000; n++) {
    const text = n % 2
      ? Array.from({ length: randInt(r, 1, 40) }, () => WORDS[randInt(r, 0, WORDS.length - 1)]).join(r() < 0.5 ? ' ' : '')
      : String.fromCharCode(...Array.from({ length: randInt(r, 0, 150) }, () => randInt(r, 0, 127)));
    checkInvariants(text, 'ebpf', `ebpf ${JSON.stringify(text)}`);
    checkInvariants(text, 'cbpf', `cbpf ${JSON.stringify(text)}`);
  }
});
