/**
 * The debug adapter's `ebpf/coverage` request: the lines a session has run so far (after a
 * step, only the first), and at its end every packet's run, counted per source line.
 */

import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { startAdapter } from './dap';
import { writePcap } from '../../core/input/pcap';
import { parseHex } from '../../core/input/parse';

const FRAME = '000000000000020000000001080045000014000000004011000000000000000000000000';
// 0-based lines, as the coverage answer has them.
const LOOP = ['.section xdp', 'r1 = 0', 'l:', 'r1 += 1', 'if r1 < 5 goto l', 'r0 = 2', 'exit', ''].join('\n');

type Answer = { lines: { file: string; line: number; executed: number }[] };

let dc: DebugClient;
let dir: string;
let file: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dap-coverage-'));
  file = join(dir, 'loop.bpf.s');
  writeFileSync(file, LOOP);
});
after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => { dc = await startAdapter(); });
afterEach(async () => { await dc.stop(); });

async function launch(args: Record<string, unknown>, stopOnEntry: boolean): Promise<void> {
  await Promise.all([
    dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
    dc.launch({ program: file, stopOnEntry, ...args }),
    stopOnEntry ? dc.waitForEvent('stopped') : dc.waitForEvent('terminated'),
  ]);
}

const counts = async () => {
  const r = (await dc.customRequest('ebpf/coverage')).body as Answer;
  assert.ok(r.lines.every((l) => l.file === resolve(file)), JSON.stringify(r.lines));
  return r.lines.map((l) => [l.line, l.executed]);
};

test('after one step, only the first line has run', async () => {
  await launch({ packet: FRAME }, true);
  assert.deepEqual(await counts(), [[1, 0], [3, 0], [4, 0], [5, 0], [6, 0]]);
  await Promise.all([dc.nextRequest({ threadId: 1 }), dc.assertStoppedLocation('step', { line: 4 })]);
  assert.deepEqual(await counts(), [[1, 1], [3, 0], [4, 0], [5, 0], [6, 0]]);
});

test('at the end of a session over a capture: every packet\'s run', async () => {
  const pcap = join(dir, 'two.pcap');
  writeFileSync(pcap, writePcap([parseHex(FRAME) as Uint8Array, parseHex(FRAME) as Uint8Array]));
  await launch({ pcap }, false);
  assert.deepEqual(await counts(), [[1, 2], [3, 10], [4, 10], [5, 2], [6, 2]]);
});
