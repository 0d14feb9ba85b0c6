/**
 * The main thread's handle on the analysis worker: sends it documents and requests, routes
 * its answers, and restarts it (replaying the open documents and the settings) if it ever
 * dies, so that the server keeps answering whatever a document does to the worker.
 */

import { Worker } from 'node:worker_threads';
import { Diagnostic } from '../core/diag';
import { Language } from '../core/ide/analysis';
import { DEFAULT_SETTINGS, FromWorker, ServerSettings, ToWorker, VERSION_SLOTS } from './protocol';

export interface AnalyzerEvents {
  diagnostics(uri: string, version: number, diagnostics: unknown[], ms: number): void;
  log(message: string): void;
}

export class Analyzer {
  private worker!: Worker;
  private readonly versions = new Int32Array(new SharedArrayBuffer(4 * VERSION_SLOTS));
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readonly slots = new Map<string, number>();
  private nextSlot = 0;
  /** What a restarted worker needs to be told again: each document's latest state. */
  private readonly replay = new Map<string, ToWorker>();
  private settings: { kind: 'settings'; settings: ServerSettings; relatedInformation: boolean } = { kind: 'settings', settings: DEFAULT_SETTINGS, relatedInformation: true };
  private stopped = false;

  constructor(private readonly workerFile: string, private readonly events: AnalyzerEvents) {
    this.start();
  }

  private start(): void {
    // A young generation of 64 MiB semi-spaces: the verifier makes many short-lived objects, and
    // fewer scavenges take a fifth off the analysis of a 10,000-instruction program.
    this.worker = new Worker(this.workerFile, { workerData: { versions: this.versions.buffer }, resourceLimits: { maxYoungGenerationSizeMb: 192 } });
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (e) => this.events.log(`analysis worker failed: ${e.stack ?? e}`));
    this.worker.on('exit', () => {
      for (const p of this.pending.values()) p.resolve(null);
      this.pending.clear();
      if (this.stopped) return;
      this.events.log('analysis worker exited; restarting it');
      this.start();
      this.worker.postMessage(this.settings);
      for (const m of this.replay.values()) this.worker.postMessage(m);
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'diagnostics') this.events.diagnostics(m.uri, m.version, m.diagnostics, m.ms);
    else if (m.kind === 'log') this.events.log(m.message);
    else {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    }
  }

  private slotOf(uri: string): number {
    let slot = this.slots.get(uri);
    if (slot === undefined) {
      slot = this.nextSlot++ % VERSION_SLOTS;
      this.slots.set(uri, slot);
    }
    return slot;
  }

  /** Tells an analysis of an older version of `uri` that it is stale. */
  private bump(uri: string, version: number): void {
    Atomics.store(this.versions, this.slotOf(uri), version);
  }

  open(uri: string, version: number, text: string, language: Language): void {
    const m: ToWorker = { kind: 'open', uri, version, text, language, slot: this.slotOf(uri) };
    this.bump(uri, version);
    this.replay.set(uri, m);
    this.worker.postMessage(m);
  }

  openObject(uri: string, fileName: string, bytes: Uint8Array): void {
    const m: ToWorker = { kind: 'openObject', uri, fileName, bytes, slot: this.slotOf(uri) };
    this.bump(uri, 0);
    this.replay.set(uri, m);
    this.worker.postMessage(m);
  }

  /** A C document, built (see ToWorker 'openC'): analysed and published at once. */
  openC(uri: string, version: number, text: string, file: string, bytes: Uint8Array | undefined, diagnostics: Diagnostic[]): void {
    const m: ToWorker = { kind: 'openC', uri, version, text, file, bytes, diagnostics, slot: this.slotOf(uri) };
    this.bump(uri, version);
    this.replay.set(uri, m);
    this.worker.postMessage(m);
  }

  change(uri: string, version: number, text: string): void {
    const opened = this.replay.get(uri);
    if (opened?.kind === 'open') this.replay.set(uri, { ...opened, version, text });
    this.worker.postMessage({ kind: 'change', uri, version, text } satisfies ToWorker);
    this.bump(uri, version);
  }

  close(uri: string): void {
    this.replay.delete(uri);
    this.slots.delete(uri);
    this.worker.postMessage({ kind: 'close', uri } satisfies ToWorker);
  }

  analyze(uri: string, version: number): void {
    this.worker.postMessage({ kind: 'analyze', uri, version } satisfies ToWorker);
  }

  configure(settings: ServerSettings, relatedInformation: boolean): void {
    this.settings = { kind: 'settings', settings, relatedInformation };
    this.worker.postMessage(this.settings);
  }

  request(method: string, uri: string | undefined, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'request', id, method, uri, params } satisfies ToWorker);
    });
  }

  stop(): Promise<number> {
    this.stopped = true;
    return this.worker.terminate();
  }
}
