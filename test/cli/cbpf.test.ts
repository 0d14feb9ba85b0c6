/** Classic BPF files in the CLI: asm checks, disasm prints both syntaxes and the translation, verify runs the classic checker and our verifier on the translation, run filters packets. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../paths';
import { findTool, missingTools, run } from '../tools';
import { writePcap } from '../../core/input/pcap';

const cli = (...args: string[]) => run(process.execPath, [CLI, ...args]);
/** IPv4 only: keep 0xffff bytes of IPv4 frames, drop the rest. */
const IPV4_ONLY = '; keep IPv4 frames\n  ldh [12]\n  jeq #0x800, keep, drop\nkeep: ret #0xffff\ndrop: ret #0\n';
const IPV4 = Buffer.from('000000000000020000000001080045000014000000004011000' + '0c0a800010a000001', 'hex');
const IPV6 = Buffer.from('00000000000002000000000186dd' + '00'.repeat(40), 'hex');

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cbpf-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('asm, disasm and verify read bpf_asm files', () => {
  withDir((dir) => {
    const f = join(dir, 'f.cbpf');
    writeFileSync(f, IPV4_ONLY);
    assert.match(cli('asm', f).stdout, /ok, 4 classic instructions/);
    assert.equal(cli('asm', f, '--hex').stdout, '{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x0000ffff },\n{ 0x6, 0, 0, 0x00000000 },\n');
    assert.equal(cli('disasm', f, '--syntax', 'tcpdump').stdout,
      '(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n(002) ret      #65535\n(003) ret      #0\n');
    assert.equal(cli('verify', f).status, 0);
    const bad = join(dir, 'bad.cbpf');
    writeFileSync(bad, 'ld M[3]\nret a\n');
    assert.equal(cli('verify', bad).status, 1);
    writeFileSync(bad, 'ldh [12\nret #0\n');
    const r = cli('asm', bad);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.cbpf:1:/);
  });
});

test('run filters each packet of a capture, as tcpdump would', () => {
  withDir((dir) => {
    const f = join(dir, 'f.cbpf');
    writeFileSync(f, IPV4_ONLY);
    const pcap = join(dir, 'in.pcap');
    writeFileSync(pcap, writePcap([IPV4, IPV6, IPV4]));
    const out = JSON.parse(cli('run', f, '--pcap', pcap, '--json').stdout);
    assert.deepEqual(out.packets.map((p: { retval: number }) => p.retval), [0xffff, 0, 0xffff]);
    assert.match(cli('run', f, '--packet', IPV6.toString('hex')).stdout, /^drop$/m);
  });
});

test('tcpdump -d output reads back and prints as tcpdump prints it', { skip: missingTools('tcpdump') }, () => {
  withDir((dir) => {
    const d = run(findTool('tcpdump')!, ['-d', 'tcp port 80 or icmp']);
    assert.equal(d.status, 0, d.stderr);
    const f = join(dir, 'f.cbpf');
    writeFileSync(f, d.stdout);
    assert.equal(cli('disasm', f, '--syntax', 'tcpdump').stdout, d.stdout);
  });
});

test('verify checks the eBPF translation too, on the classic lines; disasm lists it; run --ebpf runs it', () => {
  withDir((dir) => {
    const f = join(dir, 'f.cbpf');
    writeFileSync(f, IPV4_ONLY);
    const v = cli('verify', f);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /accepted by the classic checker \(4 instructions\); its eBPF translation \(9 instructions\)/);
    assert.match(v.stdout, /tc\/cbpf_filter: accepted \(sched_cls\)/);
    assert.equal(cli('disasm', f, '--syntax', 'llvm').stdout, [
      '; prologue: A = X = 0, r6 = the skb', '0:\tw0 = 0x0', '1:\tw7 = 0x0', '2:\tr6 = r1',
      '; (000) ldh [12]', '3:\tr0 = *(u16 *)skb[0xc]',
      '; (001) jeq #0x800, L2, L3', '4:\tif w0 != 0x800 goto +0x2',
      '; (002) ret #65535', '5:\tw0 = 0xffff', '6:\texit',
      '; (003) ret #0', '7:\tw0 = 0x0', '8:\texit', ''].join('\n'));
    const ebpf = JSON.parse(cli('run', f, '--ebpf', '--packet', IPV4.toString('hex'), '--json').stdout);
    assert.equal(ebpf.retval, 0xffff);
    // An ancillary load with no loadable equivalent: refused on its line by verify, still run by the interpreter.
    writeFileSync(f, 'ld #hatype\nret a\n');
    const h = cli('verify', f, '--json');
    assert.equal(h.status, 1);
    const j = JSON.parse(h.stdout);
    assert.equal(j.accepted, false);
    assert.deepEqual(j.diagnostics.map((d: { line: number; code: string }) => [d.line, d.code]), [[1, 'cbpf-translate']]);
    assert.match(j.diagnostics[0].message, /ld #hatype has no equivalent/);
    assert.match(cli('run', f, '--packet', IPV4.toString('hex')).stdout, /accept \(keep 1 bytes\)/);
    // A classic refusal is JSON too, with its line.
    writeFileSync(f, 'ld #1\nld M[3]\nret a\n');
    const m = JSON.parse(cli('verify', f, '--json').stdout);
    assert.deepEqual(m.diagnostics.map((d: { line: number; code: string }) => [d.line, d.code]), [[2, 'cbpf-check']]);
  });
});
