/**
 * The language server's features over the protocol, with a real JSON-RPC client against
 * the built server: diagnostics that follow edits, navigation, the outline, settings, and
 * disassembly documents for objects built by clang.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient } from './client';
import { REPO_ROOT } from '../paths';
import { findTool, run } from '../tools';

const XDP = readFileSync(join(REPO_ROOT, 'examples', 'xdp_drop_udp.bpf.s'), 'utf8');
const XDP_URI = 'file:///work/xdp_drop_udp.bpf.s';
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

let client: LspClient;
before(async () => {
  client = new LspClient();
  const init = await client.initialize({ defaultProgramType: 'socket_filter' });
  assert.ok(init.capabilities.hoverProvider);
});
after(async () => { await client.close(); });

test('a verifier error appears on the right line after an edit, and goes away once the fix is typed', async () => {
  const uri = 'file:///work/edit.bpf.s';
  await client.open(uri, XDP);
  const clean = await client.diagnostics((p) => p.uri === uri);
  assert.deepEqual(clean.diagnostics, []);
  // Delete the first bounds check: the load of the EtherType now reads past what was checked.
  const check = lineOf(XDP, 'if r4 > r3 goto count');
  const broken = XDP.split('\n').map((l, k) => (k === check ? '' : l)).join('\n');
  const v2 = await client.change(uri, broken);
  const bad = await client.diagnostics((p) => p.uri === uri && p.version === v2);
  assert.equal(bad.diagnostics.length, 1);
  const d = bad.diagnostics[0];
  assert.equal(d.range.start.line, lineOf(XDP, 'r5 = *(u16 *)(r2 + 12)'));
  assert.match(d.message, /^R2 offset is outside of the packet\n  invalid access to packet, off=12 size=2, R2\(id=0,off=12,r=0\)/);
  assert.equal(d.code, 'verifier');
  assert.match(d.message, /Fix: /);
  // Type the check back, one character at a time on an empty line (the file is broken in between).
  let version = v2;
  const typed = '\tif r4 > r3 goto count';
  for (let k = 1; k <= typed.length; k++) {
    version = await client.change(uri, typed.slice(k - 1, k), { start: { line: check, character: k - 1 }, end: { line: check, character: k - 1 } });
  }
  const fixed = await client.diagnostics((p) => p.uri === uri && p.version === version);
  assert.deepEqual(fixed.diagnostics, []);
});

test('the path to a verifier error comes as related information', async () => {
  const uri = 'file:///work/path.bpf.s';
  const text = '.section xdp\nr2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto out\nr0 = *(u8 *)(r2 + 20)\nout:\nr0 = 2\nexit\n';
  await client.open(uri, text);
  const p = await client.diagnostics((x) => x.uri === uri);
  assert.equal(p.diagnostics.length, 1);
  assert.equal(p.diagnostics[0].range.start.line, 6);
  assert.deepEqual(p.diagnostics[0].relatedInformation?.map((r) => [r.location.range.start.line, r.message]), [[5, 'branch at insn 4 not taken']]);
});

test('syntax errors and classic BPF documents get diagnostics with codes', async () => {
  await client.open('file:///work/syntax.bpf.s', 'r0 = 0\nr1 = *(u32 *)(r2 + )\nexit\n');
  const s = await client.diagnostics((x) => x.uri === 'file:///work/syntax.bpf.s');
  assert.deepEqual(s.diagnostics.map((d) => [d.range.start.line, d.severity]), [[1, 1]]);
  await client.open('file:///work/f.cbpf', 'ldh [12]\njeq #0x800, keep, drop\nkeep: ld M[2]\nret a\ndrop: ret #0\n', 'cbpf');
  const c = await client.diagnostics((x) => x.uri === 'file:///work/f.cbpf');
  assert.deepEqual(c.diagnostics.map((d) => [d.range.start.line, d.code]), [[2, 'cbpf-check']]);
  await client.open('file:///work/g.cbpf', 'ld #hatype\nret a\n', 'cbpf');
  const g = await client.diagnostics((x) => x.uri === 'file:///work/g.cbpf');
  assert.deepEqual(g.diagnostics.map((d) => [d.range.start.line, d.code]), [[0, 'cbpf-translate']]);
});

test('definition, references, highlights and rename for labels and maps', async () => {
  await client.open(XDP_URI, XDP);
  await client.diagnostics((p) => p.uri === XDP_URI);
  const use = lineOf(XDP, 'if r4 > r3 goto count');
  const col = XDP.split('\n')[use].indexOf('count') + 2;
  const def = await client.request<{ uri: string; range: { start: { line: number; character: number } } }>('textDocument/definition', { textDocument: { uri: XDP_URI }, position: { line: use, character: col } });
  assert.deepEqual([def.uri, def.range.start.line, def.range.start.character], [XDP_URI, lineOf(XDP, 'count:'), 0]);
  const refs = await client.request<unknown[]>('textDocument/references', { textDocument: { uri: XDP_URI }, position: { line: use, character: col }, context: { includeDeclaration: true } });
  assert.equal(refs.length, 5, 'count: and its four gotos');
  const hl = await client.request<{ kind: number }[]>('textDocument/documentHighlight', { textDocument: { uri: XDP_URI }, position: { line: use, character: col } });
  assert.deepEqual(hl.map((h) => h.kind).sort(), [2, 2, 2, 2, 3]);
  const mapLine = lineOf(XDP, 'r1 = counters ll');
  const mapCol = XDP.split('\n')[mapLine].indexOf('counters');
  const rename = await client.request<{ changes: Record<string, { newText: string }[]> }>('textDocument/rename', { textDocument: { uri: XDP_URI }, position: { line: mapLine, character: mapCol }, newName: 'verdicts' });
  assert.deepEqual(rename.changes[XDP_URI].map((e) => e.newText), ['verdicts', 'verdicts']);
  await assert.rejects(client.request('textDocument/rename', { textDocument: { uri: XDP_URI }, position: { line: mapLine, character: mapCol }, newName: 'r1' }), /register or keyword/);
  await assert.rejects(client.request('textDocument/prepareRename', { textDocument: { uri: XDP_URI }, position: { line: mapLine, character: 2 } }), /Only labels, functions and maps/);
});

test('document and workspace symbols', async () => {
  await client.open(XDP_URI, XDP);
  const syms = await client.request<{ name: string; kind: number; children?: { name: string }[] }[]>('textDocument/documentSymbol', { textDocument: { uri: XDP_URI } });
  assert.deepEqual(syms.map((s) => s.name), ['counters', 'xdp']);
  const section = syms[1];
  assert.deepEqual(section.children?.map((c) => c.name), ['xdp_drop_udp']);
  assert.deepEqual((section.children![0] as { children?: { name: string }[] }).children?.map((c) => c.name), ['count', 'out']);
  const ws = await client.request<{ name: string; location: { uri: string } }[]>('workspace/symbol', { query: 'drop_udp' });
  assert.ok(ws.some((s) => s.name === 'xdp_drop_udp' && s.location.uri === XDP_URI));
});

test('settings: the default program type is read with workspace/configuration', async () => {
  const c = new LspClient();
  try {
    await c.initialize({ defaultProgramType: 'xdp' });
    const uri = 'file:///work/default.bpf.s';
    // Without a section the program gets the default type: as xdp, r1 is an xdp_md and offset 0 is data.
    const text = 'r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nr0 = 2\nexit\n';
    await c.open(uri, text);
    const p = await c.diagnostics((x) => x.uri === uri && x.diagnostics.length > 0);
    assert.match(p.diagnostics[0].message, /^R2 offset is outside of the packet/);
    // Changing the setting re-verifies open documents: as socket_filter, data is the __sk_buff's len.
    c.settings = { defaultProgramType: 'socket_filter' };
    c.clearDiagnostics();
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const q = await c.diagnostics((x) => x.uri === uri);
    assert.match(q.diagnostics[0]?.message ?? '', /invalid mem access 'scalar'/);
  } finally {
    await c.close();
  }
});

test('an object file opens as a read-only disassembly with diagnostics on its lines', { skip: findTool('clang-19') ? undefined : 'clang-19 not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lsp-obj-'));
  try {
    const obj = join(dir, 'xdp.o');
    const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
    const cc = run(findTool('clang-19')!, ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${arch}-linux-gnu`, '-c', join(REPO_ROOT, 'examples', 'xdp_counter.bpf.c'), '-o', obj]);
    assert.equal(cc.status, 0, cc.stderr);
    const r = await client.request<{ uri: string; text: string }>('ebpf/disassemble', { uri: pathToFileURL(obj).href });
    assert.equal(r.uri, `ebpf-disasm:${obj}`);
    assert.match(r.text, /Disassembly of section xdp:/);
    assert.match(r.text, /^\s+0:\t/m);
    const p = await client.diagnostics((x) => x.uri === r.uri);
    assert.deepEqual(p.diagnostics, [], 'clang\'s program is accepted');
    const syms = await client.request<unknown>('textDocument/hover', { textDocument: { uri: r.uri }, position: { line: r.text.split('\n').findIndex((l) => /^\s+0:\t/.test(l)), character: 30 } });
    assert.ok(syms === null || typeof syms === 'object');
    await assert.rejects(client.request('ebpf/disassemble', { uri: pathToFileURL(join(dir, 'missing.o')).href }), /cannot disassemble/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hover on an instruction, a register, a helper, a map and a context access', async () => {
  await client.open(XDP_URI, XDP);
  const hover = async (needle: string, offset = 0, inLine?: string) => {
    const line = lineOf(XDP, inLine ?? needle);
    const col = XDP.split('\n')[line].indexOf(needle) + offset;
    const h = await client.request<{ contents: { kind: string; value: string } } | null>('textDocument/hover', { textDocument: { uri: XDP_URI }, position: { line, character: col } });
    assert.ok(h, `hover on ${needle}`);
    assert.equal(h.contents.kind, 'markdown');
    return h.contents.value;
  };
  assert.match(await hover('r3', 0, 'r3 = *(u32 *)(r1 + 4)'), /pkt_end/);
  assert.match(await hover('*(u32 *)(r1 + 4)', 2), /xdp_md\.data_end/);
  assert.match(await hover('bpf_map_lookup_elem', 3), /void \*bpf_map_lookup_elem\(/);
  assert.match(await hover('counters', 1, 'r1 = counters ll'), /array/);
  const insn = await hover('r4 += 14', 3);
  assert.match(insn, /07 04 00 00 0e 00 00 00/);
  assert.match(insn, /pkt\(off=14,r=0\)/);
});

test('completion and signature help', async () => {
  const uri = 'file:///work/complete.bpf.s';
  const text = '.section xdp\nr2 = *(u32 *)(r1 + 0)\ncall \nr0 = 2\nexit\n';
  await client.open(uri, text);
  await client.diagnostics((p) => p.uri === uri);
  const list = await client.request<{ items: { label: string; kind: number; detail?: string; documentation?: unknown; data?: unknown }[] }>('textDocument/completion', { textDocument: { uri }, position: { line: 2, character: 5 } });
  const lookup = list.items.find((i) => i.label === 'bpf_map_lookup_elem');
  assert.ok(lookup, 'helpers after call');
  assert.match(lookup.detail ?? '', /bpf_map_lookup_elem\(/);
  assert.equal(lookup.documentation, undefined, 'docs come with resolve, not in the list');
  const resolved = await client.request<{ documentation?: { value: string } }>('completionItem/resolve', lookup);
  assert.ok((resolved.documentation?.value ?? '').length > 20);
  const fields = await client.request<{ items: { label: string; insertText?: string }[] }>('textDocument/completion', { textDocument: { uri }, position: { line: 1, character: 19 } });
  assert.ok(fields.items.some((i) => i.label === 'data_end' && i.insertText === '4'), 'context fields of xdp_md');
  await client.change(uri, '.section xdp\nr1 = 1\ncall bpf_map_lookup_elem\nr0 = 2\nexit\n');
  const sig = await client.request<{ signatures: { label: string; parameters: unknown[] }[]; activeParameter: number }>('textDocument/signatureHelp', { textDocument: { uri }, position: { line: 2, character: 10 } });
  assert.match(sig.signatures[0].label, /r1: struct bpf_map \*map/);
  assert.equal(sig.signatures[0].parameters.length, 2);
  assert.equal(sig.activeParameter, 1, 'r1 is set: r2 comes next');
});
