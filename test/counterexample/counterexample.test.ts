/**
 * Counterexample search over the acceptance corpus (corpus.ts). For a reachable rejection the
 * input found is checked here, apart from core/counterexample's own check: `run` from the CLI
 * (the command a user would paste) faults at the failing instruction, and the VM stopped at
 * that instruction shows the state the verifier refused (the register NULL, the access past
 * the packet's end or outside its memory). For a path that cannot happen the answer is
 * `infeasible` and names the line that makes it so. Then `verify --counterexample`, text and
 * JSON (DESIGN.md).
 */

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../paths';
import { run } from '../tools';
import { Access, CASES, CexCase, LoadedCase, loadCase, markedLine } from './corpus';
import { verifyObjectProgram } from '../../core/verifier';
import { Counterexample, findCounterexample } from '../../core/counterexample';
import { closeSolver, z3Solver } from '../../core/counterexample/z3';
import { createRun, mapsForObject } from '../../core/vm/run';
import { loadMapsJson } from '../../core/maps/json';
import { parseEnvJson } from '../../core/input/parse';
import { RunEnv } from '../../core/vm/host';
import { linkProgram } from '../../core/link';
import { lookupRow } from '../../core/isa/opcodes';
import { HI_BASE, LO_BASE } from '../../core/vm/memory';

after(() => closeSolver());

const cli = (...args: string[]) => run(process.execPath, [CLI, ...args]);

function withTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-cex-'));
  try { return fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

type Found = Extract<Counterexample, { run: unknown }>;

async function search(c: CexCase): Promise<{ loaded: LoadedCase; insn: number; found: Counterexample; ms: number }> {
  const loaded = loadCase(c);
  const result = verifyObjectProgram(loaded.object, loaded.ref, { progType: loaded.progType, attachType: loaded.attachType });
  assert.equal(result.accepted, false, 'the verifier accepts it');
  assert.match(result.message ?? '', c.reason, 'rejected for another reason');
  const t0 = performance.now();
  const found = await findCounterexample({ ...loaded, result }, z3Solver);
  return { loaded, insn: result.insnIdx!, found, ms: performance.now() - t0 };
}

/** `run FILE ... --json` on the counterexample, as a user would paste it. */
function runCli(c: CexCase, found: Found): { exit: string; error?: string } {
  return withTemp((dir) => {
    const file = join(dir, 'prog.bpf.s');
    writeFileSync(file, c.asm);
    const args = ['run', file, '--json'];
    if (c.progType) args.push('--prog-type', c.progType);
    if (found.packet !== undefined) args.push('--packet', found.packet);
    if (found.ctx && Object.keys(found.ctx).length) args.push('--ctx', JSON.stringify(found.ctx));
    if (found.maps) {
      writeFileSync(join(dir, 'maps.json'), JSON.stringify(found.maps));
      args.push('--maps', join(dir, 'maps.json'));
    }
    if (found.env) {
      writeFileSync(join(dir, 'env.json'), JSON.stringify(found.env));
      args.push('--env', join(dir, 'env.json'));
    }
    const r = cli(...args);
    assert.ok(r.status === 0 || r.status === 1, `run exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  });
}

/** The VM on the counterexample, stopped at a breakpoint on the failing instruction. */
function stopAt(loaded: LoadedCase, found: Found, insn: number) {
  const env = found.env ? parseEnvJson(JSON.stringify(found.env)) : undefined;
  assert.notEqual(typeof env, 'string', String(env));
  const maps = mapsForObject(loaded.object, env as RunEnv | undefined);
  if (found.maps) assert.deepEqual(loadMapsJson(maps, found.maps).filter((d) => d.severity === 'error'), []);
  const packet = found.packet === undefined ? undefined : Uint8Array.from(Buffer.from(found.packet, 'hex'));
  const { run: r, diagnostics } = createRun(loaded.object, loaded.ref, { progType: loaded.progType, maps, env: env as RunEnv | undefined, input: { packet, ctxFields: found.ctx } });
  assert.ok(r, diagnostics.map((d) => d.message).join('; '));
  const stop = r.vm.run({ breakpoints: new Set([insn]) });
  assert.equal(stop.reason, 'breakpoint', `the run stopped (${stop.reason} at insn ${stop.pc}: ${stop.message ?? ''}) before insn ${insn}`);
  assert.equal(stop.pc, insn);
  return r.vm;
}

/** At the failing instruction: its access is the one the verifier refused. */
function checkAccess(loaded: LoadedCase, vm: ReturnType<typeof stopAt>, insn: number, access: Access): void {
  const i = linkProgram(loaded.object, loaded.ref).program.insns[insn];
  const row = lookupRow(i)!;
  const base = row.kind === 'ldx' || row.kind === 'ldsx' ? i.src : i.dst;
  if (access === 'null') {
    assert.equal(vm.reg(base), 0n, `r${base} is not NULL at insn ${insn}`);
    return;
  }
  const region = vm.memory.slots[vm.hi[base] - HI_BASE];
  assert.ok(region, `r${base} points into no memory at insn ${insn}`);
  const expected = { packet: ['packet'], value: ['map_value', 'ringbuf', 'mem'], stack: ['stack'] }[access];
  assert.ok(expected.includes(region.kind), `r${base} points into ${region.kind}, not ${expected.join('/')}`);
  const start = (vm.lo[base] >>> 0) - LO_BASE + i.off;
  const end = start + row.size!;
  if (access === 'packet') assert.ok(end > region.highOff, `the packet (to ${region.highOff}) holds the access [${start}, ${end})`);
  else assert.ok(start < region.lowOff || end > region.highOff, `[${start}, ${end}) lies inside ${region.name}`);
}

const times: { name: string; ms: number; answer: string }[] = [];

for (const c of CASES) {
  test(`${c.expect}: ${c.name}`, async () => {
    const { loaded, insn, found, ms } = await search(c);
    times.push({ name: c.name, ms, answer: Object.keys(found).find((k) => k === 'infeasible' || k === 'unknown') ?? (found as Found).run });
    if (c.expect === 'infeasible') {
      assert.ok('infeasible' in found, `expected infeasible, got ${JSON.stringify(found)}`);
      assert.match(found.infeasible, new RegExp(`\\bline ${markedLine(c)}\\b`));
      return;
    }
    assert.ok('run' in found, `no counterexample: ${JSON.stringify(found)}`);
    assert.equal(found.run, c.expect);
    if (c.expect === 'faults') {
      const out = runCli(c, found);
      assert.equal(out.exit, 'fault', `run did not fault: ${JSON.stringify(out)}`);
      assert.match(out.error ?? '', new RegExp(`at insn ${insn}\\b`));
    }
    const vm = stopAt(loaded, found, insn);
    if (c.access) checkAccess(loaded, vm, insn, c.access);
  });
}

test('the corpus has what the acceptance asks: 22 reachable rejections, 6 infeasible ones', () => {
  assert.ok(CASES.filter((c) => c.expect !== 'infeasible').length >= 22);
  assert.ok(CASES.filter((c) => c.expect === 'infeasible').length >= 6);
  const types = new Set(CASES.map((c) => loadCase(c).progType));
  for (const t of ['xdp', 'sched_cls', 'socket_filter', 'kprobe']) assert.ok(types.has(t), `no ${t} case`);
});

test('an answer that leans on the test run\'s rule for IPv4 frames says so', async () => {
  // Frames with an IPv4 EtherType hold the whole IPv4 header in BPF_PROG_TEST_RUN (core/vm/context.ts).
  const c: CexCase = {
    name: 'tc: the IPv4 source address read after checking only the Ethernet header',
    expect: 'infeasible', reason: /outside of the packet/,
    asm: `
	.section tc
prog:
	r2 = *(u32 *)(r1 + 76)
	r3 = *(u32 *)(r1 + 80)
	r4 = r2
	r4 += 14
	if r4 > r3 goto out
	r5 = *(u16 *)(r2 + 12)
	if r5 != 0x8 goto out
	r0 = *(u32 *)(r2 + 26)
out:
	r0 = 0
	exit
`,
  };
  const { found } = await search(c);
  assert.ok('infeasible' in found, JSON.stringify(found));
  assert.match(found.infeasible, /BPF_PROG_TEST_RUN's rules for input: (.*; )?an IPv4 frame holds its header/);
});

const [FAULTS, INFEASIBLE] = [CASES.find((c) => c.access === 'packet')!, CASES.find((c) => c.expect === 'infeasible')!];

test('verify --counterexample --json: each error carries an input or the reason none exists (DESIGN.md)', () => {
  withTemp((dir) => {
    for (const [c, want] of [[FAULTS, 'run'], [INFEASIBLE, 'infeasible']] as const) {
      const file = join(dir, 'prog.bpf.s');
      writeFileSync(file, c.asm);
      const r = cli('verify', file, '--counterexample', '--json');
      assert.equal(r.status, 1, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.accepted, false);
      assert.equal(out.diagnostics.length, 1);
      const d = out.diagnostics[0];
      assert.equal(typeof d.insn, 'number');
      assert.match(d.message, c.reason);
      const cex = d.counterexample;
      assert.ok(cex && typeof cex === 'object', 'no counterexample field');
      if (want === 'run') {
        assert.deepEqual(Object.keys(cex).sort(), ['packet', 'run']);
        assert.match(cex.packet, /^([0-9a-f]{2})+$/);
        assert.equal(cex.run, 'faults');
      } else {
        assert.deepEqual(Object.keys(cex), ['infeasible']);
        assert.match(cex.infeasible, new RegExp(`line ${markedLine(c)}\\b`));
      }
    }
  });
});

test('verify --counterexample: the text output gives the input as run options, or why no run gets there', () => {
  withTemp((dir) => {
    const file = join(dir, 'prog.bpf.s');
    writeFileSync(file, FAULTS.asm);
    const r = cli('verify', file, '--counterexample');
    assert.equal(r.status, 1, r.stderr);
    const packet = /counterexample \(the run faults there\): --packet ([0-9a-f]+)/.exec(r.stdout);
    assert.ok(packet, r.stdout);
    const out = runCli(FAULTS, { packet: packet[1], run: 'faults' });
    assert.equal(out.exit, 'fault');

    writeFileSync(file, INFEASIBLE.asm);
    const n = cli('verify', file, '--counterexample');
    assert.equal(n.status, 1, n.stderr);
    assert.match(n.stdout, new RegExp(`no run gets there: .*line ${markedLine(INFEASIBLE)}\\b`));
  });
});

test('a path longer than the search follows is answered unknown, saying how long it is; a shorter one is solved', async () => {
  const loop = (n: number) => `\t.section xdp\nprog:\n\tr6 = 0\nloop:\n\tr6 += 1\n\tif r6 < ${n} goto loop\n\tr2 = *(u32 *)(r1 + 0)\n\tr0 = *(u8 *)(r2 + 20)\n\tr0 = 2\n\texit\n`;
  for (const [n, long] of [[60_000, true], [1_000, false]] as const) {
    const c: CexCase = { name: `loop ${n}`, asm: loop(n), reason: /packet/, expect: 'faults' };
    const loaded = loadCase(c);
    const result = verifyObjectProgram(loaded.object, loaded.ref, { progType: loaded.progType });
    const found = await findCounterexample({ object: loaded.object, ref: loaded.ref, progType: loaded.progType, result }, z3Solver);
    if (long) assert.match('unknown' in found ? found.unknown : JSON.stringify(found), /the rejected path runs 120,00\d instructions; the search follows at most 100,000/);
    else assert.equal('run' in found && found.run, 'faults', JSON.stringify(found));
  }
});

test('verify without --counterexample adds no counterexample', () => {
  withTemp((dir) => {
    const file = join(dir, 'prog.bpf.s');
    writeFileSync(file, FAULTS.asm);
    const out = JSON.parse(cli('verify', file, '--json').stdout);
    assert.equal(out.diagnostics[0].counterexample, undefined);
  });
});

after(() => {
  if (!times.length) return;
  const total = times.reduce((n, t) => n + t.ms, 0);
  const count = (a: string) => times.filter((t) => (a === 'found' ? t.answer === 'faults' || t.answer === 'reaches' : t.answer === a)).length;
  process.stdout.write(`# counterexample corpus: ${count('found')} found, ${count('infeasible')} infeasible, ${count('unknown')} unknown; ` +
    `${total.toFixed(0)} ms in all, slowest ${Math.max(...times.map((t) => t.ms)).toFixed(0)} ms (Z3 loads during the first)\n`);
});
