// The debugger's speed: the mean time of a `next` request over DAP on a program of 1,000
// instructions (the built adapter, driven by @vscode/debugadapter-testsupport's client), and
// what going back costs on a run of 10,000,000 instructions. Going back replays the run from
// its start (core/debug/runtime.ts), so "recording" is free: the numbers are the time to run
// forward, the memory the session holds at the end compared with its start, and the time of
// one step back from the end.
//
// Run alone with `node scripts/bench-dap.mjs` (after npm run build and npm run compile-tests);
// `npm run bench` runs it.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
const require = createRequire(import.meta.url);
const { DebugClient } = require('@vscode/debugadapter-testsupport');
const { DebugRuntime } = require('../out/core/debug/runtime.js');
const { assemble } = require('../out/core/asm/assemble.js');
const { listPrograms } = require('../out/core/link.js');

const FRAME = Buffer.from('000000000000020000000001080045000014000000004011000000000000000000000000', 'hex');

export async function benchDap() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-dap-'));
  try {
    // 1,000 instructions, one a line: arithmetic on r2..r5, a store now and then.
    const lines = ['.section xdp'];
    for (let k = 0; k < 998; k++) lines.push(k % 10 === 9 ? `*(u64 *)(r10 - ${8 * (1 + (k % 8))}) = r${2 + (k % 4)}` : `r${2 + (k % 4)} += ${k}`);
    lines.push('r0 = 2', 'exit');
    const file = join(dir, 'long.bpf.s');
    writeFileSync(file, lines.join('\n') + '\n');
    const dc = new DebugClient(process.execPath, join(process.cwd(), 'dist', 'debugAdapter.js'), 'ebpf');
    await dc.start();
    await Promise.all([
      dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
      dc.launch({ program: file, packet: FRAME.toString('hex'), stopOnEntry: true }),
      dc.waitForEvent('stopped'),
    ]);
    const N = 500;
    const t0 = performance.now();
    for (let k = 0; k < N; k++) await Promise.all([dc.nextRequest({ threadId: 1 }), dc.waitForEvent('stopped')]);
    const nextMs = (performance.now() - t0) / N;
    await dc.stop();

    // 10,000,000 instructions: a loop of four, 2,500,000 times.
    const { object } = assemble('.section xdp\nr1 = 0\nr2 = 0\nl:\nr2 += r1\nr1 += 1\n*(u64 *)(r10 - 8) = r2\nif r1 < 2500000 goto l\nr0 = 2\nexit\n');
    const rt = new DebugRuntime({ object, ref: listPrograms(object)[0], progType: 'xdp', packets: [FRAME], budget: 20_000_000 }, () => undefined);
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t1 = performance.now();
    rt.start();
    const exitPc = rt.program.insns.length - 1;
    rt.breakpoints = [{ id: 1, pc: exitPc, hits: 0 }];
    while (!rt.resume('continue', 1_000_000));
    const forwardMs = performance.now() - t1;
    const insns = rt.position;
    global.gc?.();
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 1048576;
    const t2 = performance.now();
    rt.stepBack();
    const backMs = performance.now() - t2;
    console.log('Debugger (scripts/bench-dap.mjs)');
    console.log(`  next over DAP on a 1,000-instruction program: ${nextMs.toFixed(2)} ms mean over ${N} requests`);
    console.log(`  a run of ${insns.toLocaleString('en')} instructions: ${forwardMs.toFixed(0)} ms forward with a breakpoint set, ` +
      `${heapMb.toFixed(1)} MB held for going back (replay records nothing), one step back from the end ${backMs.toFixed(0)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchDap();
