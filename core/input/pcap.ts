/**
 * Packet captures: classic libpcap files (microsecond and nanosecond, either byte order)
 * and pcapng (section header, interface description, enhanced, simple and obsolete packet
 * blocks, either byte order). Bytes in, packets out; never throws on a bad file: the
 * packets read so far come back with a diagnostic saying what is wrong and where.
 */

import { Diagnostic, error } from '../diag';

export interface CapturedPacket {
  data: Uint8Array;
  /** The link type of the interface it was captured on (1 = Ethernet). */
  linkType: number;
  /** Length on the wire (may exceed data.length when the capture was truncated). */
  origLen: number;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  packets: CapturedPacket[];
  diagnostics: Diagnostic[];
}

export const LINKTYPE_ETHERNET = 1;

export function readCapture(bytes: Uint8Array): Capture {
  if (bytes.length < 4) return { format: 'pcap', packets: [], diagnostics: [error('pcap', `not a capture file: ${bytes.length} bytes`)] };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) === 0x0a0d0d0a) return readPcapng(bytes, view);
  return readPcap(bytes, view);
}

function readPcap(bytes: Uint8Array, view: DataView): Capture {
  const diagnostics: Diagnostic[] = [];
  const packets: CapturedPacket[] = [];
  const magic = view.getUint32(0, true);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else {
    diagnostics.push(error('pcap', `not a pcap or pcapng file (magic 0x${magic.toString(16).padStart(8, '0')})`));
    return { format: 'pcap', packets, diagnostics };
  }
  if (bytes.length < 24) {
    diagnostics.push(error('pcap', 'truncated pcap header'));
    return { format: 'pcap', packets, diagnostics };
  }
  const linkType = view.getUint32(20, le) & 0x0fffffff;
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) { diagnostics.push(error('pcap', `truncated record header at byte ${off} (packet ${packets.length})`)); break; }
    const incl = view.getUint32(off + 8, le);
    const orig = view.getUint32(off + 12, le);
    if (off + 16 + incl > bytes.length) { diagnostics.push(error('pcap', `packet ${packets.length} at byte ${off} claims ${incl} bytes, past the end of the file`)); break; }
    packets.push({ data: bytes.slice(off + 16, off + 16 + incl), linkType, origLen: orig });
    off += 16 + incl;
  }
  return { format: 'pcap', packets, diagnostics };
}

function readPcapng(bytes: Uint8Array, view: DataView): Capture {
  const diagnostics: Diagnostic[] = [];
  const packets: CapturedPacket[] = [];
  let le = true;
  let interfaces: number[] = [];
  let off = 0;
  while (off + 12 <= bytes.length) {
    let type = view.getUint32(off, le);
    if (type === 0x0a0d0d0a) {
      // A section header: its byte-order magic decides how the rest of the section reads.
      const bom = view.getUint32(off + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else { diagnostics.push(error('pcap', `bad pcapng byte-order magic at byte ${off}`)); break; }
      interfaces = [];
      type = 0x0a0d0d0a;
    }
    const len = view.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > bytes.length) {
      diagnostics.push(error('pcap', `bad pcapng block length ${len} at byte ${off}`));
      break;
    }
    const body = off + 8;
    switch (type) {
      case 1: // interface description: link type (u16), reserved, snaplen
        interfaces.push(view.getUint16(body, le));
        break;
      case 6: { // enhanced packet: interface id, timestamp (2 x u32), captured len, original len, data
        const ifc = view.getUint32(body, le);
        const cap = view.getUint32(body + 12, le);
        const orig = view.getUint32(body + 16, le);
        if (body + 20 + cap > off + len) { diagnostics.push(error('pcap', `packet ${packets.length} overruns its block at byte ${off}`)); break; }
        packets.push({ data: bytes.slice(body + 20, body + 20 + cap), linkType: interfaces[ifc] ?? LINKTYPE_ETHERNET, origLen: orig });
        break;
      }
      case 3: { // simple packet: original len, data up to the block end
        const orig = view.getUint32(body, le);
        const cap = Math.min(orig, len - 16);
        packets.push({ data: bytes.slice(body + 4, body + 4 + cap), linkType: interfaces[0] ?? LINKTYPE_ETHERNET, origLen: orig });
        break;
      }
      case 2: { // obsolete packet block: interface id (u16), drops (u16), timestamp, caplen, len
        const ifc = view.getUint16(body, le);
        const cap = view.getUint32(body + 12, le);
        const orig = view.getUint32(body + 16, le);
        if (body + 20 + cap > off + len) { diagnostics.push(error('pcap', `packet ${packets.length} overruns its block at byte ${off}`)); break; }
        packets.push({ data: bytes.slice(body + 20, body + 20 + cap), linkType: interfaces[ifc] ?? LINKTYPE_ETHERNET, origLen: orig });
        break;
      }
      default: // statistics, name resolution, custom blocks: nothing to run
        break;
    }
    off += len;
  }
  if (off < bytes.length && diagnostics.length === 0) diagnostics.push(error('pcap', `${bytes.length - off} trailing bytes after the last pcapng block`));
  return { format: 'pcapng', packets, diagnostics };
}

/** A classic pcap file of Ethernet packets (for tests and for saving runs). */
export function writePcap(packets: Uint8Array[], linkType = LINKTYPE_ETHERNET): Uint8Array {
  const total = 24 + packets.reduce((n, p) => n + 16 + p.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 262144, true);
  v.setUint32(20, linkType, true);
  let off = 24;
  packets.forEach((p, k) => {
    v.setUint32(off, 1_700_000_000 + k, true);
    v.setUint32(off + 8, p.length, true);
    v.setUint32(off + 12, p.length, true);
    out.set(p, off + 16);
    off += 16 + p.length;
  });
  return out;
}
