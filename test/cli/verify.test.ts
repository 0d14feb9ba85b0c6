/** `verify`: the verdict, the kernel's words on the line that causes it, the JSON of DESIGN.md, exit codes. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../paths';
import { run } from '../tools';
import { kernelAvailable } from '../../core/kernel';

const cli = (...args: string[]) => run(process.execPath, [CLI, ...args]);
const BAD = '.section xdp\nr2 = *(u32 *)(r1 + 0)\n\nr0 = *(u32 *)(r2 + 14)\nexit\n';

function withFile(text: string, fn: (f: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-verify-'));
  try { const f = join(dir, 'p.bpf.s'); writeFileSync(f, text); fn(f); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('an accepted example exits 0', () => {
  const r = cli('verify', join(REPO_ROOT, 'examples', 'xdp_drop_udp.bpf.s'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /xdp\/xdp_drop_udp: accepted \(xdp\)/);
});

test('a rejection names the line, in the kernel\'s words, with its detail', () => {
  withFile(BAD, (f) => {
    const r = cli('verify', f);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /p\.bpf\.s:4:1: error: R2 offset is outside of the packet\n  invalid access to packet, off=14 size=4, R2\(id=0,off=14,r=0\)/);
  });
});

test('verify --json prints the object of DESIGN.md', () => {
  withFile(BAD, (f) => {
    const out = JSON.parse(cli('verify', f, '--json').stdout);
    assert.equal(out.accepted, false);
    const [d] = out.diagnostics;
    assert.equal(out.diagnostics.length, 1);
    assert.deepEqual({ ...d, explain: undefined, fix: undefined }, {
      line: 4, column: 1, insn: 1, section: 'xdp', program: 'xdp', message: 'R2 offset is outside of the packet',
      detail: ['invalid access to packet, off=14 size=4, R2(id=0,off=14,r=0)'], code: 'verifier', severity: 'error',
      explain: undefined, fix: undefined,
    });
    // Our words beside the kernel's: the fix names the check that would prove 18 bytes.
    assert.match(d.explain, /packet/);
    assert.match(d.fix, /\+= 18/);
    assert.equal(typeof out.stats.processedInsns, 'number');
    assert.equal(typeof out.stats.states, 'number');
    assert.equal(typeof out.stats.ms, 'number');
    assert.equal(out.kernel, undefined);
  });
});

test('verify --kernel shows the kernel\'s verdict beside ours', { skip: kernelAvailable().ok ? undefined : 'bpf(2) is not available' }, () => {
  withFile(BAD, (f) => {
    const out = JSON.parse(cli('verify', f, '--kernel', '--json').stdout);
    assert.deepEqual([out.kernel.accepted, out.kernel.message], [false, 'R2 offset is outside of the packet']);
    assert.match(out.kernel.log, /processed \d+ insns/);
  });
});

test('verify --counterexample gives an input on which the read past data faults', () => {
  withFile(BAD, (f) => {
    // No bounds check at all: any frame shorter than 18 bytes faults at insn 1.
    const text = cli('verify', f, '--counterexample');
    assert.equal(text.status, 1);
    assert.match(text.stdout, /counterexample \(the run faults there\): --packet [0-9a-f]{28,34}\n/);
    const json = cli('verify', f, '--counterexample', '--json');
    const d = JSON.parse(json.stdout).diagnostics[0];
    assert.equal(d.insn, 1);
    assert.equal(d.counterexample.run, 'faults');
    assert.ok(d.counterexample.packet.length / 2 >= 14 && d.counterexample.packet.length / 2 < 18, d.counterexample.packet);
  });
});

test('bad input exits 2', () => {
  withFile(BAD, (f) => {
    assert.equal(cli('verify', f, '--prog-type', 'nope').status, 2);
    assert.equal(cli('verify', f, '--section', 'nope').status, 2);
  });
  withFile('r0 = \n', (f) => {
    assert.equal(cli('verify', f).status, 2);
    const j = cli('verify', f, '--json');
    assert.equal(j.status, 2);
    const out = JSON.parse(j.stdout);
    assert.equal(out.accepted, false);
    assert.equal(out.diagnostics[0].line, 1);
    assert.match(out.diagnostics[0].message, /expected/);
  });
});
