#!/usr/bin/env node
/**
 * `npm run test:e2e` (after build and compile-tests) and the last step of `npm test`: the e2e
 * tests of test/e2e in a real VS Code, twice: in a trusted workspace (suite, commands), then
 * with workspace trust on, untrusted (untrusted). Each run opens its own temporary copy of
 * examples/. Exits non-zero when either run fails.
 *
 * usage: node test/vscode-host/e2e.js [--if-installed] [--grep PATTERN]
 *   --if-installed  when chromium or the host is missing, print a named skip and exit 0
 *                   (npm test); without it, a missing host is installed (install.sh) and a
 *                   missing chromium is an error.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..', '..');
const INDEX = path.join(ROOT, 'out', 'test', 'e2e', 'index.js');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const APT = 'apt-get install -y chromium libkrb5-dev ripgrep';

const args = process.argv.slice(2);
const ifInstalled = args.includes('--if-installed');
const passOn = args.filter((a) => a !== '--if-installed');

const hostInstalled = () => fs.existsSync(path.join(HERE, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules'))
  && fs.existsSync(path.join(HERE, 'node_modules', 'playwright-core'));

function skipOrFail(reason, fix) {
  if (ifInstalled) {
    console.log(`e2e (real VS Code): skipped: ${reason} (to run them: ${fix})`);
    process.exit(0);
  }
  console.error(`e2e (real VS Code): ${reason} (run: ${fix})`);
  process.exit(1);
}

if (!fs.existsSync(CHROMIUM)) skipOrFail(`chromium not found at ${CHROMIUM}`, `${APT} && sh test/vscode-host/install.sh`);
if (!hostInstalled()) {
  if (ifInstalled) skipOrFail('the VS Code host (code-server) is not installed', 'sh test/vscode-host/install.sh');
  const t0 = Date.now();
  const r = spawnSync('sh', [path.join(HERE, 'install.sh')], { stdio: 'inherit' });
  if (r.status !== 0) skipOrFail('install.sh failed', `${APT} && sh test/vscode-host/install.sh`);
  console.log(`vscode-host: installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
if (!fs.existsSync(INDEX)) skipOrFail(`no ${path.relative(ROOT, INDEX)}`, 'npm run build && npm run compile-tests');

const runs = [
  ['trusted workspace', []],
  ['untrusted workspace', ['--no-trust']],
];
const failed = [];
for (const [name, extra] of runs) {
  console.log(`\ne2e (real VS Code): ${name}`);
  const r = spawnSync(process.execPath, [path.join(HERE, 'run.js'), ...extra, ...passOn, '--copy-workspace', ROOT, INDEX, path.join(ROOT, 'examples')], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(`${name} (exit ${r.status ?? r.signal})`);
}
if (failed.length) {
  console.error(`e2e (real VS Code): failed: ${failed.join(', ')}`);
  process.exit(1);
}
