/**
 * `ebpf/coverage` and `ebpf/cfg` on a C document (`*.bpf.c`), over the protocol: each
 * instruction counts on its C line (BTF line info), only lines of the document itself (an
 * inlined function of an included header has none), the verifier's visits and a capture's
 * executions on the lines of the program's statements. Skips, saying why, without clang-19.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LspClient } from './client';
import { lspLineOf } from '../c/build';
import { REPO_ROOT } from '../paths';
import { missingTools } from '../tools';
import { readCapture } from '../../core/input/pcap';

const skip = missingTools('clang-19');
const EX = join(REPO_ROOT, 'examples');
const FIREWALL_PCAP = join(EX, 'inputs', 'firewall.pcap');

interface Coverage {
  lines: { line: number; verifierVisits: number; executed?: number }[];
  run?: { section: string; name: string; progType: string };
  runs?: { retval?: number; fault?: string }[];
  error?: string;
}
interface Cfg {
  program: { section: string; name: string };
  blocks: { id: number; startLine?: number; endLine?: number; visits?: number; insns: { pc: number; line?: number }[] }[];
  edges: { from: number; to: number; kind: string }[];
}

let dir: string;
let client: LspClient;
before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'lsp-c-coverage-'));
  client = new LspClient();
  await client.initialize({});
});
after(async () => {
  if (skip) return;
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens `dir/name` as the editor would (language `c`) and waits for its build's diagnostics. */
async function openC(name: string): Promise<{ uri: string; text: string }> {
  return client.openFile(join(dir, name), 'c');
}

/** Every line holds C code (not blank, not a comment) and lies within the file. */
function assertStatementLines(text: string, lines: readonly number[]): void {
  const src = text.split('\n');
  for (const line of lines) {
    assert.ok(line >= 0 && line < src.length, `line ${line + 1} is beyond the file's ${src.length} lines`);
    const code = src[line].replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
    assert.notEqual(code, '', `line ${line + 1} holds no code: ${JSON.stringify(src[line])}`);
  }
}

test('xdp_counter.bpf.c: coverage on its C lines, the verifier\'s visits and a capture\'s executions', { skip }, async () => {
  copyFileSync(join(EX, 'xdp_counter.bpf.c'), join(dir, 'xdp_counter.bpf.c'));
  const { uri, text } = await openC('xdp_counter.bpf.c');
  const at = (a: Coverage, needle: string) => a.lines.find((l) => l.line === lspLineOf(text, needle));
  const BOUNDS = 'if ((void *)(eth + 1) > data_end)';
  const COUNT = 'count_protocol(ip->protocol);';

  const verified = (await client.request<Coverage | null>('ebpf/coverage', { textDocument: { uri } }))!;
  assert.ok(verified.lines.length > 5, JSON.stringify(verified));
  assertStatementLines(text, verified.lines.map((l) => l.line));
  assert.ok(at(verified, BOUNDS)!.verifierVisits > 0, 'the bounds check was verified');
  assert.ok(at(verified, '*packets += 1;')!.verifierVisits > 0, 'the bpf-to-bpf callee\'s lines count');
  assert.ok(verified.lines.every((l) => l.executed === undefined));

  const packets = readCapture(new Uint8Array(readFileSync(FIREWALL_PCAP))).packets.map((p) => p.data);
  const ipv4 = packets.filter((p) => p.length >= 34 && p[12] === 0x08 && p[13] === 0x00 && (p[14] & 0x0f) >= 5).length;
  assert.ok(ipv4 > 0, 'the capture holds IPv4 frames');
  const ran = (await client.request<Coverage | null>('ebpf/coverage', { textDocument: { uri }, input: { pcap: FIREWALL_PCAP } }))!;
  assert.equal(ran.error, undefined);
  assert.deepEqual(ran.run, { section: 'xdp', name: 'xdp_count_and_filter', progType: 'xdp' });
  assert.equal(ran.runs?.length, packets.length);
  assertStatementLines(text, ran.lines.map((l) => l.line));
  assert.equal(at(ran, BOUNDS)?.executed, packets.length, 'every packet is bounds-checked');
  assert.equal(at(ran, COUNT)?.executed, ipv4, 'each IPv4 frame is counted');
  assert.equal(at(ran, '*packets += 1;')?.executed, ipv4);

  const cfg = (await client.request<Cfg | null>('ebpf/cfg', { textDocument: { uri } }))!;
  assert.equal(cfg.program.name, 'xdp_count_and_filter');
  const insnLines = cfg.blocks.flatMap((b) => b.insns.flatMap((x) => (x.line === undefined ? [] : [x.line])));
  assertStatementLines(text, insnLines);
  assert.deepEqual([...new Set(insnLines)].sort((x, y) => x - y), verified.lines.map((l) => l.line), 'the graph and coverage agree on the lines');
  const bounds = cfg.blocks.find((b) => b.insns.some((x) => x.line === lspLineOf(text, BOUNDS)));
  assert.ok(bounds && bounds.startLine !== undefined && bounds.visits! > 0, JSON.stringify(bounds));
  assert.ok(cfg.edges.some((e) => e.from === bounds.id && e.kind === 'taken'), 'the bounds check branches');
  assert.ok(cfg.edges.some((e) => e.kind === 'call'), 'the call of count_protocol is an edge');
});

test('a function inlined from an included header: none of its lines is counted on the document', { skip }, async () => {
  // The header's function sits past the document's last line, so a leaked line shows.
  writeFileSync(join(dir, 'inlined.h'), `${'/* padding */\n'.repeat(40)}static __always_inline int mix(int x)\n{\n\treturn (x * 7) ^ (x >> 3);\n}\n`);
  writeFileSync(join(dir, 'inlined.bpf.c'), [
    '#include <linux/bpf.h>',
    '#include <bpf/bpf_helpers.h>',
    '#include "inlined.h"',
    'SEC("xdp")',
    'int prog(struct xdp_md *ctx)',
    '{',
    '\tint v = ctx->ingress_ifindex;',
    '\treturn mix(v) > 100 ? XDP_PASS : XDP_DROP;',
    '}',
    'char LICENSE[] SEC("license") = "GPL";',
    '',
  ].join('\n'));
  const { uri, text } = await openC('inlined.bpf.c');
  const a = (await client.request<Coverage | null>('ebpf/coverage', { textDocument: { uri } }))!;
  assert.ok(a.lines.length > 0, JSON.stringify(a));
  assertStatementLines(text, a.lines.map((l) => l.line));
  const cfg = (await client.request<Cfg | null>('ebpf/cfg', { textDocument: { uri } }))!;
  assert.ok(cfg.blocks.some((b) => b.insns.some((x) => x.line === undefined)), 'the header\'s instructions are drawn without a line');
  assert.ok(cfg.blocks.some((b) => b.insns.some((x) => x.line === lspLineOf(text, 'return mix(v)'))));
  for (const b of cfg.blocks) {
    assertStatementLines(text, b.insns.flatMap((x) => (x.line === undefined ? [] : [x.line])));
    for (const l of [b.startLine, b.endLine]) if (l !== undefined) assertStatementLines(text, [l]);
  }
});
