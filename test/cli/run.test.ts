/** `run` as users and CI call it: inputs, the JSON of DESIGN.md, exit codes and clear errors. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../paths';
import { run } from '../tools';
import { writePcap } from '../../core/input/pcap';

const cli = (...args: string[]) => run(process.execPath, [CLI, ...args]);

function withTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-run-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

// An XDP program: XDP_DROP (1) for packets shorter than 14 bytes, else the EtherType, and it marks byte 0.
const XDP = `.section xdp
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 14
  if r4 > r3 goto short
  *(u8 *)(r2 + 0) = 0xaa
  r0 = *(u16 *)(r2 + 12)
  r0 = be16 r0
  exit
short:
  r0 = 1
  exit
`;

/** Ethernet + a 20-byte IPv4 header: BPF_PROG_TEST_RUN refuses skb packets with a partial network header. */
const ETH_IPV4 = '000102030405060708090a0b08004500001400000000401100000a0000010a000002';

test('run --json prints the object of DESIGN.md', () => {
  withTemp((dir) => {
    const f = join(dir, 'x.bpf.s');
    writeFileSync(f, XDP);
    const r = cli('run', f, '--packet', ETH_IPV4, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.exit, 'ok');
    assert.equal(out.r0, String(0x0800));
    assert.equal(out.retval, 0x0800);
    assert.equal(out.insns, 9);
    assert.equal(out.packet, 'aa' + ETH_IPV4.slice(2));
    assert.deepEqual(out.maps, {});
    assert.deepEqual(out.events, []);
    assert.deepEqual(out.printk, []);
    assert.equal(typeof out.nsPerRun, 'number');
    assert.equal(out.error, undefined);
  });
});

test('run --pcap: one run per packet, in file order; --pcap-index picks one', () => {
  withTemp((dir) => {
    const f = join(dir, 'x.bpf.s');
    writeFileSync(f, XDP);
    const pcap = join(dir, 'in.pcap');
    writeFileSync(pcap, writePcap([Buffer.from(ETH_IPV4, 'hex'), Buffer.from('0102', 'hex'), Buffer.from('000102030405060708090a0b86dd', 'hex')]));
    const r = cli('run', f, '--pcap', pcap, '--json');
    assert.equal(r.status, 1, r.stderr); // one packet failed
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.packets.map((p: { index: number; retval: number }) => [p.index, p.retval]), [[0, 0x800], [1, undefined], [2, 0x86dd]]);
    // A packet shorter than an Ethernet header: the kernel refuses it, so the run says so for that packet.
    assert.equal(out.packets[1].exit, 'fault');
    assert.match(out.packets[1].error, /BPF_PROG_TEST_RUN refuses this packet for xdp \(EINVAL\): 2 bytes, fewer than an Ethernet header/);
    const one = JSON.parse(cli('run', f, '--pcap', pcap, '--pcap-index', '2', '--json').stdout);
    assert.equal(one.retval, 0x86dd);
    assert.equal(cli('run', f, '--pcap', pcap, '--pcap-index', '3').status, 2);
  });
});

test('run raw: --mem is r1 and its length r2', () => {
  withTemp((dir) => {
    const f = join(dir, 'm.s');
    writeFileSync(f, 'ldxw r0, [r1+4]\nadd r0, r2\nexit\n');
    const r = cli('run', f, '--prog-type', 'raw', '--mem', '0000000001020304', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).r0, String(0x04030201 + 8));
  });
});

test('run kprobe: --ctx sets pt_regs fields by name', () => {
  withTemp((dir) => {
    const f = join(dir, 'k.bpf.s');
    writeFileSync(f, '.section kprobe/do_unlinkat\nr0 = *(u64 *)(r1 + 112)\nr2 = *(u64 *)(r1 + 104)\nr0 += r2\nexit\n');
    const r = cli('run', f, '--ctx', '{"di": 40, "si": 2}', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).r0, '42');
    const bad = cli('run', f, '--ctx', '{"rdi": 1}');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /pt_regs has no field 'rdi'/);
  });
});

test('socket filters see the packet from the network header; the output has the Ethernet header zeroed', () => {
  withTemp((dir) => {
    const f = join(dir, 's.bpf.s');
    writeFileSync(f, '.section socket\nr0 = *(u32 *)(r1 + 0)\nexit\n');
    const out = JSON.parse(cli('run', f, '--packet', ETH_IPV4, '--json').stdout);
    assert.equal(out.retval, ETH_IPV4.length / 2 - 14);
    assert.equal(out.packet, '0'.repeat(28) + ETH_IPV4.slice(28));
  });
});

test('faults exit 1 with the message; the budget is a fault', () => {
  withTemp((dir) => {
    const f = join(dir, 'loop.s');
    writeFileSync(f, 'l: goto l\n');
    const r = cli('run', f, '--prog-type', 'raw', '--budget', '100', '--json');
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout);
    assert.equal(out.exit, 'fault');
    assert.equal(out.error, 'instruction budget of 100 exceeded at insn 0 (line 1)');
    assert.equal(out.r0, undefined);
    assert.equal(out.retval, undefined);
  });
});

test('bad input exits 2 with a clear message', () => {
  withTemp((dir) => {
    const f = join(dir, 'x.bpf.s');
    writeFileSync(f, XDP);
    const cases: [string[], RegExp][] = [
      [['--packet', 'zz'], /--packet: not hex/],
      [['--packet', 'abc'], /odd number of hex digits/],
      [['--prog-type', 'nonsense'], /unknown program type 'nonsense'/],
      [['--pcap', join(dir, 'missing.pcap')], /cannot read/],
      [['--budget', '0'], /--budget takes a positive integer/],
      [['--env', join(dir, 'missing.json')], /cannot read/],
    ];
    for (const [args, pattern] of cases) {
      const r = cli('run', f, ...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
    const two = join(dir, 'two.bpf.s');
    writeFileSync(two, '.section xdp\nr0 = 1\nexit\n.section socket\nr0 = 2\nexit\n');
    const r = cli('run', two);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /several programs; choose one with --section or --program \(programs: xdp, socket\)/);
    assert.equal(JSON.parse(cli('run', two, '--section', 'socket', '--packet', ETH_IPV4, '--json').stdout).retval, 2);
  });
});
