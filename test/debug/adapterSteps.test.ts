/**
 * The debug adapter over DAP, continued: stepping in, over and out of bpf-to-bpf calls and
 * their frames, instruction breakpoints, pause and restart, output from trace_printk and
 * ringbuf, data breakpoints on stack slots, setting map values, helper-error exceptions,
 * and every kind of launch input (ctx, mem, maps, env, packetIndex, budget).
 */

import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { startAdapter } from './dap';
import { DebugProtocol } from '@vscode/debugprotocol';
import { REPO_ROOT } from '../paths';
import { writePcap } from '../../core/input/pcap';

const FRAME = '000000000000020000000001080045000014000000004011000000000000000000000000';

// 1-based lines, as DAP has them.
const CALLS = [
  '.map events, type=ringbuf, max_entries=4096', // 1
  '.map slots, type=array, key=4, value=8, max_entries=2', // 2
  '.section xdp', // 3
  'main:', // 4
  '\tr1 = 5', // 5
  '\tcall add_two', // 6
  '\tr7 = r0', // 7
  '\t*(u64 *)(r10 - 8) = r7', // 8
  '\tr1 = 0xa6425206968 ll', // 9: "hi %d\n" little-endian
  '\t*(u64 *)(r10 - 16) = r1', // 10
  '\tr1 = r10', // 11
  '\tr1 += -16', // 12
  '\tr2 = 7', // 13
  '\tr3 = r7', // 14
  '\tcall bpf_trace_printk', // 15
  '\tr1 = events ll', // 16
  '\tr2 = r10', // 17
  '\tr2 += -8', // 18
  '\tr3 = 8', // 19
  '\tr4 = 0', // 20
  '\tcall bpf_ringbuf_output', // 21
  '\tr0 = 2', // 22
  '\texit', // 23
  'add_two:', // 24
  '\tr0 = r1', // 25
  '\tr0 += 2', // 26
  '\texit', // 27
  '',
].join('\n');

let dc: DebugClient;
let dir: string;
let callsFile: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dap2-'));
  callsFile = join(dir, 'calls.bpf.s');
  writeFileSync(callsFile, CALLS);
});
after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => { dc = await startAdapter(); });
afterEach(async () => { await dc.stop(); });

async function launch(args: Record<string, unknown>, configure: () => Promise<unknown> = async () => undefined, stop = 'entry'): Promise<void> {
  await Promise.all([
    dc.waitForEvent('initialized').then(async () => { await configure(); await dc.configurationDoneRequest(); }),
    dc.launch({ stopOnEntry: stop === 'entry', ...args }),
    stop ? dc.waitForEvent('stopped') : Promise.resolve(),
  ]);
}

async function frames(): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
}

async function scope(name: string): Promise<{ ref: number; vars: DebugProtocol.Variable[] }> {
  const scopes = await dc.scopesRequest({ frameId: (await frames())[0].id });
  const s = scopes.body.scopes.find((x) => x.name === name)!;
  return { ref: s.variablesReference, vars: (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables };
}

const step = async (req: Promise<unknown>, line: number, reason = 'step') => {
  await Promise.all([req, dc.assertStoppedLocation(reason, { line })]);
};

test('step in, out and over a bpf-to-bpf call, with its frame on the stack', async () => {
  await launch({ program: callsFile, packet: FRAME });
  await step(dc.nextRequest({ threadId: 1 }), 6);
  await step(dc.stepInRequest({ threadId: 1 }), 25);
  const inside = await frames();
  assert.deepEqual(inside.map((f) => [f.name.split(' ')[0], f.line]), [['add_two', 25], ['main', 6]]);
  await step(dc.stepOutRequest({ threadId: 1 }), 7);
  assert.equal((await frames()).length, 1);
  assert.match((await dc.evaluateRequest({ expression: 'r0', context: 'watch' })).body.result, /^0x7 /);
  await Promise.all([dc.restartRequest({}), dc.assertStoppedLocation('entry', { line: 5 })]);
  await step(dc.nextRequest({ threadId: 1 }), 6);
  await step(dc.nextRequest({ threadId: 1 }), 7, 'step');
});

test('trace_printk and ringbuf records arrive as output, then the packet\'s verdict', async () => {
  const outputs: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => outputs.push(e.body.output));
  await Promise.all([launch({ program: callsFile, packet: FRAME }, async () => undefined, ''), dc.waitForEvent('terminated')]);
  assert.ok(outputs.includes('hi 7\n'), outputs.join(''));
  assert.ok(outputs.includes('events: 0700000000000000\n'), outputs.join(''));
  assert.ok(outputs.some((o) => /^packet 0: retval 2/.test(o)), outputs.join(''));
});

test('an instruction breakpoint stops at its address', async () => {
  await launch({ program: callsFile, packet: FRAME }, () => dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x${(3 * 8).toString(16)}` }] }), 'breakpoint');
  const top = (await frames())[0];
  assert.equal(top.instructionPointerReference, '0x18');
  assert.equal(top.line, 8);
});

test('a data breakpoint on a stack slot; setting a map value', async () => {
  await launch({ program: callsFile, packet: FRAME });
  const stack = await scope('Stack');
  const slot = stack.vars.find((v) => v.name === 'fp-8')!;
  assert.equal(slot.value, '0x0000000000000000');
  const info = await dc.dataBreakpointInfoRequest({ variablesReference: stack.ref, name: 'fp-8' });
  assert.equal(info.body.dataId, 'stack:0:-8:8');
  await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId! }] });
  await step(dc.continueRequest({ threadId: 1 }), 9, 'data breakpoint');
  assert.equal((await scope('Stack')).vars.find((v) => v.name === 'fp-8')!.value, '0x0000000000000007');
  const maps = await scope('Maps');
  const slots = maps.vars.find((m) => m.name === 'slots')!;
  const entries = (await dc.variablesRequest({ variablesReference: slots.variablesReference })).body.variables;
  const set = await dc.setVariableRequest({ variablesReference: slots.variablesReference, name: entries[1].name, value: '0x1234' });
  assert.match(set.body.value, /0x1234/);
  assert.equal((await dc.evaluateRequest({ expression: 'map slots 1', context: 'repl' })).body.result, '34 12 00 00 00 00 00 00');
});

test('pause stops a long run; a helper returning an error stops as an exception when asked', async () => {
  const loop = join(dir, 'loop.bpf.s');
  // A loop no run finishes (2^64 iterations) under a budget no run exhausts: continue runs it
  // compiled, far faster than the interpreter, and only the pause can stop it.
  writeFileSync(loop, '.section xdp\nr1 = 0\nl:\nr1 += 1\nif r1 != 0 goto l\nr0 = 2\nexit\n');
  await launch({ program: loop, packet: FRAME, budget: 1e15 }, async () => undefined, '');
  await new Promise((r) => setTimeout(r, 200));
  await Promise.all([dc.pauseRequest({ threadId: 1 }), dc.assertStoppedLocation('pause', {})]);
  const r1 = (await dc.evaluateRequest({ expression: 'r1', context: 'watch' })).body.result;
  assert.ok(BigInt(r1.split(' ')[0]) > 0n, r1);
  await dc.stop();

  const upd = join(dir, 'update.bpf.s');
  writeFileSync(upd, '.map a, type=array, key=4, value=8, max_entries=1\n.section xdp\n*(u32 *)(r10 - 4) = 5\n*(u64 *)(r10 - 16) = 0\nr1 = a ll\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = 0\ncall bpf_map_update_elem\nr0 = 2\nexit\n');
  dc = await startAdapter();
  // Listening before the launch: the stop follows the launch's response at once, often in the same read.
  const [stopped] = await Promise.all([
    dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>,
    launch({ program: upd, packet: FRAME }, () => dc.setExceptionBreakpointsRequest({ filters: ['fault', 'helperError'] }), ''),
  ]);
  assert.equal(stopped.body.reason, 'exception');
  assert.match(stopped.body.text ?? stopped.body.description ?? '', /map_update_elem returned -7/);
  assert.equal((await frames())[0].line, 12);
});

test('launch inputs: ctx for a kprobe, mem for raw, initial maps, env, packetIndex and bad attributes', async () => {
  const kp = join(dir, 'kp.bpf.s');
  writeFileSync(kp, '.section kprobe/do_sys_open\nr0 = *(u64 *)(r1 + 112)\nexit\n');
  await launch({ program: kp, ctx: { di: 41 } });
  await step(dc.nextRequest({ threadId: 1 }), 3);
  assert.match((await dc.evaluateRequest({ expression: 'r0', context: 'watch' })).body.result, /^0x29 /);
  assert.ok((await scope('Context')).vars.some((v) => v.name === 'di' && /^0x29/.test(v.value)));
  await dc.stop();

  const raw = join(dir, 'raw.bpf.s');
  writeFileSync(raw, 'r0 = *(u32 *)(r1 + 0)\nexit\n');
  const maps = join(dir, 'maps.json');
  const env = join(dir, 'env.json');
  const t = join(dir, 't.bpf.s');
  writeFileSync(t, '.map m, type=array, key=4, value=8, max_entries=2\n.section xdp\ncall bpf_ktime_get_ns\nr6 = r0\nr0 = 2\nexit\n');
  writeFileSync(maps, JSON.stringify({ m: { type: 'array', entries: [{ key: '01000000', value: '2a00000000000000' }] } }));
  writeFileSync(env, JSON.stringify({ time_ns: 123456789 }));
  dc = await startAdapter();
  await launch({ program: raw, programType: 'raw', mem: '78563412' });
  await step(dc.nextRequest({ threadId: 1 }), 2);
  assert.match((await dc.evaluateRequest({ expression: 'r0', context: 'watch' })).body.result, /^0x12345678 /);
  await dc.stop();

  dc = await startAdapter();
  const pcap = join(dir, 'p.pcap');
  writeFileSync(pcap, writePcap([Uint8Array.from(Buffer.from(FRAME, 'hex')), Uint8Array.from(Buffer.from(FRAME, 'hex'))]));
  await launch({ program: t, maps, env, pcap, packetIndex: 1 });
  assert.equal((await dc.evaluateRequest({ expression: 'map m 1', context: 'repl' })).body.result, '2a 00 00 00 00 00 00 00');
  await step(dc.nextRequest({ threadId: 1 }), 4);
  assert.match((await dc.evaluateRequest({ expression: 'r0', context: 'watch' })).body.result, /^0x75bcd15 /);
  assert.equal((await dc.threadsRequest()).body.threads[0].name, 'program', 'one packet of the capture');
  await dc.stop();

  dc = await startAdapter();
  await dc.initializeRequest();
  await assert.rejects(dc.launchRequest({ program: t, pcap, packetIndex: 5 } as DebugProtocol.LaunchRequestArguments), /packetIndex 5: the capture has 2 packets/);
  await assert.rejects(dc.launchRequest({ program: t, packet: 'xyz' } as DebugProtocol.LaunchRequestArguments), /packet: /);
  await assert.rejects(dc.launchRequest({ program: t, programType: 'nonsense' } as DebugProtocol.LaunchRequestArguments), /unknown program type/);
});
