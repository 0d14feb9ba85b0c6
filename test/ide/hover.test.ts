/**
 * Hover on real documents (the examples) and small inline programs: each case checks that
 * the markdown states the right facts, read from the same tables and analysis the editor uses.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { Analysis, analyzeDocument } from '../../core/ide/analysis';
import { explainRegState, hoverAt } from '../../core/ide/hover';
import { slotHex } from '../../core/isa/insn';

const example = (name: string) => readFileSync(join(REPO_ROOT, 'examples', name), 'utf8');
const XDP = analyzeDocument(example('xdp_drop_udp.bpf.s'));
const UBPF = analyzeDocument(example('socket_ubpf.bpf.s'));
const CBPF = analyzeDocument(example('http_syn.cbpf'), { language: 'cbpf' });

/** The position `offset` characters into the first occurrence of `needle` (after line `from`). */
function pos(a: Analysis, needle: string, offset = 0, from = 0): { line: number; col: number } {
  const line = a.lines.findIndex((l, k) => k >= from && l.includes(needle));
  assert.ok(line >= 0, `no line contains ${needle}`);
  return { line, col: a.lines[line].indexOf(needle) + offset };
}

/** The hover markdown at `needle`; fails when there is none. */
function hover(a: Analysis, needle: string, offset = 0, from = 0): string {
  const p = pos(a, needle, offset, from);
  const h = hoverAt(a, p.line, p.col);
  assert.ok(h, `no hover at ${needle}`);
  assert.equal(h.span.line, p.line);
  assert.ok(h.span.col <= p.col && p.col <= h.span.endCol, `the span ${JSON.stringify(h.span)} covers column ${p.col}`);
  return h.markdown;
}

function includesAll(text: string, parts: string[]): void {
  for (const p of parts) assert.ok(text.includes(p), `expected ${JSON.stringify(p)} in:\n${text}`);
}

test('the documents analyse cleanly', () => {
  for (const a of [XDP, UBPF, CBPF]) assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
});

test('a register shows its state before the instruction and after it when it changed', () => {
  includesAll(hover(XDP, 'r3 = *(u32 *)(r1 + 4)'), ['**r3**', 'Before this instruction: not readable', 'After it: `R3=pkt_end()`', 'end of the packet']);
  includesAll(hover(XDP, 'r4 += 20'), ['`R4=pkt(off=14,r=14)`', '`R4=pkt(off=34,r=14)`', '34 bytes past the packet start']);
  const base = hover(XDP, '(r1 + 4)', 1);
  includesAll(base, ['`R1=ctx()`', 'context (`xdp_md`)']);
  assert.ok(!base.includes('After it'), 'r1 does not change on that line');
  includesAll(hover(XDP, '= w7', 2), ['**w7**', 'low 32 bits', 'R7=scalar(']);
});

test('the kernel\'s register notation reads as plain English', () => {
  includesAll(explainRegState('pkt(off=14,r=34)'), ['into the packet', '14 bytes past the packet start', 'proven to hold 34 bytes', 'so 20 can be read']);
  includesAll(explainRegState('pkt(r=0)'), ['no packet byte is proven in bounds yet']);
  includesAll(explainRegState('map_value_or_null(id=2,map=counts,ks=4,vs=8)'), ['value of the map `counts`', 'key 4 bytes, value 8 bytes', 'may be NULL']);
  includesAll(explainRegState('map_ptr(map=counts,ks=4,vs=8)'), ['the map `counts`']);
  includesAll(explainRegState('ctx()', '__sk_buff'), ['context (`__sk_buff`)']);
  includesAll(explainRegState('fp-8'), ['8 bytes below the frame pointer']);
  includesAll(explainRegState('fp0'), ['the frame pointer']);
  includesAll(explainRegState('0xffffffff'), ['4294967295']);
  includesAll(explainRegState('scalar()'), ['any 64-bit value']);
  includesAll(explainRegState('scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))'), ['0 to 255', 'low 8 bits']);
  includesAll(explainRegState('scalar(umin=1,umax=10)'), ['unsigned 1 to 10']);
  includesAll(explainRegState('scalar(smin=-5,smax=5)'), ['signed -5 to 5']);
  includesAll(explainRegState('Pscalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3))'), ['Precise']);
  includesAll(explainRegState('weird'), ['`weird`']);
});

test('a helper after call shows its prototype, id, doc and whether the program type may call it', () => {
  const md = hover(XDP, 'bpf_map_lookup_elem', 3);
  includesAll(md, ['void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)', 'Helper #1', 'Look up a key', '`xdp` programs may call it', '`r1` `struct bpf_map *map`']);
  includesAll(hover(UBPF, 'call 1', 5), ['void *bpf_map_lookup_elem(', 'Helper #1', '`socket_filter` programs may call it']);
  includesAll(hover(UBPF, 'call 2', 5), ['long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, u64 arg4)']);
  const bare = analyzeDocument('.section tc\nr1 = 0\ncall map_lookup_elem\nr0 = 0\nexit\n');
  includesAll(hover(bare, 'map_lookup_elem', 2), ['void *bpf_map_lookup_elem(', '`sched_cls` programs may call it']);
  const kprobe = analyzeDocument('.section kprobe/do_unlinkat\nr1 = 0\nr2 = 0\ncall bpf_redirect\nr0 = 0\nexit\n');
  includesAll(hover(kprobe, 'bpf_redirect'), ['long bpf_redirect(', '`kprobe` programs cannot call it', 'program of this type cannot use helper bpf_redirect#23']);
});

test('a map shows its definition, where it is declared and how often it is used', () => {
  for (const md of [hover(XDP, 'counters,'), hover(XDP, 'counters ll')]) {
    includesAll(md, ['map `counters`', 'array', 'key 4 bytes', 'value 8 bytes', 'max_entries 4', 'flags none', 'Declared on line 9', '1 reference']);
  }
  includesAll(hover(UBPF, 'map_fd(packets_by_proto)', 8), ['hash', 'max_entries 1024', '2 references']);
  const flags = analyzeDocument('.map h, type=hash, key=8, value=8, max_entries=16, flags=no_prealloc|zero_seed\n');
  includesAll(hover(flags, 'h,'), ['no_prealloc | zero_seed']);
});

test('a label or function shows where it is defined and its references', () => {
  includesAll(hover(XDP, 'count:'), ['label `count`', 'line 32', 'function `xdp_drop_udp`', '4 references']);
  includesAll(hover(XDP, 'goto out', 6), ['label `out`', 'line 41', '1 reference']);
  includesAll(hover(XDP, 'xdp_drop_udp:', 0, pos(XDP, '.globl').line), ['function `xdp_drop_udp`', 'section `xdp`', 'verified as `xdp`']);
});

test('a context access names the field of the program type\'s context struct', () => {
  const end = hover(XDP, '*(u32 *)(r1 + 4)', 3);
  includesAll(end, ['`xdp_md.data_end`', 'offset 4', 'load is allowed', 'readable and not writable', 'packet pointer (`pkt_end`)']);
  assert.equal(hoverAt(XDP, pos(XDP, '*(u32 *)(r1 + 4)').line, pos(XDP, '*(u32 *)(r1 + 4)').col)?.span.endCol, pos(XDP, '*(u32 *)(r1 + 4)', 16).col);
  const tc = analyzeDocument('.section tc\nr2 = *(u32 *)(r1 + 16)\nr3 = 1\n*(u32 *)(r1 + 8) = w3\nr2 = *(u32 *)(r1 + 56)\nr0 = 0\nexit\n');
  includesAll(hover(tc, '(r1 + 16)', 4), ['`__sk_buff.protocol`', 'sched_cls', 'not writable']);
  includesAll(hover(tc, '*(u32 *)(r1 + 8)', 2), ['`__sk_buff.mark`', 'store is allowed', 'readable and writable']);
  includesAll(hover(tc, '(r1 + 56)', 6), ['`__sk_buff.cb[2]`', 'offset 56']);
  const sock = analyzeDocument('.section socket\nr2 = *(u32 *)(r1 + 8)\nr0 = 0\nexit\n');
  includesAll(hover(sock, '(r1 + 8)', 6), ['`__sk_buff.mark`', 'socket_filter', 'readable and not writable']);
  // uBPF spelling, through a copy of the context pointer.
  includesAll(hover(UBPF, '[r6+16]', 5), ['`__sk_buff.protocol`', 'offset 16']);
  // A load through a packet pointer is no context access: the instruction shows instead.
  includesAll(hover(XDP, '*(u16 *)(r2 + 12)', 3), ['**ldxh**']);
});

test('an instruction shows its doc, its bytes as slotHex prints them and the state change', () => {
  const p = XDP.programs[0].program;
  const at = pos(XDP, 'r4 += 14');
  const idx = XDP.insnsAtLine.get(at.line)![0].insnIdx;
  const md = hover(XDP, 'r4 += 14', 3);
  includesAll(md, ['**add64_imm**', 'dst += imm (64-bit)', '```ebpf\nr4 += 0xe\n```', `\`${slotHex(p.insns[idx])}\``, 'add r4, 14',
    'before: R1=ctx() R2=pkt(r=0) R3=pkt_end() R4=pkt(r=0) R6=2 R7=0 R10=fp0', 'after:  R4=pkt(off=14,r=0)']);
  assert.equal(slotHex(p.insns[idx]), '07 04 00 00 0e 00 00 00');
  const ld = pos(XDP, 'counters ll');
  const ldIdx = XDP.insnsAtLine.get(ld.line)![0].insnIdx;
  includesAll(hover(XDP, 'r1 = counters', 3), [
    '**lddw**', `\`${slotHex(p.insns[ldIdx])}\` \`${slotHex(p.insns[ldIdx + 1])}\``, 'Loads map `counters`', 'after:  R1=map_ptr(map=counters,ks=4,vs=8)']);
  includesAll(hover(XDP, 'goto count', 0), ['**jgt_reg**', 'Jumps to `count`, line 33']);
  includesAll(hover(XDP, 'call bpf_map_lookup_elem', 1), ['**call**', 'Calls `void *bpf_map_lookup_elem(', 'No longer readable after it: R1, R2, R3']);
  // Anywhere on the line, comments included.
  includesAll(hover(XDP, '# the verdict', 3), ['**mov64_imm**']);
});

test('an instruction the verifier never reached, or a document that does not assemble, says so', () => {
  const dead = analyzeDocument('.section xdp\nr0 = 0\nexit\nr0 = 1\nexit\n');
  includesAll(hover(dead, 'r0 = 1', 3), ['never reached']);
  const broken = analyzeDocument('.section xdp\nr0 = 0\nr1 = *(u32 *)(r2 + )\nexit\n');
  includesAll(hoverAt(broken, 2, 1)?.markdown ?? '', ['**r1**', 'No instruction on this line was verified']);
  includesAll(hoverAt(broken, 1, 0)?.markdown ?? '', ['**r0**', 'Not verified: the document has errors']);
  includesAll(hoverAt(broken, 1, 4)?.markdown ?? '', ['**mov64_imm**', 'Not verified']);
});

test('a line shared by two programs shows the first program', () => {
  const a = analyzeDocument('.text\nsub:\nr0 = 1\nexit\n.section xdp\n.globl prog_a\nprog_a:\ncall sub\nexit\n.section tc\n.globl prog_b\nprog_b:\ncall sub\nexit\n');
  assert.equal(a.insnsAtLine.get(2)?.length, 2);
  includesAll(hover(a, 'r0 = 1', 3), ['`prog_a` (xdp)']);
});

test('a directive says what it does; .section adds the program type and its context', () => {
  includesAll(hover(XDP, '.section xdp', 1), ['**.section**', 'as **xdp**', 'expected attach type `xdp`', 'struct xdp_md {', '__u32 data_end;']);
  includesAll(hover(XDP, '.section xdp', 10), ['as **xdp**']);
  includesAll(hover(XDP, '.license'), ['**.license**', '`GPL` is GPL-compatible']);
  includesAll(hover(XDP, '.globl', 1), ['global']);
  includesAll(hover(XDP, '.map', 1), ['Declares a map']);
  const k = analyzeDocument('.section kprobe/do_unlinkat\nr0 = 0\nexit\n.section foo\nr0 = 0\nexit\n.section .rodata\n.p2align 3\n');
  includesAll(hover(k, '.section kprobe', 1), ['as **kprobe**', 'struct pt_regs {']);
  includesAll(hover(k, '.section foo', 1), ['does not recognise', '`socket_filter`']);
  includesAll(hover(k, '.section .rodata', 1), ['holds data']);
  includesAll(hover(k, '.p2align', 1), ['ignored']);
});

test('classic BPF: the instruction, its encoding, its eBPF translation and the state before it', () => {
  const md = hover(CBPF, 'ldh [12]', 1);
  includesAll(md, ['**ldh_abs**', 'half-word at packet offset k', '{ code: 0x28, jt: 0, jf: 0, k: 0xc }', 'r0 = *(u16 *)skb[0xc]', 'with the prologue', 'R6=ctx()']);
  includesAll(hover(CBPF, 'jne #0x800', 1), ['**jeq_k**', '{ code: 0x15, jt: 0, jf: 11, k: 0x800 }', 'True: line 7. False: line 18.', 'if w0 != 0x800 goto']);
  includesAll(hover(CBPF, 'ldx 4*([14]&0xf)', 1), ['**ldxb_msh**', 'r0 = *(u8 *)skb[0xe]', 'r7 = r0']);
  includesAll(hover(CBPF, 'drop:'), ['label `drop`', '5 references']);
  const anc = analyzeDocument('\tld #proto\n\tret #0\n', { language: 'cbpf' });
  includesAll(hover(anc, 'proto', 1), ['**#proto**', 'EtherType']);
  includesAll(hover(anc, 'ld #proto'), ['**ld_proto**', 'k: 0xfffff000', 'be16']);
});
