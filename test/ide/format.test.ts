/**
 * The formatter: exact output on messy eBPF and classic BPF, and on every file we have
 * (examples, the LLVM corpus, the verifier and conformance data, generated programs) the
 * three promises: formatting is idempotent, never changes what the file assembles to, and
 * its line edits rebuild the formatted text. Dialect conversion keeps the instructions of
 * every opcode row. Fuzz: token soup and random bytes never throw or break the promises.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatOptions, formatDocument, formatEdits } from '../../core/ide/format';
import { assemble } from '../../core/asm/assemble';
import { lex } from '../../core/asm/lexer';
import { matchInstruction } from '../../core/asm/match';
import { printInsn } from '../../core/asm/print';
import { parseCbpf } from '../../core/cbpf/parse';
import { OPCODES } from '../../core/isa/opcodes';
import { parseDataFile, sectionText } from '../../core/conformance/dataFile';
import { generateProgram } from '../gen/programs';
import { randInt, randomInsn, rng } from '../gen';
import { REPO_ROOT, SHARED, TEST_DATA } from '../paths';

const EBPF: FormatOptions = { language: 'ebpf' };
const CBPF: FormatOptions = { language: 'cbpf' };

/** What a document assembles to: each section's slots. */
function insnsOf(text: string, language: 'ebpf' | 'cbpf'): unknown {
  if (language === 'cbpf') {
    const p = parseCbpf(text);
    return { insns: p.insns, nDiagnostics: p.diagnostics.length };
  }
  return assemble(text).object.sections.map((s) => [s.name, s.insns]);
}

function applyEdits(text: string, opts: FormatOptions): string {
  const lines = text.split(/(?<=\r\n|\r(?!\n)|\n)/);
  let out = '';
  let at = 0;
  for (const e of formatEdits(text, opts)) {
    assert.ok(e.startLine >= at && e.endLine > e.startLine, `edits in order: ${JSON.stringify(e)}`);
    out += lines.slice(at, e.startLine).join('') + e.newText;
    at = e.endLine;
  }
  return out + lines.slice(at).join('');
}

/** The promises on one document; returns the formatted text. */
function checkPreserves(text: string, opts: FormatOptions, name: string): string {
  const out = formatDocument(text, opts);
  assert.equal(formatDocument(out, opts), out, `${name}: not idempotent`);
  assert.deepEqual(insnsOf(out, opts.language), insnsOf(text, opts.language), `${name}: instructions changed`);
  assert.equal(applyEdits(text, opts), out, `${name}: edits do not rebuild the formatted text`);
  return out;
}

function checkFormat(input: string, expected: string, opts: FormatOptions): void {
  assert.equal(formatDocument(input, opts), expected);
  checkPreserves(input, opts, 'input');
}

function filesIn(dir: string, suffix: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesIn(p, suffix) : n.endsWith(suffix) ? [p] : [];
  });
}

const EXAMPLES = join(REPO_ROOT, 'examples');

test('messy eBPF: labels split off, operands re-spaced, comments aligned, blank lines collapsed', () => {
  const input = [
    '# header comment',
    '',
    '',
    '.map counters, type=array,key=4, value=8, max_entries=1',
    '  .section   xdp/frags',
    'prog:   r2=*(u32*)(r1+0)   # data   ',
    '   r3 = *( u32 * )( r1 + 4 )',
    'r4=r2;r4+=14',
    '\tif r4>r3 goto out    // bounds',
    '   *(u32 *)(r10-4)=w7',
    '  lock *(u64*)(r0+0)+=r1',
    '  r1 = counters  ll',
    '   call bpf_map_lookup_elem',
    '  r0 = (s8)r1;r0=-r0',
    '  if r1 s>= -1 goto +2',
    '  r1 = map_value(counters) + 8 ll',
    '',
    '',
    '# before out',
    'out:  r0 = 0 ; exit   /* done */   ',
    '',
    '',
  ].join('\n');
  const expected = [
    '# header comment',
    '',
    '\t.map counters, type=array, key=4, value=8, max_entries=1',
    '\t.section xdp/frags',
    'prog:',
    '\tr2 = *(u32 *)(r1 + 0)           # data',
    '\tr3 = *(u32 *)(r1 + 4)',
    '\tr4 = r2; r4 += 14',
    '\tif r4 > r3 goto out             // bounds',
    '\t*(u32 *)(r10 - 4) = w7',
    '\tlock *(u64 *)(r0 + 0) += r1',
    '\tr1 = counters ll',
    '\tcall bpf_map_lookup_elem',
    '\tr0 = (s8)r1; r0 = -r0',
    '\tif r1 s>= -1 goto +2',
    '\tr1 = map_value(counters)+8 ll',
    '',
    '# before out',
    'out:',
    '\tr0 = 0; exit                    /* done */',
    '',
  ].join('\n');
  checkFormat(input, expected, EBPF);
});

test('eBPF: uBPF spelling, bad tokens and block comments', () => {
  const input = [
    'ldxw r2 , [ r6 + 16 ]',
    ' stxdw [r10 - 8],r1',
    '  jeq r0 , 0 , +3',
    '  lddw r1 , map_fd( 3 )',
    '   r0 = 1 @@ ? bad   ',
    '  /* a block',
    '     comment */   r0 = 2',
    '  /* inline */ r0 = 3   ',
    '   # comment before a label',
    'l: exit',
  ].join('\n');
  const expected = [
    '\tldxw r2, [r6+16]',
    '\tstxdw [r10-8], r1',
    '\tjeq r0, 0, +3',
    '\tlddw r1, map_fd(3)',
    '   r0 = 1 @@ ? bad   ',
    '  /* a block',
    '     comment */   r0 = 2',
    '\t/* inline */ r0 = 3',
    '# comment before a label',
    'l:',
    '\texit',
    '',
  ].join('\n');
  checkFormat(input, expected, EBPF);
});

test('options: indent, comment column, CRLF, empty documents', () => {
  checkFormat('r0 = 1 # one\r\n\r\n\r\nexit', '    r0 = 1 # one\r\n\r\n    exit\r\n', { language: 'ebpf', indent: '    ', commentColumn: 0 });
  checkFormat('\tr0 = 1 # c', '\tr0 = 1      # c\n', { language: 'ebpf', commentColumn: 20 });
  checkFormat('\tr0 = 0x1234567 ll # c', '\tr0 = 0x1234567 ll # c\n', { language: 'ebpf', commentColumn: 20 });
  checkFormat('', '', EBPF);
  checkFormat('\n \n\t\n', '', EBPF);
  checkFormat('  ; only a comment', '\t; only a comment\n', EBPF);
  checkFormat('# a\n  # b\nr0 = 0\n\n  # c\n', '# a\n\t# b\n\tr0 = 0\n\n\t# c\n', EBPF);
});

test('messy classic BPF: labels stay on their line, instructions start at the indent column', () => {
  const input = [
    '; header',
    '   ldh   [12]   ; ethertype',
    'jne   #0x800,drop',
    '    ldx 4 * ( [14] & 0xf )',
    ' ldh [x+16]',
    '',
    '',
    '   ;   indented comment',
    'keep:ret #-1',
    'a_long_label: ret a',
    'drop:    ret    #0      ',
  ].join('\n');
  const expected = [
    '; header',
    '\tldh [12]                        ; ethertype',
    '\tjne #0x800, drop',
    '\tldx 4*([14]&0xf)',
    '\tldh [x + 16]',
    '',
    ';   indented comment',
    'keep:\tret #-1',
    'a_long_label: ret a',
    'drop:\tret #0',
    '',
  ].join('\n');
  checkFormat(input, expected, CBPF);
  checkFormat('x: ld M[ 3 ]\n  st M [1]', 'x:  ld M[3]\n    st M[1]\n', { language: 'cbpf', indent: '    ' });
});

test('classic BPF: tcpdump listings only lose trailing whitespace and extra blank lines', () => {
  checkFormat('(000) ldh      [12]   \n\n\n(001) ret      #0\n', '(000) ldh      [12]\n\n(001) ret      #0\n', CBPF);
  checkFormat('2\n40 0 0 12  \n6 0 0 0', '2\n40 0 0 12\n6 0 0 0\n', CBPF);
});

test('formatEdits: one edit per run of changed lines', () => {
  const text = 'a:\n\tr0 = 1\nr1=2\nr2=3\n\texit\n';
  assert.deepEqual(formatEdits(text, EBPF), [{ startLine: 2, endLine: 4, newText: '\tr1 = 2\n\tr2 = 3\n' }]);
  assert.deepEqual(formatEdits('\tr0 = 0\n\texit', EBPF), [{ startLine: 1, endLine: 2, newText: '\texit\n' }]);
  assert.deepEqual(formatEdits(formatDocument(text, EBPF), EBPF), []);
});

test('dialect conversion: uBPF to LLVM and back, labels and maps kept by name', () => {
  const ubpf = [
    '.map m, type=array, key=4, value=8, max_entries=1',
    'f: ldxw r2, [r6+16]',
    '  lddw r1, map_fd(m)',
    '  jeq r0, 0, out',
    '  add32 r2, -4',
    '  call local g',
    '  call 1',
    'out: exit',
    'g: exit',
  ].join('\n');
  const llvm = [
    '\t.map m, type=array, key=4, value=8, max_entries=1',
    'f:',
    '\tw2 = *(u32 *)(r6 + 16)',
    '\tr1 = m ll',
    '\tif r0 == 0 goto out',
    '\tw2 += -4',
    '\tcall local g',
    '\tcall 1',
    'out:',
    '\texit',
    'g:',
    '\texit',
    '',
  ].join('\n');
  checkFormat(ubpf, llvm, { language: 'ebpf', dialect: 'llvm' });
  const back = llvm.replace('w2 = *(u32 *)(r6 + 16)', 'ldxw r2, [r6+16]').replace('r1 = m ll', 'lddw r1, map_fd(m)')
    .replace('if r0 == 0 goto out', 'jeq r0, 0, out').replace('w2 += -4', 'add32 r2, -4');
  checkFormat(llvm, back, { language: 'ebpf', dialect: 'ubpf' });
});

test('dialect conversion keeps the instructions of every opcode row', () => {
  const r = rng(31);
  let nConverted = 0;
  for (const row of OPCODES) {
    const shared = [row.llvm, ...(row.llvmAlt ?? [])].some((t) => [row.ubpf, ...(row.ubpfAlt ?? [])].includes(t));
    for (let n = 0; n < 4; n++) {
      const insns = randomInsn(row, r);
      for (const [from, to] of [['llvm', 'ubpf'], ['ubpf', 'llvm']] as const) {
        const text = `\t${printInsn(insns, 0, { dialect: from })}\n`;
        const out = checkPreserves(text, { language: 'ebpf', dialect: to }, `${row.id} ${from} -> ${to}: ${text}`);
        const m = matchInstruction(lex(out)[0].tokens, { isLabel: () => false, isHelper: () => false, isMap: () => false });
        assert.ok(m.ok && (m.dialect === to || shared), `${row.id}: ${text.trim()} was not converted to ${to}: ${out.trim()}`);
        if (out !== text) nConverted++;
      }
    }
  }
  assert.ok(nConverted > OPCODES.length * 6, `only ${nConverted} conversions`);
});

test('examples, the LLVM corpus and test data: idempotent, same instructions, edits rebuild', () => {
  const ebpfFiles = [
    ...filesIn(EXAMPLES, '.bpf.s'), ...filesIn(join(TEST_DATA, 'llvm'), '.s'), ...filesIn(join(TEST_DATA, 'elf'), '.s'),
  ];
  for (const f of ebpfFiles) {
    const text = readFileSync(f, 'utf8');
    checkPreserves(text, EBPF, f);
    for (const dialect of ['llvm', 'ubpf'] as const) checkPreserves(text, { language: 'ebpf', dialect }, `${f} (${dialect})`);
  }
  for (const f of filesIn(EXAMPLES, '.cbpf')) checkPreserves(readFileSync(f, 'utf8'), CBPF, f);
  // The hand-written eBPF examples are already formatted.
  for (const f of ['xdp_drop_udp.bpf.s', 'socket_ubpf.bpf.s'].map((n) => join(EXAMPLES, n))) {
    const text = readFileSync(f, 'utf8');
    assert.equal(formatDocument(text, EBPF), text, f);
  }
});

test('verifier and conformance data: idempotent, same instructions, in both dialects', () => {
  const asm = [...filesIn(join(TEST_DATA, 'verifier'), '.data'), ...filesIn(join(SHARED, 'conformance'), '.data')]
    .map((f) => [f, sectionText(parseDataFile(readFileSync(f, 'utf8')), 'asm')] as const)
    .filter((x): x is readonly [string, string] => x[1] !== undefined);
  assert.ok(asm.length > 500, `only ${asm.length} data files`);
  for (const [f, text] of asm) {
    checkPreserves(text, EBPF, f);
    checkPreserves(text, { language: 'ebpf', dialect: f.includes('conformance') ? 'llvm' : 'ubpf' }, f);
  }
});

/** Re-spaces a statement's tokens at random (keeping its tokens) and glues labels to the next line. */
function mess(text: string, r: () => number): string {
  const ws = () => [' ', '  ', '\t', ' \t '][randInt(r, 0, 3)];
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const st = lex(line);
    if (st.length !== 1) { out.push(line); continue; }
    const toks = st[0].tokens;
    let s = r() < 0.5 ? '' : ws();
    toks.forEach((t, i) => {
      const sep = i === 0 ? '' : r() < 0.4 ? '' : ws();
      const candidate = s + sep + line.slice(t.col, t.endCol);
      const again = lex(candidate)[0]?.tokens ?? [];
      s = again.length === i + 1 && again[i].text === t.text ? candidate : s + ' ' + line.slice(t.col, t.endCol);
    });
    out.push(s + (r() < 0.2 ? ws() : ''));
  }
  // `label:` and the next instruction on one line, as people write them.
  return out.join('\n').replace(/^(\w+:)\n/gm, (all, label: string) => (r() < 0.5 ? `${label} ` : all));
}

test('generated programs: messy spacing formats to the same text as the clean program', () => {
  const r = rng(32);
  for (let n = 0; n < 100; n++) {
    const { text } = generateProgram(r, (['xdp', 'sched_cls', 'socket_filter'] as const)[n % 3]);
    const clean = checkPreserves(text, EBPF, `program ${n}`);
    const messy = mess(text, r);
    assert.equal(checkPreserves(messy, EBPF, `messy program ${n}`), clean, `program ${n}:\n${messy}`);
    if (n % 3 === 0) checkPreserves(text, { language: 'ebpf', dialect: 'ubpf' }, `program ${n} in uBPF`);
  }
});

const SOUP = ['r0', 'r1', 'w2', '%r3', 'r10', '=', '+=', '-', '+', '*', '(', ')', '[', ']', ',', ':', ';', ';;', 'u8', 'u64', 's',
  's32', 'goto', 'gotol', 'if', 'call', 'exit', 'lock', 'll', 'skb', '0x10', '-1', '08', 'L1', 'L1:', 'out:', '.map', '.section',
  '.text', '.byte', '"GPL"', '"a;b#c"', '"open', 'map_fd', 'map_value', 'type=hash', 'key=4', '#', '//', '/*', '*/', 'ldxw',
  'stxdw', 'lddw', 'mov32', 'jeq', 'bswap16', 'atomic_fetch_add', 'xchg_64', '\t', '\n', '\n', '\n', '\r\n', ' ', '  ', 'é', '\u00a0'];

const CBPF_SOUP = ['ld', 'ldh', 'ldx', 'ret', 'jeq', 'jne', 'ja', 'tax', '[', ']', '(', ')', 'x', '%x', 'a', '#', '#0x800', '#len',
  '4', '*', '&', '+', '-', ',', ':', 'L1', 'L1:', 'drop:', 'drop', 'M', ';', '; c', '\t', '\n', '\n', ' ', '12', '(000)', '{', 'é'];

function soup(r: () => number, words: string[]): string {
  const len = randInt(r, 1, 40);
  return Array.from({ length: len }, () => words[randInt(r, 0, words.length - 1)]).join(r() < 0.5 ? ' ' : '');
}

function randomText(r: () => number): string {
  const chars = '\t\n\r #;/*()[]+-=,:.abcrw0123456789"\\é\u00a0';
  return Array.from({ length: randInt(r, 0, 120) }, () => (r() < 0.7 ? chars[randInt(r, 0, chars.length - 1)] : String.fromCharCode(randInt(r, 0, 127)))).join('');
}

test('fuzz: token soup and random bytes never throw, and keep the promises', () => {
  const r = rng(33);
  for (let n = 0; n < 4000; n++) {
    const text = n % 2 ? soup(r, SOUP) : randomText(r);
    checkPreserves(text, EBPF, `ebpf ${JSON.stringify(text)}`);
    if (n % 4 === 1) checkPreserves(text, { language: 'ebpf', dialect: n % 8 === 1 ? 'llvm' : 'ubpf' }, `converted ${JSON.stringify(text)}`);
    const classic = n % 2 ? soup(r, CBPF_SOUP) : randomText(r);
    checkPreserves(classic, CBPF, `cbpf ${JSON.stringify(classic)}`);
  }
});
