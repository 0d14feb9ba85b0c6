// Runs every compiled test file (out/test/**/*.test.js) with Node's built-in test runner.
// `npm test` compiles first; this script only finds the files and hands them to `node --test`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) found.push(...findTests(p));
    else if (name.endsWith('.test.js')) found.push(p);
  }
  return found;
}

const only = process.argv.slice(2);
const files = findTests('out/test').filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
const res = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
