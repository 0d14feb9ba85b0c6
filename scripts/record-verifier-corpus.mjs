// Records the verifier corpus from the running kernel: for every .data file under
// test/data/verifier (or the files and folders named on the command line), assemble the
// case, load it with BPF_PROG_LOAD at log_level 1, and rewrite its `-- result`, `-- error`,
// `-- errno` and `-- log` sections from what the kernel said. Everything else in the file
// (the comment, `-- asm`, `-- prog-type`, `-- attach-type`, `-- license`) is kept as written.
//
//   npm run build && npx tsc -p tsconfig.json && node scripts/record-verifier-corpus.mjs [--check] [PATH...]
//
// --check records nothing: it lists the files whose recorded expectations differ from the
// kernel's and exits 1 if there are any. Rerunning without changes rewrites nothing (the
// files come out byte for byte the same). Needs root on Linux (bpf(2)); it imports the
// compiled loader from out/test/verifier/kernelVerdict.js, shared with the corpus test.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { parseCase, formatCase, kernelVerdict, areaOf } = require(join(root, 'out/test/verifier/kernelVerdict.js'));

function dataFiles(p) {
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p).sort().flatMap((n) => {
    const q = join(p, n);
    return statSync(q).isDirectory() ? dataFiles(q) : n.endsWith('.data') ? [q] : [];
  });
}

const args = process.argv.slice(2);
const check = args.includes('--check');
const paths = args.filter((a) => a !== '--check');
const files = (paths.length ? paths.map((p) => resolve(p)) : [join(root, 'test/data/verifier')]).flatMap(dataFiles);

let changed = 0;
let broken = 0;
const tally = new Map();
for (const file of files) {
  const name = relative(root, file);
  const text = readFileSync(file, 'utf8');
  const c = parseCase(text);
  if ('broken' in c) { broken++; console.error(`BROKEN ${name}: ${c.broken}`); continue; }
  const v = kernelVerdict(c);
  if ('unavailable' in v) { console.error(`the kernel is unavailable: ${v.unavailable}`); process.exit(2); }
  if ('broken' in v) { broken++; console.error(`BROKEN ${name}: ${v.broken}`); continue; }
  if (v.log.split('\n').some((l) => /^-- [a-z-]+/.test(l))) { broken++; console.error(`BROKEN ${name}: a log line looks like a section header`); continue; }
  const next = formatCase({ ...c, result: v.result, error: v.error, errno: v.errno, log: v.log });
  const area = areaOf(file);
  const t = tally.get(area) ?? { accept: 0, reject: 0 };
  t[v.result]++;
  tally.set(area, t);
  if (next === text) continue;
  changed++;
  if (check) console.log(`STALE ${name}: recorded ${c.result ?? '-'} ${c.error ?? ''}, kernel ${v.result} ${v.error ?? ''}`);
  else {
    writeFileSync(file, next);
    console.log(`${name}: ${v.result}${v.error ? `: ${v.error}` : ''}`);
  }
}
const total = [...tally.values()].reduce((a, t) => ({ accept: a.accept + t.accept, reject: a.reject + t.reject }), { accept: 0, reject: 0 });
console.log(`${files.length} files, ${total.accept} accepted, ${total.reject} rejected, ${broken} broken; ${changed} ${check ? 'stale' : 'rewritten'}`);
console.log([...tally].sort().map(([a, t]) => `${a} ${t.accept}+${t.reject}`).join(', '));
process.exit(broken || (check && changed) ? 1 : 0);
