/**
 * Differential test against tcpdump: for each filter expression, tcpdump compiles it
 * (`-r CAPTURE -ddd EXPR`), we run the instructions on every packet of a hand-built capture,
 * and the packets we keep must be the ones tcpdump keeps (`-r CAPTURE -tt EXPR`; the
 * timestamp second numbers the packet). The -d, -dd and -ddd outputs must parse to the same
 * instructions, our -d printing must match tcpdump's byte for byte, and the kernel's checks
 * must accept libpcap's code.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap } from '../../core/input/pcap';
import { parseCbpf } from '../../core/cbpf/parse';
import { printTcpdump } from '../../core/cbpf/print';
import { checkCbpf } from '../../core/cbpf/check';
import { runCbpf } from '../../core/cbpf/run';
import { findTool, run } from '../tools';

const TCPDUMP = findTool('tcpdump');
const SKIP = TCPDUMP ? undefined : 'tcpdump not found (install Debian\'s tcpdump; .ci/run does)';

const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const MCAST = [0x01, 0x00, 0x5e, 0, 0, 0xfb];

function be16(v: number): number[] { return [v >> 8, v & 0xff]; }
function ip4(a: string): number[] { return a.split('.').map(Number); }

function eth(dst: number[], type: number, payload: number[], vlan?: number): number[] {
  const tag = vlan === undefined ? [] : [0x81, 0x00, ...be16(vlan)];
  return [...dst, ...MAC_A, ...tag, ...be16(type), ...payload];
}

interface V4 { src: string; dst: string; proto: number; ttl?: number; frag?: number; options?: number[]; l4: number[] }
function ipv4(p: V4): number[] {
  const opts = p.options ?? [];
  const ihl = 5 + opts.length / 4;
  const total = ihl * 4 + p.l4.length;
  return [0x40 | ihl, 0, ...be16(total), 0, 1, ...be16(p.frag ?? 0), p.ttl ?? 64, p.proto, 0, 0,
    ...ip4(p.src), ...ip4(p.dst), ...opts, ...p.l4];
}

function ipv6(next: number, l4: number[], src = 0x20, dst = 0x21): number[] {
  const addr = (last: number) => [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), last];
  return [0x60, 0, 0, 0, ...be16(l4.length), next, 64, ...addr(src), ...addr(dst), ...l4];
}

function tcp(sport: number, dport: number, flags: number, payload = 0): number[] {
  return [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0, ...new Array(payload).fill(0x61)];
}
function udp(sport: number, dport: number, payload = 4): number[] {
  return [...be16(sport), ...be16(dport), ...be16(8 + payload), 0, 0, ...new Array(payload).fill(0x62)];
}
const ICMP_ECHO = [8, 0, 0, 0, 0, 1, 0, 1];

function arp(): number[] {
  return [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...ip4('10.0.0.1'), 0, 0, 0, 0, 0, 0, ...ip4('10.0.0.2')];
}

const SYN = 0x02, ACK = 0x10;

const FRAMES: number[][] = [
  eth(MAC_B, 0x0800, ipv4({ src: '10.0.0.1', dst: '192.168.1.5', proto: 6, l4: tcp(1234, 80, SYN) })),
  eth(MAC_B, 0x0800, ipv4({ src: '192.168.3.4', dst: '10.0.0.2', proto: 6, l4: tcp(443, 50000, ACK) })),
  eth(MAC_B, 0x0800, ipv4({ src: '10.0.0.1', dst: '8.8.8.8', proto: 17, l4: udp(5353, 53) })),
  eth(MAC_B, 0x0800, ipv4({ src: '172.16.0.1', dst: '172.16.0.2', proto: 17, l4: udp(1500, 1800) })),
  eth(MAC_B, 0x0800, ipv4({ src: '10.1.1.1', dst: '10.0.0.1', proto: 1, ttl: 30, l4: ICMP_ECHO })),
  eth(MAC_B, 0x86dd, ipv6(6, tcp(40000, 22, SYN))),
  eth(MAC_B, 0x86dd, ipv6(17, udp(53, 3000))),
  eth(BCAST, 0x0806, arp()),
  eth(MAC_B, 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.9', proto: 17, l4: udp(1000, 53) }), 100),
  eth(MAC_B, 0x0800, ipv4({ src: '192.168.0.1', dst: '192.168.0.2', proto: 6, l4: tcp(80, 2000, ACK, 200) })),
  eth(MAC_B, 0x0800, ipv4({ src: '10.0.0.3', dst: '10.0.0.4', proto: 6, frag: 0x0010, l4: tcp(2000, 80, SYN) })),
  eth(MAC_B, 0x0800, ipv4({ src: '10.0.0.5', dst: '10.0.0.6', proto: 6, options: [1, 1, 1, 0], l4: tcp(999, 80, SYN | ACK) })),
  eth(MAC_B, 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.7', proto: 6, l4: tcp(1, 2, 0) })).slice(0, 20),
  eth(BCAST, 0x0800, ipv4({ src: '10.0.0.8', dst: '255.255.255.255', proto: 17, l4: udp(68, 67, 60) })),
  eth(MCAST, 0x0800, ipv4({ src: '10.0.0.8', dst: '224.0.0.251', proto: 17, ttl: 255, l4: udp(5353, 5353) })),
  eth(MAC_B, 0x0800, ipv4({ src: '10.2.0.1', dst: '10.2.0.2', proto: 1, ttl: 128, l4: ICMP_ECHO })),
  eth(MAC_B, 0x86dd, ipv6(58, [128, 0, 0, 0, 0, 1, 0, 1])),
  eth(MAC_B, 0x88cc, new Array(40).fill(7)),
  eth(MAC_B, 0x0800, ipv4({ src: '192.169.0.1', dst: '10.0.0.1', proto: 6, l4: tcp(3000, 3001, SYN) }), 7),
];

const EXPRESSIONS = [
  'ip', 'tcp', 'udp port 53', 'host 10.0.0.1', 'net 192.168.0.0/16', 'tcp[tcpflags] & tcp-syn != 0', 'vlan', 'ip6',
  'arp', 'len > 100', 'ether broadcast', 'icmp', 'portrange 1000-2000', 'ip[8] < 64', 'tcp port 80',
  'src host 10.0.0.1 and dst port 53', 'ip6 and tcp', 'not ip', 'ether multicast', 'ip[6:2] & 0x1fff != 0',
  'vlan and udp', 'tcp dst port 80 or udp src port 5353', 'less 64', 'ip[0] & 0xf > 5', 'icmp6',
  'ip[2:2] * 2 / 3 - 1 > 40', 'tcp[13] = 2 and ip[8] >= 64',
];

test('tcpdump and our interpreter keep the same packets', { skip: SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cbpf-'));
  try {
    const capture = join(dir, 'frames.pcap');
    writeFileSync(capture, writePcap(FRAMES.map((f) => Uint8Array.from(f))));
    const failures: string[] = [];
    let compared = 0;
    for (const expr of EXPRESSIONS) {
      const dump = (flag: string) => run(TCPDUMP!, ['-r', capture, flag, expr]);
      const ddd = dump('-ddd');
      assert.equal(ddd.status, 0, `${expr}: ${ddd.stderr}`);
      const prog = parseCbpf(ddd.stdout);
      assert.deepEqual(prog.diagnostics, [], expr);
      for (const flag of ['-d', '-dd']) {
        const out = dump(flag).stdout;
        const other = parseCbpf(out);
        assert.deepEqual(other.diagnostics, [], `${expr} ${flag}`);
        assert.deepEqual(other.insns, prog.insns, `${expr}: ${flag} and -ddd differ`);
        if (flag === '-d') assert.equal(printTcpdump(prog.insns), out, `${expr}: our -d printing`);
      }
      assert.deepEqual(checkCbpf(prog.insns), [], `${expr}: the checker rejects libpcap's code`);
      const kept = run(TCPDUMP!, ['-r', capture, '-n', '-tt', expr]);
      assert.equal(kept.status, 0, `${expr}: ${kept.stderr}`);
      const theirs = kept.stdout.split('\n').filter((l) => l).map((l) => Number(l.split('.')[0]) - 1_700_000_000);
      const ours = FRAMES.flatMap((f, i) => (runCbpf(prog.insns, Uint8Array.from(f)) !== 0 ? [i] : []));
      compared += FRAMES.length;
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) failures.push(`${expr}: tcpdump keeps ${theirs}, we keep ${ours}`);
    }
    assert.deepEqual(failures, []);
    assert.equal(compared, EXPRESSIONS.length * FRAMES.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
