/**
 * Classic BPF: every opcode-table row prints and parses back in all four spellings, the
 * parser reports bad lines, the checker rejects what the kernel rejects, and the
 * interpreter computes what the instructions say.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CBPF_OPCODES, CInsn, SKF_AD_OFF, lookupCbpfRow } from '../../core/cbpf/opcodes';
import { detectCbpfFormat, parseCbpf } from '../../core/cbpf/parse';
import { printBpfAsm, printTcpdump, printTcpdumpDd, printTcpdumpDdd } from '../../core/cbpf/print';
import { checkCbpf } from '../../core/cbpf/check';
import { createCbpfMachine, runCbpf } from '../../core/cbpf/run';

const RET0: CInsn = { code: 0x06, jt: 0, jf: 0, k: 0 };

/** A small program exercising a row: the instruction, then enough rets for its jumps. */
function programFor(row: (typeof CBPF_OPCODES)[number]): CInsn[] {
  const usesK = /\{(k|kx|target)\}/.test(row.asm);
  const k = row.k ?? (!usesK ? 0 : row.kind === 'ja' ? 1 : row.kind === 'ld_abs' || row.kind === 'ld_ind' ? 14 : row.kind.endsWith('mem') || row.kind === 'st' || row.kind === 'stx' ? 3 : 0x800);
  const jumps = row.kind === 'jcond_k' || row.kind === 'jcond_x';
  return [{ code: row.code, jt: jumps ? 1 : 0, jf: jumps ? 2 : 0, k }, RET0, { ...RET0, k: 1 }, { ...RET0, k: 2 }];
}

test('row ids are unique and every row is found by its code and k', () => {
  assert.equal(new Set(CBPF_OPCODES.map((r) => r.id)).size, CBPF_OPCODES.length);
  for (const row of CBPF_OPCODES) assert.equal(lookupCbpfRow(row.code, row.k ?? 0)?.id, row.id);
  const anc = CBPF_OPCODES.filter((r) => r.kind === 'ld_anc').map((r) => r.asm);
  for (const name of ['len', 'proto', 'type', 'poff', 'ifidx', 'nla', 'nlan', 'mark', 'queue', 'hatype', 'rxhash', 'cpu',
    'vlan_tci', 'vlan_avail', 'vlan_tpid', 'rand']) {
    if (name !== 'len') assert.ok(anc.includes(`ld #${name}`), name);
  }
  assert.equal(lookupCbpfRow(0x20, (SKF_AD_OFF + 0) >>> 0)?.id, 'ld_proto');
});

for (const row of CBPF_OPCODES) {
  test(`round trip ${row.id}`, () => {
    const prog = programFor(row);
    for (const [name, text] of [['asm', printBpfAsm(prog)], ['-d', printTcpdump(prog)], ['-dd', printTcpdumpDd(prog)], ['-ddd', printTcpdumpDdd(prog)]]) {
      const p = parseCbpf(text);
      assert.deepEqual(p.diagnostics, [], `${name}:\n${text}`);
      assert.deepEqual(p.insns, prog, `${name}:\n${text}`);
    }
  });
}

test('bpf_asm syntax: labels, optional jf, comments, spellings', () => {
  const p = parseCbpf(`
; IPv4 TCP to port 22?
    ldh [12]            ; ethertype
    jeq #0x800, ipv4, drop
ipv4: ldb [23]
    jeq #6, tcp
    ja drop
tcp: ldx 4*([14]&0xf)
    ldh [x + 16]
    JEQ #22, keep, drop
keep: ret #0xffff
drop: ret #0
`);
  assert.equal(p.format, 'bpf_asm');
  assert.deepEqual(p.diagnostics, []);
  assert.deepEqual(p.insns, [
    { code: 0x28, jt: 0, jf: 0, k: 12 }, { code: 0x15, jt: 0, jf: 7, k: 0x800 }, { code: 0x30, jt: 0, jf: 0, k: 23 },
    { code: 0x15, jt: 1, jf: 0, k: 6 }, { code: 0x05, jt: 0, jf: 0, k: 4 }, { code: 0xb1, jt: 0, jf: 0, k: 14 },
    { code: 0x48, jt: 0, jf: 0, k: 16 }, { code: 0x15, jt: 0, jf: 1, k: 22 }, { code: 0x06, jt: 0, jf: 0, k: 0xffff },
    { code: 0x06, jt: 0, jf: 0, k: 0 },
  ]);
  assert.deepEqual(p.lines[1], { line: 3, col: 4, endCol: 26 });
  assert.deepEqual(parseCbpf('ld #proto\nld M[3]\nldb [%x + 14]\nret a\n').insns.map((i) => i.code), [0x20, 0x60, 0x50, 0x16]);
});

test('formats are told apart by content', () => {
  assert.equal(detectCbpfFormat('(000) ldh      [12]\n'), 'tcpdump-d');
  assert.equal(detectCbpfFormat('{ 0x28, 0, 0, 0x0000000c },\n'), 'tcpdump-dd');
  assert.equal(detectCbpfFormat('2\n40 0 0 12\n6 0 0 0\n'), 'tcpdump-ddd');
  assert.equal(detectCbpfFormat('2,40 0 0 12,6 0 0 0,'), 'tcpdump-ddd');
  assert.equal(detectCbpfFormat('ldh [12]\nret #0\n'), 'bpf_asm');
  assert.deepEqual(parseCbpf('2,40 0 0 12,6 0 0 0,').insns, [{ code: 40, jt: 0, jf: 0, k: 12 }, RET0]);
});

test('parse errors name the line and what was expected', () => {
  const cases: Array<[string, RegExp, number]> = [
    ['ldh [12\nret #0', /^line 1: unexpected the end of the line; expected ldh \[k\] or ldh \[x \+ k\]/, 0],
    ['ret #0\nfoo #1', /^line 2: unknown instruction 'foo'; expected one of/, 1],
    ['jeq #1, nowhere\nret #0', /^line 1: unknown label 'nowhere'/, 0],
    ['back: ret #0\nja back', /^line 2: jump to 'back' goes backward/, 1],
    ['a: ret #0\na: ret #1', /^line 2: label 'a' is already defined/, 1],
    ['ld [0x100000000]\nret #0', /^line 1: unexpected '0x100000000'/, 0],
    ['(000) ldh [12]\n(001) jeq #0x800 jt 0 jf 2\n(002) ret #0', /^line 2: jt 0 is not a forward target/, 1],
    ['(000) ldh [12]\nret #0', /^line 2: expected '\(NNN\) instruction'/, 1],
    ['{ 0x28, 0, 0, 0x0c },\n{ 0x6, 0, 0 },', /^line 2: expected \{ code, jt, jf, k \},/, 1],
    ['3\n40 0 0 12\n6 0 0 0', /^line 1: the count says 3 instructions but 2 follow/, 0],
    ['2\n40 0 0 12\n6 0 300 0', /^line 3: a field is out of range; expected jf \(0\.\.255\)/, 2],
  ];
  for (const [text, re, line] of cases) {
    const d = parseCbpf(text).diagnostics.filter((x) => x.severity === 'error');
    assert.equal(d.length, 1, `${text}: ${JSON.stringify(d)}`);
    assert.match(d[0].message, re, text);
    assert.equal(d[0].span?.line, line, text);
  }
  const far = ['jeq #1, end', ...new Array(300).fill('ld #1'), 'end: ret #0'].join('\n');
  assert.match(parseCbpf(far).diagnostics[0].message, /reaches at most 255/);
});

function checkMessages(text: string): string[] {
  const p = parseCbpf(text);
  assert.deepEqual(p.diagnostics, [], text);
  return checkCbpf(p.insns, p.lines).map((d) => d.message);
}

test('the checker accepts what the kernel accepts', () => {
  assert.deepEqual(checkMessages('ldh [12]\njeq #0x800, a, b\na: st M[1]\nld M[1]\nret a\nb: ret #0'), []);
  // Both paths into `c` write M[0].
  assert.deepEqual(checkMessages('ld #1\njeq #1, a, b\na: st M[0]\nja c\nb: st M[0]\nc: ldx M[0]\nret #1'), []);
});

test('the checker rejects what the kernel rejects, naming the instruction', () => {
  const cases: Array<[CInsn[] | string, RegExp]> = [
    [[], /the filter is empty/],
    [new Array(4097).fill(RET0), /4097 instructions; the kernel takes at most 4096/],
    ['ld #1\nadd #2', /^insn 1 \(add_k\): the last instruction must be a ret/],
    ['div #0\nret a', /^insn 0 \(div_k\): div by the constant 0/],
    ['mod #0\nret a', /^insn 0 \(mod_k\): mod by the constant 0/],
    ['lsh #32\nret a', /^insn 0 \(lsh_k\): shift by 32/],
    ['ld M[16]\nret a', /^insn 0 \(ld_mem\): M\[16\] does not exist/],
    ['ld M[2]\nret a', /^insn 0 \(ld_mem\): M\[2\] is read before it is written/],
    ['ld #1\njeq #1, a, b\na: st M[0]\nb: ldx M[0]\nret #1', /^insn 3 \(ldx_mem\): M\[0\] is read before it is written/],
    [[{ code: 0x05, jt: 0, jf: 0, k: 1 }, RET0], /^insn 0 \(ja\): ja \+1 lands at 2, past the last instruction \(1\)/],
    [[{ code: 0x15, jt: 0, jf: 1, k: 0 }, RET0], /^insn 0 \(jeq_k\): jf lands at 2/],
    [[{ code: 0x0e, jt: 0, jf: 0, k: 0 }, RET0], /^insn 0 \(code 0xe\): code 0xe is not a classic BPF instruction/],
  ];
  for (const [prog, re] of cases) {
    const insns = typeof prog === 'string' ? parseCbpf(prog).insns : prog;
    const d = checkCbpf(insns);
    assert.ok(d.length >= 1, String(prog));
    assert.match(d[0].message, re);
    if (d[0].insnIdx !== undefined) assert.match(d[0].message, new RegExp(`^insn ${d[0].insnIdx} `));
  }
});

function run(text: string, packet: number[], ctx = {}): number {
  const p = parseCbpf(text);
  assert.deepEqual(p.diagnostics, [], text);
  return runCbpf(p.insns, Uint8Array.from(packet), ctx);
}

test('the interpreter: loads, ALU, jumps, scratch memory', () => {
  const pkt = [0x11, 0x22, 0x33, 0x44, 0x45, 0x66];
  assert.equal(run('ld [0]\nret a', pkt), 0x11223344);
  assert.equal(run('ldh [4]\nret a', pkt), 0x4566);
  assert.equal(run('ld [3]\nret a', pkt), 0, 'a load past the end returns 0');
  assert.equal(run('ldx #2\nldb [x + 2]\nret a', pkt), 0x45);
  assert.equal(run('ldxb 4*([4]&0xf)\ntxa\nret a', pkt), 20);
  assert.equal(run('ld #len\nret a', pkt), 6);
  assert.equal(run('ld #len\nret a', pkt, { wireLen: 1500 }), 1500);
  assert.equal(run('ld #10\nsub #11\nret a', pkt), 0xffffffff);
  assert.equal(run('ld #0x10000\nmul #0x10000\nret a', pkt), 0);
  assert.equal(run('ld #7\ndiv #2\nret a', pkt), 3);
  assert.equal(run('ld #7\nldx #0\ndiv x\nret #5', pkt), 0, 'dividing by X = 0 returns 0');
  assert.equal(run('ld #7\nldx #0\nmod x\nret #5', pkt), 0);
  assert.equal(run('ld #7\nmod #4\nret a', pkt), 3);
  assert.equal(run('ld #1\nldx #33\nlsh x\nret a', pkt), 2);
  assert.equal(run('ld #0xf0\nrsh #4\nxor #0xff\nand #0xfc\nor #1\nret a', pkt), 0xf1);
  assert.equal(run('ld #1\nneg\nret a', pkt), 0xffffffff);
  assert.equal(run('ld #5\nst M[15]\nldx M[15]\ntxa\nadd x\nret a', pkt), 10);
  assert.equal(run('ld #5\njgt #4, yes, no\nyes: ret #1\nno: ret #2', pkt), 1);
  assert.equal(run('ld #4\njge #4, yes, no\nyes: ret #1\nno: ret #2', pkt), 1);
  assert.equal(run('ld #4\njset #3, yes, no\nyes: ret #1\nno: ret #2', pkt), 2);
  assert.equal(run('ld #4\nldx #4\njeq x, yes, no\nyes: ret #1\nno: ret #2', pkt), 1);
  assert.equal(run('ld #proto\nret a', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xdd]), 0x86dd);
  assert.equal(run('ld #hatype\nret a', pkt), 1);
  assert.equal(run('ld #vlan_avail\nret a', pkt, { vlanTci: 5 }), 1);
  assert.equal(run(`ld [${(-0x200000 + 1) >>> 0}]\nret a`, pkt), 0x22334445, 'SKF_LL_OFF reads the frame');
  // Netlink attributes: two (len 8, type 1) and (len 8, type 2), little-endian headers.
  const nl = [8, 0, 1, 0, 0, 0, 0, 0, 8, 0, 2, 0, 0, 0, 0, 0];
  assert.equal(run('ld #0\nldx #2\nld #nla\nret a', nl), 8);
  assert.equal(run('ld #0\nldx #3\nld #nla\nret a', nl), 0);
});

test('the machine steps one instruction at a time', () => {
  const p = parseCbpf('ld #3\ntax\nadd x\nret a');
  const m = createCbpfMachine(p.insns, new Uint8Array(0));
  assert.equal(m.step(), true);
  assert.deepEqual([m.state.pc, m.state.A, m.state.X], [1, 3, 0]);
  m.step();
  m.step();
  assert.deepEqual([m.state.pc, m.state.A, m.state.X, m.done], [3, 6, 3, false]);
  assert.equal(m.step(), false);
  assert.equal(m.done, true);
  assert.equal(m.state.verdict, 6);
  assert.equal(m.state.steps, 4);
  assert.equal(m.step(), false);
  const bad = createCbpfMachine([{ code: 0x0e, jt: 0, jf: 0, k: 0 }], new Uint8Array(0));
  assert.equal(bad.run(), 0);
  assert.match(bad.state.fault ?? '', /not a classic BPF instruction/);
});
