/**
 * The Locals scope through DAP: examples/xdp_firewall.bpf.c built by clang-19 -g, launched on
 * the blocked frame of firewall.pcap, stopped on a C line. The first scope is Locals
 * (presentationHint 'locals'): the C variables in scope there, packet pointers described as
 * the Registers scope describes them, `ip` expanding to the IPv4 header it points at (the
 * source address read from the packet), and `<optimized out>` for a variable with no
 * location at that pc; evaluate answers a C variable by name. Skips without clang-19.
 */

import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { startAdapter } from '../debug/dap';
import { buildC, exampleText, INPUTS_DIR, lineOf, noClang } from '../c/build';
import { readCapture } from '../../core/input/pcap';

const NAME = 'xdp_firewall.bpf.c';
const TEXT = exampleText(NAME);
/** Frame 2 of firewall.pcap: a TCP SYN from 203.0.113.66, which firewall_c.maps.json blocks. */
const BLOCKED_FRAME = 2;

let dir: string;
let src: string;
let obj: string;
let dc: DebugClient;

before(() => {
  if (noClang) return;
  dir = mkdtempSync(join(tmpdir(), 'dap-locals-'));
  ({ src, obj } = buildC(dir, NAME, TEXT));
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
beforeEach(async () => { if (!noClang) dc = await startAdapter(); });
afterEach(async () => { if (!noClang) await dc.stop(); });

async function children(ref: number): Promise<DebugProtocol.Variable[]> {
  return (await dc.variablesRequest({ variablesReference: ref })).body.variables;
}
const byName = (vars: DebugProtocol.Variable[]) => new Map(vars.map((v) => [v.name, v]));

async function localsScope(): Promise<{ scopes: DebugProtocol.Scope[]; vars: Map<string, DebugProtocol.Variable> }> {
  const frame = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
  return { scopes, vars: byName(await children(scopes[0].variablesReference)) };
}

test('Locals: C variables at a C line, decoded by type, with pointers described and <optimized out>', { skip: noClang }, async () => {
  const packet = Buffer.from(readCapture(new Uint8Array(readFileSync(join(INPUTS_DIR, 'firewall.pcap')))).packets[BLOCKED_FRAME].data);
  const line = lineOf(TEXT, 'if (ip->version != 4 || ip->ihl < 5)');
  await Promise.all([
    dc.waitForEvent('initialized').then(async () => {
      await dc.setBreakpointsRequest({ source: { path: src }, breakpoints: [{ line }] });
      await dc.configurationDoneRequest();
    }),
    dc.launch({ program: obj, pcap: join(INPUTS_DIR, 'firewall.pcap'), packetIndex: BLOCKED_FRAME, maps: join(INPUTS_DIR, 'firewall_c.maps.json') }),
    dc.assertStoppedLocation('breakpoint', { path: src, line }),
  ]);

  const { scopes, vars } = await localsScope();
  assert.equal(scopes[0].name, 'Locals');
  assert.equal(scopes[0].presentationHint, 'locals');
  assert.ok(scopes.some((s) => s.name === 'Registers'), 'the other scopes stay');

  const value = (name: string) => {
    const v = vars.get(name);
    assert.ok(v, `no ${name} among ${[...vars.keys()].join(', ')}`);
    return v;
  };
  assert.match(value('data').value, /^pkt\+0 \(0x[0-9a-f]+\)$/);
  assert.equal(value('data').type, 'void *');
  assert.match(value('data_end').value, new RegExp(`^pkt\\+${packet.length} `));
  assert.match(value('eth').value, /^pkt\+0 /);
  assert.equal(value('eth').type, 'struct ethhdr *');
  assert.equal(value('len').value, `0x${packet.length.toString(16)} (${packet.length})`);
  assert.equal(value('blocked').value, '<optimized out>');

  // ip points at the IPv4 header; its source address is the packet's, read in network order.
  const ip = value('ip');
  assert.match(ip.value, /^pkt\+14 /);
  const [hdr] = await children(ip.variablesReference);
  assert.equal(hdr.name, '*ip');
  assert.equal(hdr.type, 'struct iphdr');
  const saddr = packet.readUInt32BE(26);
  const found: string[] = [];
  const walk = async (v: DebugProtocol.Variable, depth: number): Promise<void> => {
    if (v.name === 'saddr') found.push(v.value);
    if (v.variablesReference && depth < 4) for (const c of await children(v.variablesReference)) await walk(c, depth + 1);
  };
  await walk(hdr, 0);
  assert.ok(found.length >= 1, 'no saddr under *ip');
  for (const f of found) assert.equal(f, `0x${saddr.toString(16)} (${saddr})`);
  assert.equal(saddr, 0xcb007142, 'the blocked frame comes from 203.0.113.66');

  // evaluate (a watch, a hover) answers a C variable's name with the same value.
  const frameId = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].id;
  const ev = await dc.evaluateRequest({ expression: 'ip', frameId, context: 'hover' });
  assert.equal(ev.body.result, ip.value);
  assert.ok(ev.body.variablesReference > 0);
  assert.equal((await dc.evaluateRequest({ expression: 'len', frameId, context: 'watch' })).body.result, value('len').value);
  assert.match((await dc.evaluateRequest({ expression: 'r6', frameId, context: 'watch' })).body.result, new RegExp(`\\(${packet.length}\\)$`));

  // The next C line: the blocklist lookup; ip's register has been reused, data_end too.
  await Promise.all([dc.nextRequest({ threadId: 1 }), dc.waitForEvent('stopped')]);
  const after = await localsScope();
  assert.equal(after.vars.get('data_end')?.value, '<optimized out>');
  assert.match(after.vars.get('len')!.value, new RegExp(`\\(${packet.length}\\)$`));
});
