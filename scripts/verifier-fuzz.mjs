// The verifier's differential fuzzer at full size (issue #4): COUNT programs from
// test/gen/verifierPrograms.ts, each judged by the running kernel (BPF_PROG_LOAD) and by our
// verifier. Prints the agreement of verdicts and messages, per family too; the disagreements
// grouped by (kernel message, our message), numbers written as N (and the state dump of
// `old state: ...` left out) so that one rule makes one group, with a count and the shortest
// program of each group; programs that crash our verifier; and the soundness check of
// test/verifier/fuzz.test.ts (every program we accept runs in our VM without a fault). Each disagreeing program is written to DIR as a verifier
// corpus case (test/data/verifier's format, recorded from the kernel), ready to be copied there.
//
//   npm run build && npx tsc -p tsconfig.json && node scripts/verifier-fuzz.mjs [COUNT] [SEED] [DIR]
//
// COUNT defaults to 20,000, SEED to 1, DIR to /tmp/vfuzz (created if missing; files of the same
// name are overwritten, nothing is deleted); EBPF_VFUZZ_TOP sets how many groups are printed
// with an example (15). Exits 1 when our verifier crashed or a program we accept faulted.
// Needs root on Linux (bpf(2)).
// The glue below mirrors test/verifier/fuzz.test.ts; keep the two in step.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = (p) => require(join(root, 'out', p));
const { generateVerifierProgram, soundnessInputs } = out('test/gen/verifierPrograms.js');
const { rng } = out('test/gen.js');
const { kernelVerdict, formatCase } = out('test/verifier/kernelVerdict.js');
const { assemble } = out('core/asm/assemble.js');
const { listPrograms } = out('core/link.js');
const { verifyObjectProgram } = out('core/verifier/index.js');
const { runProgram } = out('core/vm/run.js');
const { kernelAvailable } = out('core/kernel/index.js');

const count = Number(process.argv[2] ?? 20000);
const seed = Number(process.argv[3] ?? 1);
const dir = resolve(process.argv[4] ?? '/tmp/vfuzz');
const TOP = Number(process.env.EBPF_VFUZZ_TOP ?? 15);

const avail = kernelAvailable();
if (!avail.ok) {
  console.error(`the kernel is not available: ${avail.reason}`);
  process.exit(2);
}
mkdirSync(dir, { recursive: true });

/** Digits (decimal and hex) as N: `invalid read from stack off -8+0 size 8` and `... off -16+0 size 4` are one rule. */
const norm = (m) => m.replace(/^(old|cur) state: .*/, '$1 state: ...').replace(/0x[0-9a-f]+/gi, 'N').replace(/\d+/g, 'N');
const lineCount = (text) => text.split('\n').filter((l) => /^\t/.test(l)).length;

const r = rng(seed);
const stats = { n: 0, verdicts: 0, kernelRejects: 0, messages: 0, kernelAccepts: 0, oursAccepts: 0, sound: 0, faults: 0, unrunnable: 0 };
const perFamily = new Map();
const groups = new Map();
const crashes = [];
const faults = [];
const broken = [];
let oursMs = 0;
let kernelMs = 0;
const started = Date.now();

for (let n = 0; n < count; n++) {
  const p = generateVerifierProgram(r);
  const inputs = soundnessInputs(r, p.progType);
  const { object, diagnostics } = assemble(p.text);
  const asmErrors = diagnostics.filter((d) => d.severity === 'error');
  if (asmErrors.length) { broken.push(`#${n} does not assemble: ${asmErrors.map((d) => d.message).join('; ')}\n${p.text}`); continue; }

  let ours;
  const t0 = performance.now();
  try {
    const res = verifyObjectProgram(object, listPrograms(object)[0], { progType: p.progType });
    ours = res.accepted ? { result: 'accept' } : { result: 'reject', error: res.message ?? '' };
  } catch (e) {
    ours = { result: 'reject', error: `internal verifier error (thrown): ${e instanceof Error ? e.message : String(e)}` };
  }
  const t1 = performance.now();
  oursMs += t1 - t0;
  if (ours.error?.startsWith('internal verifier error')) crashes.push({ n, p, message: ours.error });

  const k = kernelVerdict({ comment: [], asm: p.text, progType: p.progType, asmLine: 0 });
  kernelMs += performance.now() - t1;
  if ('unavailable' in k || 'broken' in k) { broken.push(`#${n} the kernel could not judge it: ${k.unavailable ?? k.broken}\n${p.text}`); continue; }

  stats.n++;
  const fam = perFamily.get(p.family) ?? { n: 0, verdicts: 0, kernelAccepts: 0, rejects: 0, messages: 0 };
  perFamily.set(p.family, fam);
  fam.n++;
  if (k.result === 'accept') { stats.kernelAccepts++; fam.kernelAccepts++; }
  if (ours.result === 'accept') stats.oursAccepts++;
  const verdictOk = k.result === ours.result;
  if (verdictOk) { stats.verdicts++; fam.verdicts++; }
  if (k.result === 'reject') {
    stats.kernelRejects++;
    fam.rejects++;
    if (verdictOk && k.error === ours.error) { stats.messages++; fam.messages++; }
  }
  if (!verdictOk || (k.result === 'reject' && k.error !== ours.error)) {
    const kMsg = k.result === 'accept' ? '(accept)' : k.error;
    const oMsg = ours.result === 'accept' ? '(accept)' : ours.error;
    const key = `${verdictOk ? 'message' : 'verdict'}\u0000${norm(kMsg)}\u0000${norm(oMsg)}`;
    const g = groups.get(key) ?? { count: 0, families: new Map(), example: undefined };
    groups.set(key, g);
    g.count++;
    g.families.set(p.family, (g.families.get(p.family) ?? 0) + 1);
    const ex = { n, p, kMsg, oMsg };
    if (!g.example || lineCount(p.text) < lineCount(g.example.p.text)) g.example = ex;
    const name = `fuzz-${p.family}-s${seed}-${String(n).padStart(5, '0')}.data`;
    const comment = [
      `# verifier-fuzz seed ${seed} program ${n} (family ${p.family}): the kernel says ${kMsg}, ours ${oMsg}`,
    ];
    writeFileSync(join(dir, name), formatCase({
      comment, asm: p.text.replace(/\n$/, ''), progType: p.progType, asmLine: 0,
      result: k.result, error: k.error, errno: k.errno, log: k.log,
    }));
  }

  // Soundness: what we accept must run without a fault.
  if (ours.result === 'accept') {
    let fault;
    for (const input of inputs) {
      const run = runProgram(object, listPrograms(object)[0], { progType: p.progType, input });
      if (!run.result) { stats.unrunnable++; fault = undefined; break; }
      if (run.result.stop.reason !== 'exit') { fault = `${run.result.stop.reason} at insn ${run.result.stop.pc}: ${run.result.stop.message ?? ''}`; break; }
    }
    if (fault) { stats.faults++; faults.push({ n, p, fault, kernel: k.result === 'accept' ? 'accept' : `reject (${k.error})` }); }
    else stats.sound++;
  }
  if ((n + 1) % 2000 === 0) process.stderr.write(`${n + 1}/${count} programs, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(2)}%` : '-');
console.log(`verifier fuzz: seed ${seed}, ${stats.n} programs judged by both (${broken.length} generator or load problems)`);
console.log(`  kernel accepts ${stats.kernelAccepts} (${pct(stats.kernelAccepts, stats.n)}), we accept ${stats.oursAccepts}`);
console.log(`  verdicts agree: ${stats.verdicts}/${stats.n} = ${pct(stats.verdicts, stats.n)}`);
console.log(`  messages agree: ${stats.messages}/${stats.kernelRejects} kernel rejects = ${pct(stats.messages, stats.kernelRejects)}`);
console.log(`  soundness: ${stats.sound} of ${stats.oursAccepts} programs we accept ran without a fault; ${stats.faults} faulted, ${stats.unrunnable} could not run`);
console.log(`  time: ours ${(oursMs / Math.max(stats.n, 1)).toFixed(2)} ms/program, kernel ${(kernelMs / Math.max(stats.n, 1)).toFixed(2)} ms/program`);
console.log('\nper family (verdicts; messages of kernel rejects; kernel accept share):');
for (const [f, s] of [...perFamily].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`  ${f.padEnd(8)} ${pct(s.verdicts, s.n).padStart(7)} of ${String(s.n).padStart(5)}   messages ${pct(s.messages, s.rejects).padStart(7)}   kernel accepts ${pct(s.kernelAccepts, s.n)}`);
}

if (crashes.length) {
  console.log(`\nCRASHES of our verifier: ${crashes.length}`);
  for (const c of crashes.slice(0, 10)) console.log(`#${c.n} ${c.p.progType} (${c.p.family}): ${c.message}\n${c.p.text}`);
}
if (faults.length) {
  console.log(`\nUNSOUND: ${faults.length} programs we accept fault in the VM`);
  for (const f of faults.slice(0, 10)) console.log(`#${f.n} ${f.p.progType} (${f.p.family}), kernel ${f.kernel}: ${f.fault}\n${f.p.text}`);
}
if (broken.length) {
  console.log(`\ngenerator or load problems: ${broken.length}`);
  for (const b of broken.slice(0, 5)) console.log(b);
}

const sorted = [...groups].sort(([, a], [, b]) => b.count - a.count);
const total = sorted.reduce((a, [, g]) => a + g.count, 0);
console.log(`\n${total} disagreements in ${sorted.length} groups (kernel message | our message; numbers as N); the ${Math.min(TOP, sorted.length)} largest:`);
sorted.slice(0, TOP).forEach(([key, g], idx) => {
  const [kind] = key.split('\u0000');
  const e = g.example;
  const fams = [...g.families].sort((a, b) => b[1] - a[1]).map(([f, c]) => `${f} ${c}`).join(', ');
  console.log(`\n${idx + 1}. ${g.count}x ${kind}: kernel '${e.kMsg}' | ours '${e.oMsg}'   [${fams}]`);
  console.log(`   example #${e.n} (${e.p.progType}):`);
  console.log(e.p.text.replace(/^\.map.*\n/gm, (l) => (e.p.text.includes(l.split(/[ ,]/)[1] + ' ll') ? l : '')).trimEnd().split('\n').map((l) => `   ${l}`).join('\n'));
});
if (sorted.length > TOP) {
  console.log(`\nthe other ${sorted.length - TOP} groups:`);
  for (const [key, g] of sorted.slice(TOP)) {
    const [kind] = key.split('\u0000');
    console.log(`  ${String(g.count).padStart(5)}x ${kind}: kernel '${g.example.kMsg}' | ours '${g.example.oMsg}'`);
  }
}
console.log(`\nthe ${total} disagreeing programs are in ${dir}`);
process.exit(crashes.length || faults.length ? 1 : 0);
