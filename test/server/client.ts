/**
 * A real LSP client for the protocol tests and the latency benchmark: the built server
 * (dist/server.js --stdio) driven over JSON-RPC with vscode-jsonrpc, as an editor drives it.
 * It answers workspace/configuration with the settings it was given and records every
 * publishDiagnostics, so that tests can wait for the one they expect.
 */

import { spawn, ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { REPO_ROOT } from '../paths';

export interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
  severity: number;
  code?: string;
  relatedInformation?: { location: { uri: string; range: { start: { line: number } } }; message: string }[];
}

export interface Published { uri: string; version?: number; diagnostics: LspDiagnostic[] }

export class LspClient {
  readonly conn: MessageConnection;
  private readonly proc: ChildProcess;
  private readonly published: Published[] = [];
  private waiters: { pred: (p: Published) => boolean; resolve: (p: Published) => void }[] = [];
  private versions = new Map<string, number>();
  settings: Record<string, unknown> = {};
  exited = false;

  constructor(argv = [join(REPO_ROOT, 'dist', 'server.js'), '--stdio']) {
    this.proc = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.on('exit', () => { this.exited = true; });
    this.proc.stderr!.resume();
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: Published) => {
      this.published.push(p);
      this.waiters = this.waiters.filter((w) => (w.pred(p) ? (w.resolve(p), false) : true));
    });
    this.conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => this.settings));
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.onRequest('workspace/inlayHint/refresh', () => null);
    this.conn.onNotification('window/logMessage', () => undefined);
    this.conn.listen();
  }

  async initialize(settings: Record<string, unknown> = {}): Promise<{ capabilities: Record<string, unknown> }> {
    this.settings = settings;
    const r = await this.conn.sendRequest('initialize', {
      processId: process.pid, rootUri: null,
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: { publishDiagnostics: { relatedInformation: true } },
      },
    });
    await this.conn.sendNotification('initialized', {});
    return r as { capabilities: Record<string, unknown> };
  }

  /** Waits for a publishDiagnostics matching `pred` (already received ones count), failing after `ms`. */
  diagnostics(pred: (p: Published) => boolean, ms = 10000): Promise<Published> {
    const seen = this.published.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching diagnostics within ${ms} ms`)), ms);
      this.waiters.push({ pred, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  /** Forgets the diagnostics received so far (so that a wait sees only newer ones). */
  clearDiagnostics(): void {
    this.published.length = 0;
  }

  /** Opens a file on disk as the editor would (its text as the document) and waits for its first diagnostics. */
  async openFile(path: string, languageId: string, ms = 60000): Promise<{ uri: string; text: string; diagnostics: LspDiagnostic[] }> {
    const text = readFileSync(path, 'utf8');
    const uri = pathToFileURL(path).href;
    await this.open(uri, text, languageId);
    const p = await this.diagnostics((x) => x.uri === uri, ms);
    return { uri, text, diagnostics: p.diagnostics };
  }

  async open(uri: string, text: string, languageId = 'ebpf'): Promise<void> {
    this.versions.set(uri, 1);
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Replaces the whole text (or a range of it) and returns the new version. */
  async change(uri: string, text: string, range?: { start: { line: number; character: number }; end: { line: number; character: number } }): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [range ? { range, text } : { text }] });
    return version;
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.conn.sendNotification('exit');
    } catch { /* the server may already be gone */ }
    this.conn.dispose();
    this.proc.kill();
  }
}
