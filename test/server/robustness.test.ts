/**
 * The language server under random editing, the acceptance test: 10,000 random
 * edits to small documents (binary garbage, very long lines, token soup, valid programs,
 * edits racing each other and the requests in between) and 50 edits to a 50,000-line
 * program, against one server process, within 3 minutes. The server must answer every
 * request (a result, null, or a rename refusal; never a timeout) and never exit.
 *
 * The client keeps its own copy of each document, applying every edit with the same
 * library the server uses (vscode-languageserver-textdocument, which clamps positions past
 * the end of a line or of the file), and at the end checks that the server saw the same
 * text: the diagnostics it publishes for the last version are the ones our own analysis of
 * our copy gives. Everything random comes from a seeded PRNG: ROBUSTNESS_SEED=n picks another
 * sequence, and ROBUSTNESS_TRACE=file writes every edit, request, answer and server log line there.
 */

import { after, before, test, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancellationTokenSource, ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import { LSPErrorCodes } from 'vscode-languageserver/node';
import { TextDocument, TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { Diagnostic } from '../../core/diag';
import { analyzeDocument, Language } from '../../core/ide/analysis';
import { DOCUMENT_METHODS } from '../../server/capabilities';
import { toLspDiagnostic } from '../../server/convert';
import { randInt, rng } from '../gen';
import { generateProgram } from '../gen/programs';
import { xdpParserProgram } from '../gen/xdpParser';
import { REPO_ROOT } from '../paths';
import { LspClient, Published } from './client';

const SEED = Number(process.env.ROBUSTNESS_SEED ?? 20250611);
const TRACE = process.env.ROBUSTNESS_TRACE;
const N_SMALL_EDITS = 10_000;
const N_BIG_EDITS = 50;
const BIG_INSNS = 50_000;
/** Per request and per awaited publication. */
const TIMEOUT_MS = 20_000;
/**
 * The same for the 50,000-line program, whose analysis takes seconds (more on a loaded machine):
 * the worker analyses one document at a time, so a request that arrives meanwhile waits for it.
 */
const BIG_TIMEOUT_MS = 60_000;
const LONG_LINE = 100_000;
/** A document past this size is replaced by a valid program, so that the run stays within its time. */
const MAX_DOC_CHARS = 300_000;

const example = (name: string) => readFileSync(join(REPO_ROOT, 'examples', name), 'utf8');
const XDP = example('xdp_drop_udp.bpf.s');
const SOCKET = example('socket_ubpf.bpf.s');
const HTTP_SYN = example('http_syn.cbpf');

let client: LspClient;
const internalErrors = new Map<string, string>();
const stats = { internalErrors: 0, requests: 0, answered: 0, nulls: 0, refusals: 0, cancelled: 0, edits: 0, changes: 0, maxRequestMs: 0 };

before(async () => {
  client = new LspClient();
  await client.initialize({});
  if (TRACE) client.conn.onNotification('window/logMessage', (m: { message: string }) => trace(`server: ${m.message}`));
});
after(async () => { await client.close(); });

test('10,000 random edits to small documents: every request answered, the server alive and caught up', async (t) => {
  const t0 = performance.now();
  const r = rng(SEED);
  const docs: Doc[] = [
    await openDoc('file:///robust/xdp.bpf.s', 'ebpf', XDP),
    await openDoc('file:///robust/socket.bpf.s', 'ebpf', SOCKET),
    await openDoc('file:///robust/gen1.bpf.s', 'ebpf', generateProgram(r, 'xdp').text),
    await openDoc('file:///robust/gen2.bpf.s', 'ebpf', xdpParserProgram(r, 300)),
    await openDoc('file:///robust/http.cbpf', 'cbpf', HTTP_SYN),
    await openDoc('file:///robust/soup.cbpf', 'cbpf', classicProgram(r)),
  ];
  let pending: Promise<void>[] = [];
  let caughtUp = 0;
  while (stats.edits < N_SMALL_EDITS) {
    // A burst of edits sent back to back: the server sees them race its debounce and its analyses.
    const burst = randInt(r, 1, 60);
    for (let k = 0; k < burst && stats.edits < N_SMALL_EDITS; k++) {
      const doc = docs[randInt(r, 0, docs.length - 1)];
      await edit(doc, randomChanges(r, doc));
      if (r() < 0.25) pending.push(randomRequest(r, docs[randInt(r, 0, docs.length - 1)]));
      if (r() < 0.002) await reopen(doc);
    }
    // Now and then wait for one document's diagnostics: the server must catch up with the typing,
    // and have the text we have (its diagnostics are the ones we compute on our copy).
    if (r() < 0.3) {
      const doc = docs[randInt(r, 0, docs.length - 1)];
      const p = await publishedFor(doc);
      noteInternalErrors(doc, p);
      assert.deepEqual(p.diagnostics, expectedDiagnostics(doc), `${doc.uri} v${doc.version}: the server's diagnostics differ from ours`);
      caughtUp++;
    }
    if (pending.length > 100) { await Promise.all(pending); pending = []; }
    assert.equal(client.exited, false, `the server exited after ${stats.edits} edits`);
  }
  await Promise.all(pending);
  const tEdits = performance.now();
  const nEdits = stats.edits;
  const nChanges = stats.changes;

  // The server's text is ours: its diagnostics for each document's last random version are the ones we compute.
  for (const doc of docs) {
    const p = await publishedFor(doc);
    noteInternalErrors(doc, p);
    assert.deepEqual(p.diagnostics, expectedDiagnostics(doc), `${doc.uri} v${doc.version}: the server's diagnostics differ from ours`);
  }
  // Then each document gets a known program and the right verdict for it.
  for (const doc of docs) {
    const valid = doc.language === 'cbpf' ? HTTP_SYN : XDP;
    await edit(doc, [{ text: valid }]);
    assert.deepEqual((await publishedFor(doc)).diagnostics, [], `${doc.uri}: the example is accepted`);
    // Then broken: the EtherType read without its bounds check, or a jump to a label that is not there.
    const [needle, replacement, errLine, message] = doc.language === 'cbpf'
      ? ['jne #6, drop', '\tjne #6, nowhere', lineOf(HTTP_SYN, 'jne #6, drop'), "line 8: unknown label 'nowhere'"]
      : ['if r4 > r3 goto count', '', lineOf(XDP, 'r5 = *(u16 *)(r2 + 12)'), 'R2 offset is outside of the packet'];
    const line = lineOf(valid, needle);
    await edit(doc, [{ range: { start: { line, character: 0 }, end: { line, character: 200 } }, text: replacement }]);
    const broken = await publishedFor(doc);
    assert.deepEqual(broken.diagnostics.map((d) => [d.range.start.line, d.message.split('\n')[0]]), [[errLine, message]]);
  }
  // A fresh document opened after all this is analysed as on a fresh server.
  const fresh = await openDoc('file:///robust/fresh.bpf.s', 'ebpf', XDP);
  assert.deepEqual((await publishedFor(fresh)).diagnostics, []);
  const syms = await request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri: fresh.uri } });
  assert.deepEqual(syms?.map((s) => s.name), ['counters', 'xdp']);

  assert.equal(client.exited, false);
  const ms = performance.now() - t0;
  t.diagnostic(`${nEdits} random didChange notifications (${nChanges} content changes) to ${docs.length} documents, ` +
    `${caughtUp} catch-up waits: ${(tEdits - t0).toFixed(0)} ms; with the final checks ${ms.toFixed(0)} ms`);
  for (const [message, text] of internalErrors) t.diagnostic(`internal error (a bug in core): ${message.split('\n')[0]}; on a text starting ${text}`);
  report(t);
});

test('a 50,000-line program: requests answered while it verifies, 50 edits, diagnostics for the last one', async (t) => {
  const t0 = performance.now();
  const r = rng(SEED + 1);
  const text = xdpParserProgram(r, BIG_INSNS);
  const nLines = text.split('\n').length - 1;
  assert.ok(nLines >= 50_000, `${nLines} lines`);
  const small = await openDoc('file:///robust/beside.bpf.s', 'ebpf', XDP);
  await publishedFor(small);
  const big = await openDoc('file:///robust/big.bpf.s', 'ebpf', text);

  // Let the debounce start the verification, then ask: the answers come, however long it takes.
  await sleep(50);
  const tAsk = performance.now();
  const during = await Promise.all([
    timed(() => request<unknown[]>('textDocument/documentSymbol', { textDocument: { uri: big.uri } }, { ms: BIG_TIMEOUT_MS })),
    timed(() => request<unknown[]>('textDocument/foldingRange', { textDocument: { uri: big.uri } }, { ms: BIG_TIMEOUT_MS })),
    timed(() => request('textDocument/hover', { textDocument: { uri: small.uri }, position: { line: 20, character: 3 } }, { ms: BIG_TIMEOUT_MS })),
  ]);
  assert.ok(Array.isArray(during[0].result) && during[0].result.length > 0, 'the outline of the big program');
  const opened = await publishedFor(big, BIG_TIMEOUT_MS);
  assert.deepEqual(opened.diagnostics, [], 'the generated program is accepted');
  const tOpened = performance.now();

  // 50 small edits at typing speed, each followed by requests that race the next edit.
  const pending: Promise<void>[] = [];
  const docs = [big, small];
  for (let k = 0; k < N_BIG_EDITS; k++) {
    await edit(big, [bigEdit(r, big)]);
    for (let q = randInt(r, 1, 3); q > 0; q--) pending.push(randomRequest(r, docs[q % 2], BIG_TIMEOUT_MS));
    await sleep(randInt(r, 5, 60));
  }
  const tEdited = performance.now();
  const last = await publishedFor(big, BIG_TIMEOUT_MS);
  const tLast = performance.now();
  await Promise.all(pending);
  assert.deepEqual(last.diagnostics, [], 'the edits keep the program valid');
  // After the last edit the server answers from the analysis it just published.
  const after = await timed(() => request<unknown[]>('textDocument/documentSymbol', { textDocument: { uri: big.uri } }, { ms: BIG_TIMEOUT_MS }));
  assert.ok(Array.isArray(after.result) && after.result.length > 0);
  assert.equal(client.exited, false);

  t.diagnostic(`${nLines} lines: requests during its first verification answered in ${during.map((d) => d.ms.toFixed(0)).join(', ')} ms ` +
    `(documentSymbol, foldingRange, hover on another document); first diagnostics ${(tOpened - tAsk).toFixed(0)} ms after opening`);
  t.diagnostic(`50 edits sent in ${(tEdited - tOpened).toFixed(0)} ms; diagnostics for the last ${(tLast - tEdited).toFixed(0)} ms later; ` +
    `documentSymbol then ${after.ms.toFixed(0)} ms; test ${(performance.now() - t0).toFixed(0)} ms`);
  report(t);
});

// --- documents, edits and requests

interface Doc {
  uri: string;
  language: Language;
  /** Our copy, updated with the same edits as the server's. */
  text: TextDocument;
  version: number;
}

async function openDoc(uri: string, language: Language, text: string): Promise<Doc> {
  await client.open(uri, text, language);
  return { uri, language, text: TextDocument.create(uri, language, 1, text), version: 1 };
}

/** Closes and reopens a document with its current text (at a higher version, so no older publication matches). */
async function reopen(doc: Doc): Promise<void> {
  await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: doc.uri } });
  doc.version++;
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: doc.uri, languageId: doc.language, version: doc.version, text: doc.text.getText() } });
  doc.text = TextDocument.create(doc.uri, doc.language, doc.version, doc.text.getText());
}

/** One didChange (one or several content changes), applied to our copy as the server applies it. */
async function edit(doc: Doc, changes: TextDocumentContentChangeEvent[]): Promise<void> {
  doc.version++;
  doc.text = TextDocument.update(doc.text, changes, doc.version);
  stats.edits++;
  stats.changes += changes.length;
  trace(`edit ${doc.uri} v${doc.version} ${changes.map((c) => ('range' in c ? 'R' : 'F') + c.text.length).join(',')} -> ${doc.text.getText().length}`);
  await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: doc.uri, version: doc.version }, contentChanges: changes });
}

function publishedFor(doc: Doc, ms = TIMEOUT_MS): Promise<Published> {
  trace(`wait for the diagnostics of ${doc.uri} v${doc.version}`);
  return client.diagnostics((p) => p.uri === doc.uri && p.version === doc.version, ms);
}

/**
 * What the server should publish for our copy: the same analysis, converted the same way,
 * through JSON; or, where the analysis throws (a bug in core), the server's one diagnostic
 * saying so (server/worker.ts, failedAnalysis).
 */
function expectedDiagnostics(doc: Doc): unknown {
  let diagnostics: Diagnostic[];
  try {
    diagnostics = analyzeDocument(doc.text.getText(), { language: doc.language, defaultProgType: 'socket_filter' }).diagnostics;
  } catch (e) {
    const message = `internal error while analysing this document: ${(e as Error).message}`;
    diagnostics = [{ code: 'internal', severity: 'error', message, span: { line: 0, col: 0, endCol: 0 } }];
  }
  return JSON.parse(JSON.stringify(diagnostics.map((d) => toLspDiagnostic(d, doc.uri, true))));
}

/** Internal errors the server reported (analyses that threw): not fatal here, but each is a bug in core to fix. */
function noteInternalErrors(doc: Doc, p: Published): void {
  for (const d of p.diagnostics) {
    if (d.code !== 'internal') continue;
    stats.internalErrors++;
    if (internalErrors.size < 5) internalErrors.set(d.message, JSON.stringify(doc.text.getText().slice(0, 300)));
  }
}

/** A request that must be answered within TIMEOUT_MS; refusals are allowed only where a request may refuse. */
async function request<T>(method: string, params: unknown, opts: { token?: CancellationTokenSource; ms?: number } = {}): Promise<T | null> {
  const { token, ms = TIMEOUT_MS } = opts;
  stats.requests++;
  const t0 = performance.now();
  const id = stats.requests;
  trace(`request ${id} ${method} ${JSON.stringify(params).slice(0, 100)}`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${method} within ${ms} ms (${JSON.stringify(params).slice(0, 200)})`)), ms);
  });
  try {
    // (An undefined token would be sent as a second parameter: pass one only when there is one.)
    const sent = token ? client.conn.sendRequest<T>(method, params, token.token) : client.conn.sendRequest<T>(method, params);
    const res = await Promise.race([sent, timeout]);
    stats.answered++;
    trace(`answer ${id} after ${(performance.now() - t0).toFixed(0)} ms`);
    if (res === null) stats.nulls++;
    return res;
  } catch (e) {
    if (!(e instanceof ResponseError)) throw e;
    stats.answered++;
    if (token?.token.isCancellationRequested && e.code === LSPErrorCodes.RequestCancelled) return null;
    const mayRefuse = method === 'textDocument/rename' || method === 'textDocument/prepareRename';
    assert.ok(mayRefuse && e.code === ErrorCodes.InvalidRequest, `${method} failed: ${e.code} ${e.message}`);
    stats.refusals++;
    return null;
  } finally {
    clearTimeout(timer);
    stats.maxRequestMs = Math.max(stats.maxRequestMs, performance.now() - t0);
  }
}

async function timed<T>(f: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const t0 = performance.now();
  const result = await f();
  return { result, ms: performance.now() - t0 };
}

const NEW_NAMES = ['renamed', 'r1', '', 'two words', 'L0', 'x'.repeat(300), '名前', '\u0000', 'count'];
const QUERIES = ['', 'x', 'xdp', 'L', 'count', 'hdr1', '\ud800', '.*'];

/** A random request on a random position of the document (often past the end of its line or of the file). */
function randomRequest(r: () => number, doc: Doc, ms = TIMEOUT_MS): Promise<void> {
  const methods = [...DOCUMENT_METHODS, 'workspace/symbol', 'completionItem/resolve'];
  const method = methods[randInt(r, 0, methods.length - 1)];
  const textDocument = { uri: doc.uri };
  const position = randomPosition(r, doc.text);
  const range = { start: position, end: randomPosition(r, doc.text) };
  const params: Record<string, unknown> = { textDocument, position };
  if (method === 'textDocument/references') params.context = { includeDeclaration: r() < 0.5 };
  if (method === 'textDocument/rename') params.newName = NEW_NAMES[randInt(r, 0, NEW_NAMES.length - 1)];
  if (method === 'textDocument/inlayHint') params.range = range;
  if (method === 'textDocument/codeAction') {
    params.range = range;
    params.context = { diagnostics: r() < 0.5 ? [] : [{ range, message: 'x', severity: 1, code: 'verifier' }] };
  }
  if (method === 'textDocument/formatting') params.options = { tabSize: 8, insertSpaces: r() < 0.5 };
  const sent = method === 'workspace/symbol' ? { query: QUERIES[randInt(r, 0, QUERIES.length - 1)] }
    : method === 'completionItem/resolve' ? resolvable(r, doc)
      : params;
  // One request in twenty is cancelled by the client soon after it is sent, as an editor does when the user types on.
  const token = r() < 0.05 ? new CancellationTokenSource() : undefined;
  if (token) {
    stats.cancelled++;
    setTimeout(() => token.cancel(), randInt(r, 0, 5));
  }
  return request<{ items?: unknown[] } | null>(method, sent, { token, ms }).then((res) => {
    if (method === 'textDocument/completion' && Array.isArray(res?.items) && res.items.length) {
      const item = res.items[randInt(r, 0, res.items.length - 1)];
      if (completionItems.length < 20) completionItems.push(item);
      else completionItems[randInt(r, 0, completionItems.length - 1)] = item;
    }
  });
}

/** Items the server listed, kept to resolve later (when there are none yet, or now and then, a made-up one). */
const completionItems: unknown[] = [];

function resolvable(r: () => number, doc: Doc): unknown {
  if (completionItems.length && r() < 0.8) return completionItems[randInt(r, 0, completionItems.length - 1)];
  return { label: 'map_lookup_elem', data: { uri: doc.uri, core: { label: 'x', kind: 'function', data: { helperId: randInt(r, -1, 300) } } } };
}

function randomPosition(r: () => number, text: TextDocument): { line: number; character: number } {
  const line = randInt(r, 0, text.lineCount + (r() < 0.1 ? 3 : -1));
  const start = text.offsetAt({ line, character: 0 });
  const end = line + 1 < text.lineCount ? text.offsetAt({ line: line + 1, character: 0 }) : text.getText().length;
  return { line, character: randInt(r, 0, end - start + (r() < 0.2 ? 10 : 0)) };
}

// --- random content

const EBPF_SOUP = [
  'r0', 'r1', 'r2', 'r3', 'r6', 'r9', 'r10', 'r11', 'w0', 'w5', '=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', 's>>=', '&=', '|=', '^=',
  '*(u8 *)', '*(u16 *)', '*(u32 *)', '*(u64 *)', '(', ')', '+', '-', 'if', 'goto', 'gotol', 'call', 'callx', 'exit', 'lock', 'll', 'be16',
  'le32', 'bswap64', 'atomic_fetch_add', 'xchg_64', 'cmpxchg_64', 'may_goto', 'bpf_map_lookup_elem', 'ktime_get_ns', 'ldxw', 'stxdw',
  'mov', 'add', 'jeq', 'ja', 'lddw', 'map_fd(counters)', '[r1+4]', '[r10-8]', '.section', '.map', '.globl', '.license', '.text', '"GPL"',
  'xdp', 'socket', 'tc', 'kprobe/sys_open', 'count:', 'count', 'L1:', 'L1', ':', ',', '#', '//', ';', '0x', '0', '1', '-1', '0x7fffffff',
  '4294967296', '99999999999999999999', '-0x8000', '+3', '-5', 'type=array', 'key=4', 'value=8', 'max_entries=4', '"', '\t', '  ',
];
const CBPF_SOUP = [
  'ld', 'ldh', 'ldb', 'ldx', 'ldxb', 'st', 'stx', 'jmp', 'ja', 'jeq', 'jne', 'jgt', 'jge', 'jset', 'add', 'sub', 'mul', 'div', 'mod',
  'and', 'or', 'xor', 'lsh', 'rsh', 'neg', 'tax', 'txa', 'ret', 'a', 'x', '#', '[', ']', 'M[3]', 'M[16]', '4*([14]&0xf)', '#len',
  '#proto', '#hatype', '[x + 16]', '#0x800', '#-1', 'drop', 'keep:', 'drop:', ',', ';', '%r0',
];
const NEWLINES = ['\n', '\r\n', '\r'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[randInt(r, 0, xs.length - 1)];
}

/** Random tokens of the document's language (and now and then of the other), joined by spaces and newlines. */
function soup(r: () => number, language: Language, nTokens: number): string {
  const out: string[] = [];
  for (let k = 0; k < nTokens; k++) {
    out.push(pick(r, r() < 0.85 ? (language === 'cbpf' ? CBPF_SOUP : EBPF_SOUP) : (language === 'cbpf' ? EBPF_SOUP : CBPF_SOUP)));
    const c = r();
    out.push(c < 0.12 ? pick(r, NEWLINES) : c < 0.2 ? '' : ' ');
  }
  return out.join('');
}

/** Random bytes read as latin1 (NULs and control characters included), with lone surrogates and odd code points mixed in. */
function garbage(r: () => number, len: number): string {
  const out: string[] = [];
  for (let k = 0; k < len; k++) {
    const c = r();
    if (c < 0.03) out.push(String.fromCharCode(randInt(r, 0xd800, 0xdfff)));
    else if (c < 0.04) out.push(pick(r, ['\u2028', '\ufeff', '\u0301', '\ud83d\ude00', '\uffff', '\u0000']));
    else out.push(String.fromCharCode(randInt(r, 0, 255)));
  }
  return out.join('');
}

function longLine(r: () => number, language: Language): string {
  const kinds = [
    () => `# ${'x'.repeat(LONG_LINE)}`,
    () => `\tr1 = ${'9'.repeat(LONG_LINE)}`,
    () => `${'a'.repeat(LONG_LINE)}:`,
    () => soup(r, language, LONG_LINE / 4).replace(/[\r\n]/g, ' '),
    () => garbage(r, LONG_LINE).replace(/[\r\n]/g, ' '),
    () => '\tr0 = r0 + '.repeat(LONG_LINE / 11),
  ];
  return pick(r, kinds)();
}

function validProgram(r: () => number, language: Language): string {
  if (language === 'cbpf') return r() < 0.5 ? HTTP_SYN : classicProgram(r);
  const c = r();
  if (c < 0.25) return XDP;
  if (c < 0.4) return SOCKET;
  if (c < 0.8) return generateProgram(r, pick(r, ['xdp', 'sched_cls', 'socket_filter'] as const)).text;
  return xdpParserProgram(r, randInt(r, 20, 400));
}

/** A small random edit, or now and then a replacement of the whole document. */
function randomChanges(r: () => number, doc: Doc): TextDocumentContentChangeEvent[] {
  if (doc.text.getText().length > MAX_DOC_CHARS) return [{ text: validProgram(r, doc.language) }];
  const c = r();
  if (c < 0.02) return [{ text: garbage(r, randInt(r, 0, 5000)) }];
  if (c < 0.04) return [{ text: soup(r, doc.language, randInt(r, 0, 2000)) }];
  if (c < 0.07) return [{ text: validProgram(r, doc.language) }];
  if (c < 0.08) return [{ text: '' }];
  if (c < 0.09) return [ranged(r, doc.text, longLine(r, doc.language) + pick(r, NEWLINES))];
  // Several changes in one notification, each on the text the previous one left (as LSP orders them).
  const n = r() < 0.1 ? randInt(r, 2, 5) : 1;
  const changes: TextDocumentContentChangeEvent[] = [];
  // TextDocument.update changes the document it is given: work on a copy.
  const text = TextDocument.create(doc.uri, doc.language, doc.version, doc.text.getText());
  for (let k = 0; k < n; k++) {
    const change = ranged(r, text, smallText(r, doc.language));
    changes.push(change);
    TextDocument.update(text, [change], text.version);
  }
  return changes;
}

function smallText(r: () => number, language: Language): string {
  const c = r();
  if (c < 0.3) return '';
  if (c < 0.55) return soup(r, language, randInt(r, 1, 8));
  if (c < 0.7) return pick(r, [...NEWLINES, ' ', '\t', ':', '#', ';', '(', ')', '*', 'r', '1', ',']);
  if (c < 0.85) return garbage(r, randInt(r, 1, 20));
  return validProgram(r, language).split('\n').slice(randInt(r, 0, 10), randInt(r, 10, 30)).join('\n');
}

/** A ranged change: insert, delete or replace at random positions (past line ends now and then; reversed rarely). */
function ranged(r: () => number, text: TextDocument, newText: string): TextDocumentContentChangeEvent {
  const start = randomPosition(r, text);
  const c = r();
  const end = c < 0.4 ? start
    : c < 0.8 ? { line: start.line, character: start.character + randInt(r, 0, 20) }
      : c < 0.98 ? { line: start.line + randInt(r, 0, 5), character: randInt(r, 0, 40) }
        : { line: Math.max(0, start.line - 2), character: 0 };
  return { range: { start, end }, text: newText };
}

/** A small change that keeps the big program valid: comments, and the multipliers of its `r9 *= N` lines. */
function bigEdit(r: () => number, doc: Doc): TextDocumentContentChangeEvent {
  const lines = doc.text.getText().split('\n');
  for (;;) {
    const line = randInt(r, 0, lines.length - 2);
    const m = /^\tr9 \*= (\d+)/.exec(lines[line]);
    if (m) {
      const col = '\tr9 *= '.length;
      return { range: { start: { line, character: col }, end: { line, character: col + m[1].length } }, text: String(randInt(r, 2, 999)) };
    }
    if (lines[line].startsWith('#')) {
      const c = r();
      if (c < 0.5) return { range: { start: { line, character: 1 }, end: { line, character: 1 } }, text: pick(r, [' edited', 'x', ' r0 = 1']) };
      if (c < 0.8) return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: '# a new comment line\n' };
      return { range: { start: { line, character: 1 }, end: { line, character: Math.min(lines[line].length, 4) } }, text: '' };
    }
  }
}

// --- programs

/** A small classic BPF filter: loads, compares and returns, valid by construction. */
function classicProgram(r: () => number): string {
  const out = ['; a generated classic filter'];
  const n = randInt(r, 2, 30);
  for (let k = 0; k < n; k++) {
    out.push(`\t${pick(r, ['ldh', 'ldb', 'ld'])} [${randInt(r, 0, 60)}]`);
    out.push(`\tjeq #${randInt(r, 0, 255)}, drop`);
  }
  out.push('\tret #262144', 'drop:\tret #0');
  return out.join('\n') + '\n';
}

function trace(line: string): void {
  if (TRACE) appendFileSync(TRACE, `${new Date().toISOString()} ${line}\n`);
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function report(t: TestContext): void {
  if (stats.internalErrors) t.diagnostic(`${stats.internalErrors} internal errors published (analyses that threw)`);
  t.diagnostic(`requests so far: ${stats.requests} sent, ${stats.answered} answered (${stats.nulls} null, ${stats.refusals} rename refusals; ` +
    `${stats.cancelled} cancelled by the client after sending); slowest answer ${stats.maxRequestMs.toFixed(0)} ms`);
  assert.equal(stats.answered, stats.requests);
}
