/**
 * Debugging the C firewall through DAP: examples/xdp_firewall.bpf.c built by clang-19, launched
 * with a blocked frame of firewall.pcap and firewall_c.maps.json. A breakpoint on a C line stops
 * there; the Maps scope shows the blocklist and stats values as their C structs, field by field
 * (decoded through the object's BTF), and `evaluate map ...` answers the same; `next` moves by C
 * line, and the fields change as the program counts. Skips without clang-19.
 */

import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { startAdapter } from '../debug/dap';
import { buildC, exampleText, INPUTS_DIR, lineOf, noClang } from './build';

const NAME = 'xdp_firewall.bpf.c';
const TEXT = exampleText(NAME);
/** Frame 2 of firewall.pcap: a TCP SYN from 203.0.113.66, which the maps file blocks as "scanner". */
const BLOCKED_FRAME = 2;
const BLOCKED_FRAME_LEN = 54;

let dir: string;
let src: string;
let obj: string;
let dc: DebugClient;

before(() => {
  if (noClang) return;
  dir = mkdtempSync(join(tmpdir(), 'dap-c-fw-'));
  ({ src, obj } = buildC(dir, NAME, TEXT));
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
beforeEach(async () => { if (!noClang) dc = await startAdapter(); });
afterEach(async () => { if (!noClang) await dc.stop(); });

async function children(ref: number): Promise<DebugProtocol.Variable[]> {
  return (await dc.variablesRequest({ variablesReference: ref })).body.variables;
}
const child = (vars: DebugProtocol.Variable[], name: string) => {
  const v = vars.find((x) => x.name === name);
  assert.ok(v, `no ${name} among ${vars.map((x) => x.name).join(', ')}`);
  return v;
};
/** A struct's fields as name -> value. */
async function fields(v: DebugProtocol.Variable): Promise<Record<string, string>> {
  assert.ok(v.variablesReference > 0, `${v.name} = ${v.value} has no fields`);
  return Object.fromEntries((await children(v.variablesReference)).map((f) => [f.name, f.value]));
}

/** The Maps scope's entries of one map, from the top frame. */
async function mapEntries(map: string): Promise<DebugProtocol.Variable[]> {
  const frame = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
  const maps = await children(scopes.find((s) => s.name === 'Maps')!.variablesReference);
  return children(child(maps, map).variablesReference);
}

/** The blocklist entry of 203.0.113.66: its key decodes (as a __be32) to cb007142. */
async function scannerEntry(): Promise<DebugProtocol.Variable> {
  for (const e of await mapEntries('blocklist')) {
    const kids = await children(e.variablesReference);
    if (/^0xcb007142 /.test(child(kids, 'key').value)) return child(kids, 'value');
  }
  assert.fail('no blocklist entry for 203.0.113.66');
}

test('a breakpoint on a C line stops there with the packet; map values show as structs with named fields; next steps by C line', { skip: noClang }, async () => {
  const line = lineOf(TEXT, '__sync_fetch_and_add(&blocked->packets, 1);');
  const counted = lineOf(TEXT, 's->bytes += bytes;');
  await Promise.all([
    dc.waitForEvent('initialized').then(async () => {
      const set = await dc.setBreakpointsRequest({ source: { path: src }, breakpoints: [{ line }, { line: counted }] });
      assert.deepEqual(set.body.breakpoints.map((b) => [b.verified, b.line]), [[true, line], [true, counted]]);
      await dc.configurationDoneRequest();
    }),
    dc.launch({ program: obj, pcap: join(INPUTS_DIR, 'firewall.pcap'), packetIndex: BLOCKED_FRAME, maps: join(INPUTS_DIR, 'firewall_c.maps.json') }),
    dc.assertStoppedLocation('breakpoint', { path: src, line }),
  ]);

  // The frame is there, and the context is a struct xdp_md whose data_end lies 54 bytes past data.
  const frame = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
  const packet = await children(scopes.find((s) => s.name === 'Packet')!.variablesReference);
  assert.match(packet[0].value, /^02 00 00 00 00 01 02 00 00 00 00 fe 08 00 45 00/);
  const ctx = await fields({ name: 'ctx', value: '', variablesReference: scopes.find((s) => s.name === 'Context')!.variablesReference });
  assert.equal(ctx.data, 'pkt+0');
  assert.equal(ctx.data_end, `pkt+${BLOCKED_FRAME_LEN}`);

  // The value of 203.0.113.66's entry, field by field, before the program counts the frame.
  const value = await scannerEntry();
  assert.equal(value.type, 'struct block_entry');
  assert.deepEqual(await fields(value), { reason: '"scanner"', packets: '0x0 (0)', bytes: '0x0 (0)' });
  assert.equal(value.value, '{reason: "scanner", packets: 0, bytes: 0}');
  // evaluate gives the same struct.
  const ev = await dc.evaluateRequest({ expression: 'map blocklist cb 00 71 42', context: 'repl' });
  assert.equal(ev.body.result, '{reason: "scanner", packets: 0, bytes: 0}');
  const evKids = await children(ev.body.variablesReference);
  assert.deepEqual(await fields(child(evKids, 'value')), { reason: '"scanner"', packets: '0x0 (0)', bytes: '0x0 (0)' });

  // next: the following C line, with the packet counted.
  await Promise.all([dc.nextRequest({ threadId: 1 }), dc.waitForEvent('stopped')]);
  const at = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  assert.equal(at.source?.path, src);
  assert.equal(at.line, lineOf(TEXT, '__sync_fetch_and_add(&blocked->bytes, len);'));
  assert.deepEqual(await fields(await scannerEntry()), { reason: '"scanner"', packets: '0x1 (1)', bytes: '0x0 (0)' });

  // On to the statistics: stats[BLOCKED] has counted the frame on one CPU, its bytes not yet.
  await Promise.all([dc.continueRequest({ threadId: 1 }), dc.assertStoppedLocation('breakpoint', { path: src, line: counted })]);
  assert.deepEqual(await fields(await scannerEntry()), { reason: '"scanner"', packets: '0x1 (1)', bytes: `0x${BLOCKED_FRAME_LEN.toString(16)} (${BLOCKED_FRAME_LEN})` });
  const blockedStats = child(await mapEntries('stats'), '0x1 (1)');
  const perCpu = (await children(blockedStats.variablesReference)).filter((c) => /^cpu\d+$/.test(c.name));
  assert.ok(perCpu.length >= 1);
  const counts = await Promise.all(perCpu.map(fields));
  assert.deepEqual(counts.filter((c) => c.packets !== '0x0 (0)'), [{ packets: '0x1 (1)', bytes: '0x0 (0)' }]);
  assert.equal(perCpu[0].type, 'struct stats');

  // Writing an entry's value (as bytes: struct fields cannot be set one by one) answers the decoded struct.
  const frame2 = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  const mapsRef = (await dc.scopesRequest({ frameId: frame2.id })).body.scopes.find((s) => s.name === 'Maps')!.variablesReference;
  const blocklist = child(await children(mapsRef), 'blocklist');
  const entryName = (await children(blocklist.variablesReference)).find((e) => e.evaluateName?.endsWith('cb 00 71 42'))!.name;
  const bytes = Buffer.alloc(32);
  bytes.write('botnet', 'latin1');
  bytes.writeBigUInt64LE(9n, 16);
  const set = await dc.setVariableRequest({ variablesReference: blocklist.variablesReference, name: entryName, value: bytes.toString('hex') });
  assert.equal(set.body.value, '{reason: "botnet", packets: 9, bytes: 0}');

  // The frame is dropped: XDP_DROP.
  await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('terminated')]);
});

test('the C source itself as `program`: built first, then a C-line breakpoint stops there; a broken build is refused on its line', { skip: noClang }, async () => {
  const line = lineOf(TEXT, '__sync_fetch_and_add(&blocked->packets, 1);');
  const outputs: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
  await Promise.all([
    dc.waitForEvent('initialized').then(async () => {
      await dc.setBreakpointsRequest({ source: { path: src }, breakpoints: [{ line }] });
      await dc.configurationDoneRequest();
    }),
    dc.launch({ program: src, pcap: join(INPUTS_DIR, 'firewall.pcap'), packetIndex: BLOCKED_FRAME, maps: join(INPUTS_DIR, 'firewall_c.maps.json') }),
    dc.assertStoppedLocation('breakpoint', { path: src, line }),
  ]);
  assert.ok(outputs.some((o) => o.startsWith(`building ${src}`)), outputs.join(''));
  await dc.stop();

  const broken = join(dir, 'broken.bpf.c');
  writeFileSync(broken, TEXT.replace('__sync_fetch_and_add(&blocked->packets, 1);', '__sync_fetch_and_add(&blocked->packets, 1)'));
  dc = await startAdapter();
  await assert.rejects(dc.launch({ program: broken, packet: '00'.repeat(60) }), (e: Error) => {
    assert.match(e.message, new RegExp(`broken\\.bpf\\.c:${line}: expected ';'`));
    return true;
  });
});
