/**
 * A deterministic, varied Ethernet capture and a list of pcap-filter(7) expressions, for the
 * differential test of our classic-BPF interpreter against tcpdump/libpcap: tcpdump compiles
 * each expression, both sides run it on every frame, and both must keep the same frames.
 *
 * The frames are built to exercise every header field the expressions look at: IPv4 (with
 * options, fragments and many protocols), IPv6 (with hop-by-hop and fragment headers), ARP
 * and RARP, 802.1Q and QinQ tags, LLDP, 802.3 frames with LLC/SNAP headers and unknown
 * EtherTypes; unicast, broadcast and multicast addresses from small pools, so that host and
 * net filters match some frames; lengths from 14 to 1514 bytes, and a few frames cut off in
 * the middle of their IP or TCP header (the capture claims less than the headers do).
 * Checksums are left at 0 except the IPv4 header's; no filter reads them.
 */

import { randInt, rng } from '../gen';

type Bytes = number[];
type IpVersion = 4 | 6;

/** The random source and the little state that makes coverage certain rather than likely. */
interface Gen {
  r: () => number;
  /** Per IP version, cycles through all 64 combinations of FIN/SYN/RST/PSH/ACK/URG. */
  flagCombo: Record<IpVersion, number>;
}

const MAX_FRAME = 1514;
const MIN_FRAME = 60;
/** The share of IP frames cut short inside their IP or TCP header. */
const TRUNCATED = 0.025;

const ETH_IPV4 = 0x0800, ETH_ARP = 0x0806, ETH_RARP = 0x8035, ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100, ETH_QINQ = 0x88a8, ETH_LLDP = 0x88cc;
const PROTO_ICMP = 1, PROTO_IGMP = 2, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_GRE = 47, PROTO_ESP = 50;
const PROTO_ICMP6 = 58, PROTO_SCTP = 132, PROTO_HOPOPTS = 0, PROTO_FRAGMENT = 44, PROTO_NONE = 59;
const IP_DF = 0x4000, IP_MF = 0x2000;
const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

const BROADCAST_MAC: Bytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const LLDP_MAC: Bytes = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];
const STP_MAC: Bytes = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x00];
const CDP_MAC: Bytes = [0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc];
const SRC_MACS: Bytes[] = [
  [0x02, 0, 0, 0, 0, 0x0a], [0x02, 0, 0, 0, 0, 0x0b], [0x02, 0, 0, 0, 0, 0x0c],
  [0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x01], [0x52, 0x54, 0x00, 0x12, 0x34, 0x56],
];
const DST_MACS: Bytes[] = [
  [0x02, 0, 0, 0, 0, 0x0a], [0x02, 0, 0, 0, 0, 0x0b], [0x02, 0, 0, 0, 0, 0x0d],
  [0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x02], [0x3c, 0xfd, 0xfe, 0x00, 0x00, 0x01],
];

// ---- random choices

function int(g: Gen, lo: number, hi: number): number {
  return randInt(g.r, lo, hi);
}

function chance(g: Gen, p: number): boolean {
  return g.r() < p;
}

function pick<T>(g: Gen, items: readonly T[]): T {
  return items[int(g, 0, items.length - 1)];
}

/** Calls one of the makers, each chosen in proportion to its weight. */
function weighted<T>(g: Gen, table: ReadonlyArray<readonly [number, () => T]>): T {
  const total = table.reduce((n, [w]) => n + w, 0);
  let x = g.r() * total;
  for (const [w, make] of table) {
    if (x < w) return make();
    x -= w;
  }
  return table[table.length - 1][1]();
}

function randomBytes(g: Gen, n: number): Bytes {
  return Array.from({ length: Math.max(0, n) }, () => int(g, 0, 255));
}

function u32(g: Gen): number {
  return Math.floor(g.r() * 2 ** 32);
}

/** Mostly small payloads, some up to the room left in a full-sized frame. */
function payloadLength(g: Gen, room: number): number {
  const n = weighted(g, [
    [35, () => 0],
    [25, () => int(g, 1, 64)],
    [25, () => int(g, 65, 300)],
    [15, () => int(g, 301, Math.max(301, room))],
  ]);
  return Math.max(0, Math.min(n, room));
}

// ---- byte helpers

function be16(v: number): Bytes {
  return [(v >>> 8) & 0xff, v & 0xff];
}

function be32(v: number): Bytes {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function checksum(header: Bytes): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += (header[i] << 8) | (header[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---- addresses

function ipv4Source(g: Gen): number {
  return weighted(g, [
    [25, () => v4(10, 0, 0, int(g, 1, 12))],
    [20, () => v4(10, 1, int(g, 0, 255), int(g, 1, 254))],
    [20, () => v4(192, 168, 1, int(g, 1, 254))],
    [15, () => v4(172, int(g, 16, 31), int(g, 0, 255), int(g, 1, 254))],
    [5, () => v4(8, 8, 8, 8)],
    [15, () => u32(g)],
  ]);
}

function ipv4Destination(g: Gen): number {
  return weighted(g, [
    [85, () => ipv4Source(g)],
    [5, () => v4(224, 0, 0, 251)],
    [5, () => v4(255, 255, 255, 255)],
    [2, () => v4(192, 168, 1, 255)],
    [3, () => v4(239, int(g, 0, 255), int(g, 0, 255), int(g, 1, 254))],
    [2, () => v4(224, 0, 0, int(g, 1, 22))],
  ]);
}

function ipv6Address(prefix: Bytes, iid: Bytes): Bytes {
  return [...prefix, ...new Array(16 - prefix.length - iid.length).fill(0), ...iid];
}

function ipv6Unicast(g: Gen): Bytes {
  return weighted(g, [
    [20, () => ipv6Address([0x20, 0x01, 0x0d, 0xb8], [int(g, 1, 3)])],
    [35, () => ipv6Address([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, int(g, 0, 3)], [0, int(g, 1, 20)])],
    [15, () => ipv6Address([0x20, 0x01, 0x0d, 0xb8, 0, int(g, 2, 0xff)], randomBytes(g, 8))],
    [25, () => ipv6Address([0xfe, 0x80], randomBytes(g, 8))],
    [5, () => randomBytes(g, 16)],
  ]);
}

function solicitedNode(target: Bytes): Bytes {
  return ipv6Address([0xff, 0x02], [0, 1, 0xff, ...target.slice(13)]);
}

function ipv6Destination(g: Gen): Bytes {
  return weighted(g, [
    [85, () => ipv6Unicast(g)],
    [5, () => ipv6Address([0xff, 0x02], [1])],
    [3, () => ipv6Address([0xff, 0x02], [2])],
    [4, () => ipv6Address([0xff, 0x02], [0xfb])],
    [3, () => solicitedNode(randomBytes(g, 16))],
  ]);
}

function unicastMac(g: Gen): Bytes {
  return chance(g, 0.03) ? BROADCAST_MAC : pick(g, DST_MACS);
}

function macForIpv4(g: Gen, dst: number): Bytes {
  if (dst === 0xffffffff || dst === v4(192, 168, 1, 255)) return BROADCAST_MAC;
  if (dst >>> 28 === 0xe) return [0x01, 0x00, 0x5e, (dst >>> 16) & 0x7f, (dst >>> 8) & 0xff, dst & 0xff];
  return unicastMac(g);
}

function macForIpv6(g: Gen, dst: Bytes): Bytes {
  return dst[0] === 0xff ? [0x33, 0x33, ...dst.slice(12)] : unicastMac(g);
}

// ---- headers

function eth(dst: Bytes, src: Bytes, tags: Bytes, type: number, payload: Bytes): Bytes {
  return [...dst, ...src, ...tags, ...be16(type), ...payload];
}

interface Ipv4Header {
  src: number;
  dst: number;
  proto: number;
  ttl: number;
  tos?: number;
  id?: number;
  /** IP_DF and IP_MF. */
  flags?: number;
  /** In units of 8 bytes. */
  fragOffset?: number;
  /** A multiple of 4 bytes, at most 40. */
  options?: Bytes;
}

function ipv4(h: Ipv4Header, payload: Bytes): Bytes {
  const options = h.options ?? [];
  const ihl = 5 + options.length / 4;
  const header = [
    0x40 | ihl, h.tos ?? 0, ...be16(ihl * 4 + payload.length), ...be16(h.id ?? 0),
    ...be16((h.flags ?? 0) | (h.fragOffset ?? 0)), h.ttl, h.proto, 0, 0,
    ...be32(h.src), ...be32(h.dst), ...options,
  ];
  const sum = checksum(header);
  header[10] = sum >>> 8;
  header[11] = sum & 0xff;
  return [...header, ...payload];
}

interface Ipv6Header {
  src: Bytes;
  dst: Bytes;
  next: number;
  hopLimit: number;
  trafficClass?: number;
  flowLabel?: number;
}

function ipv6(h: Ipv6Header, payload: Bytes): Bytes {
  const tc = h.trafficClass ?? 0, flow = h.flowLabel ?? 0;
  return [
    0x60 | (tc >>> 4), ((tc & 0xf) << 4) | ((flow >>> 16) & 0xf), ...be16(flow & 0xffff),
    ...be16(payload.length), h.next, h.hopLimit, ...h.src, ...h.dst, ...payload,
  ];
}

interface TcpHeader {
  sport: number;
  dport: number;
  /** The low 8 bits go in byte 13; 0x100 is the NS bit. */
  flags: number;
  seq: number;
  ack: number;
  window: number;
  /** A multiple of 4 bytes, at most 40. */
  options: Bytes;
}

function tcp(h: TcpHeader, payload: Bytes): Bytes {
  const dataOffset = 5 + h.options.length / 4;
  return [
    ...be16(h.sport), ...be16(h.dport), ...be32(h.seq), ...be32(h.ack),
    (dataOffset << 4) | ((h.flags >>> 8) & 1), h.flags & 0xff, ...be16(h.window), 0, 0,
    ...be16(h.flags & 0x20 ? 1 : 0), ...h.options, ...payload,
  ];
}

function udp(sport: number, dport: number, payload: Bytes): Bytes {
  return [...be16(sport), ...be16(dport), ...be16(8 + payload.length), 0, 0, ...payload];
}

/** ICMP and ICMPv6 share the layout: type, code, checksum, then 4 bytes that depend on the type. */
function icmp(type: number, code: number, rest: Bytes, body: Bytes): Bytes {
  return [type, code, 0, 0, ...rest, ...body];
}

function lldpTlv(type: number, value: Bytes): Bytes {
  return [...be16((type << 9) | value.length), ...value];
}

// ---- transport layer

/** What an IPv4 or IPv6 packet carries; some payloads also decide the addresses or TTL. */
interface Segment {
  proto: number;
  bytes: Bytes;
  dst4?: number;
  dst6?: Bytes;
  ttl?: number;
  options?: Bytes;
}

function tcpService(g: Gen): number {
  return weighted(g, [
    [12, () => 22],
    [4, () => 53],
    [18, () => 80],
    [18, () => 443],
    [8, () => 8080],
    [6, () => int(g, 8000, 9000)],
    [14, () => int(g, 1000, 2000)],
    [8, () => int(g, 1, 65535)],
  ]);
}

function ephemeralPort(g: Gen): number {
  return chance(g, 0.8) ? int(g, 32768, 60999) : int(g, 1024, 65535);
}

/** Client and server ports, one way round or the other. */
function ports(g: Gen, service: number): [number, number] {
  const client = ephemeralPort(g);
  return chance(g, 0.5) ? [client, service] : [service, client];
}

function tcpFlags(g: Gen, version: IpVersion): number {
  const extra = chance(g, 0.05) ? pick(g, [0x40, 0x80, 0xc0, 0x100]) : 0;
  return extra | weighted(g, [
    [20, () => ACK],
    [14, () => PSH | ACK],
    [8, () => SYN],
    [6, () => SYN | ACK],
    [5, () => FIN | ACK],
    [3, () => RST],
    [3, () => RST | ACK],
    [90, () => g.flagCombo[version]++ % 64],
  ]);
}

function tcpOptions(g: Gen): Bytes {
  const words = weighted(g, [[55, () => 0], [15, () => 1], [15, () => 2], [15, () => 3]]);
  if (words === 3 && chance(g, 0.4)) return [1, 1, 8, 10, ...be32(u32(g)), ...be32(u32(g))];
  const out: Bytes = [];
  for (let i = 0; i < words; i++) {
    out.push(...pick(g, [[2, 4, 0x05, 0xb4], [1, 1, 4, 2], [1, 3, 3, int(g, 0, 14)], [1, 1, 1, 1]]));
  }
  return out;
}

function tcpSegment(g: Gen, version: IpVersion, room: number, service?: number): Segment {
  const [sport, dport] = service !== undefined || chance(g, 0.85) ? ports(g, service ?? tcpService(g)) : [int(g, 0, 65535), int(g, 0, 65535)];
  const header: TcpHeader = {
    sport, dport, flags: tcpFlags(g, version), seq: u32(g), ack: u32(g),
    window: chance(g, 0.1) ? 0 : int(g, 1, 65535), options: tcpOptions(g),
  };
  const payload = randomBytes(g, payloadLength(g, room - 20 - header.options.length));
  return { proto: PROTO_TCP, bytes: tcp(header, payload) };
}

function udpDatagram(g: Gen, room: number): Segment {
  const [sport, dport] = weighted<[number, number]>(g, [
    [25, () => ports(g, 53)],
    [8, () => (chance(g, 0.5) ? [68, 67] : [67, 68])],
    [8, () => (chance(g, 0.5) ? [123, 123] : ports(g, 123))],
    [10, () => [5353, 5353]],
    [12, () => ports(g, int(g, 1000, 2000))],
    [4, () => ports(g, pick(g, [161, 514, 4789, 1900]))],
    [33, () => [int(g, 0, 65535), int(g, 0, 65535)]],
  ]);
  const payload = randomBytes(g, payloadLength(g, room - 8));
  return { proto: PROTO_UDP, bytes: udp(sport, dport, payload) };
}

/** An IPv4 header and 8 bytes of its payload, as quoted by ICMP errors. */
function quotedIpv4(g: Gen): Bytes {
  const [sport, dport] = ports(g, tcpService(g));
  const proto = pick(g, [PROTO_TCP, PROTO_UDP]);
  return ipv4({ src: ipv4Source(g), dst: ipv4Source(g), proto, ttl: int(g, 1, 64), id: int(g, 0, 65535) },
    [...be16(sport), ...be16(dport), ...randomBytes(g, 4)]);
}

function icmpMessage(g: Gen, room: number): Segment {
  const echo = (type: number) => icmp(type, 0, [...be16(int(g, 0, 65535)), ...be16(int(g, 0, 65535))],
    randomBytes(g, chance(g, 0.5) ? 56 : payloadLength(g, room - 8)));
  const bytes = weighted(g, [
    [32, () => echo(8)],
    [22, () => echo(0)],
    [25, () => icmp(3, pick(g, [0, 1, 3, 3, 3, 4, 13, int(g, 0, 15)]), [0, 0, ...be16(chance(g, 0.2) ? 1400 : 0)], quotedIpv4(g))],
    [12, () => icmp(11, int(g, 0, 1), [0, 0, 0, 0], quotedIpv4(g))],
    [4, () => icmp(5, int(g, 0, 3), be32(ipv4Source(g)), quotedIpv4(g))],
    [2, () => icmp(4, 0, [0, 0, 0, 0], quotedIpv4(g))],
    [4, () => icmp(pick(g, [13, 14]), 0, randomBytes(g, 4), randomBytes(g, 12))],
    [3, () => icmp(pick(g, [9, 10]), 0, randomBytes(g, 4), randomBytes(g, 8))],
    [5, () => icmp(int(g, 0, 255), int(g, 0, 255), randomBytes(g, 4), randomBytes(g, int(g, 0, 40)))],
  ]);
  return { proto: PROTO_ICMP, bytes };
}

/** IGMPv2 queries, reports and leaves, sent with TTL 1 and the router-alert option. */
function igmpMessage(g: Gen): Segment {
  const group = v4(pick(g, [224, 239]), int(g, 0, 255), int(g, 0, 255), int(g, 1, 254));
  const [type, dst4] = weighted<[number, number]>(g, [
    [30, () => [0x11, v4(224, 0, 0, 1)]],
    [50, () => [0x16, group]],
    [20, () => [0x17, v4(224, 0, 0, 2)]],
  ]);
  const bytes = [type, type === 0x11 ? 100 : 0, 0, 0, ...be32(type === 0x11 ? 0 : group)];
  return { proto: PROTO_IGMP, bytes, dst4, ttl: 1, options: [0x94, 4, 0, 0] };
}

/** GRE carrying a small IPv4 UDP packet, sometimes with a key. */
function grePacket(g: Gen, room: number): Segment {
  const keyed = chance(g, 0.3);
  const header = [keyed ? 0x20 : 0, 0, ...be16(ETH_IPV4), ...(keyed ? be32(u32(g)) : [])];
  const inner = ipv4({ src: ipv4Source(g), dst: ipv4Source(g), proto: PROTO_UDP, ttl: 64 },
    udp(ephemeralPort(g), 53, randomBytes(g, payloadLength(g, room - header.length - 28))));
  return { proto: PROTO_GRE, bytes: [...header, ...inner] };
}

function sctpPacket(g: Gen, room: number): Segment {
  const [sport, dport] = ports(g, pick(g, [2905, 3868]));
  const data = randomBytes(g, payloadLength(g, room - 28));
  const chunk = weighted(g, [
    [60, () => [0, 3, ...be16(16 + data.length), ...be32(u32(g)), 0, 1, 0, 0, ...be32(0), ...data]],
    [20, () => [1, 0, ...be16(20), ...be32(u32(g)), ...be32(65535), 0, 10, 0, 10, ...be32(u32(g))]],
    [20, () => [4, 0, ...be16(12), 0, 1, 0, 8, ...be32(u32(g))]],
  ]);
  return { proto: PROTO_SCTP, bytes: [...be16(sport), ...be16(dport), ...be32(u32(g)), 0, 0, 0, 0, ...chunk] };
}

function espPacket(g: Gen, room: number): Segment {
  return { proto: PROTO_ESP, bytes: [...be32(int(g, 256, 0xffff)), ...be32(int(g, 1, 1000)), ...randomBytes(g, Math.min(room - 8, int(g, 16, 400)))] };
}

/** OSPF, PIM, VRRP, tunnels and the odd unassigned number, with opaque payloads. */
function otherProtocol(g: Gen, room: number): Segment {
  const proto = chance(g, 0.7) ? pick(g, [4, 41, 89, 103, 112, 115, 0, 255]) : int(g, 0, 255);
  return { proto, bytes: randomBytes(g, Math.min(room, int(g, 0, 120))) };
}

function icmpv6Message(g: Gen, room: number, srcMac: Bytes): Segment {
  const lla = (type: number) => [type, 1, ...srcMac];
  const nd = (dst6: Bytes, bytes: Bytes): Segment => ({ proto: PROTO_ICMP6, bytes, dst6, ttl: 255 });
  const quoted = () => ipv6({ src: ipv6Unicast(g), dst: ipv6Unicast(g), next: PROTO_UDP, hopLimit: 64 },
    udp(ephemeralPort(g), 53, randomBytes(g, 8))).slice(0, 48);
  return weighted<Segment>(g, [
    [30, () => ({ proto: PROTO_ICMP6, bytes: icmp(128, 0, randomBytes(g, 4), randomBytes(g, payloadLength(g, room - 8))) })],
    [20, () => ({ proto: PROTO_ICMP6, bytes: icmp(129, 0, randomBytes(g, 4), randomBytes(g, payloadLength(g, room - 8))) })],
    [22, () => {
      const target = ipv6Unicast(g);
      return nd(solicitedNode(target), icmp(135, 0, [0, 0, 0, 0], [...target, ...lla(1)]));
    }],
    [8, () => nd(chance(g, 0.5) ? ipv6Address([0xff, 0x02], [1]) : ipv6Unicast(g),
      icmp(136, 0, [pick(g, [0x20, 0x40, 0x60, 0xe0]), 0, 0, 0], [...ipv6Unicast(g), ...lla(2)]))],
    [5, () => nd(ipv6Address([0xff, 0x02], [2]), icmp(133, 0, [0, 0, 0, 0], lla(1)))],
    [10, () => nd(ipv6Address([0xff, 0x02], [1]), icmp(134, 0, [64, pick(g, [0, 0x40, 0x80]), ...be16(1800)], [
      0, 0, 0, 0, 0, 0, 0, 0,
      3, 4, 64, 0xc0, ...be32(86400), ...be32(14400), 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, int(g, 0, 3), 0, 0, 0, 0, 0, 0, 0, 0,
      ...lla(1),
    ]))],
    [6, () => ({ proto: PROTO_ICMP6, bytes: icmp(1, int(g, 0, 6), [0, 0, 0, 0], quoted()) })],
    [3, () => ({ proto: PROTO_ICMP6, bytes: icmp(2, 0, be32(1280), quoted()) })],
    [5, () => ({ proto: PROTO_ICMP6, bytes: icmp(3, int(g, 0, 1), [0, 0, 0, 0], quoted()) })],
  ]);
}

// ---- network layer

/** A packet and the EtherType and destination MAC that go with it. */
interface Packet {
  type: number;
  dstMac: Bytes;
  bytes: Bytes;
}

function ipOptions(g: Gen): Bytes {
  const words = weighted(g, [[80, () => 0], [8, () => 1], [6, () => 2], [6, () => 3]]);
  const out: Bytes = [];
  for (let i = 0; i < words; i++) out.push(...pick(g, [[0x94, 4, 0, 0], [1, 1, 1, 1], [1, 1, 1, 0]]));
  if (words >= 2 && chance(g, 0.5)) out.splice(0, 8, 7, 7, 4, 0, 0, 0, 0, 0);
  return out;
}

function ipv4Ttl(g: Gen): number {
  return weighted(g, [
    [35, () => 64], [20, () => 128], [10, () => 255], [8, () => int(g, 1, 4)], [27, () => int(g, 1, 255)],
  ]);
}

/** `http` makes the packet a TCP segment to or from port 80 (unless it is a later fragment). */
function ipv4Packet(g: Gen, room: number, http = false): Packet {
  let options = ipOptions(g);
  const l4Room = room - 20 - options.length;
  const fragment = weighted(g, [[88, () => 'none'], [4, () => 'first'], [4, () => 'middle'], [4, () => 'last']]);
  const segment = fragment === 'middle' || fragment === 'last'
    ? { proto: pick(g, [PROTO_TCP, PROTO_UDP, PROTO_UDP, PROTO_ICMP]), bytes: randomBytes(g, 8 * int(g, 1, Math.floor(l4Room / 8))) }
    : http ? tcpSegment(g, 4, l4Room, 80) : weighted<Segment>(g, [
      [40, () => tcpSegment(g, 4, l4Room)],
      [30, () => udpDatagram(g, l4Room)],
      [12, () => icmpMessage(g, l4Room)],
      [4, () => igmpMessage(g)],
      [4, () => grePacket(g, l4Room)],
      [5, () => sctpPacket(g, l4Room)],
      [4, () => espPacket(g, l4Room)],
      [6, () => otherProtocol(g, l4Room)],
    ]);
  if (segment.options) options = segment.options;
  const dst = segment.dst4 ?? ipv4Destination(g);
  const flags = fragment === 'none' ? (chance(g, 0.5) ? IP_DF : 0) : fragment === 'last' ? 0 : IP_MF;
  const header: Ipv4Header = {
    src: ipv4Source(g), dst, proto: segment.proto, ttl: segment.ttl ?? ipv4Ttl(g),
    tos: chance(g, 0.8) ? 0 : pick(g, [0x10, 0xb8, 0x28, 0x02, int(g, 0, 255)]), id: int(g, 0, 65535),
    flags, fragOffset: fragment === 'middle' || fragment === 'last' ? int(g, 1, 0x1fff) : 0, options,
  };
  return { type: ETH_IPV4, dstMac: macForIpv4(g, dst), bytes: ipv4(header, segment.bytes) };
}

function ipv6HopLimit(g: Gen): number {
  return weighted(g, [[35, () => 64], [15, () => 255], [15, () => 128], [10, () => 1], [25, () => int(g, 1, 255)]]);
}

/** A hop-by-hop header with a router-alert option, in front of an MLDv2 report. */
function hopByHopMld(g: Gen): Segment {
  const group = ipv6Address([0xff, 0x02], [0xfb]);
  const mld = icmp(143, 0, [0, 0, 0, 1], [4, 0, 0, 0, ...group]);
  return { proto: PROTO_HOPOPTS, bytes: [PROTO_ICMP6, 0, 5, 2, 0, 0, 1, 0, ...mld], dst6: ipv6Address([0xff, 0x02], [0x16]), ttl: 1 };
}

/** A fragment header: the first fragment holds the upper-layer header, later ones do not. */
function ipv6Fragment(g: Gen, room: number): Segment {
  const first = chance(g, 0.5);
  const inner: Segment = !first
    ? { proto: pick(g, [PROTO_TCP, PROTO_UDP]), bytes: randomBytes(g, 8 * int(g, 1, Math.floor((room - 8) / 8))) }
    : chance(g, 0.5) ? tcpSegment(g, 6, room - 8) : udpDatagram(g, room - 8);
  const offset = first ? 0 : int(g, 1, 0x1fff);
  const more = first || chance(g, 0.5) ? 1 : 0;
  return { proto: PROTO_FRAGMENT, bytes: [inner.proto, 0, ...be16((offset << 3) | more), ...be32(u32(g)), ...inner.bytes] };
}

function ipv6Packet(g: Gen, room: number, srcMac: Bytes): Packet {
  const l4Room = room - 40;
  const segment = weighted<Segment>(g, [
    [35, () => tcpSegment(g, 6, l4Room)],
    [30, () => udpDatagram(g, l4Room)],
    [25, () => icmpv6Message(g, l4Room, srcMac)],
    [5, () => hopByHopMld(g)],
    [6, () => ipv6Fragment(g, l4Room)],
    [2, () => (chance(g, 0.5) ? { proto: PROTO_NONE, bytes: [] } : espPacket(g, l4Room))],
  ]);
  const dst = segment.dst6 ?? ipv6Destination(g);
  const src = segment.ttl === 255 || segment.proto === PROTO_HOPOPTS ? ipv6Address([0xfe, 0x80], randomBytes(g, 8)) : ipv6Unicast(g);
  const header: Ipv6Header = {
    src, dst, next: segment.proto, hopLimit: segment.ttl ?? ipv6HopLimit(g),
    trafficClass: chance(g, 0.8) ? 0 : int(g, 0, 255), flowLabel: chance(g, 0.5) ? 0 : int(g, 0, 0xfffff),
  };
  return { type: ETH_IPV6, dstMac: macForIpv6(g, dst), bytes: ipv6(header, segment.bytes) };
}

/** ARP requests, replies and gratuitous announcements; now and then RARP. */
function arpPacket(g: Gen, srcMac: Bytes): Packet {
  const rarp = chance(g, 0.15);
  const request = chance(g, 0.55);
  const op = (rarp ? 3 : 1) + (request ? 0 : 1);
  const net = pick(g, [[10, 0, 0], [192, 168, 1]]);
  const senderIp = [...net, int(g, 1, 20)];
  const targetIp = chance(g, 0.1) ? senderIp : [...net, int(g, 1, 20)];
  const targetMac = request ? [0, 0, 0, 0, 0, 0] : pick(g, DST_MACS);
  return {
    type: rarp ? ETH_RARP : ETH_ARP,
    dstMac: request ? BROADCAST_MAC : targetMac,
    bytes: [0, 1, ...be16(ETH_IPV4), 6, 4, ...be16(op), ...srcMac, ...senderIp, ...targetMac, ...targetIp],
  };
}

// ---- whole frames

function vlanTag(g: Gen, tpid: number): Bytes {
  const vid = weighted(g, [[25, () => 10], [25, () => 100], [10, () => 1], [10, () => 4094], [30, () => int(g, 2, 4093)]]);
  const pcp = chance(g, 0.7) ? 0 : int(g, 0, 7);
  const dei = chance(g, 0.05) ? 1 : 0;
  return [...be16(tpid), ...be16((pcp << 13) | (dei << 12) | vid)];
}

/** Zero padding up to the 60-byte minimum, as a receiving NIC would capture it; only half the time. */
function padded(g: Gen, frame: Bytes): Bytes {
  return frame.length < MIN_FRAME && chance(g, 0.5) ? [...frame, ...new Array(MIN_FRAME - frame.length).fill(0)] : frame;
}

/**
 * An IP or ARP frame, untagged or behind one or two VLAN tags; some IP frames are cut short.
 * VLAN 10 is the web servers' VLAN: much of its traffic is HTTP.
 */
function networkFrame(g: Gen, tags: Bytes, inner: 'ip' | 'any'): Bytes {
  const src = pick(g, SRC_MACS);
  const room = MAX_FRAME - 14 - tags.length;
  const webVlan = tags.length > 0 && (((tags[2] << 8) | tags[3]) & 0xfff) === 10;
  const packet = weighted<Packet>(g, inner === 'ip'
    ? [[75, () => ipv4Packet(g, room)], [25, () => ipv6Packet(g, room, src)]]
    : [[60, () => ipv4Packet(g, room, webVlan && chance(g, 0.7))], [28, () => ipv6Packet(g, room, src)], [18, () => arpPacket(g, src)]]);
  const frame = eth(packet.dstMac, src, tags, packet.type, packet.bytes);
  if (packet.type !== ETH_ARP && packet.type !== ETH_RARP && chance(g, TRUNCATED)) {
    const l3 = 14 + tags.length;
    return frame.slice(0, l3 + int(g, 0, Math.min(59, packet.bytes.length - 1)));
  }
  return padded(g, frame);
}

function lldpFrame(g: Gen): Bytes {
  const src = pick(g, SRC_MACS);
  const tlvs = [
    ...lldpTlv(1, [4, ...src]),
    ...lldpTlv(2, [5, ...Array.from(`eth${int(g, 0, 47)}`, (c) => c.charCodeAt(0))]),
    ...lldpTlv(3, be16(pick(g, [0, 120]))),
    ...(chance(g, 0.5) ? lldpTlv(5, Array.from(`switch-${int(g, 1, 9)}`, (c) => c.charCodeAt(0))) : []),
    ...lldpTlv(0, []),
  ];
  return padded(g, eth(LLDP_MAC, src, [], ETH_LLDP, tlvs));
}

/** A configuration BPDU (35 bytes) or a rapid-STP one (36), after its LLC header. */
function stpBpdu(g: Gen): Bytes {
  const rapid = chance(g, 0.5);
  return [0x42, 0x42, 0x03, 0, 0, ...(rapid ? [2, 2] : [0, 0]), ...randomBytes(g, 31), ...(rapid ? [0] : [])];
}

/** An 802.3 frame: a length instead of an EtherType, then an LLC header (and maybe SNAP). */
function llcFrame(g: Gen): Bytes {
  const src = pick(g, SRC_MACS);
  const [dst, body] = weighted<[Bytes, Bytes]>(g, [
    [35, () => [STP_MAC, stpBpdu(g)]],
    [20, () => [CDP_MAC, [0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0x00, ...randomBytes(g, int(g, 20, 200))]]],
    [10, () => [unicastMac(g), [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00,
      ...ipv4({ src: ipv4Source(g), dst: ipv4Source(g), proto: PROTO_UDP, ttl: 64 }, udp(ephemeralPort(g), 53, randomBytes(g, 20)))]]],
    [15, () => [BROADCAST_MAC, [0xf0, 0xf0, 0x03, ...randomBytes(g, int(g, 10, 100))]]],
    [10, () => [BROADCAST_MAC, [0xe0, 0xe0, 0x03, 0xff, 0xff, ...randomBytes(g, int(g, 30, 100))]]],
    [5, () => [BROADCAST_MAC, [0xff, 0xff, ...randomBytes(g, int(g, 30, 100))]]],
    [5, () => [unicastMac(g), randomBytes(g, int(g, 3, 100))]],
  ]);
  return padded(g, eth(dst, src, [], body.length, body));
}

/** EtherTypes none of the expressions name: experimental, loopback, wake-on-LAN, MACsec, PPPoE, MPLS... */
function unknownFrame(g: Gen): Bytes {
  const type = chance(g, 0.7) ? pick(g, [0x88b5, 0x88b6, 0x9000, 0x0842, 0x88e5, 0x8863, 0x8847, 0x22f0, 0x88f7]) : int(g, 0x0600, 0xffff);
  const known = [ETH_IPV4, ETH_ARP, ETH_RARP, ETH_IPV6, ETH_VLAN, ETH_QINQ, ETH_LLDP, 0x9100];
  const payload = randomBytes(g, chance(g, 0.15) ? 0 : int(g, 1, 200));
  return padded(g, eth(chance(g, 0.3) ? BROADCAST_MAC : unicastMac(g), pick(g, SRC_MACS), [], known.includes(type) ? 0x88b5 : type, payload));
}

function frame(g: Gen): Bytes {
  return weighted(g, [
    [55, () => networkFrame(g, [], 'any')],
    [14, () => networkFrame(g, [], 'ip')],
    [10, () => networkFrame(g, vlanTag(g, ETH_VLAN), 'any')],
    [2, () => networkFrame(g, [...vlanTag(g, ETH_QINQ), ...vlanTag(g, ETH_VLAN)], 'ip')],
    [1.5, () => networkFrame(g, [...vlanTag(g, ETH_VLAN), ...vlanTag(g, ETH_VLAN)], 'ip')],
    [2, () => lldpFrame(g)],
    [4, () => llcFrame(g)],
    [4, () => unknownFrame(g)],
  ]);
}

/** `count` Ethernet frames (DLT_EN10MB), the same ones for the same seed. */
export function generateFrames(count: number, seed: number): Uint8Array[] {
  const g: Gen = { r: rng(seed), flagCombo: { 4: 0, 6: 0 } };
  return Array.from({ length: count }, () => Uint8Array.from(frame(g)));
}

/** Filters tcpdump 4.99 / libpcap 1.10 compile for Ethernet; each keeps some but not all frames. */
export const FILTER_EXPRESSIONS: readonly string[] = [
  'ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'icmp', 'icmp6', 'igmp', 'sctp',
  'ip proto gre', 'ip proto 132', 'ip proto 50', 'ip6 proto 17', 'ip6 proto 58',
  'port 53', 'tcp dst port 80', 'tcp src port 443', 'udp src port 5353', 'udp port 67 or udp port 68',
  'udp dst port 123', 'portrange 1000-2000', 'tcp portrange 8000-9000', 'udp portrange 1000-2000',
  'src portrange 32768-60999', 'sctp port 3868',
  'host 10.0.0.1', 'src host 10.0.0.2', 'dst host 8.8.8.8', 'host 224.0.0.251',
  'ether host 02:00:00:00:00:0a', 'ether src 02:00:00:00:00:0b', 'ether dst ff:ff:ff:ff:ff:ff',
  'net 10.1.0.0/16', 'src net 172.16.0.0/12', 'dst net 192.168.1.0 mask 255.255.255.0', 'net 10.0.0.0/8',
  'vlan', 'vlan 100', 'vlan and udp', 'vlan 10 and ip and tcp port 80', 'vlan and vlan', 'vlan and arp', 'vlan 4094',
  'ether proto 0x88a8',
  'tcp[tcpflags] & tcp-syn != 0', 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn', 'tcp[tcpflags] & (tcp-rst|tcp-fin) != 0',
  'tcp[13] & 32 != 0', 'tcp[tcpflags] == tcp-ack', 'tcp[tcpflags] & (tcp-syn|tcp-fin) == (tcp-syn|tcp-fin)',
  'ip[6:2] & 0x1fff != 0', 'ip[6] & 0x20 != 0', 'ip[6] & 0x40 != 0',
  'len > 1000', 'less 64', 'greater 500', 'ip[2:2] > 576', 'len <= 60',
  'ip[8] < 5', 'ip[0] & 0xf > 5', 'ip6[7] == 255',
  'ether broadcast', 'ether multicast', 'ip broadcast', 'ip multicast', 'ip6 multicast',
  'icmp[icmptype] == icmp-echo', 'icmp[icmptype] == icmp-unreach and icmp[icmpcode] != 0',
  'icmp6 and ip6[40] == 128', 'icmp6[icmp6type] == icmp6-neighborsolicit',
  'ip6 host 2001:db8::1', 'ip6 net 2001:db8:1::/48', 'ip6 and tcp port 22', 'ip6 src net fe80::/10', 'ip6 dst host ff02::1',
  'ip6[6] == 44', 'ip6[6] == 0',
  'ip[2:2] * 2 / 3 - 1 > 40', 'tcp[0:2] % 7 == 3', 'ip[12:4] & 0xffff0000 = 0x0a010000', 'udp[4:2] - 8 > 100',
  'tcp[2:2] >> 4 == 5', 'ip[1] ^ 0xb8 == 0', 'ip[16] << 1 > 300',
  'not ip', 'not (tcp or udp)', 'tcp and not port 22', '(udp port 53 or tcp port 53) and src net 10.0.0.0/8',
  'ip and not tcp and not udp', 'arp or rarp or llc',
  'llc', 'stp', 'ether proto 0x88cc', 'ether[12:2] == 0x8100', 'ether[0] & 1 == 0 and ip',
];
