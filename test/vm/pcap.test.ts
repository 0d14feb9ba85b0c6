/** Capture files: classic pcap and pcapng, both byte orders; tcpdump reads the same packets where it is installed. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture, writePcap } from '../../core/input/pcap';
import { findTool, missingTools, run } from '../tools';

const PACKETS = [Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0, 0x45]), Uint8Array.from({ length: 70 }, (_, k) => k)];

/** A pcapng file written field by field, in either byte order. */
function pcapng(packets: Uint8Array[], le: boolean): Uint8Array {
  const blocks: number[][] = [];
  const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, le); return [...b]; };
  const u16 = (v: number) => { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, le); return [...b]; };
  const block = (type: number, body: number[]) => {
    while (body.length % 4) body.push(0);
    const len = body.length + 12;
    blocks.push([...u32(type), ...u32(len), ...body, ...u32(len)]);
  };
  block(0x0a0d0d0a, [...u32(0x1a2b3c4d), ...u16(1), ...u16(0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  block(1, [...u16(1), ...u16(0), ...u32(65535)]);
  for (const p of packets) block(6, [...u32(0), ...u32(0), ...u32(0), ...u32(p.length), ...u32(p.length), ...p]);
  return Uint8Array.from(blocks.flat());
}

test('classic pcap round trip', () => {
  const cap = readCapture(writePcap(PACKETS));
  assert.deepEqual(cap.diagnostics, []);
  assert.equal(cap.format, 'pcap');
  assert.deepEqual(cap.packets.map((p) => [...p.data]), PACKETS.map((p) => [...p]));
});

test('pcapng, little- and big-endian', () => {
  for (const le of [true, false]) {
    const cap = readCapture(pcapng(PACKETS, le));
    assert.deepEqual(cap.diagnostics, [], `le=${le}`);
    assert.equal(cap.format, 'pcapng');
    assert.deepEqual(cap.packets.map((p) => [...p.data]), PACKETS.map((p) => [...p]));
    assert.equal(cap.packets[0].linkType, 1);
  }
});

test('broken captures give a diagnostic and the packets read so far', () => {
  const whole = writePcap(PACKETS);
  const cut = readCapture(whole.subarray(0, whole.length - 10));
  assert.equal(cut.packets.length, 1);
  assert.match(cut.diagnostics[0].message, /packet 1 at byte \d+ claims 70 bytes, past the end of the file/);
  assert.match(readCapture(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])).diagnostics[0].message, /not a pcap or pcapng file/);
  assert.match(readCapture(new Uint8Array(2)).diagnostics[0].message, /not a capture file/);
});

test('tcpdump reads the same packets from the files we read', { skip: missingTools('tcpdump') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-pcap-'));
  try {
    for (const [name, bytes] of [['a.pcap', writePcap(PACKETS)], ['b.pcapng', pcapng(PACKETS, false)]] as const) {
      const f = join(dir, name);
      writeFileSync(f, bytes);
      const r = run(findTool('tcpdump')!, ['-r', f, '-xx', '-n']);
      assert.equal(r.status, 0, r.stderr);
      const dumps = r.stdout.split(/\n(?=\S)/).map((block) => block.split('\n').slice(1).map((l) => l.replace(/^\s*0x[0-9a-f]+:\s*/, '').replace(/\s+/g, '')).join(''));
      const ours = readCapture(bytes).packets.map((p) => Buffer.from(p.data).toString('hex'));
      assert.deepEqual(dumps.filter(Boolean), ours);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
