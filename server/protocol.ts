/**
 * Messages between the language server's main thread (the LSP connection) and its analysis
 * worker. The main thread owns the protocol and the documents' versions; the worker owns
 * the analyses and answers every feature request from them, already in LSP shapes.
 *
 * Cancellation: the main thread writes each document's newest version into a shared
 * Int32Array slot as soon as an edit arrives; the worker's verifier reads it every few
 * thousand instructions and abandons an analysis that has become stale.
 */

import { Diagnostic } from '../core/diag';
import { Language } from '../core/ide/analysis';

/** The default of `ebpf.compileCommand`: clang-19 (else clang, see server/compile.ts) with debug info, for the BPF target. */
export const DEFAULT_COMPILE_COMMAND = 'clang-19 -g -O2 -target bpf -I/usr/include/$(uname -m)-linux-gnu -c ${file} -o ${out}';

export interface ServerSettings {
  defaultProgramType: string;
  /** Dialect of `.o` disassembly documents and of instructions the server writes (fixes). */
  disassemblyDialect: 'llvm' | 'ubpf';
  format: { dialect: 'keep' | 'llvm' | 'ubpf'; commentColumn: number };
  inlayHints: boolean;
  /** Also load each program into the running kernel and report where its verdict differs. */
  kernelCrossCheck: boolean;
  /** The shell command that builds a `.bpf.c` document: `${file}` the source, `${out}` the object to write. */
  compileCommand: string;
  /** The BTF file CO-RE relocations are resolved against; '' for the kernel's /sys/kernel/btf/vmlinux. */
  btfPath: string;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  defaultProgramType: 'socket_filter',
  disassemblyDialect: 'llvm',
  format: { dialect: 'keep', commentColumn: 40 },
  inlayHints: false,
  kernelCrossCheck: false,
  compileCommand: DEFAULT_COMPILE_COMMAND,
  btfPath: '',
};

export type ToWorker =
  | { kind: 'open'; uri: string; version: number; text: string; language: Language; slot: number }
  /** A binary object shown as its disassembly (`ebpf/disassemble`): the worker reads no files, it gets the bytes. */
  | { kind: 'openObject'; uri: string; fileName: string; bytes: Uint8Array; slot: number }
  /**
   * A C document (`.bpf.c`) as built by the main thread: its text, the path it was built from,
   * the object's bytes (absent when the build failed) and the compiler's diagnostics. `version`
   * numbers the builds; the worker analyses and publishes at once.
   */
  | { kind: 'openC'; uri: string; version: number; text: string; file: string; bytes?: Uint8Array; diagnostics: Diagnostic[]; slot: number }
  | { kind: 'change'; uri: string; version: number; text: string }
  | { kind: 'close'; uri: string }
  /** relatedInformation: whether the client shows a diagnostic's related locations (the verifier's path). */
  | { kind: 'settings'; settings: ServerSettings; relatedInformation: boolean }
  /** Analyse now (after the debounce) and post the diagnostics, unless a newer edit came first. */
  | { kind: 'analyze'; uri: string; version: number }
  | { kind: 'request'; id: number; method: string; uri?: string; params: unknown };

export type FromWorker =
  | { kind: 'diagnostics'; uri: string; version: number; diagnostics: unknown[]; ms: number }
  | { kind: 'response'; id: number; result?: unknown; error?: string }
  | { kind: 'log'; message: string };

/** Slots in the shared version array; documents share one only beyond this many open at once. */
export const VERSION_SLOTS = 4096;
