/**
 * Builds a C document (`.bpf.c`) into a BPF object with the command of `ebpf.compileCommand`,
 * run by /bin/sh in the file's folder, `${file}` and `${out}` replaced by the source path and a
 * temporary object path (quoted). Returns the object's bytes (when the command succeeded) and
 * the compiler's own errors and warnings, parsed from `file:line:col: error: message`.
 *
 * The server's main thread calls this (core/ never spawns processes); the worker gets the bytes.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { Diagnostic, Severity } from '../core/diag';
import { sameSourceFile } from '../core/ide/analysis';
import { DEFAULT_COMPILE_COMMAND } from './protocol';


const TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 1 << 20;

export interface BuildResult {
  /** The object file's bytes; absent when the command failed. */
  bytes?: Uint8Array;
  diagnostics: Diagnostic[];
  /** The command as run (after substitution). */
  command: string;
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, tool)));
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The command to run: `${file}`/`${out}` substituted; a leading `clang-19` becomes `clang` where only that is installed. */
export function compileCommandLine(template: string, file: string, out: string): string {
  let cmd = template.trim() || DEFAULT_COMPILE_COMMAND;
  if (/^clang-19\s/.test(cmd) && !onPath('clang-19') && onPath('clang')) cmd = `clang${cmd.slice('clang-19'.length)}`;
  return cmd.replace(/\$\{file\}/g, shellQuote(file)).replace(/\$\{out\}/g, shellQuote(out));
}

export function buildC(file: string, template: string): Promise<BuildResult> {
  const path = resolve(file);
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cc-'));
  const out = join(dir, basename(path).replace(/\.c$/i, '') + '.o');
  const command = compileCommandLine(template, path, out);
  return new Promise((done) => {
    let stderr = '';
    let finished = false;
    const finish = (status: number | null, failure?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const diagnostics = parseCompilerOutput(stderr, path);
      let bytes: Uint8Array | undefined;
      if (status === 0 && !failure) {
        try { bytes = new Uint8Array(readFileSync(out)); } catch { failure = `the command wrote no object (${out})`; }
      }
      if (!bytes && !diagnostics.some((d) => d.severity === 'error')) {
        const why = failure ?? `exited with status ${status}`;
        const tail = stderr.trim().split('\n').slice(-5).join('\n');
        diagnostics.unshift({
          code: 'compile', severity: 'error', span: { line: 0, col: 0, endCol: 0 },
          message: `the compile command failed: ${why}: ${command}${tail ? `\n${tail}` : ''}`,
        });
      }
      rmSync(dir, { recursive: true, force: true });
      done({ bytes, diagnostics, command });
    };
    const child = spawn('/bin/sh', ['-c', command], { cwd: dirname(path), stdio: ['ignore', 'ignore', 'pipe'] });
    const timer = setTimeout(() => { child.kill('SIGKILL'); finish(null, `no result within ${TIMEOUT_MS / 1000} s`); }, TIMEOUT_MS);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => { if (stderr.length < MAX_OUTPUT) stderr += chunk; });
    child.on('error', (e) => finish(null, e.message));
    child.on('close', (status) => finish(status));
  });
}

const LINE = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;
const INCLUDED = /^(?:In file included from|\s+from) (.+?):(\d+):/;

/**
 * clang's (and gcc's) `path:line:col: severity: message` lines as diagnostics: those in
 * `file` on their line (0-based), those in an included file on the `#include` line that
 * brought it in (the message says where), notes as related lines of the diagnostic before.
 */
export function parseCompilerOutput(stderr: string, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  let includeLine: number | undefined;
  for (const raw of stderr.split(/\r?\n/)) {
    const inc = INCLUDED.exec(raw);
    if (inc) {
      // The outermost include (the last one listed) is the one in our file.
      if (sameSourceFile(inc[1], file)) includeLine = Number(inc[2]) - 1;
      continue;
    }
    const m = LINE.exec(raw);
    if (!m) continue;
    const [, path, ln, cl, kind, message] = m;
    const own = sameSourceFile(path, file);
    const line = Number(ln) - 1, col = Math.max(0, Number(cl) - 1);
    const span = own ? { line, col, endCol: col + 1 } : { line: includeLine ?? 0, col: 0, endCol: 0 };
    if (kind === 'note') {
      const last = out[out.length - 1];
      if (last) (last.related ??= []).push({ message: own ? message : `${path}:${ln}:${cl}: ${message}`, span });
      continue;
    }
    const severity: Severity = kind === 'warning' ? 'warning' : 'error';
    out.push({ code: 'clang', severity, message: own ? message : `${path}:${ln}:${cl}: ${message}`, span });
  }
  return out;
}
