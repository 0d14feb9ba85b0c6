// `npm run bench`: speed, as ratios against the running kernel measured in the same run
// (DESIGN.md, Testing). Needs the compiled tree (npm run bench builds and compiles first).
// Where bpf(2) is not permitted, our numbers print alone, saying why.
// Last, the language server's latency against the targets (scripts/bench-lsp.mjs), and
// the debugger's step and going-back costs (scripts/bench-dap.mjs).
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchLsp } from './bench-lsp.mjs';
import { benchDap } from './bench-dap.mjs';
const require = createRequire(import.meta.url);
const { parseCase, assembleCase } = require('../out/test/verifier/kernelVerdict.js');
const { verifyObjectProgram } = require('../out/core/verifier/index.js');
const { listPrograms } = require('../out/core/link.js');
const { assemble } = require('../out/core/asm/assemble.js');
const { runProgram } = require('../out/core/vm/run.js');
const k = require('../out/core/kernel/index.js');

const kernel = k.kernelAvailable();
const ratio = (ours, theirs) => (theirs > 0 ? `${(ours / theirs).toFixed(1)}x the kernel` : 'kernel: n/a');
if (!kernel.ok) console.log(`(kernel comparisons skipped: ${kernel.reason})`);

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

// --- the language server: diagnostics, hover and completion latency against the targets
await benchLsp();

// --- the debugger: a `next` over DAP, and going back through a 10,000,000-instruction run
await benchDap();
