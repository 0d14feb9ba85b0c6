/**
 * Where the verifier meets the debugger, over DAP against the built adapter: the Verifier
 * scope's two columns through a program (registers and stack slots, the run's value checked
 * against the verifier's), and a session started as "Debug this error" starts it: inputs
 * inline (`maps` as an object) and `stopBeforeInsn`, which stops once, before the rejected
 * instruction, saying the verifier's message.
 */

import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { startAdapter } from './dap';

let dc: DebugClient;
let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'dap-verifier-')); });
after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => { dc = await startAdapter(); });
afterEach(async () => { await dc.stop(); });

async function scope(name: string): Promise<DebugProtocol.Variable[]> {
  const frame = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  const s = (await dc.scopesRequest({ frameId: frame.id })).body.scopes.find((x) => x.name === name);
  assert.ok(s, `scope ${name}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

// A key read from the packet, a hash lookup, and a read through the value without the NULL check.
const NULL_DEREF = `.map blocked, type=hash, key=4, value=8, max_entries=16
.section xdp
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 34
  if r4 > r3 goto out
  r5 = *(u32 *)(r2 + 26)
  *(u32 *)(r10 - 4) = r5
  *(u64 *)(r10 - 16) = 7
  r2 = r10
  r2 += -4
  r1 = blocked ll
  call bpf_map_lookup_elem
  r0 = *(u64 *)(r0 + 0)
out:
  r0 = 2
  exit
`;

test('the Verifier scope shows both columns for registers and stack slots as the run goes', async () => {
  const file = join(dir, 'ok.bpf.s');
  writeFileSync(file, NULL_DEREF.replace('  r0 = *(u64 *)(r0 + 0)\n', '  if r0 == 0 goto out\n  r0 = *(u64 *)(r0 + 0)\n'));
  const frame = '000000000000020000000001080045000020000040004011000000000a0000010a00000204d200350008000000000000';
  await Promise.all([
    dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
    dc.launch({ program: file, packet: frame, stopOnEntry: true }),
    dc.assertStoppedLocation('entry', {}),
  ]);
  // Past the two stores: at `r2 = r10` (line 11).
  await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: 11 }] });
  await Promise.all([dc.continueRequest({ threadId: 1 }), dc.assertStoppedLocation('breakpoint', { line: 11 })]);
  const rows = await scope('Verifier');
  const row = (name: string) => rows.find((v) => v.name === name)?.value;
  // r5: the 4 packet bytes at 26, little-endian; stored at fp-4 (the upper half of slot fp-8, printed first).
  const r5 = Buffer.from(frame, 'hex').readUInt32LE(26);
  // Both are overwritten before any read (r2 by this very instruction): shown as dead, not checked.
  assert.equal(row('R5'), `scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) (dead)  │  run: 0x${r5.toString(16)} (${r5})`);
  assert.equal(row('R2'), 'pkt(r=34) (dead)  │  run: packet +0');
  assert.equal(row('fp-8'), `mmmm????  │  run: 0x${r5.toString(16).padStart(8, '0')}00000000`);
  assert.equal(row('fp-16'), '7  │  run: 0x7 (7)');
  assert.ok(rows.every((v) => !v.value.startsWith('⚠')), JSON.stringify(rows));
});

test('stopBeforeInsn with inline maps stops once, before the rejected instruction, with the verifier\'s message', async () => {
  const file = join(dir, 'null.bpf.s');
  writeFileSync(file, NULL_DEREF);
  // What "Debug this error" launches: no entry for the packet's key 10.0.0.2, so the lookup gives NULL.
  const frame = '000000000000020000000001080045000020000040004011000000000a0000010a00000204d200350008000000000000';
  const outputs: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
  const stopped = dc.waitForEvent('stopped');
  await Promise.all([
    dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
    dc.launch({ program: file, packet: frame, maps: { blocked: { type: 'hash', entries: [{ key: '0a000009', value: '0100000000000000' }] } }, stopBeforeInsn: 13 }),
  ]);
  const ev = (await stopped) as DebugProtocol.StoppedEvent;
  assert.equal(ev.body.reason, 'exception');
  assert.match(ev.body.text ?? ev.body.description ?? '', /before the instruction the verifier rejects: R0 invalid mem access 'map_value_or_null'/);
  const top = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  assert.equal(top.line, 15, 'the line of `r0 = *(u64 *)(r0 + 0)`');
  const regs = await scope('Registers');
  assert.match(regs.find((v) => v.name === 'r0')!.value, /^0x0 /);
  // The rejected program: both columns, and a note that values are not checked.
  const verifier = await scope('Verifier');
  assert.match(verifier.find((v) => v.name === 'R0')!.value, /^map_value_or_null\(.*\)  │  run: 0x0 \(0\)$/);
  assert.ok(verifier.some((v) => v.name === 'note'));
  // Going on faults there; the one-shot stop does not come back.
  const fault = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId: 1 });
  const f = (await fault) as DebugProtocol.StoppedEvent;
  assert.equal(f.body.reason, 'exception');
  assert.match(f.body.text ?? '', /at insn 13/);
});

test('stopBeforeInsn out of the program and maps of the wrong shape are refused', async () => {
  const file = join(dir, 'small.bpf.s');
  writeFileSync(file, '.section xdp\nr0 = 2\nexit\n');
  await assert.rejects(dc.launch({ program: file, packet: '00'.repeat(14), stopBeforeInsn: 9 }), /stopBeforeInsn: no instruction 9/);
  await dc.stop();
  dc = await startAdapter();
  await assert.rejects(dc.launch({ program: file, packet: '00'.repeat(14), maps: [1, 2] }), /maps: a JSON file, or an object of maps by name/);
});
