/**
 * `ebpf/coverage` over the protocol, against the built server: the verifier's visits per line
 * alone, executions on a packet and on a capture the server reads from disk, a bad input as
 * an error in the answer, and a document that is not open (null).
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LspClient } from './client';
import { REPO_ROOT } from '../paths';
import { writePcap } from '../../core/input/pcap';
import { parseHex } from '../../core/input/parse';

const XDP = readFileSync(join(REPO_ROOT, 'examples', 'xdp_drop_udp.bpf.s'), 'utf8');
const XDP_URI = 'file:///work/coverage/xdp_drop_udp.bpf.s';
const lineOf = (needle: string) => XDP.split('\n').findIndex((l) => l.includes(needle));
const IPV4_UDP = '000000000000020000000001' + '0800' + '450000200000400040110000c0a80001c0a8000204d200350008' + '0000' + '00000000';
const ARP = '000000000000020000000001' + '0806' + '0'.repeat(56);

interface Answer {
  lines: { line: number; verifierVisits: number; executed?: number }[];
  run?: { section: string; name: string; progType: string };
  runs?: { retval?: number }[];
  counts?: number[];
  error?: string;
}

let client: LspClient;
let dir: string;
before(async () => {
  client = new LspClient();
  await client.initialize({});
  await client.open(XDP_URI, XDP);
  dir = mkdtempSync(join(tmpdir(), 'ebpf-coverage-'));
});
after(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

const coverage = (params: Record<string, unknown> = {}) => client.request<Answer | null>('ebpf/coverage', { textDocument: { uri: XDP_URI }, ...params });
const entry = (a: Answer, needle: string) => a.lines.find((l) => l.line === lineOf(needle));

test('without an input: every line with an instruction and its verifier visits, nothing run', async () => {
  const a = (await coverage())!;
  assert.equal(a.lines.length, 28 - 1, 'one entry per line with an instruction (the lddw is one line)');
  assert.equal(entry(a, 'r2 = *(u32 *)(r1 + 0)')?.verifierVisits, 1);
  assert.ok(entry(a, 'r0 = r6')!.verifierVisits > 1);
  assert.ok(a.lines.every((l) => l.executed === undefined));
  assert.equal(a.runs, undefined);
});

test('on a packet: the lines it ran, per-slot counts, and the program that ran', async () => {
  const a = (await coverage({ input: { packet: ARP } }))!;
  assert.equal(a.error, undefined);
  assert.deepEqual(a.run, { section: 'xdp', name: 'xdp_drop_udp', progType: 'xdp' });
  assert.deepEqual(a.runs?.map((r) => r.retval), [2]);
  assert.equal(entry(a, 'r7 = 1')?.executed, 1);
  assert.equal(entry(a, 'r7 = 2')?.executed, 0, 'ARP is not IPv4');
  assert.equal(a.counts?.length, 28, 'one count per slot (the lddw takes two)');
});

test('on a capture read by the server: counts over its packets', async () => {
  const file = join(dir, 'two.pcap');
  writeFileSync(file, writePcap([parseHex(IPV4_UDP) as Uint8Array, parseHex(ARP) as Uint8Array, parseHex(IPV4_UDP) as Uint8Array]));
  const a = (await coverage({ input: { pcap: file } }))!;
  assert.deepEqual(a.runs?.map((r) => r.retval), [1, 2, 1]);
  assert.equal(entry(a, 'r2 = *(u32 *)(r1 + 0)')?.executed, 3);
  assert.equal(entry(a, 'r6 = 1')?.executed, 2);
});

test('a bad input answers the lines with an error; a missing capture is a request error; an unknown document null', async () => {
  const a = (await coverage({ input: { packet: 'xyz' } }))!;
  assert.ok(a.error);
  assert.ok(a.lines.length > 0);
  await assert.rejects(coverage({ input: { pcap: join(dir, 'missing.pcap') } }), /cannot compute coverage/);
  assert.equal(await client.request('ebpf/coverage', { textDocument: { uri: 'file:///work/coverage/none.bpf.s' } }), null);
});
