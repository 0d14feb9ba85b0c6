/**
 * The language server (LSP over stdio or Node IPC). This thread owns the connection and the
 * documents; the analysis worker (server/worker.ts) owns the analyses and answers every
 * feature from them. Diagnostics go out after a short debounce; an edit cancels any older
 * analysis of its document. No document or request can stop the server: each handler
 * catches, logs and answers empty, and a dead worker is restarted.
 *
 * A C document (`*.bpf.c`, language `c`) is built here with `ebpf.compileCommand` when it is
 * opened and saved (server/compile.ts), and its object handed to the worker, which publishes
 * clang's diagnostics and the verifier's on their C lines; its code lenses give each
 * program's verdict. Edits between saves change nothing: the diagnostics are the saved file's.
 */

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from './compile';
import {
  createConnection, DidChangeConfigurationNotification, ErrorCodes, InitializeResult, ProposedFeatures, ResponseError, TextDocuments,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Language } from '../core/ide/analysis';
import { Analyzer } from './analyzer';
import { DEFAULT_SETTINGS, ServerSettings } from './protocol';
import { DOCUMENT_METHODS, SERVER_CAPABILITIES } from './capabilities';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

/**
 * Debounce before analysing an edit, adapted to the file's cost: a twentieth of its last
 * analysis, between 3 and 15 ms. A newer edit cancels an analysis anyway; the debounce only
 * spares the part that cannot be cancelled (assembling) while the user types fast.
 */
const debounceMs = (uri: string) => Math.min(15, Math.max(3, (lastAnalysisMs.get(uri) ?? 60) / 20));
const lastAnalysisMs = new Map<string, number>();
const timers = new Map<string, NodeJS.Timeout>();
let settings: ServerSettings = DEFAULT_SETTINGS;
let hasConfiguration = false;
let relatedInformation = false;
/** Requests and analyses wait for the client's settings once, so that none is answered under the defaults by mistake. */
let settingsRead!: () => void;
const settingsReady = new Promise<void>((resolve) => { settingsRead = resolve; });

const analyzer = new Analyzer(join(__dirname, 'serverWorker.js'), {
  diagnostics: (uri, version, diagnostics, ms) => {
    const build = cBuilds.get(uri);
    if (build !== undefined) {
      // A C document's diagnostics are those of its newest build (they follow saves, not edits).
      if (version === build) void connection.sendDiagnostics({ uri, diagnostics: diagnostics as never[] });
      return;
    }
    lastAnalysisMs.set(uri, ms);
    const doc = documents.get(uri);
    // A stale result (the document moved on) is dropped; disassembly documents have no editor version.
    if (doc && doc.version !== version) return;
    void connection.sendDiagnostics({ uri, version: doc ? version : undefined, diagnostics: diagnostics as never[] });
  },
  log: (message) => connection.console.error(message),
});

function languageOf(doc: TextDocument): Language {
  const uri = doc.uri.toLowerCase();
  return doc.languageId === 'cbpf' || uri.endsWith('.cbpf') || uri.endsWith('.bpf_asm') ? 'cbpf' : 'ebpf';
}

const isDisassembly = (uri: string) => uri.startsWith('ebpf-disasm:');

/** A C document this server builds: a `file:` URI ending in `.bpf.c` (only those are sent, whatever their language id). */
const isCSource = (uri: string) => uri.startsWith('file:') && uri.toLowerCase().endsWith('.bpf.c');
/** Another C (or other language's) document, which the client should not send: ignored. */
const isForeign = (doc: TextDocument) => !isCSource(doc.uri) && (doc.languageId === 'c' || doc.languageId === 'cpp');
/** Each open C document's newest build number; the worker's answers for older builds are dropped. */
const cBuilds = new Map<string, number>();
let nextBuild = 1;
/** Requests a C document answers (its verdicts, runs, graph and coverage, on its own lines); the rest speak of assembly text and answer empty. */
const C_METHODS = new Set(['textDocument/codeLens', 'ebpf/verify', 'ebpf/run', 'ebpf/counterexample', 'ebpf/cfg', 'ebpf/coverage']);

/** Builds a C document from its file on disk and hands the object (or clang's errors) to the worker. */
function buildCDocument(doc: TextDocument): void {
  const build = nextBuild++;
  cBuilds.set(doc.uri, build);
  void settingsReady.then(async () => {
    if (cBuilds.get(doc.uri) !== build) return;
    const file = fileURLToPath(doc.uri);
    const result = await buildC(file, settings.compileCommand);
    if (cBuilds.get(doc.uri) !== build) return;
    const current = documents.get(doc.uri) ?? doc;
    analyzer.openC(doc.uri, build, current.getText(), file, result.bytes, result.diagnostics);
  }).catch((e) => connection.console.error(`building ${doc.uri} failed: ${(e as Error).stack ?? e}`));
}

function schedule(doc: TextDocument): void {
  clearTimeout(timers.get(doc.uri));
  timers.set(doc.uri, setTimeout(() => {
    timers.delete(doc.uri);
    void settingsReady.then(() => analyzer.analyze(doc.uri, doc.version));
  }, debounceMs(doc.uri)));
}

connection.onInitialize((params): InitializeResult => {
  const caps = params.capabilities;
  hasConfiguration = !!caps.workspace?.configuration;
  relatedInformation = !!caps.textDocument?.publishDiagnostics?.relatedInformation;
  analyzer.configure(settings, relatedInformation);
  return { capabilities: SERVER_CAPABILITIES, serverInfo: { name: 'ebpf-workbench' } };
});

connection.onInitialized(() => {
  if (hasConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'ebpf' });
  void refreshSettings();
});

connection.onDidChangeConfiguration((change) => {
  void refreshSettings((change.settings as { ebpf?: unknown } | undefined)?.ebpf);
});

/** Reads `ebpf.*` (workspace/configuration when the client has it), then re-analyses every document. */
async function refreshSettings(pushed?: unknown): Promise<void> {
  try {
    const raw = hasConfiguration ? await connection.workspace.getConfiguration('ebpf') : pushed;
    settings = readSettings(raw);
  } catch (e) {
    connection.console.error(`reading settings failed: ${(e as Error).message}`);
  }
  analyzer.configure(settings, relatedInformation);
  settingsRead();
  for (const doc of documents.all()) {
    if (isCSource(doc.uri)) buildCDocument(doc);
    else if (!isDisassembly(doc.uri) && !isForeign(doc)) schedule(doc);
  }
  void connection.languages.inlayHint.refresh().catch(() => undefined);
}

function readSettings(raw: unknown): ServerSettings {
  const r = (raw ?? {}) as Record<string, unknown>;
  const fmt = (r.format ?? {}) as Record<string, unknown>;
  const pick = <T>(v: unknown, ok: (x: unknown) => boolean, dflt: T): T => (ok(v) ? (v as T) : dflt);
  const dialect = (x: unknown) => x === 'llvm' || x === 'ubpf';
  return {
    defaultProgramType: pick(r.defaultProgramType, (x) => typeof x === 'string' && x !== '', DEFAULT_SETTINGS.defaultProgramType),
    disassemblyDialect: pick(r.disassemblyDialect, dialect, DEFAULT_SETTINGS.disassemblyDialect),
    format: {
      dialect: pick(fmt.dialect, (x) => x === 'keep' || dialect(x), DEFAULT_SETTINGS.format.dialect),
      commentColumn: pick(fmt.commentColumn, (x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 200, DEFAULT_SETTINGS.format.commentColumn),
    },
    inlayHints: pick(r.inlayHints, (x) => typeof x === 'boolean', DEFAULT_SETTINGS.inlayHints),
    kernelCrossCheck: pick(r.kernelCrossCheck, (x) => typeof x === 'boolean', DEFAULT_SETTINGS.kernelCrossCheck),
    compileCommand: pick(r.compileCommand, (x) => typeof x === 'string' && x.trim() !== '', DEFAULT_SETTINGS.compileCommand),
    btfPath: pick(r.btfPath, (x) => typeof x === 'string', DEFAULT_SETTINGS.btfPath),
  };
}

documents.onDidOpen(({ document }) => {
  if (isCSource(document.uri)) { buildCDocument(document); return; }
  if (isDisassembly(document.uri) || isForeign(document)) return;
  analyzer.open(document.uri, document.version, document.getText(), languageOf(document));
  schedule(document);
});

documents.onDidSave(({ document }) => {
  if (isCSource(document.uri)) buildCDocument(document);
});

documents.onDidChangeContent(({ document }) => {
  if (isDisassembly(document.uri) || isCSource(document.uri) || isForeign(document)) return;
  analyzer.change(document.uri, document.version, document.getText());
  schedule(document);
});

documents.onDidClose(({ document }) => {
  clearTimeout(timers.get(document.uri));
  timers.delete(document.uri);
  lastAnalysisMs.delete(document.uri);
  cBuilds.delete(document.uri);
  analyzer.close(document.uri);
  void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
});

/** Forwards a request to the worker; a failure answers empty (or the refusal, for rename). */
function forward(method: string, uriOf: (p: never) => string | undefined = (p: { textDocument?: { uri: string } }) => p.textDocument?.uri) {
  connection.onRequest(method, async (params: never, token) => {
    try {
      await settingsReady;
      const uri = uriOf(params);
      if (uri && isCSource(uri) && !C_METHODS.has(method)) return null;
      const result = await analyzer.request(method, uri, params);
      return token.isCancellationRequested ? null : result;
    } catch (e) {
      return new ResponseError(ErrorCodes.InvalidRequest, (e as Error).message);
    }
  });
}

for (const method of DOCUMENT_METHODS) forward(method);
forward('workspace/symbol', () => undefined);
forward('completionItem/resolve', (p: { data?: { uri?: string } }) => p.data?.uri);

/**
 * `ebpf/disassemble {uri}`: an object file (`.o`, `.bin`) as a read-only disassembly document.
 * Returns its text and the `ebpf-disasm:` URI on which its diagnostics are published (and
 * which then answers hover and the rest like any document).
 */
connection.onRequest('ebpf/disassemble', async (params: { uri: string }) => {
  try {
    const path = fileURLToPath(params.uri);
    const disasmUri = `ebpf-disasm:${path}`;
    analyzer.openObject(disasmUri, basename(path), new Uint8Array(readFileSync(path)));
    const result = (await analyzer.request('ebpf/disassembly', disasmUri, {})) as { text: string } | null;
    return result ? { uri: disasmUri, text: result.text } : null;
  } catch (e) {
    return new ResponseError(ErrorCodes.InvalidParams, `cannot disassemble ${params.uri}: ${(e as Error).message}`);
  }
});

/** `ebpf/run {textDocument, section?, program?, packetHex?, pcapPath?}`: the program run on each packet; the capture is read here. */
connection.onRequest('ebpf/run', async (params: { textDocument: { uri: string }; section?: string; program?: string; packetHex?: string; pcapPath?: string }) => {
  try {
    await settingsReady;
    const pcap = params.pcapPath ? new Uint8Array(readFileSync(params.pcapPath)) : undefined;
    return await analyzer.request('ebpf/run', params.textDocument.uri, { section: params.section, program: params.program, packetHex: params.packetHex, pcap });
  } catch (e) {
    return new ResponseError(ErrorCodes.InvalidParams, `cannot run: ${(e as Error).message}`);
  }
});

/**
 * `ebpf/coverage {textDocument, section?, program?, input?: {packet? (hex), pcap? (a path, read here), ctx?}}`:
 * per line, the verifier's visits and, with `input`, the executions of a run on each packet.
 */
connection.onRequest('ebpf/coverage', async (params: { textDocument: { uri: string }; section?: string; program?: string; input?: { packet?: string; pcap?: string; ctx?: Record<string, unknown> } }) => {
  try {
    await settingsReady;
    const i = params.input;
    const input = i && { packet: i.packet, ctx: i.ctx, pcap: i.pcap ? new Uint8Array(readFileSync(i.pcap)) : undefined };
    return await analyzer.request('ebpf/coverage', params.textDocument.uri, { section: params.section, program: params.program, input });
  } catch (e) {
    return new ResponseError(ErrorCodes.InvalidParams, `cannot compute coverage: ${(e as Error).message}`);
  }
});

connection.onShutdown(async () => { await analyzer.stop(); });
process.on('uncaughtException', (e) => connection.console.error(`uncaught: ${e.stack ?? e}`));

documents.listen(connection);
connection.listen();
