/**
 * The translation of classic BPF to eBPF: for every row of the classic opcode table, a small
 * program around it is translated, accepted by our verifier (and by the kernel), and gives
 * the same verdict as the classic interpreter on a few frames, in our VM and in the kernel
 * (BPF_PROG_TEST_RUN, as sched_cls). The ancillary loads with no loadable equivalent are
 * refused at their line. The source map sends every eBPF instruction to its classic line.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CBPF_OPCODES, CInsn, SKF_LL_OFF, SKF_NET_OFF } from '../../core/cbpf/opcodes';
import { parseCbpf } from '../../core/cbpf/parse';
import { translateCbpf } from '../../core/cbpf/translate';
import { printTranslation } from '../../core/cbpf/print';
import { runThreeWays, KERNEL } from './threeWays';

const ins = (code: number, k = 0, jt = 0, jf = 0): CInsn => ({ code, jt, jf, k: k >>> 0 });
const LD_IMM = 0x00, LDX_IMM = 0x01, ST = 0x02, STX = 0x03, RET_K = 0x06, RET_A = 0x16, TXA = 0x87, MUL_K = 0x24, LDX_MEM = 0x61, ADD_X = 0x0c;

// Before the instruction under test: A, X, M[3] and M[4] hold known values.
const PROLOGUE = [ins(LDX_IMM, 5), ins(LD_IMM, 0x87654321), ins(ST, 3), ins(STX, 4)];
// After it: return X * 65599 + A, so that both registers show in the verdict.
const EPILOGUE = [ins(ST, 1), ins(TXA), ins(MUL_K, 65599), ins(LDX_MEM, 1), ins(ADD_X), ins(RET_A)];

function be16(v: number): number[] { return [v >> 8, v & 0xff]; }
const FRAMES = [
  // IPv4 TCP to a unicast MAC, 60 bytes.
  [2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, ...be16(0x0800), 0x45, 0, ...be16(40), 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ...be16(1234), ...be16(80), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  // ARP broadcast.
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 0xa, ...be16(0x0806), 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0xa, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2],
  // IPv6 UDP to a multicast MAC.
  [0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xa, ...be16(0x86dd), 0x60, 0, 0, 0, ...be16(12), 17, 64, ...new Array(32).fill(0).map((_, i) => i),
    ...be16(53), ...be16(3000), ...be16(12), 0, 0, 1, 2, 3, 4],
  // Only an Ethernet header, with an unknown EtherType.
  [0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0xa, ...be16(0x88b5)],
].map((f) => Uint8Array.from(f));

/** Programs exercising one row: for a jump, every shape of jt/jf the translation treats apart. */
function programsFor(row: (typeof CBPF_OPCODES)[number]): CInsn[][] {
  const k = row.k ?? (row.kind === 'ld_abs' || row.kind === 'ld_ind' || row.kind === 'ldx_msh' ? 14
    : row.kind.endsWith('mem') ? 3 : row.kind === 'st' || row.kind === 'stx' ? 2 : row.kind === 'ja' ? 0 : row.op === 'lsh' || row.op === 'rsh' ? 7 : 0x800);
  if (row.kind === 'jcond_k' || row.kind === 'jcond_x') {
    const rets = [ins(RET_K, 1), ins(RET_K, 2), ins(RET_K, 3)];
    const ks = row.kind === 'jcond_k' ? [0x800, 0x87654321, 0x90000000] : [0];
    return ks.flatMap((kk) => [[0, 1], [1, 0], [1, 2], [2, 1], [0, 0]].map(([jt, jf]) => [...PROLOGUE, ins(row.code, kk, jt, jf), ...rets]));
  }
  if (row.kind === 'ja') return [[...PROLOGUE, ins(row.code, 1), ins(RET_K, 1), ins(RET_K, 2)]];
  if (row.kind === 'ret_k' || row.kind === 'ret_a') return [[...PROLOGUE, ins(row.code, 77)]];
  return [[...PROLOGUE, ins(row.code, k), ...EPILOGUE]];
}

const UNTRANSLATABLE = new Set(['ld_nla', 'ld_nlan', 'ld_hatype', 'ld_poff']);

for (const row of CBPF_OPCODES) {
  test(`translation of ${row.id}: verified, and the same verdicts in the interpreter, the VM and the kernel`, () => {
    for (const prog of programsFor(row)) {
      const r = runThreeWays(prog, FRAMES);
      if (UNTRANSLATABLE.has(row.id)) {
        assert.equal(typeof r, 'string');
        assert.match(r as string, /insn 4: ld #\w+ has no equivalent in a loadable eBPF program/);
        continue;
      }
      assert.ok(typeof r !== 'string', `${row.id}: ${r}`);
      assert.equal(r.verifier.accepted, true, `${row.id}: our verifier: ${r.verifier.message}`);
      // Random numbers differ, and the kernel runs the test on whichever CPU it is on.
      if (row.id === 'ld_rand' || row.id === 'ld_cpu') {
        assert.ok(r.vm.every((v) => typeof v === 'number'), `${row.id}: ${r.vm}`);
        if (Array.isArray(r.kernel)) assert.ok(r.kernel.every((v) => typeof v === 'number'), `${row.id}: ${r.kernel}`);
        continue;
      }
      assert.deepEqual(r.vm, r.interp, `${row.id}: VM vs interpreter`);
      if (KERNEL.ok) assert.deepEqual(r.kernel, r.interp, `${row.id}: kernel vs interpreter`);
    }
  });
}

test('division and modulo by X = 0 return 0, loads outside the frame return 0', () => {
  for (const text of ['ld #7\nldx #0\ndiv x\nret #5', 'ld #7\nldx #0\nmod x\nret #5', 'ldx #3\nld #9\nmod x\nret a',
    'ld [60]\nret #1', 'ldh [x + 58]\nret #1', 'ldx #0xfffffff0\nldb [x + 20]\nret #1',
    `ld [${SKF_NET_OFF}]\nret a`, `ldh [${SKF_NET_OFF + 2}]\nret a`, `ldb [${SKF_LL_OFF + 13}]\nret a`, `ld [${SKF_LL_OFF + 57}]\nret a`,
    'ld [-4000]\nret #1', 'ld #len\nret a', 'ld #proto\nret a', 'ld #type\nret a', 'ld #ifidx\nret a', 'ld #vlan_avail\nret a',
    'ld #mark\nadd #1\nret a', 'ld #cpu\nret #3', 'ja l\nret #9\nl: ret #1', 'ldx #6\nld #9\nld [-4056]\nret a']) {
    const p = parseCbpf(text);
    assert.deepEqual(p.diagnostics, [], text);
    const r = runThreeWays(p.insns, FRAMES);
    assert.ok(typeof r !== 'string', `${text}: ${r}`);
    assert.equal(r.verifier.accepted, true, `${text}: ${r.verifier.message}`);
    assert.deepEqual(r.vm, r.interp, `${text}: VM vs interpreter`);
    if (KERNEL.ok) assert.deepEqual(r.kernel, r.interp, `${text}: kernel vs interpreter`);
  }
});

test('the source map: every eBPF instruction names its classic instruction and line', () => {
  const text = 'ldh [12]\njne #0x800, drop\nldx 4*([14]&0xf)\nldh [x + 16]\njeq #80, keep, drop\nkeep: ret #-1\ndrop: ret #0\n';
  const p = parseCbpf(text);
  assert.deepEqual(p.diagnostics, []);
  const t = translateCbpf(p.insns, p.lines);
  assert.equal(t.insns.length, t.origin.length);
  assert.equal(t.start.length, p.insns.length);
  t.start.forEach((s, c) => {
    assert.equal(t.origin[s], c, `insn ${c} starts at ${s}`);
    if (c > 0) assert.ok(s > t.start[c - 1]);
  });
  assert.deepEqual([...new Set(t.origin)], p.insns.map((_, c) => c), 'origin is monotone and covers every classic insn');
  const listing = printTranslation(p.insns, t, 'llvm');
  assert.match(listing, /; \(002\) ldxb 4\*\(\[14\]&0xf\)\n 5:\tr9 = r0\n 6:\tr0 = \*\(u8 \*\)skb\[0xe\]/);
  assert.match(listing, /; \(001\) jeq #0x800, L2, L6\n 4:\tif w0 != 0x800 goto/);
});

test('untranslatable ancillary loads are refused at their line; bpf_asm\'s one-label spellings parse', () => {
  const p = parseCbpf('ld #0\nldx #1\nld #nla\nret a\n');
  const t = translateCbpf(p.insns, p.lines);
  assert.equal(t.insns.length, 0);
  assert.equal(t.diagnostics.length, 1);
  assert.equal(t.diagnostics[0].span?.line, 2);
  assert.match(t.diagnostics[0].message, /ld #nla has no equivalent in a loadable eBPF program: the kernel walks netlink attributes/);
  const j = parseCbpf('ld #5\njne #5, a\njlt #4, a\njle x, a\njneq #1, a\nret #1\na: ret #2\n');
  assert.deepEqual(j.diagnostics, []);
  assert.deepEqual(j.insns.slice(1, 5).map((i) => [i.code, i.jt, i.jf]), [[0x15, 0, 4], [0x35, 0, 3], [0x2d, 0, 2], [0x15, 0, 1]]);
});
