/**
 * Helpers that change what the kernel keeps beside an skb's bytes: skb_vlan_push,
 * skb_vlan_pop (net/core/filter.c over skb_vlan_push()/skb_vlan_pop() in
 * net/core/skbuff.c), get_hash_recalc and get_socket_cookie.
 *
 * That state is the __sk_buff context the program reads: protocol, vlan_present, vlan_tci,
 * vlan_proto, hash and len live in the context's bytes, and these helpers write them there.
 *
 * VLAN tags, as the kernel keeps them: the outermost tag of an skb is metadata (the
 * "hardware accelerated" tag, __sk_buff.vlan_present/vlan_tci/vlan_proto), not packet
 * bytes. skb_vlan_push puts the new tag there, first moving an existing one into the
 * packet (4 bytes after the MAC addresses, the packet grows at the front);
 * skb_vlan_pop drops the metadata tag (or, without one, the outermost tag in the packet),
 * then promotes the next in-packet tag, if any, to metadata. A push with a protocol other
 * than 802.1Q or 802.1ad pushes 802.1Q. These helpers are for tc programs, whose packet
 * starts at the MAC header.
 *
 * Where we depart: the kernel's flow hash is jhash over the dissected flow keys with a
 * per-boot random key, so no run can reproduce it. get_hash_recalc computes FNV-1a over
 * the same keys (addresses, ports, protocol, ordered so that both directions of a flow
 * agree, as the kernel orders them) seeded with env.seed: stable across runs, nonzero as
 * the kernel's, different in value. get_socket_cookie returns a fixed cookie for the test
 * run's socket (the kernel's come from a global counter).
 */

import type { HelperImpl, Machine } from '../../vm/machine';
import type { Host, PacketState } from '../../vm/host';
import { ENOMEM, L3_PACKET_TYPES, ctxView, errno, fault, hostOf, isFault, packetOf, syncWindow } from './common';
import { ETH_ALEN, ETH_HLEN, VLAN_HLEN } from '../../net';

// __sk_buff offsets.
const SKB_LEN = 0, SKB_PROTOCOL = 16, SKB_VLAN_PRESENT = 20, SKB_VLAN_TCI = 24, SKB_VLAN_PROTO = 28, SKB_HASH = 68;
const ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88a8, ETH_P_802_3 = 0x0001, ETH_P_802_2 = 0x0004;
const ETH_P_802_3_MIN = 0x600;
/** The cookie of the socket BPF_PROG_TEST_RUN attaches to its skb. */
const TEST_RUN_SOCKET_COOKIE = 0x1001n;

/** bpf_skb_vlan_push(skb, vlan_proto, vlan_tci). */
export const skbVlanPush: HelperImpl = (vm) => {
  const c = tcSkb(vm, 'skb_vlan_push');
  if (isFault(c)) return c;
  const { pkt, ctx } = c;
  let proto = swap16(Number(vm.arg(2) & 0xffffn)); // a __be16 in the register
  if (proto !== ETH_P_8021Q && proto !== ETH_P_8021AD) proto = ETH_P_8021Q;
  const tci = Number(vm.arg(3) & 0xffffn);
  if (ctx.getUint32(SKB_VLAN_PRESENT, true)) {
    // __vlan_insert_tag(): the current metadata tag goes into the packet.
    if (pkt.data - VLAN_HLEN < pkt.headroomMin) return errno(ENOMEM);
    const b = pkt.region.bytes;
    const d = moveData(pkt, -VLAN_HLEN);
    b.copyWithin(d, d + VLAN_HLEN, d + VLAN_HLEN + 2 * ETH_ALEN);
    const oldProto = swap16(ctx.getUint32(SKB_VLAN_PROTO, true) & 0xffff);
    pkt.region.view.setUint16(d + 2 * ETH_ALEN, oldProto, false);
    pkt.region.view.setUint16(d + 2 * ETH_ALEN + 2, ctx.getUint32(SKB_VLAN_TCI, true) & 0xffff, false);
    setProtocol(ctx, oldProto);
    ctx.setUint32(SKB_LEN, pkt.end - pkt.data, true);
  }
  putTag(ctx, proto, tci);
  return 0n;
};

/** bpf_skb_vlan_pop(skb). */
export const skbVlanPop: HelperImpl = (vm) => {
  const c = tcSkb(vm, 'skb_vlan_pop');
  if (isFault(c)) return c;
  const { pkt, ctx } = c;
  if (ctx.getUint32(SKB_VLAN_PRESENT, true)) {
    clearTag(ctx);
  } else {
    if (!isVlan(protocol(ctx))) return 0n;
    const err = popInPacket(pkt, ctx);
    if (typeof err === 'number') return errno(err);
  }
  // Move the next tag in the packet, if there is one, to the metadata.
  if (!isVlan(protocol(ctx))) return 0n;
  const proto = protocol(ctx);
  const tci = popInPacket(pkt, ctx);
  if (typeof tci === 'number' && tci < 0) return errno(tci);
  putTag(ctx, proto, (tci as { tci: number }).tci);
  return 0n;
};

/** bpf_get_hash_recalc(skb): the flow hash, computed now and kept in skb->hash. */
export const getHashRecalc: HelperImpl = (vm) => {
  const host = hostOf(vm, 'get_hash_recalc');
  if (isFault(host)) return host;
  const pkt = packetOf(host, 'get_hash_recalc');
  if (isFault(pkt)) return pkt;
  const ctx = ctxView(vm, 'get_hash_recalc');
  if (isFault(ctx)) return ctx;
  const hash = flowHash(host, pkt, ctx);
  ctx.setUint32(SKB_HASH, hash, true);
  return BigInt(hash);
};

/** bpf_get_socket_cookie(skb): the cookie of skb->sk, which a test run always has. */
export const getSocketCookie: HelperImpl = (vm) => {
  const host = hostOf(vm, 'get_socket_cookie');
  if (isFault(host)) return host;
  void vm.lo[1];
  return TEST_RUN_SOCKET_COOKIE;
};

function tcSkb(vm: Machine, helper: string): { host: Host; pkt: PacketState; ctx: DataView } | { fault: string } {
  const host = hostOf(vm, helper);
  if (isFault(host)) return host;
  const pkt = packetOf(host, helper);
  if (isFault(pkt)) return pkt;
  if (host.progType === 'xdp' || L3_PACKET_TYPES.has(host.progType)) return fault(helper, `is a tc helper; ${host.progType} programs cannot call it`);
  const ctx = ctxView(vm, helper);
  if (isFault(ctx)) return ctx;
  return { host, pkt, ctx };
}

/**
 * __skb_vlan_pop(): removes the tag after the MAC addresses; the encapsulated protocol
 * becomes skb->protocol (vlan_set_encap_proto()). -ENOMEM when the packet is shorter than
 * a tagged Ethernet header.
 */
function popInPacket(pkt: PacketState, ctx: DataView): { tci: number } | number {
  if (pkt.end - pkt.data < ETH_HLEN + VLAN_HLEN) return ENOMEM;
  const v = pkt.region.view, b = pkt.region.bytes;
  const tci = v.getUint16(pkt.data + ETH_HLEN, false);
  const encap = v.getUint16(pkt.data + ETH_HLEN + 2, false);
  b.copyWithin(pkt.data + VLAN_HLEN, pkt.data, pkt.data + 2 * ETH_ALEN);
  const d = moveData(pkt, VLAN_HLEN);
  if (encap >= ETH_P_802_3_MIN) setProtocol(ctx, encap);
  else setProtocol(ctx, pkt.end - d >= ETH_HLEN + 2 && v.getUint16(d + ETH_HLEN, false) === 0xffff ? ETH_P_802_3 : ETH_P_802_2);
  ctx.setUint32(SKB_LEN, pkt.end - pkt.data, true);
  return { tci };
}

/** Moves skb->data (with the metadata before it) by delta bytes; returns the new data offset. */
function moveData(pkt: PacketState, delta: number): number {
  pkt.meta += delta;
  pkt.data += delta;
  syncWindow(pkt);
  return pkt.data;
}

function putTag(ctx: DataView, proto: number, tci: number): void {
  ctx.setUint32(SKB_VLAN_PRESENT, 1, true);
  ctx.setUint32(SKB_VLAN_TCI, tci & 0xffff, true);
  ctx.setUint32(SKB_VLAN_PROTO, swap16(proto), true);
}

function clearTag(ctx: DataView): void {
  ctx.setUint32(SKB_VLAN_PRESENT, 0, true);
  ctx.setUint32(SKB_VLAN_TCI, 0, true);
  ctx.setUint32(SKB_VLAN_PROTO, 0, true);
}

/** skb->protocol in host order (the context holds the __be16). */
function protocol(ctx: DataView): number {
  return swap16(ctx.getUint32(SKB_PROTOCOL, true) & 0xffff);
}

function setProtocol(ctx: DataView, proto: number): void {
  ctx.setUint32(SKB_PROTOCOL, swap16(proto), true);
}

function isVlan(proto: number): boolean {
  return proto === ETH_P_8021Q || proto === ETH_P_8021AD;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

/** The flow keys (addresses, ports, L4 protocol) in the kernel's symmetric order, hashed with FNV-1a. */
function flowHash(host: Host, pkt: PacketState, ctx: DataView): number {
  const b = pkt.region.bytes, v = pkt.region.view;
  let nh = pkt.data;
  let proto: number;
  if (L3_PACKET_TYPES.has(host.progType)) proto = protocol(ctx);
  else {
    proto = pkt.end - nh >= ETH_HLEN ? v.getUint16(nh + 12, false) : 0;
    nh += ETH_HLEN;
    while (isVlan(proto) && pkt.end - nh >= VLAN_HLEN) { proto = v.getUint16(nh + 2, false); nh += VLAN_HLEN; }
  }
  let src = new Uint8Array(0), dst = new Uint8Array(0), ports = [0, 0], l4 = 0, l4At = -1;
  if (proto === 0x0800 && pkt.end - nh >= 20) {
    const ihl = (b[nh] & 0xf) * 4;
    l4 = b[nh + 9];
    src = b.slice(nh + 12, nh + 16); dst = b.slice(nh + 16, nh + 20);
    const fragmented = (v.getUint16(nh + 6, false) & 0x3fff) !== 0;
    if (!fragmented) l4At = nh + ihl;
  } else if (proto === 0x86dd && pkt.end - nh >= 40) {
    l4 = b[nh + 6];
    src = b.slice(nh + 8, nh + 24); dst = b.slice(nh + 24, nh + 40);
    l4At = nh + 40;
  }
  if (l4At >= 0 && (l4 === 6 || l4 === 17 || l4 === 132 || l4 === 136) && pkt.end - l4At >= 4) {
    ports = [v.getUint16(l4At, false), v.getUint16(l4At + 2, false)];
  }
  // flow_keys_consistentify(): the smaller address (then port) first.
  const cmp = compareBytes(src, dst);
  if (cmp > 0 || (cmp === 0 && ports[1] < ports[0])) { [src, dst] = [dst, src]; ports = [ports[1], ports[0]]; }
  let h = (0x811c9dc5 ^ (host.env.seed >>> 0)) >>> 0;
  const mix = (x: number) => { h = Math.imul(h ^ (x & 0xff), 0x01000193) >>> 0; };
  for (const x of src) mix(x);
  for (const x of dst) mix(x);
  for (const p of ports) { mix(p >> 8); mix(p); }
  mix(l4);
  mix(proto >> 8); mix(proto);
  return h === 0 ? 1 : h;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) return a[k] - b[k];
  return a.length - b.length;
}

