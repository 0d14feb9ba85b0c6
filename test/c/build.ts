/** Building the C examples with clang-19 as DESIGN.md says, for the tests of test/c. */

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { findTool, missingTools, run } from '../tools';

export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');
export const INPUTS_DIR = join(EXAMPLES_DIR, 'inputs');

/** Why the C tests skip, or undefined when clang-19 is there. */
export const noClang = missingTools('clang-19');

export const exampleText = (name: string): string => readFileSync(join(EXAMPLES_DIR, name), 'utf8');

/** Writes `text` as `dir/name` and compiles it to `dir/<name>.o` (-g -O2 -target bpf); returns the paths. */
export function buildC(dir: string, name: string, text: string): { src: string; obj: string } {
  const src = join(dir, name);
  const obj = join(dir, name.replace(/\.c$/, '.o'));
  writeFileSync(src, text);
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const cc = run(findTool('clang-19')!, ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${arch}-linux-gnu`, '-c', src, '-o', obj]);
  assert.equal(cc.status, 0, `${name}: ${cc.stderr}`);
  return { src, obj };
}

/** 1-based line of the only line of `text` containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const hits = text.split('\n').flatMap((l, k) => (l.includes(needle) ? [k + 1] : []));
  assert.equal(hits.length, 1, `${JSON.stringify(needle)} occurs ${hits.length} times`);
  return hits[0];
}

/** The same line 0-based, as LSP positions count. */
export const lspLineOf = (text: string, needle: string): number => lineOf(text, needle) - 1;

/** The text with `from` (which must occur once) replaced by `to`. */
export function edit(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `${JSON.stringify(from)} must occur once`);
  return text.replace(from, to);
}
