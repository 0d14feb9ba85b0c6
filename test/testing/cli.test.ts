/**
 * `ebpf-workbench test` through the built CLI: the examples' sidecars pass, a wrong
 * expectation fails on the program's line, a fault is expected or reported, and bad input
 * exits 2 naming the sidecar's line.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../paths';
import { run } from '../tools';

const EX = join(REPO_ROOT, 'examples');
const cli = (...args: string[]) => run(process.execPath, [CLI, 'test', ...args]);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** A temporary copy of the firewall example and its inputs. */
function withFirewall(fn: (dir: string, prog: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-test-'));
  try {
    cpSync(join(EX, 'xdp_firewall.bpf.s'), join(dir, 'fw.bpf.s'));
    cpSync(join(EX, 'inputs'), join(dir, 'inputs'), { recursive: true });
    fn(dir, join(dir, 'fw.bpf.s'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sidecar = (cases: unknown[]) => JSON.stringify({ cases }, null, 2);

for (const example of ['xdp_firewall.bpf.s', 'tc_counter.bpf.s']) {
  test(`the sidecar of ${example} passes in full`, () => {
    const n = (JSON.parse(readFileSync(join(EX, `${example}.tests.json`), 'utf8')) as { cases: unknown[] }).cases.length;
    assert.ok(n >= 4);
    const r = cli(join(EX, example));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, `${n} passed, 0 failed\n`);
    const j = JSON.parse(cli(join(EX, example), '--json').stdout);
    assert.deepEqual([j.passed, j.failed, j.cases.length], [n, 0, n]);
    const exitLine = lineOf(readFileSync(join(EX, example), 'utf8'), '\texit');
    for (const c of j.cases) assert.equal(c.line, exitLine, c.name);
  });
}

test('a wrong expectation fails with what differed and the line of the exit reached', () => {
  withFirewall((dir, prog) => {
    writeFileSync(`${prog}.tests.json`, sidecar([
      { name: 'passes frame 0', input: { pcap: 'inputs/firewall.pcap', pcapIndex: 0 }, expect: { retval: 2 } },
      { name: 'wrongly expects a drop', input: { pcap: 'inputs/firewall.pcap', pcapIndex: 0 }, expect: { retval: 1, maps: { blocklist: { entries: [{ key: 'cb007142', value: '01' }] } } } },
    ]));
    const exitLine = lineOf(readFileSync(prog, 'utf8'), '\texit');
    const r = cli(prog);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, `FAIL wrongly expects a drop: retval: expected 1, got 2; maps.blocklist[cb007142]: expected 01, got null (${prog}:${exitLine}, insn 49)\n1 passed, 1 failed\n`);
    const j = JSON.parse(cli(prog, '--json').stdout);
    assert.equal(j.failed, 1);
    const failed = j.cases[1];
    assert.deepEqual([failed.passed, failed.line, failed.result.retval], [false, exitLine, 2]);
    assert.deepEqual(failed.failures, [
      { field: 'retval', expected: 1, got: 2 },
      { field: 'maps.blocklist[cb007142]', expected: '01', got: null },
    ]);
  });
});

test('a fault: expected with "fault": true, else reported on the faulting line', () => {
  withFirewall((dir) => {
    const prog = join(dir, 'oob.bpf.s');
    const text = '.section xdp\noob:\n  r2 = *(u32 *)(r1 + 0)\n  r0 = *(u8 *)(r2 + 4000)\n  exit\n';
    writeFileSync(prog, text);
    writeFileSync(`${prog}.tests.json`, sidecar([
      { name: 'faults as expected', input: { packetFile: 'frame.bin' }, expect: { fault: true } },
      { name: 'was meant to pass', input: { packetFile: 'frame.bin' }, expect: { retval: 2 } },
    ]));
    writeFileSync(join(dir, 'frame.bin'), Buffer.alloc(60));
    const r = cli(prog);
    assert.equal(r.status, 1, r.stderr);
    const [fail, closing] = r.stdout.trim().split('\n');
    assert.match(fail, new RegExp(`^FAIL was meant to pass: fault: .*packet.* \\(${prog.replace(/[.]/g, '\\.')}:${lineOf(text, '+ 4000')}, insn 1\\)$`));
    assert.equal(closing, '1 passed, 1 failed');
  });
});

test('bad input exits 2 with the sidecar line; a case that cannot run does not stop the others', () => {
  withFirewall((dir, prog) => {
    const side = `${prog}.tests.json`;
    writeFileSync(side, '{\n  "cases": [\n    { "name": "a", "expect": { "retval": 2 } }\n    { "name": "b" }\n  ]\n}\n');
    let r = cli(prog);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`${side.replace(/[.]/g, '\\.')}:4:5: error: not valid JSON: expected ',' or '\\]'`));
    const j = JSON.parse(cli(prog, '--json').stdout);
    assert.deepEqual(j.errors.map((e: { line: number }) => e.line), [4]);

    writeFileSync(side, sidecar([{ name: 'a', input: { pcap: 'inputs/firewall.pcap', pcapIndx: 0 } }]));
    r = cli(prog);
    assert.equal(r.status, 2);
    const typo = lineOf(readFileSync(side, 'utf8'), 'pcapIndx');
    assert.match(r.stderr, new RegExp(`fw\\.bpf\\.s\\.tests\\.json:${typo}:9: error: unknown field 'pcapIndx' in "input"[^\n]*\n {8}"pcapIndx": 0\n {8}\\^~{9}\n`));

    writeFileSync(side, sidecar([
      { name: 'missing file', input: { packetFile: 'nowhere.bin' } },
      { name: 'unknown map', input: { pcap: 'inputs/firewall.pcap', pcapIndex: 0 }, expect: { maps: { nope: { entries: [] } } } },
      { name: 'fine', input: { pcap: 'inputs/firewall.pcap', pcapIndex: 0 }, expect: { retval: 2 } },
    ]));
    const text = readFileSync(side, 'utf8');
    r = cli(prog);
    assert.equal(r.status, 2, r.stdout);
    assert.equal(r.stdout, [
      `ERROR missing file: ${side}:${lineOf(text, '"nowhere.bin"')}:23: "packetFile" nowhere.bin: cannot read: ENOENT`,
      `ERROR unknown map: ${side}:${lineOf(text, '"nope"')}:11: unknown map 'nope' (the program has 'blocklist', 'stats')`,
      '1 passed, 2 failed', '',
    ].join('\n'));

    r = cli(join(dir, 'absent.bpf.s'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /absent\.bpf\.s\.tests\.json: cannot read: ENOENT/);
  });
});

test('several programs in a file: a case names one, or --program chooses for all', () => {
  withFirewall((dir) => {
    const prog = join(dir, 'two.bpf.s');
    writeFileSync(prog, '.section xdp\n.globl pass\npass:\n  r0 = 2\n  exit\n.globl drop\ndrop:\n  r0 = 1\n  exit\n');
    const packet = '00'.repeat(14);
    writeFileSync(`${prog}.tests.json`, sidecar([
      { name: 'drop', program: 'drop', input: { packet }, expect: { retval: 1 } },
      { name: 'default', input: { packet }, expect: { retval: 2 } },
    ]));
    let r = cli(prog);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /ERROR default: .*several programs; give the case a "program" \(or run with --program\)/);
    r = cli(prog, '--program', 'pass');
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.stdout, '2 passed, 0 failed\n');
    r = cli(`${prog}.tests.json`, '--program', 'drop', '--json');
    assert.equal(r.status, 1);
    assert.deepEqual(JSON.parse(r.stdout).cases.map((c: { passed: boolean }) => c.passed), [true, false]);
  });
});

test('classic BPF runs in the classic interpreter, as run does', () => {
  withFirewall((dir) => {
    const prog = join(dir, 'http.cbpf');
    cpSync(join(EX, 'http_syn.cbpf'), prog);
    writeFileSync(`${prog}.tests.json`, sidecar([
      { name: 'keeps a SYN to port 80', input: { pcap: 'inputs/http.pcap', pcapIndex: 0 }, expect: { retval: 262144 } },
      { name: 'drops the SYN/ACK', input: { pcap: 'inputs/http.pcap', pcapIndex: 1 }, expect: { retval: 262144 } },
    ]));
    const r = cli(prog, '--json');
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.cases.map((c: { passed: boolean }) => c.passed), [true, false]);
    assert.deepEqual(j.cases[1].failures, [{ field: 'retval', expected: 262144, got: 0 }]);
    assert.match(readFileSync(prog, 'utf8').split('\n')[j.cases[1].line - 1], /ret\s+#0/);
  });
});

test('--list names the cases and their ranges in the sidecar without running them', () => {
  const text = readFileSync(join(EX, 'tc_counter.bpf.s.tests.json'), 'utf8');
  const j = JSON.parse(cli(join(EX, 'tc_counter.bpf.s'), '--list', '--json').stdout);
  const names = (JSON.parse(text) as { cases: { name: string }[] }).cases.map((c) => c.name);
  assert.deepEqual(j.cases.map((c: { name: string }) => c.name), names);
  for (const c of j.cases) assert.match(text.split('\n')[c.caseRange.line - 1], /^\s*\{\s*$/);
  assert.equal(j.cases[0].caseRange.line, lineOf(text, names[0]) - 1);
});
