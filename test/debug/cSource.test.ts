/**
 * Debugging a C program on its C lines: examples/xdp_counter.bpf.c built by clang-19 with -g
 * (BTF line info), the `.o` launched with a packet, a breakpoint set on a line of the `.c` file
 * binds, is hit with the `.c` file as the frame's source, and `next` moves to another C line.
 * Built once with the source's absolute path and once relative to its folder (as a Makefile
 * does): clang joins the compilation directory, so both objects' line info name the file by
 * its absolute path, which the breakpoint's path must match. Skips without clang-19.
 */

import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { startAdapter } from './dap';
import { REPO_ROOT } from '../paths';
import { findTool, missingTools, run } from '../tools';

const skip = missingTools('clang-19');
const SRC_NAME = 'xdp_counter.bpf.c';
const TEXT = readFileSync(join(REPO_ROOT, 'examples', SRC_NAME), 'utf8');
/** 1-based line of the only line containing `needle`. */
const lineOf = (needle: string) => {
  const hits = TEXT.split('\n').flatMap((l, k) => (l.includes(needle) ? [k + 1] : []));
  assert.equal(hits.length, 1, needle);
  return hits[0];
};
const eth = (type: string, payload: string) => `000000000000020000000001${type}${payload}`;
/** Ethernet, IPv4 (ihl 5), UDP 1234 → 53. */
const IPV4_UDP = eth('0800', '450000200000400040110000c0a80001c0a8000204d200350008' + '0000' + '00000000');

let dir: string;
let src: string;
let dc: DebugClient;

function build(out: string, relative: boolean): void {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const args = ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${arch}-linux-gnu`, '-c', relative ? SRC_NAME : src, '-o', out];
  const cc = relative
    ? run('/bin/sh', ['-c', `cd '${dir}' && '${findTool('clang-19')}' ${args.map((a) => `'${a}'`).join(' ')}`])
    : run(findTool('clang-19')!, args);
  assert.equal(cc.status, 0, cc.stderr);
}

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'dap-c-'));
  src = join(dir, SRC_NAME);
  copyFileSync(join(REPO_ROOT, 'examples', SRC_NAME), src);
  build(join(dir, 'abs.o'), false);
  build(join(dir, 'rel.o'), true);
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
beforeEach(async () => { if (!skip) dc = await startAdapter(); });
afterEach(async () => { if (!skip) await dc.stop(); });

for (const obj of ['abs.o', 'rel.o']) {
  test(`${obj}: a breakpoint on a C line binds, stops there in the .c file, and next moves to another C line`, { skip }, async () => {
    const line = lineOf('if (ip->ihl < 5)');
    const program = join(dir, obj);
    await Promise.all([
      dc.waitForEvent('initialized').then(async () => {
        const set = await dc.setBreakpointsRequest({ source: { path: src }, breakpoints: [{ line }] });
        assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
        assert.equal(set.body.breakpoints[0].line, line);
        await dc.configurationDoneRequest();
      }),
      dc.launch({ program, packet: IPV4_UDP }),
      dc.assertStoppedLocation('breakpoint', { path: src, line }),
    ]);
    const top = async () => (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    const at = await top();
    assert.equal(at.source?.path, src);
    assert.equal(at.line, line);
    assert.match(at.name, /^xdp_count_and_filter @ insn \d+$/);

    await Promise.all([dc.nextRequest({ threadId: 1 }), dc.waitForEvent('stopped')]);
    const next = await top();
    assert.equal(next.source?.path, src);
    assert.notEqual(next.line, line);
    assert.ok(next.line > 0 && next.line <= TEXT.split('\n').length, `line ${next.line}`);
    // The program goes on to its verdict: XDP_PASS (2) for UDP to a port nobody blocked.
    await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('terminated')]);
  });
}
