// Runs every compiled test file (out/test/**/*.test.js) with Node's built-in test runner,
// then the e2e tests inside a real VS Code (out/test/e2e, mocha, through test/vscode-host/e2e.js).
// `npm test` compiles first; this script only finds the files and hands them to `node --test`.
// The e2e run needs chromium and the VS Code host (test/vscode-host/install.sh); where they are
// missing it prints a named skip saying how to install them. Arguments filter by path:
// `node scripts/test.mjs verifier` runs only the matching node:test files, `... e2e` only the e2e.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) found.push(...findTests(p));
    else if (name.endsWith('.test.js')) found.push(p);
  }
  return found;
}

const E2E = join('out', 'test', 'e2e') + sep;   // mocha suites for VS Code's extension host, not node:test
const only = process.argv.slice(2);
const wanted = (f) => only.length === 0 || only.some((o) => f.includes(o));
const files = findTests('out/test').filter((f) => !f.startsWith(E2E) && wanted(f)).sort();
let status = 0;
if (files.length) {
  const res = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
  status = res.status ?? 1;
}
if (wanted(E2E)) {
  const e2e = spawnSync(process.execPath, ['test/vscode-host/e2e.js', '--if-installed'], { stdio: 'inherit' });
  status ||= e2e.status ?? 1;
}
process.exit(status);
