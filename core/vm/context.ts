/**
 * Setting up what a program sees at entry, as BPF_PROG_TEST_RUN sets it up on Linux 6.18
 * (net/bpf/test_run.c), so that a VM run and a kernel run of the same input agree:
 *
 * - xdp: `xdp_md` over the packet, with 256 bytes of headroom (XDP_PACKET_HEADROOM) so that
 *   xdp_adjust_head can grow the front, and tailroom for xdp_adjust_tail; ingress_ifindex is
 *   the loopback device's (1).
 * - sched_cls, sched_act (layer 2): `__sk_buff` with data at the Ethernet header.
 * - socket_filter, cgroup_skb: `__sk_buff` with data at the network header: the kernel pulls
 *   the Ethernet header off before the run, and pushes it back zeroed afterwards.
 * - kprobe, perf_event, raw_tracepoint, tracepoint: the context bytes (`--mem`, or `--ctx`
 *   fields by name), no packet.
 * - raw: r1 = the memory, r2 = its length (core/vm/raw.ts).
 */

import { Diagnostic, error } from '../diag';
import { CtxStruct, ctxFieldAt, ctxStruct } from '../progtypes/contexts';
import { Memory, Region } from './memory';
import { PacketState } from './host';
import { ETH_HLEN } from '../net';

export interface ContextInput {
  packet?: Uint8Array;
  /** Context bytes for packet-less types. */
  ctxBytes?: Uint8Array;
  /** Context fields by name (`{"ingress_ifindex": 2}`, `{"di": 1}`, `{"cb": [1,2,3,4,5]}`). */
  ctxFields?: Record<string, unknown>;
}

export interface PreparedContext {
  r1: { lo: number; hi: number };
  ctx?: Region;
  packet?: PacketState;
  /** The packet after the run, as BPF_PROG_TEST_RUN returns it in data_out. */
  packetOut(): Uint8Array | undefined;
}

/** How each program type is run: its context struct and where its packet starts. */
const RUN_KINDS: Record<string, { ctx?: string; packet?: 'xdp' | 'l2' | 'l3' }> = {
  xdp: { ctx: 'xdp_md', packet: 'xdp' },
  sched_cls: { ctx: '__sk_buff', packet: 'l2' },
  sched_act: { ctx: '__sk_buff', packet: 'l2' },
  lwt_in: { ctx: '__sk_buff', packet: 'l3' },
  lwt_out: { ctx: '__sk_buff', packet: 'l3' },
  lwt_xmit: { ctx: '__sk_buff', packet: 'l3' },
  socket_filter: { ctx: '__sk_buff', packet: 'l3' },
  cgroup_skb: { ctx: '__sk_buff', packet: 'l3' },
  kprobe: { ctx: 'pt_regs' },
  perf_event: { ctx: 'bpf_perf_event_data' },
  raw_tracepoint: { ctx: 'bpf_raw_tracepoint_args' },
  tracepoint: {},
};

export const XDP_PACKET_HEADROOM = 256;
const SKB_HEADROOM = 64; // NET_SKB_PAD on x86-64
const TAILROOM = 256;
const LOOPBACK_IFINDEX = 1;

/**
 * What a program type's context looks like: its struct, and where its packet starts (`xdp`
 * and `l2` at the Ethernet header, `l3` at the network header); no packet for the others.
 */
export function runKind(progType: string): { ctx?: string; packet?: 'xdp' | 'l2' | 'l3' } | undefined {
  return RUN_KINDS[progType];
}

export function runKindKnown(progType: string): boolean {
  return progType in RUN_KINDS;
}

export function prepareContext(progType: string, memory: Memory, input: ContextInput): { prepared?: PreparedContext; diagnostics: Diagnostic[] } {
  const kind = RUN_KINDS[progType];
  if (!kind) return { diagnostics: [error('prog-type', `programs of type ${progType} cannot be run (no context model yet)`)] };
  const diagnostics: Diagnostic[] = [];
  if (!kind.packet) {
    // Packet-less types: the context is the given bytes, or fields by name, or zeros.
    const st = kind.ctx ? ctxStruct(kind.ctx) : undefined;
    const size = Math.max(st?.size ?? 0, input.ctxBytes?.length ?? 0, 8);
    const bytes = new Uint8Array(size);
    if (input.ctxBytes) bytes.set(input.ctxBytes);
    if (input.packet) diagnostics.push(error('input', `programs of type ${progType} take no packet; give the context with --mem or --ctx`));
    if (st && input.ctxFields) setFields(st, bytes, input.ctxFields, diagnostics);
    else if (input.ctxFields) diagnostics.push(error('input', `--ctx needs named fields, which ${progType} contexts do not have; use --mem`));
    const region = memory.add(`ctx (${kind.ctx ?? progType})`, 'ctx', bytes, false);
    return { prepared: { r1: Memory.address(region, 0), ctx: region, packetOut: () => undefined }, diagnostics };
  }

  const pkt = input.packet ?? new Uint8Array(0);
  const refused = testRunRefuses(kind.packet, pkt);
  if (refused) return { diagnostics: [error('input', `BPF_PROG_TEST_RUN refuses this packet for ${progType} (EINVAL): ${refused}`)] };
  const st = ctxStruct(kind.ctx!)!;
  const ctxBytes = new Uint8Array(st.size);
  const headroom = kind.packet === 'xdp' ? XDP_PACKET_HEADROOM : SKB_HEADROOM;
  const buf = new Uint8Array(headroom + pkt.length + TAILROOM);
  buf.set(pkt, headroom);
  const region = memory.add('packet', 'packet', buf, true);
  // socket_filter and cgroup_skb start at the network header (DESIGN.md, The VM).
  const pull = kind.packet === 'l3' ? Math.min(ETH_HLEN, pkt.length) : 0;
  const state: PacketState = {
    region, meta: headroom + pull, data: headroom + pull, end: headroom + pkt.length, headroomMin: 0,
    mac: kind.packet === 'xdp' ? undefined : headroom,
  };
  region.lowOff = state.meta;
  region.highOff = state.end;
  const ctx = memory.add(`ctx (${st.name})`, 'ctx', ctxBytes, false);
  const ptr = (which: 'data' | 'data_end' | 'data_meta') => () =>
    Memory.address(region, which === 'data' ? state.data : which === 'data_end' ? state.end : state.meta);
  ctx.pointerFields = new Map();
  for (const f of st.fields) if (f.pointer) ctx.pointerFields.set(f.off, ptr(f.pointer));
  ctx.writableFields = (off, size) => {
    const at = ctxFieldAt(st, off);
    return !!at?.field.writable && off + size <= at.field.off + at.field.size * (at.field.count ?? 1);
  };
  const view = new DataView(ctxBytes.buffer);
  if (kind.packet === 'xdp') {
    view.setUint32(12, LOOPBACK_IFINDEX, true);
  } else {
    // What bpf_prog_test_run_skb() leaves in the skb (net/bpf/test_run.c, convert___skb_to_skb).
    const skb = testRunSkb(pkt);
    const ethType = skb.protocol;
    view.setUint32(0, pkt.length - pull, true); // len
    view.setUint32(4, skb.pktType, true);
    view.setUint32(16, ((ethType & 0xff) << 8) | (ethType >> 8), true); // protocol, __be16 in a u32
    view.setUint32(40, skb.ifindex, true);
    view.setUint32(160, pkt.length, true); // wire_len
    view.setUint32(164, 1, true); // gso_segs
    if (ethType === 0x0800 && pkt.length >= ETH_HLEN + 20) {
      view.setUint32(88, 2, true); // family AF_INET: the test socket takes the packet's addresses
      ctxBytes.set(pkt.subarray(ETH_HLEN + 12, ETH_HLEN + 16), 96); // local_ip4 = saddr
      ctxBytes.set(pkt.subarray(ETH_HLEN + 16, ETH_HLEN + 20), 92); // remote_ip4 = daddr
    }
  }
  if (input.ctxFields) setFields(st, ctxBytes, input.ctxFields, diagnostics);
  if (input.ctxBytes) diagnostics.push(error('input', `programs of type ${progType} take their context from the packet; use --ctx for fields`));
  const prepared: PreparedContext = {
    r1: Memory.address(ctx, 0),
    ctx,
    packet: state,
    packetOut: () => {
      const out = buf.slice(state.data - pull, state.end);
      out.fill(0, 0, pull); // the kernel pushes the pulled Ethernet header back as zeros
      return out;
    },
  };
  return { prepared, diagnostics };
}

/**
 * The packets BPF_PROG_TEST_RUN refuses with EINVAL on Linux 6.18 (seen on these machines):
 * fewer bytes than an Ethernet header; for skb programs more than a page can hold
 * (4096 - NET_SKB_PAD - skb_shared_info = 3712 bytes), or an IPv4/IPv6 EtherType without
 * the whole network header behind it.
 */
function testRunRefuses(kind: 'xdp' | 'l2' | 'l3', pkt: Uint8Array): string | undefined {
  if (pkt.length < ETH_HLEN) return `${pkt.length} bytes, fewer than an Ethernet header (${ETH_HLEN})`;
  if (kind === 'xdp') return undefined;
  if (pkt.length > SKB_MAX_PACKET) return `${pkt.length} bytes, more than ${SKB_MAX_PACKET}`;
  const ethType = (pkt[12] << 8) | pkt[13];
  if (ethType === 0x0800 && pkt.length < ETH_HLEN + 20) return 'an IPv4 EtherType without a whole IPv4 header (20 bytes)';
  if (ethType === 0x86dd && pkt.length < ETH_HLEN + 40) return 'an IPv6 EtherType without a whole IPv6 header (40 bytes)';
  return undefined;
}

export const SKB_MAX_PACKET = 3712;

/**
 * What bpf_prog_test_run_skb() sets in the skb of a frame: the EtherType as skb->protocol
 * (host order here), eth_type_trans()'s pkt_type, and the loopback device's ifindex.
 */
export function testRunSkb(pkt: Uint8Array): { protocol: number; pktType: number; ifindex: number } {
  return { protocol: pkt.length >= ETH_HLEN ? (pkt[12] << 8) | pkt[13] : 0, pktType: packetType(pkt), ifindex: LOOPBACK_IFINDEX };
}

/**
 * eth_type_trans()'s pkt_type for a frame arriving on the loopback device, whose address and
 * broadcast address are both 00:00:00:00:00:00: so ff:ff:ff:ff:ff:ff is PACKET_MULTICAST too.
 */
function packetType(pkt: Uint8Array): number {
  if (pkt.length < 6) return 0;
  if (pkt[0] & 1) return 2; // PACKET_MULTICAST
  return pkt.subarray(0, 6).every((b) => b === 0) ? 0 : 3; // PACKET_HOST / PACKET_OTHERHOST
}

function setFields(st: CtxStruct, bytes: Uint8Array, fields: Record<string, unknown>, diags: Diagnostic[]): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const [name, value] of Object.entries(fields)) {
    const f = st.fields.find((x) => x.name === name);
    if (!f) { diags.push(error('input', `${st.name} has no field '${name}' (fields: ${st.fields.map((x) => x.name).join(', ')})`)); continue; }
    if (f.pointer) { diags.push(error('input', `${st.name}.${name} is a packet pointer; it is set from the packet`)); continue; }
    const values = Array.isArray(value) ? value : [value];
    if (values.length > (f.count ?? 1)) { diags.push(error('input', `${st.name}.${name} has ${f.count ?? 1} element(s), got ${values.length}`)); continue; }
    values.forEach((v, k) => {
      let n: bigint;
      try { n = BigInt(v as string | number | bigint); } catch { diags.push(error('input', `${st.name}.${name}: '${String(v)}' is not an integer`)); return; }
      const off = f.off + k * f.size;
      if (f.size === 8) view.setBigUint64(off, BigInt.asUintN(64, n), true);
      else if (f.size === 4) view.setUint32(off, Number(BigInt.asUintN(32, n)), true);
      else if (f.size === 2) view.setUint16(off, Number(BigInt.asUintN(16, n)), true);
      else view.setUint8(off, Number(BigInt.asUintN(8, n)));
    });
  }
}
