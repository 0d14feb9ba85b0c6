/**
 * Reading, writing and resizing the packet: skb_load_bytes, skb_store_bytes,
 * skb_load_bytes_relative, xdp_adjust_head, xdp_adjust_tail, xdp_adjust_meta,
 * xdp_load_bytes, xdp_store_bytes and xdp_get_buff_len (net/core/filter.c).
 *
 * The packet is Host.packet: one region holding headroom, the packet and tailroom, with
 * byte offsets data_meta <= data <= data_end into it. The region's accessible window
 * [lowOff, highOff) is kept equal to [data_meta, data_end) (core/vm/context.ts sets it up
 * so), and the context's data pointers read these offsets live, so a helper that moves
 * them moves what the program sees, as bpf_compute_data_pointers() does in the kernel.
 *
 * XDP limits, as BPF_PROG_TEST_RUN sets up the xdp_buff (bpf_prog_test_run_xdp()): the
 * buffer starts at data_hard_start (PacketState.headroomMin, the region's offset 0 here),
 * its first 40 bytes are kept for struct xdp_frame, and the frame is a 4096-byte page whose
 * last 320 bytes hold struct skb_shared_info. adjust_head may move data down to
 * hard_start + 40 + the metadata length and up to 14 bytes (ETH_HLEN) before data_end;
 * adjust_tail may move data_end from data + 14 up to hard_start + 3776; adjust_meta may
 * move data_meta between hard_start + 40 and data, with a length that is a multiple of 4
 * and at most 255. Errors are -EINVAL, and -EACCES for a bad metadata length.
 *
 * Where we depart: the region may have less tailroom than the kernel's page (context.ts
 * gives 256 bytes); adjust_tail then stops at the region's end (-EINVAL past it). Frags
 * (multi-buffer XDP) do not exist here.
 */

import type { HelperImpl, Machine } from '../../vm/machine';
import type { Host, PacketState } from '../../vm/host';
import {
  EACCES, EFAULT, EINVAL, L3_PACKET_TYPES, argBytes, argS32, argU32, ctxView, errno, fault, hostOf, isFault, packetOf,
  syncWindow,
} from './common';
import { ETH_HLEN } from '../../net';

const INT_MAX = 0x7fffffff;
/** sizeof(struct xdp_frame) on x86-64 in 6.18. */
const XDP_FRAME_SIZE = 40;
/** The test run's frame: a page, less SKB_DATA_ALIGN(sizeof(struct skb_shared_info)). */
const XDP_FRAME_SZ = 4096;
const SKB_SHARED_INFO_SIZE = 320;
/** xdp_metalen_invalid(): the metadata length is a u8 in skb_shared_info. */
const XDP_META_MAX = 255;
/** __sk_buff.hash. */
const SKB_HASH_OFF = 68;
const BPF_F_RECOMPUTE_CSUM = 1n;
const BPF_F_INVALIDATE_HASH = 2n;
const BPF_HDR_START_MAC = 0;
const BPF_HDR_START_NET = 1;

/** bpf_skb_load_bytes(skb, offset, to, len): -EFAULT (and `to` zeroed) unless [offset, offset + len) is in the packet. */
export const skbLoadBytes: HelperImpl = (vm) => {
  const c = skbPacket(vm, 'skb_load_bytes');
  if (isFault(c)) return c;
  const len = argU32(vm, 4);
  const to = argBytes(vm, 'skb_load_bytes', 3, len, true);
  if (isFault(to)) return to;
  const offset = argU32(vm, 2);
  if (offset > INT_MAX || offset + len > c.pkt.end - c.pkt.data) {
    to.fill(0);
    return errno(EFAULT);
  }
  to.set(c.pkt.region.bytes.slice(c.pkt.data + offset, c.pkt.data + offset + len));
  return 0n;
};

/**
 * bpf_skb_store_bytes(skb, offset, from, len, flags): flags other than
 * BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH -EINVAL; outside the packet -EFAULT.
 * BPF_F_RECOMPUTE_CSUM updates skb->csum, which a CHECKSUM_NONE test-run skb does not
 * use; BPF_F_INVALIDATE_HASH clears skb->hash (__sk_buff.hash reads 0 afterwards).
 */
export const skbStoreBytes: HelperImpl = (vm) => {
  const c = skbPacket(vm, 'skb_store_bytes');
  if (isFault(c)) return c;
  const len = argU32(vm, 4);
  const from = argBytes(vm, 'skb_store_bytes', 3, len, false);
  if (isFault(from)) return from;
  const flags = vm.arg(5);
  if (flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return errno(EINVAL);
  const offset = argU32(vm, 2);
  if (offset > INT_MAX) return errno(EFAULT);
  if (offset + len > c.pkt.end - c.pkt.data) return errno(EFAULT);
  c.pkt.region.bytes.set(from.slice(), c.pkt.data + offset);
  if (flags & BPF_F_INVALIDATE_HASH) {
    const ctx = ctxView(vm, 'skb_store_bytes');
    if (isFault(ctx)) return ctx;
    ctx.setUint32(SKB_HASH_OFF, 0, true);
  }
  return 0n;
};

/**
 * bpf_skb_load_bytes_relative(skb, offset, to, len, start_header): like skb_load_bytes
 * from the MAC (0) or network (1) header; any other start, an offset past 0xffff or a range
 * past the packet's end is -EFAULT with `to` zeroed.
 */
export const skbLoadBytesRelative: HelperImpl = (vm) => {
  const c = skbPacket(vm, 'skb_load_bytes_relative');
  if (isFault(c)) return c;
  const len = argU32(vm, 4);
  const to = argBytes(vm, 'skb_load_bytes_relative', 3, len, true);
  if (isFault(to)) return to;
  const offset = argU32(vm, 2);
  const startHeader = argU32(vm, 5);
  const l3 = L3_PACKET_TYPES.has(c.host.progType);
  let start: number | undefined;
  if (startHeader === BPF_HDR_START_MAC) start = l3 ? (c.pkt.data >= ETH_HLEN ? c.pkt.data - ETH_HLEN : undefined) : c.pkt.data;
  else if (startHeader === BPF_HDR_START_NET) start = l3 ? c.pkt.data : c.pkt.data + ETH_HLEN;
  if (offset > 0xffff || start === undefined || start + offset + len > c.pkt.end) {
    to.fill(0);
    return errno(EFAULT);
  }
  to.set(c.pkt.region.bytes.slice(start + offset, start + offset + len));
  return 0n;
};

/** bpf_xdp_adjust_head(xdp, delta): move data (and the metadata before it) by delta bytes. */
export const xdpAdjustHead: HelperImpl = (vm) => {
  const c = xdpPacket(vm, 'xdp_adjust_head');
  if (isFault(c)) return c;
  const { pkt } = c;
  const delta = argS32(vm, 2);
  const metalen = pkt.data - pkt.meta;
  const newData = pkt.data + delta;
  if (newData < pkt.headroomMin + XDP_FRAME_SIZE + metalen || newData > pkt.end - ETH_HLEN) return errno(EINVAL);
  if (metalen) pkt.region.bytes.copyWithin(pkt.meta + delta, pkt.meta, pkt.meta + metalen);
  pkt.meta += delta;
  pkt.data = newData;
  syncWindow(pkt);
  return 0n;
};

/** bpf_xdp_adjust_tail(xdp, delta): move data_end by delta bytes; grown bytes are zeroed. */
export const xdpAdjustTail: HelperImpl = (vm) => {
  const c = xdpPacket(vm, 'xdp_adjust_tail');
  if (isFault(c)) return c;
  const { pkt } = c;
  const delta = argS32(vm, 2);
  const hardEnd = Math.min(pkt.headroomMin + XDP_FRAME_SZ - SKB_SHARED_INFO_SIZE, pkt.region.bytes.length);
  const newEnd = pkt.end + delta;
  if (newEnd > hardEnd || newEnd < pkt.data + ETH_HLEN) return errno(EINVAL);
  if (delta > 0) pkt.region.bytes.fill(0, pkt.end, newEnd);
  pkt.end = newEnd;
  syncWindow(pkt);
  return 0n;
};

/** bpf_xdp_adjust_meta(xdp, delta): move data_meta by delta bytes. */
export const xdpAdjustMeta: HelperImpl = (vm) => {
  const c = xdpPacket(vm, 'xdp_adjust_meta');
  if (isFault(c)) return c;
  const { pkt } = c;
  const newMeta = pkt.meta + argS32(vm, 2);
  const metalen = pkt.data - newMeta;
  if (newMeta < pkt.headroomMin + XDP_FRAME_SIZE || newMeta > pkt.data) return errno(EINVAL);
  if (metalen % 4 !== 0 || metalen > XDP_META_MAX) return errno(EACCES);
  pkt.meta = newMeta;
  syncWindow(pkt);
  return 0n;
};

/** bpf_xdp_load_bytes(xdp, offset, buf, len): -EFAULT for offset or len past 0xffff, -EINVAL past the packet. */
export const xdpLoadBytes: HelperImpl = (vm) => {
  const c = xdpPacket(vm, 'xdp_load_bytes');
  if (isFault(c)) return c;
  const len = argU32(vm, 4);
  const buf = argBytes(vm, 'xdp_load_bytes', 3, len, true);
  if (isFault(buf)) return buf;
  const err = xdpRange(c.pkt, argU32(vm, 2), len);
  if (err) return errno(err);
  const at = c.pkt.data + argU32(vm, 2);
  buf.set(c.pkt.region.bytes.slice(at, at + len));
  return 0n;
};

/** bpf_xdp_store_bytes(xdp, offset, buf, len). */
export const xdpStoreBytes: HelperImpl = (vm) => {
  const c = xdpPacket(vm, 'xdp_store_bytes');
  if (isFault(c)) return c;
  const len = argU32(vm, 4);
  const buf = argBytes(vm, 'xdp_store_bytes', 3, len, false);
  if (isFault(buf)) return buf;
  const err = xdpRange(c.pkt, argU32(vm, 2), len);
  if (err) return errno(err);
  c.pkt.region.bytes.set(buf.slice(), c.pkt.data + argU32(vm, 2));
  return 0n;
};

/** bpf_xdp_get_buff_len(xdp): the packet's length (no frags here). */
export const xdpGetBuffLen: HelperImpl = (vm) => {
  const c = xdpPacket(vm, 'xdp_get_buff_len');
  if (isFault(c)) return c;
  return BigInt(c.pkt.end - c.pkt.data);
};

/** bpf_xdp_pointer()'s checks. */
function xdpRange(pkt: PacketState, offset: number, len: number): number {
  if (offset > 0xffff || len > 0xffff) return EFAULT;
  if (offset + len > pkt.end - pkt.data) return EINVAL;
  return 0;
}

function skbPacket(vm: Machine, helper: string): { host: Host; pkt: PacketState } | { fault: string } {
  const host = hostOf(vm, helper);
  if (isFault(host)) return host;
  const pkt = packetOf(host, helper);
  if (isFault(pkt)) return pkt;
  if (host.progType === 'xdp') return fault(helper, 'is an skb helper; xdp programs cannot call it');
  void vm.lo[1]; // ctx: the skb is the run's packet
  return { host, pkt };
}

function xdpPacket(vm: Machine, helper: string): { host: Host; pkt: PacketState } | { fault: string } {
  const host = hostOf(vm, helper);
  if (isFault(host)) return host;
  const pkt = packetOf(host, helper);
  if (isFault(pkt)) return pkt;
  if (host.progType !== 'xdp') return fault(helper, `is an xdp helper; ${host.progType} programs cannot call it`);
  void vm.lo[1];
  return { host, pkt };
}
