#!/usr/bin/env node
/**
 * `npm run editor`: the extension in a real VS Code you can open in a browser. Starts
 * code-server (VS Code 1.100.3) on 127.0.0.1 only, without a password, with examples/ open,
 * and prints the address. Ctrl-C stops it and everything it started.
 *
 * usage: node test/vscode-host/editor.js [--dev] [--port N] [--folder DIR]
 *   (default)  installs ebpf-workbench.vsix (built by `npm run package`) into the editor's
 *              own extensions folder, as a user would install it
 *   --dev      loads the extension from the repo instead (extensionDevelopmentPath): after
 *              `npm run build`, "Developer: Reload Window" picks up the change
 *   --port N   default 8080; --folder DIR default examples/ (opened in place, edits are kept)
 * The editor's settings and extensions live in $TMPDIR/ebpf-workbench-editor and survive
 * restarts. Workspace trust is off, so Verify in Kernel is offered.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..', '..');

const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const dev = argv.includes('--dev');
const port = Number(opt('--port', process.env.PORT || 8080));
const folder = path.resolve(opt('--folder', path.join(ROOT, 'examples')));

let entry;
try {
  entry = require.resolve('code-server/out/node/entry.js', { paths: [HERE] });
} catch {
  console.error('editor: code-server is not installed: run `sh test/vscode-host/install.sh` (needs: apt-get install -y libkrb5-dev ripgrep)');
  process.exit(1);
}

const state = path.join(os.tmpdir(), 'ebpf-workbench-editor');
const dirs = ['--user-data-dir', path.join(state, 'user-data'), '--extensions-dir', path.join(state, 'extensions')];
fs.mkdirSync(state, { recursive: true });
const env = { ...process.env, XDG_DATA_HOME: state };

if (!dev) {
  const vsix = path.join(ROOT, 'ebpf-workbench.vsix');
  const pkg = spawnSync('npm', ['run', 'package'], { cwd: ROOT, stdio: 'inherit' });
  if (pkg.status !== 0 || !fs.existsSync(vsix)) { console.error('editor: `npm run package` did not produce ebpf-workbench.vsix; try --dev'); process.exit(1); }
  const inst = spawnSync(process.execPath, [entry, ...dirs, '--install-extension', vsix, '--force'], { stdio: 'inherit', env });
  if (inst.status !== 0) process.exit(inst.status ?? 1);
}

const log = path.join(state, 'code-server.log');
const out = fs.openSync(log, 'a');
const server = spawn(process.execPath, [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
  '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', ...dirs, '--config', path.join(state, 'config.yaml')],
{ stdio: ['ignore', out, out], detached: true, env });

const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
const query = `folder=${encodeURIComponent(folder)}${dev ? `&payload=${encodeURIComponent(JSON.stringify([['extensionDevelopmentPath', remote(ROOT)]]))}` : ''}`;
console.log(`\neBPF Workbench in VS Code (code-server), ${dev ? 'the extension loaded from the repo' : 'ebpf-workbench.vsix installed'}:\n`);
console.log(`  http://127.0.0.1:${port}/?${query}\n`);
console.log(`Open it in a browser on this machine (from elsewhere: ssh -L ${port}:127.0.0.1:${port} this-host). Log: ${log}. Ctrl-C stops it.`);

const stop = () => { try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ } process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.on('exit', (code) => { console.error(`editor: code-server exited (${code}); see ${log}`); process.exit(code ?? 1); });
