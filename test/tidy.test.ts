/**
 * Tidy checks as tests: each layer imports only what STYLE.md's table allows, so that core
 * stays pure (no editor, protocol, file or process I/O) and the adapters stay thin.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './paths';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : n.endsWith('.ts') ? [p] : [];
  });
}

const FORBIDDEN: Record<string, RegExp> = {
  core: /^(vscode|vscode-.*|@vscode\/.*|node:fs|fs|node:child_process|child_process|node:net|net)$/,
  server: /^(vscode|@vscode\/debugadapter)$/,
  'debug-adapter': /^(vscode|vscode-languageserver.*)$/,
  client: /^(\.\.\/core\/.*)$/,
  cli: /^(vscode|vscode-languageclient.*)$/,
};

test('each layer imports only what it may', () => {
  const breaches: string[] = [];
  for (const [layer, bad] of Object.entries(FORBIDDEN)) {
    for (const file of tsFiles(join(REPO_ROOT, layer))) {
      const rel = relative(REPO_ROOT, file);
      // core/kernel is the one part of core allowed to reach the kernel (DESIGN.md, Layers).
      if (rel.startsWith(join('core', 'kernel'))) continue;
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        const m = /^\s*import\b.*?from\s+['"]([^'"]+)['"]|^\s*(?:const|let|var)\s.*require\(['"]([^'"]+)['"]\)/.exec(line);
        const spec = m?.[1] ?? m?.[2];
        if (spec && bad.test(spec)) breaches.push(`${rel}:${i + 1} imports ${spec}`);
      });
    }
  }
  assert.deepEqual(breaches, []);
});
