/**
 * core/ide/coverage.ts: the verifier's visits and the runs' executions per source line, on a
 * bounded loop (counts known in advance), the XDP example on packets and a capture, a run
 * that faults, a count limit (a debug session's position), classic BPF lines, and the
 * per-position executions a debug session reports.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../core/ide/analysis';
import { coverageInputs, documentCoverage, executedCounts, executedLines, lineCoverage, LineCoverage } from '../../core/ide/coverage';
import { writePcap } from '../../core/input/pcap';
import { parseHex } from '../../core/input/parse';
import { REPO_ROOT } from '../paths';

const example = (name: string) => readFileSync(join(REPO_ROOT, 'examples', name), 'utf8');
const lines = (...xs: string[]) => `${xs.join('\n')}\n`;
const hex = (s: string) => parseHex(s) as Uint8Array;
const at = (cov: LineCoverage[], text: string, needle: string) => {
  const line = text.split('\n').findIndex((l) => l.includes(needle));
  const found = cov.find((c) => c.line === line);
  assert.ok(found, `a coverage entry for ${JSON.stringify(needle)} (line ${line})`);
  return found;
};

const LOOP = lines('.section xdp', 'r1 = 0', 'loop:', 'r1 += 1', 'if r1 < 10 goto loop', 'r0 = 2', 'exit');
const XDP = example('xdp_drop_udp.bpf.s');
const IPV4_UDP = '000000000000020000000001' + '0800' + '450000200000400040110000c0a80001c0a8000204d200350008' + '0000' + '00000000';
const IPV4_TCP = IPV4_UDP.slice(0, 24 + 4 + 18) + '06' + IPV4_UDP.slice(24 + 4 + 20);
const ARP = '000000000000020000000001' + '0806' + '0'.repeat(56);

test('a bounded loop: the body runs ten times, and the verifier walked it once per iteration', () => {
  const a = analyzeDocument(LOOP);
  const cov = documentCoverage(a, {}, { packets: [hex(IPV4_UDP)] });
  assert.equal(cov.error, undefined);
  assert.deepEqual(cov.runs?.map((r) => r.retval), [2]);
  assert.deepEqual(['r1 = 0', 'r1 += 1', 'if r1', 'r0 = 2', 'exit'].map((n) => at(cov.lines, LOOP, n).executed), [1, 10, 10, 1, 1]);
  // Each iteration has a new r1, so no state prunes another: one visit per iteration, as executed.
  assert.deepEqual(['r1 = 0', 'r1 += 1', 'exit'].map((n) => at(cov.lines, LOOP, n).verifierVisits), [1, 10, 1]);
  // Only lines with instructions are listed (the label is not).
  assert.deepEqual(cov.lines.map((l) => l.line), [1, 3, 4, 5, 6]);
});

test('without inputs: the verifier visits alone, and no executions', () => {
  const a = analyzeDocument(XDP);
  const cov = documentCoverage(a);
  assert.equal(cov.runs, undefined);
  assert.ok(cov.lines.every((l) => l.executed === undefined));
  assert.equal(at(cov.lines, XDP, 'r2 = *(u32 *)(r1 + 0)').verifierVisits, 1);
  // The counter block is reached from every early exit of the checks: more paths than the entry.
  assert.ok(at(cov.lines, XDP, 'r2 = r10').verifierVisits > 1);
  assert.deepEqual(lineCoverage(a).map((l) => l.verifierVisits), cov.lines.map((l) => l.verifierVisits));
});

test('the XDP example on a capture: counts add up over its packets, and the lines of the branches each took', () => {
  const a = analyzeDocument(XDP);
  const inputs = coverageInputs({ pcap: writePcap([hex(IPV4_UDP), hex(IPV4_TCP), hex(ARP), hex(IPV4_UDP)]) });
  assert.ok(!('severity' in inputs));
  const cov = documentCoverage(a, {}, inputs);
  assert.equal(cov.error, undefined);
  assert.deepEqual(cov.runs?.map((r) => r.retval), [1, 2, 2, 1], 'UDP dropped, the rest passed');
  assert.equal(at(cov.lines, XDP, 'r2 = *(u32 *)(r1 + 0)').executed, 4);
  assert.equal(at(cov.lines, XDP, 'r7 = 2').executed, 3, 'the IPv4 packets');
  assert.equal(at(cov.lines, XDP, 'r7 = 3').executed, 2, 'the UDP packets');
  assert.equal(at(cov.lines, XDP, 'lock *(u64 *)(r0 + 0) += r1').executed, 4);
  // Per slot, the counts add up to the instructions run (an lddw is one instruction).
  assert.equal(cov.counts!.reduce((n, c) => n + c, 0), cov.runs!.reduce((n, r) => n + r.insns, 0));
});

test('an input the run refuses is an error, with the lines still listed', () => {
  const a = analyzeDocument(XDP);
  const bad = coverageInputs({ packetHex: 'zz' });
  assert.ok('severity' in bad);
  const short = documentCoverage(a, {}, { packets: [hex('0000')] });
  assert.match(short.error ?? '', /fewer than an Ethernet header/);
  assert.equal(short.lines.length, lineCoverage(a).length);
  assert.deepEqual(documentCoverage(a, { program: 'nope' }, { packets: [undefined] }).error, 'the document holds no program to run');
});

test('a run that faults: the faulting line counts as reached, the lines after it as never run', () => {
  const text = lines('.section socket', 'r2 = 7', 'r0 = *(u64 *)(r2 + 0)', 'r0 = 0', 'exit');
  const a = analyzeDocument(text);
  const cov = documentCoverage(a, {}, { packets: [hex(IPV4_UDP)] });
  assert.match(cov.runs?.[0].fault ?? '', /insn 1/);
  assert.deepEqual(cov.lines.map((l) => l.executed), [1, 1, 0, 0]);
});

test('maxInsns stops the counts where a debug session stands', () => {
  const a = analyzeDocument(LOOP);
  const p = a.programs[0];
  const ran = executedCounts(a.object, p.ref, p.progType, { packets: [hex(IPV4_UDP), hex(IPV4_UDP)], maxInsns: 25 });
  assert.equal(ran.counts.reduce((n, c) => n + c, 0), 25);
  assert.equal(ran.runs.length, 2, 'the second run started, and stopped within its count');
  assert.deepEqual(ran.runs.map((r) => [r.insns, r.retval, r.fault]), [[23, 2, undefined], [2, undefined, undefined]]);
});

test('executedLines: one entry per source line of the linked program, summing its slots', () => {
  const a = analyzeDocument(XDP);
  const p = a.programs[0];
  const ran = executedCounts(a.object, p.ref, p.progType, { packets: [hex(IPV4_UDP)] });
  const byLine = executedLines(ran.program!, ran.counts);
  assert.ok(byLine.every((l) => l.file === undefined));
  assert.deepEqual(byLine.map((l) => [l.line, l.executed]), documentCoverage(a, {}, { packets: [hex(IPV4_UDP)] }).lines.map((l) => [l.line, l.executed]));
});

test('classic BPF: counts land on the classic lines', () => {
  const text = example('http_syn.cbpf');
  const a = analyzeDocument(text, { language: 'cbpf' });
  const cov = documentCoverage(a, {}, { packets: [hex(ARP)] });
  assert.equal(cov.error, undefined);
  // A classic instruction is several eBPF ones: its line still ran once.
  const first = cov.lines[0];
  assert.ok(a.insnsAtLine.get(first.line)!.length > 1);
  assert.equal(first.executed, 1, a.lines[first.line]);
  assert.ok(first.verifierVisits >= 1);
  // ARP is not IPv4: the filter rejects it early, so some classic lines never ran.
  assert.ok(cov.lines.some((l) => l.executed === 0));
  assert.ok(cov.lines.every((l) => a.cbpf!.insnAtLine.has(l.line)));
});
