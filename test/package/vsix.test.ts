/**
 * `npm run package`: the .vsix holds the bundles, koffi's native part, Z3's WebAssembly, the
 * grammars, snippets and examples, stays under 12 MB (Z3 is 9 MB of it, compressed), carries
 * the manifest's contributions, its bundled CLI finds Z3 beside it, and it installs into the
 * code-server host the editor tests use (skipped, saying why, where that host is missing).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { findTool, run } from '../tools';

const VSIX = join(REPO_ROOT, 'ebpf-workbench.vsix');
const CODE_SERVER = join(REPO_ROOT, 'test', 'vscode-host', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

test('npm run package builds a .vsix under 12 MB with everything the manifest names', { skip: findTool('unzip') ? undefined : 'unzip not found (apt-get install unzip)' }, () => {
  const r = run(process.execPath, [join(REPO_ROOT, 'scripts', 'package.mjs')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const mb = statSync(VSIX).size / 1048576;
  assert.ok(mb < 12, `${mb.toFixed(2)} MB`);
  const files = run(findTool('unzip')!, ['-Z1', VSIX]).stdout.split('\n');
  for (const f of ['extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/serverWorker.js', 'extension/dist/debugAdapter.js',
    'extension/dist/cli.js', 'extension/syntaxes/ebpf.tmLanguage.json', 'extension/syntaxes/cbpf.tmLanguage.json', 'extension/snippets/ebpf.json',
    'extension/examples/xdp_firewall.bpf.s', 'extension/dist/node_modules/koffi/index.cjs',
    'extension/dist/node_modules/z3-solver/build/z3-built.wasm', 'extension/dist/node_modules/async-mutex/package.json']) {
    assert.ok(files.includes(f), `${f} in the .vsix`);
  }
  assert.ok(files.some((f) => /^extension\/dist\/node_modules\/@koromix\/koffi-[\w-]+\/.*\.node$/.test(f)), 'koffi\'s native module');
  assert.ok(!files.some((f) => /(^|\/)(out|test|core|server|client)\//.test(f.replace(/^extension\/dist\//, ''))), 'no sources or tests');
  const manifest = JSON.parse(run(findTool('unzip')!, ['-p', VSIX, 'extension/package.json']).stdout);
  const c = manifest.contributes;
  assert.deepEqual(c.languages.map((l: { id: string }) => l.id), ['ebpf', 'cbpf']);
  assert.equal(c.grammars.length, 2);
  assert.equal(c.snippets.length, 2);
  assert.equal(c.debuggers[0].type, 'ebpf');
  assert.ok(c.commands.length >= 8 && c.views.debug[0].id === 'ebpf.maps');
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  // The packaged CLI, unzipped on its own, solves a counterexample with the Z3 it carries.
  const dir = mkdtempSync(join(tmpdir(), 'vsix-z3-'));
  try {
    assert.equal(run(findTool('unzip')!, ['-q', VSIX, '-d', dir]).status, 0);
    const prog = join(dir, 'short.bpf.s');
    writeFileSync(prog, '.section xdp\nr2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 20)\nr0 = 2\nexit\n');
    const v = run(process.execPath, [join(dir, 'extension', 'dist', 'cli.js'), 'verify', prog, '--counterexample', '--json']);
    assert.equal(JSON.parse(v.stdout).diagnostics[0].counterexample.run, 'faults', v.stdout + v.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the .vsix installs into the code-server host', { skip: existsSync(CODE_SERVER) ? undefined : 'the code-server host is not installed (sh test/vscode-host/install.sh; .ci/run does)' }, () => {
  if (!existsSync(VSIX)) assert.equal(run(process.execPath, [join(REPO_ROOT, 'scripts', 'package.mjs')]).status, 0);
  const dir = mkdtempSync(join(tmpdir(), 'vsix-'));
  try {
    const args = ['--extensions-dir', join(dir, 'ext'), '--user-data-dir', join(dir, 'ud')];
    const inst = run(process.execPath, [CODE_SERVER, ...args, '--install-extension', VSIX]);
    assert.equal(inst.status, 0, inst.stdout + inst.stderr);
    const list = run(process.execPath, [CODE_SERVER, ...args, '--list-extensions', '--show-versions']);
    assert.match(list.stdout, /^ebpf-workbench\.ebpf-workbench@0\.1\.0$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
