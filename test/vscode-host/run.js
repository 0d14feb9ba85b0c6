#!/usr/bin/env node
/**
 * Runs extension tests inside a real VS Code, as @vscode/test-electron's runTests does, but
 * with code-server 4.100.3 (VS Code 1.100.3's server and workbench) in Debian's headless
 * chromium, because desktop VS Code cannot be downloaded here (../../../shared/vscode-offline.md).
 *
 * usage: node run.js [options] <extensionDevelopmentPath> <extensionTestsPath> [workspaceFolder]
 *   --copy-workspace   open a temporary copy of workspaceFolder (tests may write into it)
 *   --no-trust         keep workspace trust on: the folder opens untrusted (Restricted Mode)
 *   --suite NAMES      comma-separated test files for the mocha index (EBPF_E2E_SUITE)
 *   --grep PATTERN     only tests whose title matches (EBPF_E2E_GREP)
 * environment: TEST_TIMEOUT_MS (whole run, default 300000), CHROMIUM (default /usr/bin/chromium),
 *   E2E_KEEP=1 keeps the scratch folder (logs, user data) and prints its path.
 *
 * The extension and the tests reach the workbench through its URL's `payload` parameter
 * (extensionDevelopmentPath / extensionTestsPath as vscode-remote URIs), as VS Code's own
 * browser integration tests do; the workbench calls window.codeAutomationExit(code) when the
 * tests end, and its exit code is ours. code-server runs in its own process group, which is
 * killed at the end so that no extension host, file watcher, language server or debug
 * adapter outlives the run. Everything binds to 127.0.0.1 and lives in a scratch folder.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const INSTALL_HINT = 'apt-get install -y chromium libkrb5-dev ripgrep && sh test/vscode-host/install.sh';

function parseArgs(argv) {
  const opts = { trust: true, copy: false, suite: undefined, grep: undefined, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-trust') opts.trust = false;
    else if (a === '--copy-workspace') opts.copy = true;
    else if (a === '--suite') opts.suite = argv[++i];
    else if (a === '--grep') opts.grep = argv[++i];
    else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else opts.positional.push(a);
  }
  if (opts.positional.length < 2) fail('usage: node run.js [--no-trust] [--copy-workspace] [--suite NAMES] [--grep RE] <extensionDevelopmentPath> <extensionTestsPath> [workspaceFolder]');
  return opts;
}

function fail(msg) {
  console.error(`vscode-host: ${msg}`);
  process.exit(2);
}

/** The code-server entry and chromium, or a message saying how to install what is missing. */
function findHost() {
  let entry;
  for (const [what, mod] of [['code-server', 'code-server/out/node/entry.js'], ['playwright-core', 'playwright-core']]) {
    try {
      const p = require.resolve(mod, { paths: [HERE] });
      if (what === 'code-server') entry = p;
    } catch {
      fail(`${what} is not installed in ${HERE}/node_modules (run: ${INSTALL_HINT})`);
    }
  }
  if (!fs.existsSync(path.join(path.dirname(entry), '..', '..', 'lib', 'vscode', 'node_modules'))) {
    fail(`code-server's VS Code is half installed (run: rm -rf ${HERE}/node_modules && ${INSTALL_HINT})`);
  }
  const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) fail(`chromium not found at ${chromium} (run: ${INSTALL_HINT}, or set CHROMIUM)`);
  return { entry, chromium };
}

/** A port that was free a moment ago on 127.0.0.1 (the kernel's pick). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

function waitHealthy(port, server, deadline) {
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (server.exitCode !== null) return reject(new Error(`code-server exited with ${server.exitCode} before it served`));
      http.get({ host: '127.0.0.1', port, path: '/healthz' }, (r) => { r.resume(); resolve(); })
        .on('error', () => (Date.now() > deadline ? reject(new Error('code-server did not start within 60 s')) : setTimeout(tick, 250)));
    };
    tick();
  });
}

/** SIGTERM to the whole group, SIGKILL to what is left after 5 s. */
async function killGroup(server) {
  const alive = () => { try { process.kill(-server.pid, 0); return true; } catch { return false; } };
  try { process.kill(-server.pid, 'SIGTERM'); } catch { return; }
  for (let t = 0; t < 50 && alive(); t++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
}

/**
 * What to show when a run fails: the last `n` lines of code-server's output, then of each
 * log that tells about the extension (the extension hosts, the server agent, our output
 * channels), each under its own heading.
 */
function tailLogs(output, scratch, n) {
  const tail = (text) => text.split('\n').filter((l) => l.trim()).slice(-n);
  const parts = [['code-server output', tail(Buffer.concat(output).toString())]];
  const walk = (d) => (fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : [])
    .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const f of walk(path.join(scratch, 'ud', 'logs')).filter((f) => /^(remoteexthost|remoteagent|exthost|\d+-eBPF.*)\.log$/.test(path.basename(f)))) {
    parts.push([path.relative(scratch, f), tail(fs.readFileSync(f, 'utf8'))]);
  }
  return parts.filter(([, lines]) => lines.length).map(([name, lines]) => `--- ${name}\n${lines.join('\n')}`).join('\n');
}

/** The workbench's own chatter on every start (sockets, the unreachable gallery), not worth a line. */
const NOISE = /^(Resolving connection token|Resolved connection token|Creating a socket|Updating additional builtin|\[Service Worker\]|ChatSessionStore:|getaddrinfo ENOTFOUND open-vsx\.org)/;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { entry, chromium: chromiumPath } = findHost();
  const { chromium } = require(require.resolve('playwright-core', { paths: [HERE] }));
  const [extDev, tests, wsArg] = opts.positional;
  if (!fs.existsSync(tests)) fail(`no test entry at ${tests} (run: npm run compile-tests)`);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpf-e2e-'));
  let ws;
  if (wsArg && opts.copy) {
    ws = path.join(scratch, 'workspace');
    fs.cpSync(wsArg, ws, { recursive: true });
  } else {
    ws = path.resolve(wsArg || fs.mkdtempSync(path.join(scratch, 'ws-')));
  }
  // User settings live on the server side in code-server: keep the run quiet and offline.
  const userDir = path.join(scratch, 'ud', 'User');
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify({
    'security.workspace.trust.startupPrompt': 'never',
    'workbench.startupEditor': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
  }, null, 2));

  const port = await freePort();
  const args = [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-getting-started-override', '--user-data-dir', path.join(scratch, 'ud'), '--extensions-dir', path.join(scratch, 'ext'),
    '--config', path.join(scratch, 'config.yaml')];
  if (opts.trust) args.push('--disable-workspace-trust');
  const env = { ...process.env, XDG_DATA_HOME: scratch };   // code-server's own logs go to the scratch folder too
  const suite = opts.suite ?? (opts.trust ? undefined : 'untrusted');
  if (suite) env.EBPF_E2E_SUITE = suite;
  if (opts.grep) env.EBPF_E2E_GREP = opts.grep;
  const server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  const output = [];
  server.stdout.on('data', (d) => output.push(d));
  server.stderr.on('data', (d) => output.push(d));

  let code = 1;
  let browser;
  const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 300000);
  const started = Date.now();
  const onSignal = () => { killGroup(server).finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  console.log(`vscode-host: code-server on 127.0.0.1:${port}, workspace ${ws}, trust ${opts.trust ? 'off (trusted)' : 'on (untrusted)'}${suite ? `, suite ${suite}` : ''}`);
  try {
    await waitHealthy(port, server, Date.now() + 60000);
    browser = await chromium.launch({
      executablePath: chromiumPath, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage();
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${path.resolve(p)}`;
    const payload = [['extensionDevelopmentPath', remote(extDev)], ['extensionTestsPath', remote(tests)], ['skipWelcome', 'true']];
    let finish;
    const done = new Promise((r) => (finish = r));
    let timedOut = false;
    await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
      if (!(typeof logArgs[0] === 'string' && NOISE.test(logArgs[0]))) (console[type] || console.log)(...logArgs);
    });
    await page.exposeFunction('codeAutomationExit', (c) => { code = c; finish(); });
    page.on('crash', () => { console.error('vscode-host: the workbench page crashed'); finish(); });
    const timer = setTimeout(() => { timedOut = true; finish(); }, timeoutMs);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    await done;
    clearTimeout(timer);
    if (timedOut) { code = 1; console.error(`vscode-host: TIMEOUT: the tests did not finish within ${timeoutMs} ms (TEST_TIMEOUT_MS)`); }
  } catch (e) {
    code = 1;
    console.error(`vscode-host: ${e && e.stack || e}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await killGroup(server);
    if (code !== 0) console.error(`vscode-host: the run failed (exit ${code}); last log lines:\n${tailLogs(output, scratch, 25)}`);
    console.log(`vscode-host: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (process.env.E2E_KEEP) console.log(`vscode-host: kept ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true });
  }
  process.exit(code);
}

main();
