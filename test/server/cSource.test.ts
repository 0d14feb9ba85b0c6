/**
 * C documents (`*.bpf.c`) in the language server: built with clang-19 on open and on save,
 * the object verified, and clang's and the verifier's errors published on their C lines, with
 * a code lens per program. The examples must come out clean; variants broken the three usual
 * ways (no bounds check, no null check, a leaked ring buffer record) and a syntax error must
 * each be reported on the line at fault. Skips, saying why, without clang-19.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient, LspDiagnostic } from './client';
import { edit, exampleText, lspLineOf } from '../c/build';
import { missingTools } from '../tools';

const skip = missingTools('clang-19');
const read = exampleText;
const ERROR = 1;

let dir: string;
let client: LspClient;
before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'lsp-c-'));
  client = new LspClient();
  await client.initialize({});
});
after(async () => {
  if (skip) return;
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes the file, opens it as the editor would (language `c`) and waits for its first diagnostics. */
async function openC(name: string, text: string): Promise<{ uri: string; diagnostics: LspDiagnostic[] }> {
  writeFileSync(join(dir, name), text);
  return client.openFile(join(dir, name), 'c');
}

const errors = (ds: LspDiagnostic[]) => ds.filter((d) => d.severity === ERROR);
const show = (ds: LspDiagnostic[]) => JSON.stringify(ds.map((d) => [d.range.start.line, d.message.split('\n')[0]]));

for (const f of ['xdp_counter.bpf.c', 'tc_classifier.bpf.c', 'kprobe_ringbuf.bpf.c']) {
  test(`${f}: built and verified on open, no errors, a lens with its verdict on its program`, { skip }, async () => {
    const text = read(f);
    const { uri, diagnostics } = await openC(f, text);
    assert.deepEqual(errors(diagnostics), [], show(diagnostics));
    const lenses = await client.request<{ range: { start: { line: number } }; command?: { title: string } }[]>('textDocument/codeLens', { textDocument: { uri } });
    const verdicts = lenses.filter((l) => /insns · /.test(l.command?.title ?? ''));
    assert.ok(verdicts.length >= 1, JSON.stringify(lenses));
    for (const l of verdicts) {
      assert.match(l.command!.title, /^\d+ insns · accepted \(\w+\) · \d+ processed$/);
      // On the line declaring the SEC function.
      assert.match(text.split('\n')[l.range.start.line], /^\w[\w\s*]*\b\w+\s*\(/, `lens line ${l.range.start.line}`);
    }
    // Assembly features say nothing about C text.
    assert.equal(await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } }), null);
  });
}

test('no bounds check: the packet access is reported on its C line, the instruction as related information', { skip }, async () => {
  const text = edit(read('xdp_counter.bpf.c'), '\tif ((void *)(ip + 1) > data_end)\n\t\treturn XDP_PASS;\n', '');
  const { uri, diagnostics } = await openC('no_bounds.bpf.c', text);
  const [e, ...more] = errors(diagnostics);
  assert.deepEqual(more, [], show(diagnostics));
  assert.equal(e.code, 'verifier');
  assert.match(e.message, /^R\d offset is outside of the packet/);
  assert.equal(e.range.start.line, lspLineOf(text, 'if (ip->ihl < 5)'));
  const insn = e.relatedInformation?.[0];
  assert.ok(insn, 'related information');
  assert.equal(insn.location.uri, uri);
  assert.equal(insn.location.range.start.line, e.range.start.line);
  // The load of ip->ihl: the first byte past the 14 proven (r6 = data + 14).
  assert.match(insn.message, /^insn \d+: [rw]\d+ = \*\(u8 \*\)\(r\d+ \+ 0x0\)$/);
});

test('no null check after bpf_map_lookup_elem: reported on the dereference, with "Debug this error" there', { skip }, async () => {
  const text = edit(read('xdp_counter.bpf.c'), '\tif (!packets)\t/* the verifier insists on the null check */\n\t\treturn 0;\n', '');
  const { uri, diagnostics } = await openC('no_null.bpf.c', text);
  const [e, ...more] = errors(diagnostics);
  assert.deepEqual(more, [], show(diagnostics));
  assert.match(e.message, /^R\d invalid mem access 'map_value_or_null'/);
  assert.equal(e.range.start.line, lspLineOf(text, '*packets += 1;'));
  const lenses = await client.request<{ range: { start: { line: number } }; command?: { command: string } }[]>('textDocument/codeLens', { textDocument: { uri } });
  assert.equal(lenses.find((l) => l.command?.command === 'ebpf.debugError')?.range.start.line, e.range.start.line);
  // The per-CPU array lookup fails only for an index past its 256 entries, and the index is a
  // protocol byte: the verifier objects to a NULL that no run can produce.
  const answer = await client.request<{ line?: number; counterexample: { run?: string; infeasible?: string; unknown?: string } }>('ebpf/counterexample', { textDocument: { uri } });
  assert.equal(answer.line, e.range.start.line);
  assert.match(answer.counterexample.infeasible ?? '', /the pointer is NULL cannot happen/, JSON.stringify(answer.counterexample));
});

test('a ring buffer record reserved and never submitted: the leak is reported where the program exits', { skip }, async () => {
  const text = edit(read('kprobe_ringbuf.bpf.c'), '\tbpf_ringbuf_submit(e, 0);\n', '');
  const { diagnostics } = await openC('leak.bpf.c', text);
  const [e, ...more] = errors(diagnostics);
  assert.deepEqual(more, [], show(diagnostics));
  // Our verifier's words (Linux 6.18 says it this way before "Unreleased reference id=N alloc_insn=M").
  assert.match(e.message, /^BPF_EXIT instruction in main prog would lead to reference leak|^Unreleased reference id=\d+ alloc_insn=\d+/);
  // The closing brace of trace_unlink: the exit clang places after the last statement.
  const lines = text.split('\n');
  const comm = lspLineOf(text, 'bpf_get_current_comm(');
  const close = lines.findIndex((l, k) => k > comm && l === '}');
  assert.equal(e.range.start.line, close);
});

test('a C syntax error is clang\'s diagnostic on its line; fixing it and saving clears it', { skip }, async () => {
  const good = read('xdp_counter.bpf.c');
  const text = edit(good, '\t*packets += 1;\n', '\t*packets += 1\n');
  const { uri, diagnostics } = await openC('syntax.bpf.c', text);
  const [e, ...more] = errors(diagnostics);
  assert.deepEqual(more, [], show(diagnostics));
  assert.equal(e.code, 'clang');
  assert.match(e.message, /expected ';' after expression/);
  assert.equal(e.range.start.line, lspLineOf(text, '*packets += 1'));

  // Edits alone rebuild nothing; a save does.
  client.clearDiagnostics();
  writeFileSync(join(dir, 'syntax.bpf.c'), good);
  await client.change(uri, good);
  await client.conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
  const fixed = await client.diagnostics((x) => x.uri === uri, 60000);
  assert.deepEqual(errors(fixed.diagnostics), [], show(fixed.diagnostics));
});

test('ebpf.compileCommand: a custom command is used, and its failure is an error on the document', { skip }, async () => {
  const c2 = new LspClient();
  try {
    await c2.initialize({ compileCommand: 'echo no compiler here >&2; exit 3' });
    const path = join(dir, 'custom.bpf.c');
    writeFileSync(path, read('xdp_counter.bpf.c'));
    const uri = pathToFileURL(path).href;
    await c2.open(uri, read('xdp_counter.bpf.c'), 'c');
    const p = await c2.diagnostics((x) => x.uri === uri, 60000);
    const [e, ...more] = errors(p.diagnostics);
    assert.deepEqual(more, [], show(p.diagnostics));
    assert.equal(e.range.start.line, 0);
    assert.match(e.message, /^the compile command failed: exited with status 3/);
    assert.match(e.message, /no compiler here/);
  } finally {
    await c2.close();
  }
});
