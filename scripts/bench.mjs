// `npm run bench`: speed, as ratios against the running kernel measured in the same run
// (DESIGN.md, Testing). Needs the compiled tree (npm run bench builds and compiles first).
// Where bpf(2) is not permitted, our numbers print alone, saying why.
// The VM section runs the four benchmark programs of issue #9 (test/data/bench) in our
// interpreter, our JIT and the kernel's JIT (BPF_PROG_TEST_RUN with repeat), setup excluded.
// Last, the language server's latency against the issue's targets (scripts/bench-lsp.mjs), and
// the debugger's step and going-back costs (scripts/bench-dap.mjs).
// `node scripts/bench.mjs --vm` runs only the benchmark programs in the VM and the JIT, without our
// verifier (for work on the VM and the JIT).
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchLsp } from './bench-lsp.mjs';
import { benchDap } from './bench-dap.mjs';
const require = createRequire(import.meta.url);
const { parseCase, assembleCase } = require('../out/test/verifier/kernelVerdict.js');
const { verifyObjectProgram } = require('../out/core/verifier/index.js');
const { listPrograms } = require('../out/core/link.js');
const { assemble } = require('../out/core/asm/assemble.js');
const { runProgram, createRun } = require('../out/core/vm/run.js');
const { runJit, JIT_SETTINGS, clearJitCache } = require('../out/core/jit/index.js');
const k = require('../out/core/kernel/index.js');

const kernel = k.kernelAvailable();
const ratio = (ours, theirs) => (theirs > 0 ? `${(ours / theirs).toFixed(1)}x the kernel` : 'kernel: n/a');
if (!kernel.ok) console.log(`(kernel comparisons skipped: ${kernel.reason})`);
const vmOnly = process.argv.includes('--vm');

/** Loads an object's first program into the kernel with BPF_LOG_STATS: its verification time, ns. */
function kernelVerifyNs(obj, progType, attachType) {
  const loaded = k.loadObjectProgram(obj, listPrograms(obj)[0], { progType, attachType, logLevel: 5 });
  if (!loaded.load) return 0;
  try {
    const m = /verification time (\d+) usec/.exec(loaded.load.log ?? '');
    return m ? Number(m[1]) * 1000 : loaded.load.verificationTimeNs ?? 0;
  } finally {
    loaded.close();
  }
}

// --- the verifier on the corpus, and on the program that makes the kernel process 1,000,000 insns
if (!vmOnly) {
  const dir = 'test/data/verifier';
  let oursNs = 0, theirsNs = 0, n = 0, bigOurs = 0, bigTheirs = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.data')).sort()) {
    const c = parseCase(readFileSync(join(dir, f), 'utf8'));
    if (c.broken) continue;
    const a = assembleCase(c);
    if (a.broken) continue;
    const t0 = performance.now();
    verifyObjectProgram(a.object, listPrograms(a.object)[0], { progType: c.progType, attachType: c.attachType, license: c.license });
    const ns = (performance.now() - t0) * 1e6;
    const kns = kernel.ok ? kernelVerifyNs(a.object, c.progType, c.attachType) : 0;
    if (f === 'loop-complexity-limit.data') { bigOurs = ns; bigTheirs = kns; continue; }
    oursNs += ns; theirsNs += kns; n++;
}
console.log(`verifier, corpus of ${n} programs: ours ${(oursNs / 1e6).toFixed(1)} ms, kernel ${(theirsNs / 1e6).toFixed(1)} ms (${ratio(oursNs, theirsNs)})`);
console.log(`verifier, 1,000,000 processed insns: ours ${(bigOurs / 1e6).toFixed(0)} ms, kernel ${(bigTheirs / 1e6).toFixed(0)} ms (${ratio(bigOurs, bigTheirs)})`);

// --- the VM on an example, against BPF_PROG_TEST_RUN (the kernel's JIT)
const { object } = assemble(readFileSync('examples/xdp_drop_udp.bpf.s', 'utf8'));
const packet = new Uint8Array(64); packet.set([0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 8, 0, 0x45], 0); packet[23] = 17;
const ref = listPrograms(object)[0];
const REPEAT = 20000;
let t0 = performance.now();
for (let i = 0; i < REPEAT; i++) runProgram(object, ref, { progType: 'xdp', input: { packet } });
const vmNs = ((performance.now() - t0) * 1e6) / REPEAT;
let jitNs = 0;
if (kernel.ok) {
  const loaded = k.loadObjectProgram(object, ref, { progType: 'xdp' });
  const r = k.testRun({ progFd: loaded.load.fd, dataIn: packet, repeat: REPEAT });
  jitNs = r.durationNs;
  loaded.close();
}
console.log(`VM, xdp_drop_udp on a 64-byte packet (setup included): ours ${vmNs.toFixed(0)} ns/run, kernel JIT ${jitNs} ns/run (${ratio(vmNs, jitNs)})`);
}

// --- the benchmark programs: our interpreter, our JIT and the kernel's JIT, ns per run, setup excluded
/** A 1500-byte TCP SYN to port 25 (a privileged port the filter drops), with a patterned payload. */
function benchPacket(len) {
  const head = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 8, 0, 0x45, 0, (len - 14) >> 8, (len - 14) & 0xff, 0, 0, 0x40, 0, 64, 6, 0, 0,
    10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x00, 0x19, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
  const p = new Uint8Array(len);
  p.set(head);
  for (let i = head.length; i < len; i++) p[i] = (i * 7) & 0xff;
  return p;
}

/** The process's CPU time in ms: on a machine shared with other work, wall time counts their time too. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Mean CPU ns per run of `exec` on one prepared run, repeated as the kernel's repeat does: the best of a few timed batches. */
function timeRuns(run, exec, budgetMs) {
  for (let i = 0; i < 3; i++) { run.again({ keepMemory: true }); exec(run.vm); }
  let n = 1;
  for (;;) { // a batch of about budgetMs / 8
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) { run.again({ keepMemory: true }); exec(run.vm); }
    if (cpuMs() - t0 > budgetMs / 8 || n > 1e7) break;
    n *= 2;
  }
  let best = Infinity;
  for (let b = 0; b < 6; b++) {
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) { run.again({ keepMemory: true }); exec(run.vm); }
    best = Math.min(best, ((cpuMs() - t0) * 1e6) / n);
  }
  return best;
}

/** The kernel's JIT on the same program and packet: BPF_PROG_TEST_RUN's mean, the best of a few calls; and its verification time. */
function kernelRuns(object, ref, packet, nsGuess) {
  const loaded = k.loadObjectProgram(object, ref, { progType: 'xdp', logLevel: 4 });
  if (!loaded.load || loaded.load.fd === undefined) return { error: loaded.load?.message ?? loaded.message ?? 'cannot load' };
  try {
    const repeat = Math.max(1, Math.min(1_000_000, Math.round(2e8 / Math.max(nsGuess, 1))));
    let best = Infinity, retval;
    for (let b = 0; b < 5; b++) {
      const r = k.testRun({ progFd: loaded.load.fd, dataIn: packet, repeat });
      if (!('retval' in r)) return { error: r.message ?? r.unavailable };
      best = Math.min(best, r.durationNs);
      retval = r.retval;
    }
    return { ns: best, retval, verifyNs: loaded.load.verificationTimeNs ?? 0 };
  } finally {
    loaded.close();
  }
}

const BENCH = [
  { file: 'compute', what: 'compute loop', len: 64 },
  { file: 'checksum', what: 'internet checksum, 1500 bytes', len: 1500 },
  { file: 'filter', what: 'Ethernet/IPv4/TCP filter', len: 64 },
  { file: 'mix', what: 'ALU32, JMP32 and stack mix', len: 64 },
];
const fmtNs = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e4 ? `${(ns / 1e3).toFixed(1)} us` : `${ns.toFixed(0)} ns`);
const times = (ours, theirs) => (theirs > 0 ? `${(ours / theirs).toFixed(1)}x` : 'n/a');
if (vmOnly) vmSection();
else {
  // In a process of its own: measured after the verifier's walks here, the VM's heap and code
  // are no longer fresh, and the same programs ran up to 1.7x slower.
  spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--vm'], { stdio: 'inherit' });
  verifierOnBench();
}

function vmSection() {
  console.log('VM on the benchmark programs (test/data/bench): ns per run with setup excluded (our CPU time), ns per instruction, and x the kernel\'s JIT');
  for (const b of BENCH) {
    const { object } = assemble(readFileSync(`test/data/bench/${b.file}.bpf.s`, 'utf8'));
    const ref = listPrograms(object)[0];
    const packet = benchPacket(b.len);
    const prepared = () => createRun(object, ref, { progType: 'xdp', input: { packet } }).run;
    const check = prepared(); check.vm.run();
    const insns = check.vm.insnCount, r0 = check.vm.reg(0);
    const budgetMs = b.file === 'compute' ? 1500 : 600;
    const interp = timeRuns(prepared(), (vm) => vm.run(), budgetMs);
    const jitRun = prepared();
    const jit = timeRuns(jitRun, runJit, budgetMs);
    if (jitRun.vm.reg(0) !== r0) console.log(`  ${b.file}: the JIT gave r0 = ${jitRun.vm.reg(0)}, the interpreter ${r0}`);
    JIT_SETTINGS.ranges = false; clearJitCache();
    const jitPlain = timeRuns(prepared(), runJit, budgetMs);
    JIT_SETTINGS.ranges = true; clearJitCache();
    const kr = kernel.ok ? kernelRuns(object, ref, packet, jit / 10) : { error: kernel.reason };
    if (kr.retval !== undefined && kr.retval !== Number(r0 & 0xffffffffn)) console.log(`  ${b.file}: the kernel returned ${kr.retval}, we ${r0 & 0xffffffffn}`);
    const kns = kr.ns ?? 0;
    const perInsn = (ns) => `${(ns / insns).toFixed(ns / insns < 10 ? 3 : 1)} ns/insn`;
    console.log(`  ${b.what} (${insns.toLocaleString('en')} insns, r0 ${r0}):`);
    console.log(`    interpreter ${fmtNs(interp)}/run, ${perInsn(interp)} (${times(interp, kns)})`);
    console.log(`    JIT         ${fmtNs(jit)}/run, ${perInsn(jit)} (${times(jit, kns)}); without the range analysis ${fmtNs(jitPlain)}/run (${times(jitPlain, kns)})`);
    console.log(kns ? `    kernel JIT  ${fmtNs(kns)}/run, ${perInsn(kns)}` : `    kernel JIT  n/a (${kr.error})`);
  }
}

/** Our verifier on each benchmark program beside the kernel's reported verification time. */
function verifierOnBench() {
  console.log('verifier on the benchmark programs: ours beside the kernel\'s reported verification time');
  for (const b of BENCH) {
    const { object } = assemble(readFileSync(`test/data/bench/${b.file}.bpf.s`, 'utf8'));
    const ref = listPrograms(object)[0];
    const t0 = performance.now();
    const verdict = verifyObjectProgram(object, ref, { progType: 'xdp' });
    const oursVerifyNs = (performance.now() - t0) * 1e6;
    const kr = kernel.ok ? kernelRuns(object, ref, benchPacket(b.len), 1e6) : { error: kernel.reason };
    console.log(`  ${b.what}: ours ${(oursVerifyNs / 1e6).toFixed(1)} ms (${verdict.accepted ? 'accepted' : `rejected: ${verdict.message}`}, ${verdict.stats.processedInsns.toLocaleString('en')} processed insns), ` +
      `kernel ${kr.verifyNs ? `${(kr.verifyNs / 1e6).toFixed(1)} ms (${times(oursVerifyNs, kr.verifyNs)})` : 'n/a'}`);
  }
}

if (!vmOnly) {
  // --- the language server: diagnostics, hover and completion latency against the issue's targets
  await benchLsp();
  // --- the debugger: a `next` over DAP, and going back through a 10,000,000-instruction run
  await benchDap();
}
