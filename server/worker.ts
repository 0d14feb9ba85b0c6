/**
 * The analysis worker: holds each open document's text and its analysis (one per version),
 * publishes diagnostics when the main thread asks after its debounce, and answers feature
 * requests. Runs in a worker thread so that the LSP connection stays responsive while a
 * long program is verified, and so that a newer edit can cancel that verification.
 *
 * Never dies on a document or a request: each is caught, logged, and answered empty.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { hasErrors } from '../core/diag';
import { Diagnostic } from '../core/diag';
import { Analysis, Language, analyzeCSource, analyzeDocument, analyzeObject } from '../core/ide/analysis';
import { loadFile } from '../core/load';
import { diskCoreTarget } from './btfFile';
import { emptyObject } from '../core/object';
import { DEFAULT_SETTINGS, FromWorker, ServerSettings, ToWorker } from './protocol';
import { CompletionItem as LspCompletionItem } from 'vscode-languageserver';
import { FEATURES, FeatureContext, RequestError, resolveLspCompletion, workspaceSymbols } from './features';
import { toLspDiagnostic } from './convert';
import { crossCheckDiagnostics } from './crossCheck';

interface Doc {
  uri: string;
  version: number;
  text: string;
  language: Language;
  slot: number;
  /** A binary object shown as its disassembly. */
  object?: { fileName: string; bytes: Uint8Array };
  /** A C document: the path clang built, the object (absent when the build failed) and clang's diagnostics. */
  c?: { file: string; bytes?: Uint8Array; diagnostics: Diagnostic[] };
  analysis?: Analysis;
  analysedVersion?: number;
}

const versions = new Int32Array(workerData.versions as SharedArrayBuffer);
const docs = new Map<string, Doc>();
let settings: ServerSettings = DEFAULT_SETTINGS;
let relatedInformation = true;
/** The CO-RE target (`ebpf.btfPath`, else the kernel's BTF), read on the first object with CO-RE relocations. */
let core = diskCoreTarget(DEFAULT_SETTINGS.btfPath);

const post = (m: FromWorker) => parentPort!.postMessage(m);
const log = (message: string) => post({ kind: 'log', message });

/** The analysis of the document's current text; undefined when a newer edit cancelled it. */
function analysisOf(doc: Doc): Analysis | undefined {
  if (doc.analysis && doc.analysedVersion === doc.version) return doc.analysis;
  const version = doc.version;
  const opts = { defaultProgType: settings.defaultProgramType, isCancelled: () => Atomics.load(versions, doc.slot) > version };
  // A newer edit is already on its way: nobody will read this version's analysis, and only the
  // verifier checks for cancellation, so a long file would first be assembled for nothing.
  if (opts.isCancelled()) return undefined;
  let a: Analysis;
  try {
    if (doc.c) {
      const loaded = doc.c.bytes ? loadFile(`${doc.c.file}.o`, doc.c.bytes, { core }) : undefined;
      a = analyzeCSource(doc.text, doc.c.file, loaded?.object, [...doc.c.diagnostics, ...(loaded?.diagnostics ?? [])], opts);
    } else if (doc.object) {
      const loaded = loadFile(doc.object.fileName, doc.object.bytes, { core });
      a = analyzeObject(loaded.object, loaded.diagnostics, { ...opts, dialect: settings.disassemblyDialect });
    } else {
      a = analyzeDocument(doc.text, { ...opts, language: doc.language });
    }
  } catch (e) {
    // Our bug, not the user's: say so on the document (rather than leave an older version's
    // diagnostics up), and keep the result so that each request does not fail on it again.
    log(`analysis of ${doc.uri} v${version} failed: ${(e as Error).stack}`);
    a = failedAnalysis(doc, e as Error);
  }
  if (a.cancelled) return undefined;
  if (settings.kernelCrossCheck && !hasErrors(a.diagnostics.filter((d) => d.code !== 'verifier'))) a.diagnostics.push(...crossCheckDiagnostics(a));
  doc.analysis = a;
  doc.analysedVersion = version;
  return a;
}

/** An empty analysis of the text, carrying one diagnostic that names the internal error. */
function failedAnalysis(doc: Doc, e: Error): Analysis {
  const message = `internal error while analysing this document: ${e.message}`;
  return {
    language: doc.language, text: doc.text, lines: doc.text.split(/\r\n|\r|\n/), object: emptyObject(), programs: [],
    insnsAtLine: new Map(), symbols: { defs: [], uses: [] }, defaultProgType: settings.defaultProgramType,
    diagnostics: [{ code: 'internal', severity: 'error', message, span: { line: 0, col: 0, endCol: 0 } }],
  };
}

function publish(doc: Doc): void {
  const t0 = performance.now();
  const a = analysisOf(doc);
  if (!a) return;
  const diagnostics = a.diagnostics.map((d) => toLspDiagnostic(d, doc.uri, relatedInformation));
  post({ kind: 'diagnostics', uri: doc.uri, version: doc.version, diagnostics, ms: performance.now() - t0 });
}

const context = (uri: string): FeatureContext => ({
  uri,
  settings,
  all: function* () {
    for (const d of docs.values()) {
      const a = analysisOf(d);
      if (a) yield { uri: d.uri, analysis: a };
    }
  },
});

function answer(id: number, method: string, uri: string | undefined, params: unknown): void {
  try {
    if (method === 'workspace/symbol') {
      post({ kind: 'response', id, result: workspaceSymbols((params as { query: string }).query, context('')) });
      return;
    }
    if (method === 'completionItem/resolve') {
      post({ kind: 'response', id, result: resolveLspCompletion(params as LspCompletionItem) });
      return;
    }
    if (method === 'ebpf/disassembly') {
      const doc = uri ? docs.get(uri) : undefined;
      const a = doc && analysisOf(doc);
      post({ kind: 'response', id, result: a ? { text: a.text } : null });
      if (doc) publish(doc);
      return;
    }
    const feature = Object.hasOwn(FEATURES, method) ? FEATURES[method] : undefined;
    const doc = uri ? docs.get(uri) : undefined;
    const a = doc && feature ? analysisOf(doc) : undefined;
    const result = a && feature ? feature(a, params as never, context(doc!.uri)) : null;
    if (result instanceof Promise) {
      // A feature that waits (a solver): answered when it is done; analyses go on meanwhile.
      result.then((r) => post({ kind: 'response', id, result: r ?? null }), (e) => {
        log(`${method} failed on ${uri}: ${(e as Error).stack}`);
        post({ kind: 'response', id, result: null });
      });
      return;
    }
    post({ kind: 'response', id, result: result ?? null });
  } catch (e) {
    if (e instanceof RequestError) { post({ kind: 'response', id, error: e.message }); return; }
    log(`${method} failed on ${uri}: ${(e as Error).stack}`);
    post({ kind: 'response', id, result: null });
  }
}

parentPort!.on('message', (m: ToWorker) => {
  try {
    switch (m.kind) {
      case 'open': docs.set(m.uri, { uri: m.uri, version: m.version, text: m.text, language: m.language, slot: m.slot }); break;
      case 'openObject':
        docs.set(m.uri, { uri: m.uri, version: 0, text: '', language: 'ebpf', slot: m.slot, object: { fileName: m.fileName, bytes: m.bytes } });
        break;
      case 'openC': {
        const doc: Doc = { uri: m.uri, version: m.version, text: m.text, language: 'ebpf', slot: m.slot, c: { file: m.file, bytes: m.bytes, diagnostics: m.diagnostics } };
        docs.set(m.uri, doc);
        publish(doc);
        break;
      }
      case 'change': {
        const doc = docs.get(m.uri);
        if (doc && !doc.object && !doc.c) { doc.text = m.text; doc.version = m.version; }
        break;
      }
      case 'close': docs.delete(m.uri); break;
      case 'settings':
        if (m.settings.btfPath !== settings.btfPath) core = diskCoreTarget(m.settings.btfPath);
        settings = m.settings;
        relatedInformation = m.relatedInformation;
        for (const d of docs.values()) d.analysis = undefined;
        break;
      case 'analyze': {
        const doc = docs.get(m.uri);
        if (doc && doc.version === m.version) publish(doc);
        break;
      }
      case 'request': answer(m.id, m.method, m.uri, m.params); break;
    }
  } catch (e) {
    log(`worker: ${m.kind} failed: ${(e as Error).stack}`);
  }
});
