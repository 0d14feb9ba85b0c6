/** The language server over stdio with a real JSON-RPC client: diagnostics from the assembler and the verifier. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { REPO_ROOT } from '../paths';

interface PublishParams { uri: string; diagnostics: { range: { start: { line: number } }; message: string; severity: number }[] }

async function diagnosticsFor(text: string, argv = [join(REPO_ROOT, 'dist', 'server.js'), '--stdio']): Promise<PublishParams> {
  const proc = spawn(process.execPath, argv);
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  try {
    const published = new Promise<PublishParams>((resolve) => conn.onNotification('textDocument/publishDiagnostics', (p: PublishParams) => resolve(p)));
    conn.listen();
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    await conn.sendNotification('initialized', {});
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: 'file:///t.bpf.s', languageId: 'ebpf', version: 1, text } });
    return await Promise.race([published, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no diagnostics within 10 s')), 10000))]);
  } finally {
    conn.dispose();
    proc.kill();
  }
}

test('a syntax error is published on its line', async () => {
  const d = await diagnosticsFor('r0 = 0\nr1 = *(u32 *)(r2 + )\nexit\n');
  assert.equal(d.diagnostics.length, 1);
  assert.equal(d.diagnostics[0].range.start.line, 1);
  assert.match(d.diagnostics[0].message, /expected/);
});

test('a verifier error is published on the line that causes it, in the kernel\'s words', async () => {
  const d = await diagnosticsFor('.section xdp\nr2 = *(u32 *)(r1 + 0)\n# no bounds check\nr0 = *(u32 *)(r2 + 14)\nexit\n');
  assert.deepEqual(d.diagnostics.map((x) => [x.range.start.line, x.message.split('\n')[0], x.severity]), [[3, 'R2 offset is outside of the packet', 1]]);
});

test('an accepted program has no diagnostics', async () => {
  const d = await diagnosticsFor('.section xdp\nr0 = 2\nexit\n');
  assert.deepEqual(d.diagnostics, []);
});

test('the CLI starts the same server: ebpf-workbench lsp --stdio', async () => {
  const d = await diagnosticsFor('r0 = 0\nfoo r1\nexit\n', [join(REPO_ROOT, 'dist', 'cli.js'), 'lsp', '--stdio']);
  assert.deepEqual(d.diagnostics.map((x) => x.range.start.line), [1]);
});
