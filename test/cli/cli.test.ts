/** The CLI as users and CI call it: `node dist/cli.js asm|disasm ...`, output formats and exit codes. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../paths';
import { run } from '../tools';

function cli(...args: string[]) {
  return run(process.execPath, [CLI, ...args]);
}

function withTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cli-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('--help for the tool and every command', () => {
  const top = cli('--help');
  assert.equal(top.status, 0);
  for (const cmd of ['asm', 'disasm', 'verify', 'run', 'test', 'conformance', 'lsp', 'dap']) {
    assert.match(top.stdout, new RegExp(`\\b${cmd}\\b`));
    const h = cli(cmd, '--help');
    assert.equal(h.status, 0, cmd);
    assert.match(h.stdout, new RegExp(`usage: ebpf-workbench ${cmd}`));
  }
  assert.equal(cli().status, 2);
  assert.equal(cli('frobnicate').status, 2);
});

test('asm --hex prints slots in memory order, a section line before each section', () => {
  withTemp((dir) => {
    const f = join(dir, 'p.bpf.s');
    writeFileSync(f, '.map counts, type=array, key=4, value=8, max_entries=4\n.section xdp\nprog:\n  r1 = counts ll\n  r0 = 0x11223344 ll\n  exit\n');
    const r = cli('asm', f, '--hex');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      '# section xdp',
      '18 11 00 00 00 00 00 00', // map reference: src=1, imm = index 0
      '00 00 00 00 00 00 00 00',
      '18 00 00 00 44 33 22 11',
      '00 00 00 00 00 00 00 00',
      '95 00 00 00 00 00 00 00',
    ]);
  });
});

test('asm -o x.bin writes raw slots; disasm reads them back', () => {
  withTemp((dir) => {
    const f = join(dir, 'p.s');
    writeFileSync(f, 'mov r0, 7\nadd32 r0, 3\nexit\n');
    const bin = join(dir, 'p.bin');
    assert.equal(cli('asm', f, '-o', bin).status, 0);
    assert.equal(readFileSync(bin).toString('hex'), 'b70000000700000004000000030000009500000000000000');
    const d = cli('disasm', bin);
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /0:\tb7 00 00 00 07 00 00 00\tr0 = 0x7/);
    assert.match(d.stdout, /1:\t04 00 00 00 03 00 00 00\tw0 \+= 0x3/);
    const u = cli('disasm', bin, '--syntax', 'ubpf', '--no-show-raw-insn');
    assert.match(u.stdout, /0:\tmov r0, 7\n\s+1:\tadd32 r0, 3\n\s+2:\texit/);
  });
});

test('bad input exits 2 with FILE:LINE:COL and what was expected', () => {
  withTemp((dir) => {
    const f = join(dir, 'bad.s');
    writeFileSync(f, 'r0 = 0\nr1 = *(u32 *)(r2 + )\nexit\n');
    const r = cli('asm', f);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.s:2:\d+: error: expected/);
    assert.equal(cli('asm', join(dir, 'missing.s')).status, 2);
    assert.equal(cli('disasm', f, '--syntax', 'intel').status, 2);
    assert.equal(cli('asm', f, '--bogus').status, 2);
  });
});

test('test without a sidecar exits 2 naming the FILE.tests.json it looked for', () => {
  const r = cli('test', join(REPO_ROOT, 'examples', 'xdp_drop_udp.bpf.s'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /xdp_drop_udp\.bpf\.s\.tests\.json: cannot read: ENOENT/);
});
