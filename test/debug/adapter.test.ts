/**
 * The debug adapter over DAP with @vscode/debugadapter-testsupport's DebugClient against the
 * built adapter (dist/debugAdapter.js): launching, breakpoints of every kind, stepping in
 * all directions, the Variables view, memory, disassembly, and error answers to requests
 * that cannot be served.
 */

import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { startAdapter } from './dap';
import { DebugProtocol } from '@vscode/debugprotocol';
import { REPO_ROOT } from '../paths';
import { writePcap } from '../../core/input/pcap';

const XDP = join(REPO_ROOT, 'examples', 'xdp_drop_udp.bpf.s');
const XDP_TEXT = readFileSync(XDP, 'utf8');
const CBPF = join(REPO_ROOT, 'examples', 'http_syn.cbpf');
/** 1-based line of the first line containing `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const eth = (type: string, payload: string) => `000000000000020000000001${type}${payload}`;
const IPV4_UDP = eth('0800', '450000200000400040110000c0a80001c0a8000204d200350008' + '0000' + '00000000');
const IPV4_TCP = eth('0800', '450000280000400040060000c0a80001c0a8000204d200500000000000000000500200000000' + '0000');
const ARP = eth('0806', '0001080006040001020000000001c0a800010000000000000c0a80002');
const hexBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

let dc: DebugClient;
let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'dap-')); });
after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => { dc = await startAdapter(); });
afterEach(async () => { await dc.stop(); });

async function topFrame(): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  return st.body.stackFrames[0];
}

async function scope(name: string): Promise<DebugProtocol.Variable[]> {
  const frame = await topFrame();
  const scopes = await dc.scopesRequest({ frameId: frame.id });
  const s = scopes.body.scopes.find((x) => x.name === name);
  assert.ok(s, `scope ${name} in ${scopes.body.scopes.map((x) => x.name)}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

async function launchStopped(args: Record<string, unknown>): Promise<void> {
  await Promise.all([
    dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
    dc.launch({ stopOnEntry: true, ...args }),
    dc.assertStoppedLocation('entry', {}),
  ]);
}

test('stop on entry, step over lines, and read the registers as the VM and the verifier see them', async () => {
  await launchStopped({ program: XDP, packet: IPV4_UDP });
  assert.equal((await topFrame()).line, lineOf(XDP_TEXT, 'r2 = *(u32 *)(r1 + 0)'));
  await Promise.all([dc.nextRequest({ threadId: 1 }), dc.assertStoppedLocation('step', { line: lineOf(XDP_TEXT, 'r3 = *(u32 *)(r1 + 4)') })]);
  const regs = await scope('Registers');
  assert.match(regs.find((v) => v.name === 'r2')!.value, /^pkt\+0 /);
  assert.match(regs.find((v) => v.name === 'r1')!.value, /^ctx/);
  assert.match(regs.find((v) => v.name === 'r10')!.value, /^fp/);
  // The Verifier scope: the verifier's state beside the run's value, for registers and stack slots.
  const verifier = await scope('Verifier');
  assert.equal(verifier.find((v) => v.name === 'R2')?.value, 'pkt(r=0)  │  run: packet +0');
  assert.equal(verifier.find((v) => v.name === 'R10')?.value, 'fp0  │  run: stack +0');
  assert.ok(verifier.every((v) => !v.value.startsWith('⚠')), 'nothing is outside the verifier\'s state');
  const packet = await scope('Packet');
  assert.match(packet[0].value, /^00 00 00 00 00 00 02 00/);
  const ctx = await scope('Context');
  assert.ok(ctx.some((f) => f.name === 'ingress_ifindex'));
});

test('a line breakpoint moves to the next instruction line and is hit', async () => {
  const label = lineOf(XDP_TEXT, 'count:');
  await dc.hitBreakpoint({ program: XDP, packet: IPV4_UDP }, { path: XDP, line: label }, { path: XDP, line: label + 1 }, { path: XDP, line: label + 1 });
  const past = await dc.setBreakpointsRequest({ source: { path: XDP }, breakpoints: [{ line: 9999 }] });
  assert.equal(past.body.breakpoints[0].verified, false, 'a breakpoint past the end of the file is not verified');
});

test('a pcap run stops on a breakpoint at the third packet', async () => {
  const pcap = join(dir, 'three.pcap');
  writeFileSync(pcap, writePcap([hexBytes(ARP), hexBytes(IPV4_TCP), hexBytes(IPV4_UDP)]));
  const drop = lineOf(XDP_TEXT, 'r6 = 1');
  const outputs: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
  await dc.hitBreakpoint({ program: XDP, pcap }, { path: XDP, line: drop });
  const threads = await dc.threadsRequest();
  assert.equal(threads.body.threads[0].name, 'packet 2');
  assert.ok(outputs.some((o) => /^packet 0: retval 2/.test(o)) && outputs.some((o) => /^packet 1: retval 2/.test(o)), outputs.join(''));
  await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('terminated')]);
  assert.ok(outputs.some((o) => /^packet 2: retval 1/.test(o)), outputs.join(''));
});

test('a step back across a map update restores the map', async () => {
  const after = lineOf(XDP_TEXT, 'lock *(u64 *)(r0 + 0) += r1') + 2; // `r0 = r6`, past the `out:` label
  await dc.hitBreakpoint({ program: XDP, packet: IPV4_UDP }, { path: XDP, line: after });
  const value = async () => (await dc.evaluateRequest({ expression: 'map counters 3', context: 'repl' })).body.result;
  assert.equal(await value(), '01 00 00 00 00 00 00 00');
  // Back over the label line to the lock add, then before it.
  await Promise.all([dc.stepBackRequest({ threadId: 1 }), dc.assertStoppedLocation('step', { line: after - 2 })]);
  assert.equal(await value(), '00 00 00 00 00 00 00 00');
  // Stepping onto a line with a breakpoint reports the breakpoint.
  await Promise.all([dc.nextRequest({ threadId: 1 }), dc.assertStoppedLocation('breakpoint', { line: after })]);
  assert.equal(await value(), '01 00 00 00 00 00 00 00');
  // Reverse continue goes back to the last breakpoint hit: none before this one, so the entry.
  await Promise.all([dc.reverseContinueRequest({ threadId: 1 }), dc.assertStoppedLocation('entry', {})]);
});

test('a fault is reported as an exception on the faulting line', async () => {
  const file = join(dir, 'fault.bpf.s');
  writeFileSync(file, '.section xdp\nr2 = *(u32 *)(r1 + 0)\nr0 = *(u64 *)(r2 + 4000)\nexit\n');
  await Promise.all([
    dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
    dc.launch({ program: file, packet: IPV4_UDP }),
    dc.assertStoppedLocation('exception', { path: file, line: 3 }),
  ]);
  const info = await dc.exceptionInfoRequest({ threadId: 1 });
  assert.match(info.body.description ?? '', /insn 1 \(line 3\)/);
});

test('conditional breakpoints, hit counts, logpoints, function breakpoints on labels and helpers', async () => {
  const pcap = join(dir, 'mix.pcap');
  writePcap([hexBytes(ARP), hexBytes(IPV4_UDP), hexBytes(IPV4_TCP), hexBytes(IPV4_UDP)]);
  writeFileSync(pcap, writePcap([hexBytes(ARP), hexBytes(IPV4_UDP), hexBytes(IPV4_TCP), hexBytes(IPV4_UDP)]));
  const key = lineOf(XDP_TEXT, '*(u32 *)(r10 - 4) = w7');
  const outputs: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
  await Promise.all([
    dc.waitForEvent('initialized').then(async () => {
      await dc.setBreakpointsRequest({ source: { path: XDP }, breakpoints: [
        { line: key, condition: 'r7 == 3', hitCondition: '2' },
        { line: lineOf(XDP_TEXT, 'r0 = r6'), logMessage: 'verdict {r6} for slot {r7}' },
      ] });
      await dc.configurationDoneRequest();
    }),
    dc.launch({ program: XDP, pcap }),
    dc.assertStoppedLocation('breakpoint', { line: key }),
  ]);
  assert.equal((await dc.threadsRequest()).body.threads[0].name, 'packet 3', 'the second UDP packet');
  assert.deepEqual(outputs.filter((o) => o.startsWith('verdict')), ['verdict 2 for slot 1\n', 'verdict 1 for slot 3\n', 'verdict 2 for slot 2\n']);
  const fb = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'bpf_map_lookup_elem' }, { name: 'out' }, { name: 'nothing_here' }] });
  assert.deepEqual(fb.body.breakpoints.map((b) => b.verified), [true, true, false]);
  await Promise.all([dc.continueRequest({ threadId: 1 }), dc.assertStoppedLocation('function breakpoint', { line: lineOf(XDP_TEXT, 'if r0 == 0 goto out') })]);
  await Promise.all([dc.continueRequest({ threadId: 1 }), dc.assertStoppedLocation('breakpoint', { line: lineOf(XDP_TEXT, 'r0 = r6') })]);
});

test('setVariable, evaluate, memory and disassembly', async () => {
  await launchStopped({ program: XDP, packet: IPV4_UDP });
  await Promise.all([dc.nextRequest({ threadId: 1 }), dc.waitForEvent('stopped')]);
  const frame = await topFrame();
  const scopes = await dc.scopesRequest({ frameId: frame.id });
  const regsRef = scopes.body.scopes.find((s) => s.name === 'Registers')!.variablesReference;
  const set = await dc.setVariableRequest({ variablesReference: regsRef, name: 'r6', value: '0x10 + 2' });
  assert.match(set.body.value, /^0x12 /);
  assert.match((await dc.evaluateRequest({ expression: 'r6 * 2', context: 'watch' })).body.result, /^0x24 \(36\)/);
  assert.match((await dc.evaluateRequest({ expression: '*(u16 *)(r2 + 12)', context: 'repl' })).body.result, /^0x8 \(8\)/);
  await assert.rejects(dc.evaluateRequest({ expression: 'r1 +* )', context: 'repl' }));
  const r2 = (await scope('Registers')).find((v) => v.name === 'r2')!;
  assert.ok(r2.memoryReference);
  const mem = (await dc.customRequest('readMemory', { memoryReference: r2.memoryReference!, count: 14 })) as DebugProtocol.ReadMemoryResponse;
  assert.equal(Buffer.from(mem.body!.data!, 'base64').toString('hex'), IPV4_UDP.slice(0, 28));
  await dc.customRequest('writeMemory', { memoryReference: r2.memoryReference!, offset: 12, data: Buffer.from([0x86, 0xdd]).toString('base64') });
  assert.match((await dc.evaluateRequest({ expression: '*(u16 *)(r2 + 12)', context: 'repl' })).body.result, /^0xdd86/);
  const dis = await dc.disassembleRequest({ memoryReference: frame.instructionPointerReference!, instructionCount: 3 });
  assert.deepEqual(dis.body!.instructions.map((i) => i.instruction), ['w3 = *(u32 *)(r1 + 0x4)', 'r6 = 0x2', 'r7 = 0x0']);
});

test('a data breakpoint on a map value stops where the value changes', async () => {
  const pcap = join(dir, 'two.pcap');
  writeFileSync(pcap, writePcap([hexBytes(IPV4_UDP), hexBytes(IPV4_UDP)]));
  await dc.hitBreakpoint({ program: XDP, pcap }, { path: XDP, line: lineOf(XDP_TEXT, 'r0 = r6') });
  const frame = await topFrame();
  const maps = (await dc.scopesRequest({ frameId: frame.id })).body.scopes.find((s) => s.name === 'Maps')!;
  const counters = (await dc.variablesRequest({ variablesReference: maps.variablesReference })).body.variables[0];
  const entries = (await dc.variablesRequest({ variablesReference: counters.variablesReference })).body.variables;
  const slot3 = entries.find((e) => /^0x3\b/.test(e.name))!;
  const info = await dc.dataBreakpointInfoRequest({ variablesReference: counters.variablesReference, name: slot3.name });
  assert.ok(info.body.dataId);
  await dc.setBreakpointsRequest({ source: { path: XDP }, breakpoints: [] });
  await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId! }] });
  // The stop is after the write: on the instruction that follows the lock add.
  await Promise.all([dc.continueRequest({ threadId: 1 }), dc.assertStoppedLocation('data breakpoint', { line: lineOf(XDP_TEXT, 'r0 = r6') })]);
});

test('classic BPF is debugged at its lines with A, X and M[] as registers', async () => {
  const text = readFileSync(CBPF, 'utf8');
  await launchStopped({ program: CBPF, packet: IPV4_TCP });
  assert.equal((await topFrame()).line, lineOf(text, 'ldh [12]'));
  await Promise.all([dc.nextRequest({ threadId: 1 }), dc.assertStoppedLocation('step', { line: lineOf(text, 'jne #0x800') })]);
  const regs = await scope('Registers');
  assert.deepEqual(regs.slice(0, 2).map((r) => [r.name, r.value]), [['A', '0x800 (2048)'], ['X', '0x0 (0)']]);
  assert.equal(regs.filter((r) => r.name.startsWith('M[')).length, 16);
  assert.match((await dc.evaluateRequest({ expression: 'A == 0x800', context: 'watch' })).body.result, /^0x1 /);
});

test('requests out of order or malformed get error responses, and the adapter keeps serving', async () => {
  await assert.rejects(dc.variablesRequest({ variablesReference: 1 }));
  await assert.rejects(dc.evaluateRequest({ expression: 'r1', context: 'repl' }));
  await assert.rejects(dc.stackTraceRequest({ threadId: 1 }));
  await assert.rejects(dc.launch({ program: join(dir, 'missing.bpf.s') }), /cannot read/);
  const bad = join(dir, 'bad.bpf.s');
  writeFileSync(bad, 'r0 = \nexit\n');
  await assert.rejects(dc.launch({ program: bad }), /bad\.bpf\.s:1/);
  await assert.rejects(dc.customRequest('noSuchRequest', {}));
  const r = await dc.threadsRequest();
  assert.equal(r.body.threads.length, 1);
});

test('the CLI starts the same adapter: ebpf-workbench dap', async () => {
  const { spawn } = await import('node:child_process');
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), 'dap']);
  try {
    const body = JSON.stringify({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'ebpf', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true } });
    proc.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const reply = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('supportsStepBack')) resolve(out); });
      setTimeout(() => reject(new Error(`no initialize response: ${out}`)), 5000);
    });
    assert.match(reply, /"command":"initialize"/);
    assert.match(reply, /"supportsStepBack":true/);
  } finally {
    proc.kill();
  }
});
