/**
 * l3_csum_replace, l4_csum_replace, csum_diff and csum_update through the VM, against
 * checksums computed here from scratch with the RFC 1071 reference (harness.ts).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EFAULT, EINVAL, ENOTSUPP, neg, r0Of, rfc1071, runAsm, stackBytes, udpFrame } from './harness';

const IP = 14, UDP = 34, IP_CSUM = IP + 10, UDP_CSUM = UDP + 6;

/** Runs a sched_cls program on the frame; r6 = ctx, r7 = data. */
function onFrame(body: string, frame = udpFrame()) {
  const ran = runAsm(`
  r6 = r1
  r7 = *(u32 *)(r6 + 76)
${body}`, { progType: 'sched_cls', packet: frame });
  assert.equal(ran.stop.reason, 'exit', ran.stop.message);
  return { r0: ran.r0!, packet: ran.packet! };
}

const be16 = (p: Uint8Array, at: number) => (p[at] << 8) | p[at + 1];

/** The IP header checksum and the UDP checksum a sender would compute for this frame. */
function expectedSums(p: Uint8Array): { ip: number; udp: number } {
  const ip = p.slice(IP, IP + 20);
  ip[10] = 0; ip[11] = 0;
  const udp = p.slice(UDP);
  udp[6] = 0; udp[7] = 0;
  const pseudo = [...p.subarray(IP + 12, IP + 20), 0, 17, udp.length >> 8, udp.length & 0xff];
  return { ip: rfc1071(ip), udp: rfc1071(Uint8Array.from([...pseudo, ...udp])) || 0xffff };
}

/** Rewrite the destination address to 10.0.2.3, then patch the checksums with 4-byte replaces. */
const NEW_DADDR = `
  r8 = *(u32 *)(r7 + ${IP + 16})
  r9 = 0x0302000a
  *(u32 *)(r7 + ${IP + 16}) = r9`;

test('the frame the tests start from has correct checksums', () => {
  const p = udpFrame();
  const s = expectedSums(p);
  assert.equal(be16(p, IP_CSUM), s.ip);
  assert.equal(be16(p, UDP_CSUM), s.udp);
});

test('l3_csum_replace with a 4-byte field fixes the IP checksum after the address changed', () => {
  const { r0, packet } = onFrame(`${NEW_DADDR}
  r1 = r6
  r2 = ${IP_CSUM}
  r3 = r8
  r4 = r9
  r5 = 4
  call bpf_l3_csum_replace
  exit`);
  assert.equal(r0, 0n);
  assert.deepEqual([...packet.subarray(IP + 16, IP + 20)], [10, 0, 2, 3]);
  assert.equal(be16(packet, IP_CSUM), expectedSums(packet).ip);
});

test('l4_csum_replace with BPF_F_PSEUDO_HDR fixes the UDP checksum (its pseudo-header holds the address)', () => {
  const { r0, packet } = onFrame(`${NEW_DADDR}
  r1 = r6
  r2 = ${UDP_CSUM}
  r3 = r8
  r4 = r9
  r5 = ${0x10 | 4}
  call bpf_l4_csum_replace
  exit`);
  assert.equal(r0, 0n);
  assert.equal(be16(packet, UDP_CSUM), expectedSums(packet).udp);
});

test('l3_csum_replace with a 2-byte field: decrementing the TTL', () => {
  const { packet } = onFrame(`
  r8 = *(u16 *)(r7 + ${IP + 8})
  r9 = r8
  r9 += -1
  *(u16 *)(r7 + ${IP + 8}) = r9
  r1 = r6
  r2 = ${IP_CSUM}
  r3 = r8
  r4 = r9
  r5 = 2
  call bpf_l3_csum_replace
  exit`);
  assert.equal(packet[IP + 8], 63);
  assert.equal(be16(packet, IP_CSUM), expectedSums(packet).ip);
});

test('csum_diff of the old and new address, applied with l3_csum_replace size 0, gives the same checksum', () => {
  const { r0, packet } = onFrame(`${NEW_DADDR}
  *(u32 *)(r10 - 8) = r8
  *(u32 *)(r10 - 4) = r9
  r1 = r10
  r1 += -8
  r2 = 4
  r3 = r10
  r3 += -4
  r4 = 4
  r5 = 0
  call bpf_csum_diff
  r4 = r0
  r1 = r6
  r2 = ${IP_CSUM}
  r3 = 0
  r5 = 0
  call bpf_l3_csum_replace
  exit`);
  assert.equal(r0, 0n);
  assert.equal(be16(packet, IP_CSUM), expectedSums(packet).ip);
});

/** The one's-complement sum of little-endian 16-bit words, modulo 0xffff (what csum_diff's result means). */
function onesSum(bytes: number[]): number {
  let s = 0;
  for (let k = 0; k < bytes.length; k += 2) s = (s + (bytes[k] | ((bytes[k + 1] ?? 0) << 8))) % 0xffff;
  return s;
}

function csumDiff(from: number[], to: number[], seed: number): bigint {
  const fromAsm = from.length ? `${stackBytes(from, 64)}\nr1 = r10\nr1 += -64` : 'r1 = 0';
  const toAsm = to.length ? `${stackBytes(to, 128)}\nr3 = r10\nr3 += -128` : 'r3 = 0';
  return r0Of(`${fromAsm}\n${toAsm}\nr2 = ${from.length}\nr4 = ${to.length}\nr5 = ${seed}\ncall bpf_csum_diff\nexit`);
}

test('csum_diff folds to 16 bits as 6.13+ kernels do on every architecture', () => {
  // The kernel's own example (commit "bpf_csum_diff: optimize and homogenize for all archs"): 28 pulled out.
  assert.equal(csumDiff([28, 0, 0, 0], [], 0), 0xffe3n);
  const cases: [number[], number[], number][] = [
    [[1, 2, 3, 4], [5, 6, 7, 8], 0],
    [[], [0xff, 0xff, 0x12, 0x34, 0xab, 0xcd, 0, 1], 0x1234],
    [[0xde, 0xad, 0xbe, 0xef], [], 0xffff],
    [[9, 8, 7], [1, 2, 3, 4, 5], 7], // sizes need not be multiples of 4 since 6.13
  ];
  for (const [from, to, seed] of cases) {
    const got = Number(csumDiff(from, to, seed));
    assert.ok(got <= 0xffff, `${got} fits 16 bits`);
    const want = (onesSum(to) + seed % 0xffff + 0xffff - onesSum(from)) % 0xffff;
    assert.equal(got % 0xffff, want, `csum_diff(${from}, ${to}, ${seed})`);
  }
});

test('l4_csum_replace with BPF_F_MARK_MANGLED_0: a zero field is left alone, a zero result becomes 0xffff', () => {
  const call = (flags: number, field: number) => onFrame(`
  r1 = ${field}
  *(u16 *)(r7 + ${UDP_CSUM}) = r1
  r1 = r6
  r2 = ${UDP_CSUM}
  r3 = 1
  r4 = 1
  r5 = ${flags}
  call bpf_l4_csum_replace
  exit`).packet;
  assert.equal(be16(call(0x20 | 4, 0), UDP_CSUM), 0, 'UDP without checksum stays so');
  // from == to leaves a field unchanged, except 0xffff, which the arithmetic turns into 0.
  assert.equal(be16(call(4, 0xffff), UDP_CSUM), 0);
  assert.equal(be16(call(0x20 | 4, 0xffff), UDP_CSUM), 0xffff, 'CSUM_MANGLED_0');
  assert.equal(be16(call(0x40 | 0x20 | 4, 0), UDP_CSUM), 0xffff, 'BPF_F_MARK_ENFORCE updates a zero field');
});

test('csum_replace errors: flags -EINVAL first, then odd or outside offsets -EFAULT, then field sizes', () => {
  const call = (helper: string, offset: number, from: number, flags: number) =>
    onFrame(`r1 = r6\nr2 = ${offset}\nr3 = ${from}\nr4 = 0\nr5 = ${flags}\ncall bpf_${helper}\nexit`).r0;
  assert.equal(call('l3_csum_replace', IP_CSUM + 1, 0, 0x10), neg(EINVAL), 'l3 takes no BPF_F_PSEUDO_HDR');
  assert.equal(call('l4_csum_replace', IP_CSUM, 0, 0x100), neg(EINVAL));
  assert.equal(call('l3_csum_replace', IP_CSUM + 1, 0, 2), neg(EFAULT));
  assert.equal(call('l3_csum_replace', 0x10000, 0, 2), neg(EFAULT));
  assert.equal(call('l4_csum_replace', udpFrame().length - 1, 0, 2), neg(EFAULT), 'the field must lie in the packet');
  assert.equal(call('l3_csum_replace', IP_CSUM, 0, 3), neg(EINVAL), 'field size 3');
  assert.equal(call('l3_csum_replace', IP_CSUM, 1, 0), neg(EINVAL), 'a diff (size 0) takes from = 0');
  assert.equal(call('l4_csum_replace', UDP_CSUM, 0, 0x80), 0n, 'BPF_F_IPV6 is accepted');
});

test('csum_update is -ENOTSUPP: a test run\'s skb is not CHECKSUM_COMPLETE', () => {
  assert.equal(onFrame('r1 = r6\nr2 = 5\ncall bpf_csum_update\nexit').r0, neg(ENOTSUPP));
});
