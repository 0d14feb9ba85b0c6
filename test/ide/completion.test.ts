/**
 * Completion and signature help at each context, on the examples and on documents being
 * typed (which do not assemble); then a fuzz test: hover, completion and signature help
 * never throw, at any position of real documents and of random token soup.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { rng, randInt } from '../gen';
import { Analysis, analyzeDocument } from '../../core/ide/analysis';
import { CompletionItem, completionsAt, resolveCompletion } from '../../core/ide/completion';
import { hoverAt } from '../../core/ide/hover';
import { signatureHelpAt } from '../../core/ide/signature';
import { HELPERS } from '../../core/helpers/table';
import { OPCODES } from '../../core/isa/opcodes';
import { helperAllowed } from '../../core/verifier/helperAccess';

const example = (name: string) => readFileSync(join(REPO_ROOT, 'examples', name), 'utf8');
const XDP = analyzeDocument(example('xdp_drop_udp.bpf.s'));
const UBPF = analyzeDocument(example('socket_ubpf.bpf.s'));
const CBPF = analyzeDocument(example('http_syn.cbpf'), { language: 'cbpf' });

/** Completions with the cursor just after `needle` on the first line holding it; or at the end of `line`. */
function complete(a: Analysis, needle: string): CompletionItem[] {
  const line = a.lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `no line contains ${JSON.stringify(needle)}`);
  return completionsAt(a, line, a.lines[line].indexOf(needle) + needle.length);
}

/** Completions at the end of the last line of a document being typed. */
function typing(text: string, language: 'ebpf' | 'cbpf' = 'ebpf'): CompletionItem[] {
  const a = analyzeDocument(text, { language });
  return completionsAt(a, a.lines.length - 1, a.lines[a.lines.length - 1].length);
}

const labels = (items: CompletionItem[]) => items.map((i) => i.label);
const kinds = (items: CompletionItem[]) => [...new Set(items.map((i) => i.kind))].sort();

test('after call: helpers with their prototype (docs come on resolve), then local functions', () => {
  const items = complete(XDP, 'call ');
  const lookup = items.find((i) => i.label === 'bpf_map_lookup_elem');
  assert.ok(lookup);
  assert.equal(lookup.kind, 'function');
  assert.equal(lookup.detail, 'void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)');
  assert.deepEqual(lookup.data, { helperId: 1 });
  assert.ok(items.every((i) => i.documentation === undefined), 'the list carries no docs');
  const resolved = resolveCompletion(lookup);
  assert.match(resolved.documentation ?? '', /Helper #1: Look up a key/);
  assert.match(resolved.documentation ?? '', /`r2` `const void \*key`/);
  assert.ok(!items.some((i) => i.label === 'xdp_drop_udp'), 'a program does not call itself');
  assert.ok(items.some((i) => i.label === 'bpf_redirect'), 'xdp may call redirect');
});

test('after call: a helper the program type cannot call is left out when the kernel\'s list is known', () => {
  const kprobe = typing('.section kprobe/do_unlinkat\nr1 = 0\ncall ');
  assert.ok(!labels(kprobe).includes('bpf_redirect'));
  assert.ok(labels(kprobe).includes('bpf_probe_read_kernel'));
  assert.equal(kprobe.length, HELPERS.filter((h) => helperAllowed('kprobe', h.id)).length);
  // lsm's list is not known: every helper is offered.
  assert.equal(typing('.section lsm/file_open\ncall ').length, HELPERS.length);
  assert.deepEqual(labels(typing('.section xdp\ncall bpf_')).filter((l) => l === 'bpf_xdp_adjust_head'), ['bpf_xdp_adjust_head']);
  const local = '.text\nf:\nr0 = 0\nexit\n.section xdp\n.globl prog\nprog:\ncall ';
  assert.deepEqual(labels(typing(`${local}local `)), ['f']);
  assert.deepEqual(typing(`${local}`).filter((i) => i.kind === 'function' && !i.data).map((i) => i.label), ['f']);
});

test('jump targets: labels of the function around the cursor', () => {
  assert.deepEqual(labels(complete(XDP, 'goto ')), ['count', 'out']);
  assert.deepEqual(kinds(complete(XDP, 'goto ')), ['label']);
  assert.deepEqual(labels(complete(UBPF, 'ja ')), ['verdict']);
  assert.deepEqual(labels(typing(`${example('socket_ubpf.bpf.s')}\tjeq r0, 0, `)), ['verdict']);
  assert.deepEqual(labels(typing('.section xdp\nout:\nr0 = 0\nif r0 > 1 goto ')), ['out']);
  assert.deepEqual(labels(typing('.section xdp\nout:\nr0 = 0\ngoto o')), ['out']);
});

test('where a register goes: r0..r10 with their verifier state, w0..w10 in 32-bit statements', () => {
  const items = complete(XDP, 'r4 = ');
  assert.deepEqual(labels(items).slice(0, 11), Array.from({ length: 11 }, (_, n) => `r${n}`));
  const r1 = items.find((i) => i.label === 'r1');
  assert.equal(r1?.detail, 'R1=ctx()');
  assert.match(r1?.documentation ?? '', /context/);
  assert.equal(items.find((i) => i.label === 'r2')?.detail, 'R2=pkt(r=0)');
  assert.equal(items.find((i) => i.label === 'r5')?.detail, 'not readable here');
  assert.deepEqual(labels(typing('.section xdp\nw1 = ')), Array.from({ length: 11 }, (_, n) => `w${n}`));
  assert.deepEqual(kinds(typing('.section xdp\nr2 = r1\nif r2 > ')), ['register']);
  assert.deepEqual(kinds(typing('.section xdp\nmov r1, ')), ['register']);
  assert.deepEqual(kinds(typing('.section xdp\nmov ')), ['register']);
  assert.deepEqual(kinds(typing('.section xdp\nldxw r2, [')), ['register']);
  assert.deepEqual(typing('.section xdp\nstxw ').filter((i) => i.kind === 'register'), [], 'stxw takes a memory operand first');
  assert.equal(typing('.section xdp\nr2 = *(u32 *)(r1 ').length, 0, 'an offset, not a register, comes next');
});

test('after rN + in a context access: the context fields, inserting their offset', () => {
  const xdp = typing('.section xdp\nr2 = *(u32 *)(r1 + ');
  assert.deepEqual(labels(xdp), ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex']);
  assert.equal(xdp.find((i) => i.label === 'data_end')?.insertText, '4');
  assert.deepEqual(kinds(xdp), ['field']);
  // Through a copy of the context pointer, in a document that does not assemble yet.
  const tc = typing('.section tc\nr6 = r1\nr2 = *(u32 *)(r6 + ');
  assert.equal(tc.find((i) => i.label === 'protocol')?.insertText, '16');
  assert.equal(tc.find((i) => i.label === 'cb[2]')?.insertText, '56');
  assert.deepEqual(typing('.section tc\nr6 = r1\ncall 1\nr2 = *(u32 *)(r1 + '), [], 'a call clobbers r1');
  assert.deepEqual(typing('.section xdp\nr2 = *(u32 *)(r2 + '), []);
  // With verifier states (an assembled document) and in uBPF syntax.
  assert.ok(labels(complete(XDP, 'r3 = *(u32 *)(r1 +')).includes('data_end'));
  assert.equal(complete(UBPF, 'ldxw r2, [r6+').find((i) => i.label === 'protocol')?.insertText, '16');
});

test('map operands: after rN = in LLVM (with registers), lddw and map_fd( in uBPF', () => {
  const items = complete(XDP, 'r1 = ');
  const map = items.find((i) => i.label === 'counters');
  assert.equal(map?.kind, 'variable');
  assert.equal(map?.insertText, 'counters ll');
  assert.equal(map?.detail, 'array, key 4, value 8, max_entries 4');
  assert.ok(items.some((i) => i.kind === 'register'));
  assert.equal(complete(UBPF, 'lddw r1, ').find((i) => i.label === 'packets_by_proto')?.insertText, 'map_fd(packets_by_proto)');
  assert.deepEqual(labels(complete(UBPF, 'map_fd(')), ['packets_by_proto']);
  assert.deepEqual(labels(typing('.map m, type=hash, key=4, value=4, max_entries=1\n.section xdp\nr1 = ')).filter((l) => l === 'm'), ['m']);
});

test('statement start: LLVM snippets from the opcode table, or uBPF mnemonics, by the document\'s dialect', () => {
  const llvm = typing('.section xdp\nr0 = 0\n');
  const jgt = llvm.find((i) => i.label === 'if r1 > r2 goto label');
  assert.equal(jgt?.insertText, 'if ${1:r1} > ${2:r2} goto ${3:label}');
  assert.equal(jgt?.snippet, true);
  assert.equal(jgt?.detail, 'if dst > src (unsigned), jump by off');
  assert.equal(llvm.find((i) => i.label === 'w1 = *(u32 *)(r2 + off)')?.insertText, '${1:w1} = *(u32 *)(${2:r2} + ${3:0})');
  assert.equal(llvm.find((i) => i.label === 'r1 = map ll')?.insertText, '${1:r1} = ${2:map} ll');
  const snippets = llvm.filter((i) => i.kind === 'snippet');
  assert.equal(new Set(labels(snippets)).size, snippets.length, 'no duplicates');
  assert.equal(snippets.length, new Set(OPCODES.map((r) => r.llvm)).size, 'one per distinct template');
  assert.ok(labels(llvm).includes('exit') && labels(llvm).includes('r10'));
  const ubpf = typing(`${example('socket_ubpf.bpf.s')}\n`);
  for (const m of ['mov', 'ldxw', 'jeq', 'lddw', 'exit']) assert.ok(labels(ubpf).includes(m), m);
  assert.deepEqual(kinds(ubpf), ['keyword']);
  assert.ok(labels(completionsAt(UBPF, 0, 0, { dialect: 'llvm' })).includes('exit'));
});

test('directives, section names, map types and flags', () => {
  const dirs = typing('.');
  for (const d of ['.section', '.map', '.license', '.globl']) assert.ok(labels(dirs).includes(d), d);
  const sections = typing('.section ');
  for (const s of ['xdp', 'tc', 'kprobe/', 'socket', 'cgroup/connect4']) assert.ok(labels(sections).includes(s), s);
  assert.equal(sections.find((i) => i.label === 'tc')?.detail, 'sched_cls');
  assert.deepEqual(kinds(sections), ['module']);
  assert.ok(labels(typing('.section kpr')).includes('kprobe/'));
  assert.ok(labels(typing('.map m, type=')).includes('lpm_trie'));
  assert.ok(labels(typing('.map m, type=hash, key=4, value=4, max_entries=1, flags=no_prealloc|')).includes('zero_seed'));
  assert.deepEqual(typing('.license '), []);
});

test('classic BPF: the classic templates, labels after a jump\'s comma, ancillary loads after ld #', () => {
  const start = typing('\t', 'cbpf');
  assert.equal(start.find((i) => i.label === 'jeq #k, jt, jf')?.insertText, 'jeq #${1:0x0}, ${2:jt}, ${3:jf}');
  assert.equal(start.find((i) => i.label === 'ret #k')?.detail, 'Return k: the number of bytes to keep (0 drops the packet)');
  assert.deepEqual(labels(complete(CBPF, 'jne #0x800, ')), ['drop']);
  const anc = typing('\tld #', 'cbpf');
  assert.ok(labels(anc).includes('proto') && labels(anc).includes('len'));
  assert.equal(anc.find((i) => i.label === 'proto')?.insertText, undefined);
  assert.equal(typing('\tld ', 'cbpf').find((i) => i.label === 'proto')?.insertText, '#proto');
  assert.deepEqual(typing('\tret #0 ; a comm', 'cbpf'), []);
});

test('nothing inside a comment', () => {
  assert.deepEqual(typing('.section xdp\nr0 = 0 # the verdict, r'), []);
  assert.deepEqual(typing('.section xdp\n; call '), []);
  assert.deepEqual(typing('.section xdp\nr0 = 0 // call '), []);
});

test('signature help: the helper\'s arguments as registers, the first one not yet set active', () => {
  const a = analyzeDocument('.map m, type=hash, key=4, value=8, max_entries=1\n.section xdp\nr1 = 0\nout:\nr2 = r10\nr2 += -4\nr1 = m ll\ncall bpf_map_update_elem\nexit\n');
  const s = signatureHelpAt(a, 7, 10);
  assert.ok(s);
  assert.equal(s.label, 'long bpf_map_update_elem(r1: struct bpf_map *map, r2: const void *key, r3: const void *value, r4: u64 arg4)');
  assert.deepEqual(s.parameters.map((p) => p.label), ['r1: struct bpf_map *map', 'r2: const void *key', 'r3: const void *value', 'r4: u64 arg4']);
  for (const p of s.parameters) assert.ok(s.label.includes(p.label), 'parameter labels are substrings of the signature');
  assert.match(s.parameters[1].documentation ?? '', /ARG_PTR_TO_MAP_KEY/);
  assert.equal(s.activeParameter, 2);
  // r1 set before a label does not count: code may jump there with r1 unset.
  const b = analyzeDocument('.section xdp\nr1 = 0\nout:\ncall bpf_map_lookup_elem\nexit\n');
  assert.equal(signatureHelpAt(b, 3, 4)?.activeParameter, 0);
  assert.equal(signatureHelpAt(UBPF, UBPF.lines.findIndex((l) => l.includes('call 1')), 6)?.label, 'void *bpf_map_lookup_elem(r1: struct bpf_map *map, r2: const void *key)');
  assert.equal(signatureHelpAt(analyzeDocument('.section xdp\ncall bpf_'), 1, 9), undefined);
  assert.equal(signatureHelpAt(analyzeDocument('.section xdp\ncall '), 1, 5), undefined);
  assert.equal(signatureHelpAt(XDP, 14, 3), undefined, 'not a call');
  const noProto = HELPERS.find((h) => !('proto' in h))!;
  const c = signatureHelpAt(analyzeDocument(`.section tc\ncall bpf_${noProto.name}\n`), 1, 6);
  assert.equal(c?.label, `bpf_${noProto.name}(...)`);
  assert.deepEqual(c?.parameters, []);
  assert.equal(signatureHelpAt(CBPF, 4, 2), undefined);
});

// ---------------------------------------------------------------------------------------------

/** Every position of the document, and a few past the end of each line. */
function everyPosition(a: Analysis, each: (line: number, col: number) => void): void {
  for (let line = -1; line <= a.lines.length; line++) {
    const len = a.lines[line]?.length ?? 0;
    for (let col = 0; col <= len + 1; col++) each(line, col);
  }
}

function probeAll(a: Analysis): void {
  everyPosition(a, (line, col) => {
    const where = `${a.language} ${line}:${col} in\n${a.text}`;
    try {
      hoverAt(a, line, col);
      for (const item of completionsAt(a, line, col).slice(0, 3)) resolveCompletion(item);
      signatureHelpAt(a, line, col);
    } catch (e) {
      assert.fail(`threw at ${where}\n${(e as Error).stack}`);
    }
  });
}

test('fuzz: never throws at any position of the examples', () => {
  for (const name of ['xdp_drop_udp.bpf.s', 'socket_ubpf.bpf.s']) probeAll(analyzeDocument(example(name)));
  probeAll(analyzeDocument(example('http_syn.cbpf'), { language: 'cbpf' }));
  probeAll(analyzeDocument(example('xdp_drop_udp.bpf.s'), { language: 'cbpf' }));
  probeAll(analyzeDocument(example('http_syn.cbpf')));
});

const SOUP = [
  'r0', 'r1', 'r2', 'r6', 'r10', 'w1', 'w7', 'r11', '%r1', '=', '+=', '-=', '<<=', 's>>=', '==', '!=', '>', 's<', '&', '+', '-', '*', '(', ')', '[', ']',
  ',', ':', ';', '#', '//', '"GPL"', '0', '1', '4', '14', '-4', '0x800', '0xffffffff', '99999999999999999999', 'u8', 'u16', 'u32', 'u64', 's32',
  'if', 'goto', 'gotol', 'call', 'call local', 'callx', 'exit', 'lock', 'll', 'be16', 'atomic_fetch_add', 'may_goto', 'skb',
  'mov', 'add', 'add32', 'ldxw', 'ldxdw', 'stxw', 'stdw', 'lddw', 'jeq', 'jne', 'ja', 'ldabsh', 'map_fd', 'map_value',
  'bpf_map_lookup_elem', 'bpf_redirect', 'map_lookup_elem', 'bpf_', 'counts', 'out', 'out:', 'f:', 'label:',
  '.section', 'xdp', 'tc', 'kprobe/foo', 'socket', '.map', 'counts,', 'type=hash,', 'key=4,', 'value=8,', 'max_entries=4', '.license',
  '.globl', '.text', '.rodata', '.quad', '.p2align', '.bogus',
  'ld', 'ldh', 'ldb', 'ldx', '#proto', '#len', '[12]', '[x + 16]', '4*([14]&0xf)', 'jeq', '#0x800,', 'drop', 'drop:', 'ret', '#0', 'tax', 'txa', 'M[3]',
  '\n', '\n', '\n', '\n', '\t', ' ',
];

test('fuzz: never throws on token soup (deterministic seed)', () => {
  const r = rng(0x5eed);
  for (let n = 0; n < 300; n++) {
    const toks = Array.from({ length: randInt(r, 1, 40) }, () => SOUP[randInt(r, 0, SOUP.length - 1)]);
    const text = toks.join(' ');
    const a = analyzeDocument(text, { language: n % 4 === 3 ? 'cbpf' : 'ebpf', defaultProgType: n % 2 ? 'xdp' : 'socket_filter' });
    probeAll(a);
  }
});

test('fuzz: never throws on valid programs with one line cut short (as while typing)', () => {
  const r = rng(42);
  const base = example('xdp_drop_udp.bpf.s').split('\n');
  for (let n = 0; n < 60; n++) {
    const lines = base.slice();
    const k = randInt(r, 0, lines.length - 1);
    lines[k] = lines[k].slice(0, randInt(r, 0, lines[k].length));
    const a = analyzeDocument(lines.join('\n'));
    for (let col = 0; col <= lines[k].length; col++) {
      hoverAt(a, k, col);
      completionsAt(a, k, col);
      signatureHelpAt(a, k, col);
    }
  }
});
