// Re-makes the examples' inputs: the captures (*.pcap) and the JSON files beside them.
//
//   node examples/inputs/make-inputs.mjs        (from anywhere; writes next to this script)
//
// Self-contained (no build needed): frames are built byte by byte below, with correct
// IPv4 header and TCP/UDP/ICMP checksums, and written as classic little-endian libpcap
// files (microsecond timestamps, LINKTYPE_ETHERNET) that tcpdump and Wireshark read.
// The output is deterministic: running it again gives the same bytes.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

// ---- bytes

const be16 = (v) => [(v >>> 8) & 0xff, v & 0xff];
const be32 = (v) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const ip4 = (s) => s.split('.').map(Number);
const mac = (s) => s.split(':').map((h) => parseInt(h, 16));
const ip6 = (s) => {
  const [head, tail = ''] = s.split('::');
  const words = (x) => (x ? x.split(':').map((h) => parseInt(h, 16)) : []);
  const h = words(head), t = words(tail);
  return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t].flatMap(be16);
};
const text = (s) => [...Buffer.from(s, 'latin1')];
const hex = (bytes) => Buffer.from(bytes).toString('hex');

/** The Internet checksum (RFC 1071) of some bytes. */
function checksum(bytes) {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---- headers

const HOST_MAC = '02:00:00:00:00:01';
const GW_MAC = '02:00:00:00:00:fe';
const ETH_IPV4 = 0x0800, ETH_ARP = 0x0806, ETH_IPV6 = 0x86dd;
const ICMP = 1, TCP = 6, UDP = 17, ICMP6 = 58;
const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;

function ether(type, payload, { src = GW_MAC, dst = HOST_MAC } = {}) {
  return [...mac(dst), ...mac(src), ...be16(type), ...payload];
}

/** An IPv4 packet; `options` (a multiple of 4 bytes) lengthens the header; `frag` is flags and offset. */
function ipv4(proto, src, dst, l4, { options = [], frag = 0x4000, ttl = 64, id = 1 } = {}) {
  const ihl = 5 + options.length / 4;
  const header = [0x40 | ihl, 0, ...be16(ihl * 4 + l4.length), ...be16(id), ...be16(frag), ttl, proto, 0, 0, ...ip4(src), ...ip4(dst), ...options];
  header.splice(10, 2, ...be16(checksum(header)));
  return [...header, ...l4];
}

function ipv6(next, src, dst, l4) {
  return [0x60, 0, 0, 0, ...be16(l4.length), next, 64, ...ip6(src), ...ip6(dst), ...l4];
}

/** The pseudo-header TCP and UDP checksums cover (IPv4 when the addresses are 4 bytes). */
function pseudo(src, dst, proto, len) {
  return src.length === 4 ? [...src, ...dst, 0, proto, ...be16(len)] : [...src, ...dst, ...be32(len), 0, 0, 0, proto];
}

function tcp(src, dst, sport, dport, flags, payload = [], { seq = 1000, ack = 0 } = {}) {
  const seg = [...be16(sport), ...be16(dport), ...be32(seq), ...be32(ack), 0x50, flags, ...be16(64240), 0, 0, 0, 0, ...payload];
  seg.splice(16, 2, ...be16(checksum([...pseudo(src, dst, TCP, seg.length), ...seg])));
  return seg;
}

function udp(src, dst, sport, dport, payload = []) {
  const dgram = [...be16(sport), ...be16(dport), ...be16(8 + payload.length), 0, 0, ...payload];
  dgram.splice(6, 2, ...be16(checksum([...pseudo(src, dst, UDP, dgram.length), ...dgram]) || 0xffff));
  return dgram;
}

function icmpEcho(id, seq) {
  const msg = [8, 0, 0, 0, ...be16(id), ...be16(seq), ...text('abcdefghijklmnop')];
  msg.splice(2, 2, ...be16(checksum(msg)));
  return msg;
}

/** A whole frame: Ethernet + IPv4 + TCP or UDP, checksums filled in. */
function v4tcp(src, dst, sport, dport, flags, payload, opts = {}) {
  return ether(ETH_IPV4, ipv4(TCP, src, dst, tcp(ip4(src), ip4(dst), sport, dport, flags, payload, opts), opts));
}
function v4udp(src, dst, sport, dport, payload, opts = {}) {
  return ether(ETH_IPV4, ipv4(UDP, src, dst, udp(ip4(src), ip4(dst), sport, dport, payload), opts));
}
function v6tcp(src, dst, sport, dport, flags, payload) {
  return ether(ETH_IPV6, ipv6(TCP, src, dst, tcp(ip6(src), ip6(dst), sport, dport, flags, payload)));
}
function v6udp(src, dst, sport, dport, payload) {
  return ether(ETH_IPV6, ipv6(UDP, src, dst, udp(ip6(src), ip6(dst), sport, dport, payload)));
}

function arpRequest(senderIp, targetIp) {
  const body = [...be16(1), ...be16(ETH_IPV4), 6, 4, ...be16(1), ...mac(GW_MAC), ...ip4(senderIp), 0, 0, 0, 0, 0, 0, ...ip4(targetIp)];
  return pad(ether(ETH_ARP, body, { dst: 'ff:ff:ff:ff:ff:ff' }));
}

/** Ethernet's minimum frame (60 bytes without the FCS): short frames are padded with zeros. */
const pad = (frame) => (frame.length < 60 ? [...frame, ...new Array(60 - frame.length).fill(0)] : frame);

/** A DNS query for an A record. */
function dnsQuery(id, name) {
  const qname = name.split('.').flatMap((l) => [l.length, ...text(l)]);
  return [...be16(id), 0x01, 0x00, ...be16(1), 0, 0, 0, 0, 0, 0, ...qname, 0, ...be16(1), ...be16(1)];
}

/** Its answer: the question again, and one A record pointing back at the name (0xc00c). */
function dnsAnswer(id, name, addr) {
  const q = dnsQuery(id, name);
  q.splice(2, 2, 0x81, 0x80);
  q.splice(6, 2, ...be16(1));
  return [...q, 0xc0, 0x0c, ...be16(1), ...be16(1), ...be32(300), ...be16(4), ...ip4(addr)];
}
const HTTP_GET = text('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');

// ---- the captures

/** A classic pcap file: little-endian, microseconds, snaplen 65535, Ethernet. */
function pcap(frames) {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const records = frames.map(({ bytes, wireLen }, k) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + k, 0); // one frame a second from 2023-11-14
    rec.writeUInt32LE(0, 4);
    rec.writeUInt32LE(bytes.length, 8);
    rec.writeUInt32LE(wireLen ?? bytes.length, 12);
    return Buffer.concat([rec, Buffer.from(bytes)]);
  });
  return Buffer.concat([head, ...records]);
}

/** Writes a capture and prints its frames with the verdict each example should give. */
function write(name, frames) {
  writeFileSync(join(HERE, name), pcap(frames));
  console.log(`${name}: ${frames.length} frames`);
  frames.forEach((f, k) => console.log(`  ${String(k).padStart(2)}  ${f.what.padEnd(58)} ${f.expect}`));
}

const frame = (what, expect, bytes, wireLen) => ({ what, expect, bytes, wireLen });

// The firewall's blocklist: two addresses from the documentation ranges (RFC 5737).
const BLOCKED = ['203.0.113.66', '198.51.100.7'];
const SERVER = '10.0.0.1';

write('firewall.pcap', [
  frame('IPv4 TCP SYN 192.168.1.10 -> 10.0.0.1:80', 'XDP_PASS', v4tcp('192.168.1.10', SERVER, 40000, 80, SYN, [])),
  frame('IPv4 UDP DNS query 10.0.0.2 -> 10.0.0.53:53', 'XDP_PASS', v4udp('10.0.0.2', '10.0.0.53', 53000, 53, dnsQuery(0x1234, 'example.com'))),
  frame('IPv4 TCP SYN 203.0.113.66 -> 10.0.0.1:22 (blocked)', 'XDP_DROP', v4tcp(BLOCKED[0], SERVER, 51000, 22, SYN, [])),
  frame('IPv4 ICMP echo 198.51.100.7 -> 10.0.0.1 (blocked)', 'XDP_DROP', ether(ETH_IPV4, ipv4(ICMP, BLOCKED[1], SERVER, icmpEcho(7, 1)))),
  frame('IPv6 TCP SYN 2001:db8::10 -> 2001:db8::1:80', 'XDP_PASS', v6tcp('2001:db8::10', '2001:db8::1', 40001, 80, SYN, [])),
  frame('ARP who-has 10.0.0.1 tell 10.0.0.254', 'XDP_PASS', arpRequest('10.0.0.254', SERVER)),
  frame('IPv4 UDP 192.168.1.20 -> 10.0.0.1:514 (syslog)', 'XDP_PASS', v4udp('192.168.1.20', SERVER, 514, 514, text('<13>hello'))),
  frame('IPv4 cut short: 10 of 20 header bytes captured', 'XDP_DROP', v4tcp('192.168.1.30', SERVER, 40002, 80, SYN, []).slice(0, 24), 54),
  frame('IPv4 TCP ACK 203.0.113.66 -> 10.0.0.1:443 (blocked)', 'XDP_DROP', v4tcp(BLOCKED[0], SERVER, 51001, 443, ACK, [], { ack: 1 })),
  frame('IPv4 EtherType, version 6 in the header (bogus)', 'XDP_DROP', (() => { const f = v4udp('192.168.1.40', SERVER, 1, 2, []); f[14] = 0x65; return f; })()),
  frame('IPv6 UDP DNS query 2001:db8::20 -> 2001:db8::53:53', 'XDP_PASS', v6udp('2001:db8::20', '2001:db8::53', 53001, 53, dnsQuery(0x4321, 'example.org'))),
  frame('IPv4 TCP PSH/ACK 10.0.0.3 -> 10.0.0.1:80 HTTP GET', 'XDP_PASS', v4tcp('10.0.0.3', SERVER, 40003, 80, PSH | ACK, HTTP_GET, { ack: 1 })),
  frame('IPv4 UDP 198.51.100.7 -> 10.0.0.1:53 (blocked)', 'XDP_DROP', v4udp(BLOCKED[1], SERVER, 5353, 53, dnsQuery(0x0007, 'example.net'))),
]);

write('tc.pcap', [
  frame('IPv4 TCP SYN 192.168.1.10 -> 10.0.0.1:80', 'TC_ACT_OK, mark 0x100', v4tcp('192.168.1.10', SERVER, 40000, 80, SYN, [])),
  frame('IPv4 TCP PSH/ACK 192.168.1.10 -> 10.0.0.1:80 HTTP GET', 'TC_ACT_OK, mark 0x100', v4tcp('192.168.1.10', SERVER, 40000, 80, PSH | ACK, HTTP_GET, { seq: 1001, ack: 1 })),
  frame('IPv4 UDP DNS query 10.0.0.2 -> 10.0.0.53:53', 'TC_ACT_OK', v4udp('10.0.0.2', '10.0.0.53', 53000, 53, dnsQuery(0x1234, 'example.com'))),
  frame('IPv4 ICMP echo 10.0.0.7 -> 10.0.0.1', 'TC_ACT_OK', ether(ETH_IPV4, ipv4(ICMP, '10.0.0.7', SERVER, icmpEcho(1, 1)))),
  frame('IPv6 TCP SYN 2001:db8::10 -> 2001:db8::1:443', 'TC_ACT_OK (not counted)', v6tcp('2001:db8::10', '2001:db8::1', 40001, 443, SYN, [])),
  frame('ARP who-has 10.0.0.1 tell 10.0.0.254', 'TC_ACT_OK (not counted)', arpRequest('10.0.0.254', SERVER)),
  frame('IPv4 UDP 192.168.1.20 -> 10.0.0.1:514 (syslog)', 'TC_ACT_OK', v4udp('192.168.1.20', SERVER, 514, 514, text('<13>hello'))),
  frame('IPv4 TCP FIN/ACK 192.168.1.10 -> 10.0.0.1:80', 'TC_ACT_OK, mark 0x100', v4tcp('192.168.1.10', SERVER, 40000, 80, FIN | ACK, [], { seq: 1038, ack: 1 })),
]);

// tc_rewrite.bpf.c's services (nat.maps.json): TCP 10.0.0.100:80 goes to 10.0.1.5:8080, UDP
// 10.0.0.100:53 to 10.0.1.6:5353. Rewritten frames leave with both checksums patched.
const VIP = '10.0.0.100';
const noUdpChecksum = (f) => { f.splice(14 + 20 + 6, 2, 0, 0); return f; };

write('nat.pcap', [
  frame('IPv4 TCP SYN 192.168.1.10 -> 10.0.0.100:80', 'TC_ACT_OK, to 10.0.1.5:8080', v4tcp('192.168.1.10', VIP, 40000, 80, SYN, [])),
  frame('IPv4 TCP PSH/ACK 192.168.1.10 -> 10.0.0.100:80 HTTP GET', 'TC_ACT_OK, to 10.0.1.5:8080', v4tcp('192.168.1.10', VIP, 40000, 80, PSH | ACK, HTTP_GET, { seq: 1001, ack: 1 })),
  frame('IPv4 UDP DNS query 192.168.1.10 -> 10.0.0.100:53', 'TC_ACT_OK, to 10.0.1.6:5353', v4udp('192.168.1.10', VIP, 53000, 53, dnsQuery(0x1234, 'example.com'))),
  frame('IPv4 TCP SYN 192.168.1.10 -> 10.0.0.100:443 (no service)', 'TC_ACT_OK, unchanged', v4tcp('192.168.1.10', VIP, 40001, 443, SYN, [])),
  frame('IPv4 UDP 192.168.1.10 -> 10.0.0.100:80 (the service is TCP)', 'TC_ACT_OK, unchanged', v4udp('192.168.1.10', VIP, 40002, 80, text('not http'))),
  frame('IPv4 ICMP echo 192.168.1.10 -> 10.0.0.100', 'TC_ACT_OK, unchanged', ether(ETH_IPV4, ipv4(ICMP, '192.168.1.10', VIP, icmpEcho(3, 1)))),
  frame('IPv4 with options (IHL 6) TCP SYN -> 10.0.0.100:80', 'TC_ACT_OK, to 10.0.1.5:8080', v4tcp('192.168.1.11', VIP, 40003, 80, SYN, [], { options: [0x94, 0x04, 0, 0] })),
  frame('IPv4 UDP without checksum -> 10.0.0.100:53', 'TC_ACT_OK, to 10.0.1.6:5353, checksum still 0', noUdpChecksum(v4udp('192.168.1.12', VIP, 53001, 53, dnsQuery(0x5678, 'example.org')))),
  frame('IPv6 TCP SYN 2001:db8::10 -> 2001:db8::1:80', 'TC_ACT_OK, unchanged', v6tcp('2001:db8::10', '2001:db8::1', 40004, 80, SYN, [])),
  frame('ARP who-has 10.0.0.100 tell 10.0.0.254', 'TC_ACT_OK, unchanged', arpRequest('10.0.0.254', VIP)),
  frame('IPv4 TCP later fragment (offset 64*8) to 10.0.0.100', 'TC_ACT_OK, unchanged', ether(ETH_IPV4, ipv4(TCP, '192.168.1.13', VIP, [0x9c, 0x40, 0x00, 0x50, ...new Array(20).fill(0)], { frag: 64 }))),
]);

write('dns.pcap', [
  frame('IPv4 UDP DNS query 10.0.0.2:53000 -> 10.0.0.53:53', 'keep', v4udp('10.0.0.2', '10.0.0.53', 53000, 53, dnsQuery(0x1234, 'example.com'))),
  frame('IPv4 UDP DNS answer 10.0.0.53:53 -> 10.0.0.2:53000', 'drop', v4udp('10.0.0.53', '10.0.0.2', 53, 53000, dnsAnswer(0x1234, 'example.com', '93.184.215.14'))),
  frame('IPv4 TCP SYN 10.0.0.2 -> 10.0.0.53:53 (DNS over TCP)', 'drop', v4tcp('10.0.0.2', '10.0.0.53', 53001, 53, SYN, [])),
  frame('IPv4 UDP 10.0.0.2 -> 10.0.0.1:123 (NTP)', 'drop', v4udp('10.0.0.2', SERVER, 123, 123, new Array(48).fill(0))),
  frame('IPv6 UDP DNS query 2001:db8::20 -> 2001:db8::53:53', 'keep', v6udp('2001:db8::20', '2001:db8::53', 53001, 53, dnsQuery(0x4321, 'example.org'))),
  frame('IPv4 with options (IHL 6) UDP DNS query -> :53', 'keep', v4udp('10.0.0.4', '10.0.0.53', 53002, 53, dnsQuery(0x5555, 'example.net'), { options: [0x94, 0x04, 0, 0] })),
  frame('IPv4 UDP later fragment (offset 185*8) to 10.0.0.53', 'drop', ether(ETH_IPV4, ipv4(UDP, '10.0.0.2', '10.0.0.53', [0x00, 0x35, 0x00, 0x35, 0, 0, 0, 0, ...new Array(16).fill(0)], { frag: 185 }))),
  frame('ARP who-has 10.0.0.53 tell 10.0.0.2', 'drop', arpRequest('10.0.0.2', '10.0.0.53')),
  frame('IPv4 ICMP echo 10.0.0.2 -> 10.0.0.53', 'drop', ether(ETH_IPV4, ipv4(ICMP, '10.0.0.2', '10.0.0.53', icmpEcho(2, 1)))),
]);

write('http.pcap', [
  frame('IPv4 TCP SYN 192.168.1.10:40000 -> 10.0.0.1:80', 'keep', v4tcp('192.168.1.10', SERVER, 40000, 80, SYN, [])),
  frame('IPv4 TCP SYN/ACK 10.0.0.1:80 -> 192.168.1.10:40000', 'drop', v4tcp(SERVER, '192.168.1.10', 80, 40000, SYN | ACK, [], { seq: 5000, ack: 1001 })),
  frame('IPv4 TCP ACK 192.168.1.10 -> 10.0.0.1:80', 'drop', v4tcp('192.168.1.10', SERVER, 40000, 80, ACK, [], { seq: 1001, ack: 5001 })),
  frame('IPv4 TCP PSH/ACK 192.168.1.10 -> 10.0.0.1:80 HTTP GET', 'drop', v4tcp('192.168.1.10', SERVER, 40000, 80, PSH | ACK, HTTP_GET, { seq: 1001, ack: 5001 })),
  frame('IPv4 TCP SYN 192.168.1.11 -> 10.0.0.1:443', 'drop', v4tcp('192.168.1.11', SERVER, 40010, 443, SYN, [])),
  frame('IPv4 UDP 192.168.1.12 -> 10.0.0.1:80', 'drop', v4udp('192.168.1.12', SERVER, 40020, 80, text('not http'))),
  frame('IPv4 with options (IHL 6) TCP SYN -> 10.0.0.1:80', 'keep', v4tcp('192.168.1.13', SERVER, 40030, 80, SYN, [], { options: [0x94, 0x04, 0, 0] })),
  frame('IPv6 TCP SYN 2001:db8::10 -> 2001:db8::1:80', 'drop', v6tcp('2001:db8::10', '2001:db8::1', 40040, 80, SYN, [])),
  frame('IPv4 TCP later fragment (offset 64*8) to 10.0.0.1', 'drop', ether(ETH_IPV4, ipv4(TCP, '192.168.1.14', SERVER, [0x9c, 0x40, 0x00, 0x50, ...new Array(20).fill(0)], { frag: 64 }))),
  frame('ARP who-has 10.0.0.1 tell 192.168.1.10', 'drop', arpRequest('192.168.1.10', SERVER)),
  frame('IPv4 TCP SYN 192.168.1.15:40050 -> 10.0.0.2:80', 'keep', v4tcp('192.168.1.15', '10.0.0.2', 40050, 80, SYN, [])),
]);

// ---- the JSON inputs

const json = (name, value) => {
  writeFileSync(join(HERE, name), JSON.stringify(value, null, 2) + '\n');
  console.log(name);
};

// Map contents in the shape `run --json` prints (core/maps/json.ts): hex in memory order, so
// an IPv4 address key is its four bytes as they lie in the packet.
json('firewall.maps.json', {
  blocklist: { type: 'hash', entries: BLOCKED.map((a) => ({ key: hex(ip4(a)), value: '01' })) },
});

// xdp_firewall.bpf.c's blocklist: the same addresses, each with a struct block_entry as its
// value: char reason[16], then u64 packets and u64 bytes (little-endian), zero at first.
const blockEntry = (reason) => hex([...text(reason), ...new Array(16 - reason.length).fill(0), ...new Array(16).fill(0)]);
json('firewall_c.maps.json', {
  blocklist: { type: 'hash', entries: [{ key: hex(ip4(BLOCKED[0])), value: blockEntry('scanner') }, { key: hex(ip4(BLOCKED[1])), value: blockEntry('abuse report') }] },
});

// tc_rewrite.bpf.c's services: key struct service {be32 addr, be16 port, u8 proto, u8 pad},
// value struct backend {be32 addr, be16 port, u16 pad, u64 packets, u64 bytes}.
const service = (addr, port, proto) => hex([...ip4(addr), ...be16(port), proto, 0]);
const backend = (addr, port) => hex([...ip4(addr), ...be16(port), 0, 0, ...new Array(16).fill(0)]);
json('nat.maps.json', {
  services: { type: 'hash', entries: [{ key: service(VIP, 80, TCP), value: backend('10.0.1.5', 8080) }, { key: service(VIP, 53, UDP), value: backend('10.0.1.6', 5353) }] },
});

// The kprobe's context, struct pt_regs by field name: tcp_sendmsg(sk, msg, size) is called
// with sk in di, msg in si and size in dx (x86-64 calling convention).
json('kprobe.ctx.json', { di: '0xffff888004a1c000', si: '0xffffc90000d3fd48', dx: 1448 });

// The environment helpers see (core/input/parse.ts, parseEnvJson): the time for
// bpf_ktime_get_ns, the process and thread ids for bpf_get_current_pid_tgid, the name for
// bpf_get_current_comm, the CPU, and the seed of bpf_get_prandom_u32.
json('env.json', { timeNs: 5000000000, pid: 3141, tgid: 3100, uid: 1000, gid: 1000, comm: 'curl', cpu: 0, nCpus: 2, seed: 7 });
