/**
 * `run --jit` as users call it: the same JSON as without it (timings aside), for one
 * packet, a repeat, a whole capture and the examples; and `--repeat N --json` reports the
 * time of the runs alone (`nsPerRun`) beside the time with setting them up.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../paths';
import { run } from '../tools';
import { writePcap } from '../../core/input/pcap';

const cli = (...args: string[]) => run(process.execPath, [CLI, ...args]);

function withTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-jit-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** The JSON of a run, without its timings. */
function json(args: string[]): { status: number; out: Record<string, unknown>; stderr: string } {
  const r = cli(...args, '--json');
  const out = r.stdout ? JSON.parse(r.stdout) : {};
  delete out.nsPerRun;
  delete out.nsPerRunWithSetup;
  return { status: r.status, out, stderr: r.stderr };
}

const ETH_IPV4_UDP = '000102030405060708090a0b08004500001c00000000401100000a0000010a00000200350035000800';

test('run --jit prints what the interpreter prints, on the examples', () => {
  const cases: string[][] = [
    ['examples/xdp_drop_udp.bpf.s', '--packet', ETH_IPV4_UDP],
    ['examples/xdp_drop_udp.bpf.s', '--packet', ETH_IPV4_UDP, '--repeat', '50'],
    ['examples/xdp_firewall.bpf.s', '--packet', ETH_IPV4_UDP],
    ['examples/tc_counter.bpf.s', '--packet', ETH_IPV4_UDP, '--repeat', '3'],
    ['examples/socket_filter.bpf.s', '--packet', ETH_IPV4_UDP],
    ['test/data/bench/checksum.bpf.s', '--packet', ETH_IPV4_UDP],
    ['test/data/bench/filter.bpf.s', '--packet', ETH_IPV4_UDP],
  ];
  for (const c of cases) {
    const args = ['run', join(REPO_ROOT, c[0]), ...c.slice(1)];
    const a = json(args), b = json([...args, '--jit']);
    assert.equal(b.status, a.status, `${c.join(' ')}: ${b.stderr}`);
    assert.deepEqual(b.out, a.out, c.join(' '));
  }
});

test('run --jit --pcap: one compiled run per packet, the same verdicts and maps', () => {
  withTemp((dir) => {
    const pcap = join(dir, 'in.pcap');
    const udp = Buffer.from(ETH_IPV4_UDP, 'hex');
    const tcp = Buffer.from(ETH_IPV4_UDP.replace('4011', '4006'), 'hex');
    writeFileSync(pcap, writePcap([udp, tcp, Buffer.from('0102', 'hex'), udp]));
    const args = ['run', join(REPO_ROOT, 'examples/xdp_drop_udp.bpf.s'), '--pcap', pcap];
    const a = json(args), b = json([...args, '--jit']);
    assert.equal(a.status, 1); // the short packet is refused
    assert.equal(b.status, a.status, b.stderr);
    assert.deepEqual(b.out, a.out);
  });
});

test('run --repeat N --json reports nsPerRun (the runs alone) and nsPerRunWithSetup', () => {
  for (const jit of [[], ['--jit']]) {
    const r = cli('run', join(REPO_ROOT, 'test/data/bench/filter.bpf.s'), '--packet', ETH_IPV4_UDP, '--repeat', '2000', '--json', ...jit);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(typeof out.nsPerRun, 'number');
    assert.equal(typeof out.nsPerRunWithSetup, 'number');
    assert.ok(out.nsPerRun > 0 && out.nsPerRun < out.nsPerRunWithSetup, `${out.nsPerRun} vs ${out.nsPerRunWithSetup}`);
  }
});

test('run --jit: faults read as the interpreter says them', () => {
  withTemp((dir) => {
    const f = join(dir, 'bad.bpf.s');
    writeFileSync(f, '.section xdp\nr2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 200)\nexit\n');
    const a = json(['run', f, '--packet', ETH_IPV4_UDP]), b = json(['run', f, '--packet', ETH_IPV4_UDP, '--jit']);
    assert.equal(a.status, 1);
    assert.equal(b.status, 1);
    assert.deepEqual(b.out, a.out);
    assert.match(String(b.out.error), /invalid read of 1 byte at 0x[0-9a-f]+: .* at insn 1 \(line 3\)/);
  });
});
