/**
 * "Debug this error" in the language server, against the built server: a code lens on the
 * rejected line and a code action on the verifier's diagnostic, both running the client's
 * `ebpf.debugError`, and `ebpf/counterexample`, which answers with an input that reaches the
 * rejected instruction (checked here by running the VM on it) or says that none can.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { LspClient } from './client';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { createRun } from '../../core/vm/run';

// The read at +40 is only proven after 14 bytes; the EtherType test in between does not help.
const REACHABLE = `.section xdp
prog:
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  r5 = *(u16 *)(r2 + 12)
  if r5 != 0x8 goto out
  r0 = *(u8 *)(r2 + 40)
out:
  r0 = 2
  exit
`;
// The same byte loaded twice always compares equal, so the read is never reached.
const INFEASIBLE = REACHABLE.replace('  r5 = *(u16 *)(r2 + 12)\n  if r5 != 0x8 goto out\n', '  r5 = *(u8 *)(r2 + 12)\n  r6 = *(u8 *)(r2 + 12)\n  if r5 == r6 goto out\n');
const READ_LINE = 9;

interface Answer {
  section: string; program: string; progType: string; insn: number; line?: number; message?: string;
  counterexample: { packet?: string; run?: string; infeasible?: string; unknown?: string };
}

let client: LspClient;
before(async () => {
  client = new LspClient();
  await client.initialize({});
});
after(async () => { await client.close(); });

test('a rejected program gets a "Debug this error" lens on its rejected line and an action on the diagnostic', async () => {
  const uri = 'file:///work/cex/reach.bpf.s';
  await client.open(uri, REACHABLE);
  const published = await client.diagnostics((p) => p.uri === uri && p.diagnostics.length > 0);
  const d = published.diagnostics[0];
  assert.equal(d.range.start.line, READ_LINE);
  const lenses = await client.request<{ range: { start: { line: number } }; command: { title: string; command: string; arguments: unknown[] } }[]>('textDocument/codeLens', { textDocument: { uri } });
  const lens = lenses.find((l) => l.command.command === 'ebpf.debugError');
  assert.ok(lens, JSON.stringify(lenses.map((l) => l.command)));
  assert.equal(lens.range.start.line, READ_LINE);
  assert.deepEqual(lens.command.arguments, [{ section: 'xdp', program: 'xdp' }]);
  const actions = await client.request<{ title: string; command?: { command: string; arguments: unknown[] } }[]>('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
  const debug = actions.find((a) => a.title === 'Debug this error');
  assert.deepEqual(debug?.command, { title: 'Debug this error', command: 'ebpf.debugError', arguments: [{ section: 'xdp', program: 'xdp', uri }] });
});

test('ebpf/counterexample answers with a packet on which the VM faults at the rejected read', async () => {
  const uri = 'file:///work/cex/reach2.bpf.s';
  await client.open(uri, REACHABLE);
  const a = await client.request<Answer>('ebpf/counterexample', { textDocument: { uri }, section: 'xdp', program: 'xdp' });
  assert.equal(a.line, READ_LINE);
  assert.equal(a.progType, 'xdp');
  assert.equal(a.counterexample.run, 'faults');
  const packet = Buffer.from(a.counterexample.packet!, 'hex');
  assert.ok(packet.length <= 40 && packet.readUInt16BE(12) === 0x0800, a.counterexample.packet);
  // Independently of the server's own check: the VM faults there on it.
  const { object } = assemble(REACHABLE);
  const { run } = createRun(object, listPrograms(object)[0], { progType: 'xdp', input: { packet: Uint8Array.from(packet) } });
  const stop = run!.vm.run();
  assert.equal(stop.reason, 'fault');
  assert.equal(stop.pc, a.insn);
});

test('ebpf/counterexample says when no run can reach the error, naming the jump', async () => {
  const uri = 'file:///work/cex/never.bpf.s';
  await client.open(uri, INFEASIBLE);
  const a = await client.request<Answer>('ebpf/counterexample', { textDocument: { uri } });
  assert.match(a.counterexample.infeasible ?? '', /the jump at line 10 is always taken/);
});

test('ebpf/counterexample on an accepted program is an error in the answer', async () => {
  const uri = 'file:///work/cex/fine.bpf.s';
  await client.open(uri, '.section xdp\nr0 = 2\nexit\n');
  const a = await client.request<{ error?: string }>('ebpf/counterexample', { textDocument: { uri } });
  assert.match(a.error ?? '', /no program of the document is rejected/);
});
