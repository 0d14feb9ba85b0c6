/**
 * The packet helpers through the VM: skb load/store, xdp_adjust_head/tail/meta with the
 * kernel's limits and error codes, xdp load/store, redirects, VLAN tags, the flow hash and
 * the socket cookie.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Flags, MapBase, MapEntry, MapInit, readU32 } from '../../core/maps/base';
import { mapTypeByName } from '../../core/maps/table';
import { EACCES, EFAULT, EINVAL, neg, r0Of, runAsm, udpFrame } from './harness';

const FRAME = udpFrame(); // 46 bytes: Ethernet 14, IPv4 20, UDP 8, payload 4

/** Loads `len` packet bytes at `offset` with skb_load_bytes into r10-8 and returns them as r0 (or the error). */
function skbLoad(progType: string, offset: number, len: number, start?: number): { r0: bigint; bytes: bigint } {
  const helper = start === undefined ? 'skb_load_bytes' : 'skb_load_bytes_relative';
  const ran = runAsm(`
  r9 = -1
  *(u64 *)(r10 - 8) = r9
  r2 = ${offset}
  r3 = r10
  r3 += -8
  r4 = ${len}
  ${start === undefined ? '' : `r5 = ${start}`}
  call bpf_${helper}
  exit`, { progType, packet: FRAME });
  assert.equal(ran.stop.reason, 'exit', ran.stop.message);
  const stack = ran.run.vm.callStack()[0].stack;
  return { r0: ran.r0!, bytes: stack.view.getBigUint64(504, false) };
}

test('skb_load_bytes copies from skb->data: the Ethernet header for tc, the IP header for socket filters', () => {
  assert.deepEqual(skbLoad('sched_cls', 12, 2), { r0: 0n, bytes: 0x0800ffffffffffffn });
  assert.deepEqual(skbLoad('socket_filter', 0, 1), { r0: 0n, bytes: 0x45ffffffffffffffn });
});

test('skb_load_bytes past the packet is -EFAULT and zeroes the buffer', () => {
  assert.deepEqual(skbLoad('sched_cls', FRAME.length - 3, 4), { r0: neg(EFAULT), bytes: 0x00000000ffffffffn });
  assert.deepEqual(skbLoad('socket_filter', FRAME.length - 14 - 1, 2), { r0: neg(EFAULT), bytes: 0x0000ffffffffffffn });
});

test('skb_load_bytes_relative: from the MAC or the network header, whatever the program type', () => {
  for (const progType of ['sched_cls', 'socket_filter']) {
    assert.deepEqual(skbLoad(progType, 12, 2, 0), { r0: 0n, bytes: 0x0800ffffffffffffn }, progType);
    assert.deepEqual(skbLoad(progType, 9, 1, 1), { r0: 0n, bytes: 0x11ffffffffffffffn }, progType);
  }
  assert.deepEqual(skbLoad('sched_cls', 0, 2, 2), { r0: neg(EFAULT), bytes: 0x0000ffffffffffffn }, 'no such start header');
  assert.deepEqual(skbLoad('sched_cls', 0x10000, 1, 0), { r0: neg(EFAULT), bytes: 0x00ffffffffffffffn });
});

function skbStore(offset: number, len: number, flags: number, pre = '') {
  return runAsm(`
  r6 = r1
${pre}
  r9 = 0x2211 ll
  *(u64 *)(r10 - 8) = r9
  r1 = r6
  r2 = ${offset}
  r3 = r10
  r3 += -8
  r4 = ${len}
  r5 = ${flags}
  call bpf_skb_store_bytes
  if r0 != 0 goto out
  r0 = *(u32 *)(r6 + 68)
out:
  exit`, { progType: 'sched_cls', packet: FRAME });
}

test('skb_store_bytes writes into the packet; bad flags -EINVAL; outside the packet -EFAULT', () => {
  const ok = skbStore(0, 2, 1);
  assert.equal(ok.r0, 0n);
  assert.deepEqual([...ok.packet!.subarray(0, 3)], [0x11, 0x22, FRAME[2]]);
  assert.equal(skbStore(0, 2, 4).r0, neg(EINVAL));
  assert.equal(skbStore(FRAME.length - 1, 2, 0).r0, neg(EFAULT));
  assert.deepEqual(skbStore(FRAME.length - 1, 2, 0).packet, FRAME);
});

test('skb_store_bytes with BPF_F_INVALIDATE_HASH clears the hash get_hash_recalc set', () => {
  const recalc = 'r1 = r6\ncall bpf_get_hash_recalc';
  assert.notEqual(skbStore(0, 2, 0, recalc).r0, 0n, 'the hash stays');
  assert.equal(skbStore(0, 2, 2, recalc).r0, 0n);
});

/** An xdp program: the helper call, then r0 = data_end - data (or the error). */
function xdp(calls: string) {
  const ran = runAsm(`
  r6 = r1
${calls}
  if r0 != 0 goto out
  r2 = *(u32 *)(r6 + 0)
  r3 = *(u32 *)(r6 + 4)
  r0 = r3
  r0 -= r2
out:
  exit`, { progType: 'xdp', packet: FRAME });
  assert.equal(ran.stop.reason, 'exit', ran.stop.message);
  return ran;
}
const adjust = (helper: string, delta: number) => `r1 = r6\nr2 = ${delta}\ncall bpf_xdp_adjust_${helper}`;

test('xdp_adjust_head: grows into the headroom down to 40 bytes (struct xdp_frame) from its start', () => {
  assert.equal(xdp(adjust('head', -216)).r0, BigInt(FRAME.length + 216));
  assert.equal(xdp(adjust('head', -217)).r0, neg(EINVAL));
});

test('xdp_adjust_head: shrinks until 14 bytes (ETH_HLEN) are left, and the packet out starts there', () => {
  const ran = xdp(adjust('head', 14));
  assert.equal(ran.r0, BigInt(FRAME.length - 14));
  assert.deepEqual(ran.packet, FRAME.subarray(14));
  assert.equal(xdp(adjust('head', FRAME.length - 14)).r0, 14n);
  assert.equal(xdp(adjust('head', FRAME.length - 13)).r0, neg(EINVAL));
});

test('xdp_adjust_head moves the metadata with data', () => {
  const ran = xdp(`
${adjust('meta', -4)}
  r1 = 0x5a5a5a5a
  r2 = *(u32 *)(r6 + 8)
  *(u32 *)(r2 + 0) = r1
${adjust('head', 8)}
  if r0 != 0 goto out
  r2 = *(u32 *)(r6 + 8)
  r3 = *(u32 *)(r6 + 0)
  r0 = *(u32 *)(r2 + 0)
  r3 -= r2
  r3 <<= 32
  r0 |= r3
  exit`);
  assert.equal(ran.r0, (4n << 32n) | 0x5a5a5a5an);
});

test('xdp_adjust_tail: shrinks to 14 bytes; grown bytes are zeroed', () => {
  assert.equal(xdp(adjust('tail', -(FRAME.length - 14))).r0, 14n);
  assert.equal(xdp(adjust('tail', -(FRAME.length - 13))).r0, neg(EINVAL));
  const ran = xdp(`${adjust('tail', -8)}\n${adjust('tail', 8)}`);
  assert.equal(ran.r0, BigInt(FRAME.length));
  assert.deepEqual([...ran.packet!.subarray(FRAME.length - 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
});

test('xdp_adjust_tail: grows into the tailroom, not past the buffer', () => {
  assert.equal(xdp(adjust('tail', 256)).r0, BigInt(FRAME.length + 256));
  // FIXME(core/vm/context.ts): the kernel's test-run frame is a 4096-byte page less 320 bytes
  // of skb_shared_info, so it would accept growth up to 3776 bytes from the buffer's start;
  // the VM's xdp buffer has 256 bytes of tailroom, so the helper stops there.
  assert.equal(xdp(adjust('tail', 257)).r0, neg(EINVAL));
});

test('xdp_adjust_meta: a multiple of 4, at most up to data, not below hard_start + 40', () => {
  assert.equal(xdp(adjust('meta', -4)).r0, BigInt(FRAME.length));
  assert.equal(xdp(adjust('meta', -216)).r0, BigInt(FRAME.length));
  assert.equal(xdp(adjust('meta', -220)).r0, neg(EINVAL));
  assert.equal(xdp(adjust('meta', -3)).r0, neg(EACCES));
  assert.equal(xdp(adjust('meta', 4)).r0, neg(EINVAL));
});

test('xdp_load_bytes, xdp_store_bytes and xdp_get_buff_len', () => {
  const io = (helper: string, offset: number, len: number) => `
  r9 = 0x4433 ll
  *(u64 *)(r10 - 8) = r9
  r1 = r6
  r2 = ${offset}
  r3 = r10
  r3 += -8
  r4 = ${len}
  call bpf_xdp_${helper}_bytes`;
  const stored = xdp(io('store', 0, 2));
  assert.deepEqual([...stored.packet!.subarray(0, 2)], [0x33, 0x44]);
  assert.equal(xdp(io('load', FRAME.length - 1, 2)).r0, neg(EINVAL));
  assert.equal(xdp(io('load', 0x10000, 1)).r0, neg(EFAULT));
  assert.equal(r0Of('call bpf_xdp_get_buff_len\nexit', { progType: 'xdp', packet: FRAME }), BigInt(FRAME.length));
  const loaded = runAsm(`r6 = r1\n${io('load', 12, 2)}\nr0 = *(u16 *)(r10 - 8)\nexit`, { progType: 'xdp', packet: FRAME });
  assert.equal(loaded.r0, 0x0008n);
});

test('redirect returns XDP_REDIRECT / XDP_ABORTED in xdp, TC_ACT_REDIRECT / TC_ACT_SHOT in tc', () => {
  const redirect = (flags: number, progType: string) => r0Of(`r1 = 3\nr2 = ${flags}\ncall bpf_redirect\nexit`, { progType, packet: FRAME });
  assert.equal(redirect(0, 'xdp'), 4n);
  assert.equal(redirect(1, 'xdp'), 0n);
  assert.equal(redirect(0, 'sched_cls'), 7n);
  assert.equal(redirect(1, 'sched_cls'), 7n, 'BPF_F_INGRESS');
  assert.equal(redirect(2, 'sched_cls'), 2n);
});

/** A devmap stand-in: the in-memory maps do not model devmap yet. */
class FakeDevmap extends MapBase {
  readonly slots = new Map<number, number>();
  override sysLookup(key: Uint8Array): Uint8Array | number {
    const ifindex = this.slots.get(readU32(key));
    return ifindex === undefined ? -2 : Uint8Array.of(ifindex, 0, 0, 0);
  }
  override update(_k: Uint8Array, _v: Uint8Array, _f: Flags): number { return -22; }
  entries(): MapEntry[] { return []; }
}

test('redirect_map: a filled slot redirects; an empty one returns the action in the flags\' low bits', () => {
  const text = (flags: number, key: number, type = 'devmap') =>
    `.map tx, type=${type}, key=4, value=4, max_entries=4\nr1 = tx ll\nr2 = ${key}\nr3 = ${flags}\ncall bpf_redirect_map\nexit`;
  const run = (flags: number, key: number, type = 'devmap') => r0Of(text(flags, key, type), {
    progType: 'xdp', packet: FRAME, mapErrorsOk: true,
    setup: (maps) => {
      const init: MapInit = { def: { name: 'tx', type, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }, spec: mapTypeByName(type)!, nCpus: 2 };
      const m = new FakeDevmap(init);
      m.slots.set(1, 7);
      maps.set('tx', m);
    },
  });
  assert.equal(run(0, 1), 4n, 'XDP_REDIRECT');
  assert.equal(run(0, 2), 0n, 'XDP_ABORTED');
  assert.equal(run(2, 2), 2n, 'XDP_PASS as the fallback');
  assert.equal(run(8, 2), 4n, 'BPF_F_BROADCAST redirects whatever the slot');
  assert.equal(run(0x20, 1), 0n, 'unknown flags abort');
  assert.equal(run(8, 1, 'cpumap'), 0n, 'cpumap takes no BPF_F_BROADCAST');
});

/** A tc program: the calls with r6 = ctx, then r0 = the context field at `field`. */
function tc(calls: string, field: number, packet = FRAME) {
  const ran = runAsm(`r6 = r1\n${calls}\nr0 = *(u32 *)(r6 + ${field})\nexit`, { progType: 'sched_cls', packet });
  assert.equal(ran.stop.reason, 'exit', ran.stop.message);
  return ran;
}
const push = (proto: number, tci: number) => `r1 = r6\nr2 = ${proto}\nr3 = ${tci}\ncall bpf_skb_vlan_push`;
const pop = 'r1 = r6\ncall bpf_skb_vlan_pop';
const VLAN_PRESENT = 20, VLAN_TCI = 24, VLAN_PROTO = 28, PROTOCOL = 16, LEN = 0;

test('skb_vlan_push puts the tag in the skb\'s metadata; the packet is unchanged', () => {
  const ran = tc(push(0x0081, 100), VLAN_TCI);
  assert.equal(ran.r0, 100n);
  assert.deepEqual(ran.packet, FRAME);
  assert.equal(tc(push(0x0081, 100), VLAN_PRESENT).r0, 1n);
  assert.equal(tc(push(0xa888, 100), VLAN_PROTO).r0, 0xa888n, '802.1ad, as a __be16');
  assert.equal(tc(push(0x3412, 100), VLAN_PROTO).r0, 0x0081n, 'any other protocol pushes 802.1Q');
});

test('a second skb_vlan_push moves the first tag into the packet', () => {
  const ran = tc(`${push(0x0081, 100)}\n${push(0x0081, 200)}`, LEN);
  assert.equal(ran.r0, BigInt(FRAME.length + 4));
  assert.deepEqual([...ran.packet!], [...FRAME.subarray(0, 12), 0x81, 0x00, 0x00, 100, ...FRAME.subarray(12)]);
  assert.equal(tc(`${push(0x0081, 100)}\n${push(0x0081, 200)}`, PROTOCOL).r0, 0x0081n);
  assert.equal(tc(`${push(0x0081, 100)}\n${push(0x0081, 200)}`, VLAN_TCI).r0, 200n);
});

test('skb_vlan_pop drops the metadata tag and promotes the next one from the packet', () => {
  const two = `${push(0x0081, 100)}\n${push(0x0081, 200)}\n${pop}`;
  const ran = tc(two, VLAN_TCI);
  assert.equal(ran.r0, 100n);
  assert.deepEqual(ran.packet, FRAME);
  assert.equal(tc(two, PROTOCOL).r0, 0x0008n);
  assert.equal(tc(`${two}\n${pop}`, VLAN_PRESENT).r0, 0n);
  assert.equal(tc(pop, VLAN_PRESENT).r0, 0n, 'nothing to pop');
});

test('skb_vlan_pop of a tag carried in the packet (no metadata tag)', () => {
  const tagged = Uint8Array.from([...FRAME.subarray(0, 12), 0x81, 0x00, 0x00, 0x2a, ...FRAME.subarray(12)]);
  const ran = tc(pop, PROTOCOL, tagged);
  assert.equal(ran.r0, 0x0008n);
  assert.deepEqual(ran.packet, FRAME);
  assert.equal(tc(pop, VLAN_PRESENT, tagged).r0, 0n);
});

test('get_hash_recalc: nonzero, stable, the same both ways of a flow, kept in __sk_buff.hash', () => {
  const hash = (packet: Uint8Array, seed = 1) => runAsm('r6 = r1\ncall bpf_get_hash_recalc\nr1 = *(u32 *)(r6 + 68)\nr1 <<= 32\nr0 |= r1\nexit', { progType: 'sched_cls', packet, env: { seed } }).r0!;
  const h = hash(FRAME);
  assert.equal(h >> 32n, h & 0xffffffffn, 'the return value is the hash the context shows');
  assert.notEqual(h & 0xffffffffn, 0n);
  assert.equal(hash(FRAME), h);
  const back = FRAME.slice();
  back.set(FRAME.subarray(30, 34), 26); back.set(FRAME.subarray(26, 30), 30); // swap addresses
  back.set(FRAME.subarray(36, 38), 34); back.set(FRAME.subarray(34, 36), 36); // swap ports
  assert.equal(hash(back), h);
  assert.notEqual(hash(FRAME, 2), h);
});

test('get_socket_cookie: the test run\'s socket has a cookie', () => {
  assert.notEqual(r0Of('call bpf_get_socket_cookie\nexit', { progType: 'sched_cls', packet: FRAME }), 0n);
});
