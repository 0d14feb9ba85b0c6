/**
 * Abstract against concrete: every program our verifier accepts is run in the VM one
 * instruction at a time, and before each instruction every register and stack slot the
 * verifier has a state for is checked against the value the run holds (core/debug/soundness.ts,
 * what the debugger's Verifier scope flags). A value outside is a soundness bug of the
 * verifier (or of the VM), so over the kernel-differential corpus (the generated programs of
 * test/diff/kernelRun.test.ts, on their packets), the verifier corpus and the examples it must
 * never fire. A control shows that the check does fire on a state that is wrong.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../core/asm/assemble';
import { BpfObject } from '../../core/object';
import { linkProgram, listPrograms, ProgramRef } from '../../core/link';
import { verifyProgram } from '../../core/verifier';
import { createRun } from '../../core/vm/run';
import { readCapture } from '../../core/input/pcap';
import { sectionProgType } from '../../core/progtypes/table';
import { concretePointer, outsideAbstract, sideBySide } from '../../core/debug/soundness';
import { Reg } from '../../core/verifier/state';
import { generateProgram, DiffProgType } from '../gen/programs';
import { rng } from '../gen';
import { REPO_ROOT, TEST_DATA } from '../paths';
import { assembleCase, parseCase } from '../verifier/kernelVerdict';

const COUNT = Number(process.env.EBPF_SOUNDNESS_COUNT ?? 500);

interface Tally { programs: number; steps: number; checked: number; outside: string[] }

/** Runs one accepted program on each packet, checking every state on the way; returns false if the verifier rejects it. */
function checkProgram(obj: BpfObject, ref: ProgramRef, progType: string, packets: (Uint8Array | undefined)[], tally: Tally, label: string): boolean {
  const { program } = linkProgram(obj, ref);
  const v = verifyProgram(program, { progType, license: obj.license, maps: obj.maps, recordStack: true });
  if (!v.accepted) return false;
  tally.programs++;
  for (const packet of packets) {
    const { run } = createRun(obj, ref, { progType, input: { packet }, budget: 200_000 });
    if (!run) continue;
    const vm = run.vm;
    for (let steps = 0; steps < 200_000 && !vm.done; steps++) {
      const pc = vm.pc;
      const frames = vm.callStack();
      const rows = sideBySide({ accepted: true, strings: v.regsBefore(pc), regs: v.statesBefore(pc), slots: v.slotsBefore(pc), live: v.liveBefore(pc) }, vm, run.host.packet, frames[frames.length - 1].stack);
      tally.checked += rows.filter((row) => !row.dead).length;
      for (const row of rows) {
        if (row.outside && tally.outside.length < 5) tally.outside.push(`${label} insn ${pc} ${row.name}: ${row.outside} (verifier ${row.verifier}, run ${row.run})`);
      }
      tally.steps++;
      if (vm.step().reason !== 'step') break;
    }
  }
  return true;
}

/** An Ethernet frame of `len` bytes: IPv4 UDP where it is long enough for the header, else a bare EtherType. */
const frame = (len: number) => {
  const p = new Uint8Array(Math.max(len, 34));
  p.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, (len - 14) >> 8, (len - 14) & 0xff, 0, 0, 0x40, 0, 64, 17]);
  if (len < 34) p.set([0x88, 0xb5], 12);
  return p.subarray(0, len);
};

test(`the verifier's states hold every run of ${COUNT} generated programs per type (the kernel-differential corpus)`, (t) => {
  const tally: Tally = { programs: 0, steps: 0, checked: 0, outside: [] };
  for (const progType of ['xdp', 'sched_cls', 'socket_filter'] as DiffProgType[]) {
    const r = rng(7000 + progType.length);
    for (let n = 0; n < COUNT; n++) {
      const g = generateProgram(r, progType);
      const { object } = assemble(g.text);
      checkProgram(object, listPrograms(object)[0], progType, [g.packet], tally, `${progType} #${n}`);
    }
  }
  assert.deepEqual(tally.outside, []);
  t.diagnostic(`${tally.programs} programs accepted and run, ${tally.steps} steps, ${tally.checked} values checked`);
  assert.ok(tally.programs >= COUNT, `only ${tally.programs} programs accepted`);
  assert.ok(tally.checked > 10 * tally.steps, `${tally.checked} values checked over ${tally.steps} steps`);
});

test('the verifier\'s states hold every run of the accepted verifier-corpus programs, on short, typical and long frames', (t) => {
  const dir = join(TEST_DATA, 'verifier');
  const tally: Tally = { programs: 0, steps: 0, checked: 0, outside: [] };
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.data')).sort()) {
    const c = parseCase(readFileSync(join(dir, file), 'utf8'));
    if ('broken' in c || c.result !== 'accept') continue;
    const a = assembleCase(c);
    if ('broken' in a) continue;
    const packets = ['xdp', 'sched_cls', 'sched_act', 'socket_filter', 'cgroup_skb'].includes(c.progType) ? [frame(14), frame(64), frame(1500)] : [undefined];
    try {
      checkProgram(a.object, listPrograms(a.object)[0], c.progType, packets, tally, file);
    } catch (e) {
      tally.outside.push(`${file}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(tally.outside, []);
  t.diagnostic(`${tally.programs} programs accepted and run, ${tally.steps} steps, ${tally.checked} values checked`);
  assert.ok(tally.programs > 100, `${tally.programs} accepted programs run`);
});

test('the verifier\'s states hold every run of the examples on their captures', (t) => {
  const tally: Tally = { programs: 0, steps: 0, checked: 0, outside: [] };
  const cases: [string, string][] = [['xdp_firewall.bpf.s', 'firewall.pcap'], ['tc_counter.bpf.s', 'tc.pcap'], ['socket_filter.bpf.s', 'dns.pcap'], ['xdp_drop_udp.bpf.s', 'firewall.pcap']];
  for (const [file, pcap] of cases) {
    const { object } = assemble(readFileSync(join(REPO_ROOT, 'examples', file), 'utf8'));
    const packets = readCapture(readFileSync(join(REPO_ROOT, 'examples', 'inputs', pcap))).packets.map((p) => p.data);
    for (const ref of listPrograms(object)) {
      assert.ok(checkProgram(object, ref, sectionProgType(ref.section)!.progType, packets, tally, file), `${file} is accepted`);
    }
  }
  assert.deepEqual(tally.outside, []);
  t.diagnostic(`${tally.programs} programs, ${tally.steps} steps, ${tally.checked} values checked`);
  assert.ok(tally.steps > 500);
});

test('the check fires on a state that is wrong: a scalar, a packet offset and a pointer kind', () => {
  const { object } = assemble('.section xdp\nr2 = *(u32 *)(r1 + 0)\nr0 = 2\nexit\n');
  const ref = listPrograms(object)[0];
  const { program } = linkProgram(object, ref);
  const v = verifyProgram(program, { progType: 'xdp', recordStack: true });
  const { run } = createRun(object, ref, { progType: 'xdp', input: { packet: frame(64) } });
  const vm = run!.vm;
  vm.step();
  const r2 = v.statesBefore(1)![2];
  assert.equal(r2.kind, 'pkt');
  const p = concretePointer(vm.reg(2), vm.memory, run!.host.packet);
  assert.deepEqual(p, { region: 'packet', off: 0, atPacketEnd: false });
  assert.equal(outsideAbstract(r2, vm.reg(2), p), undefined);
  // The same pointer, were the verifier to say offset 4: outside.
  assert.match(outsideAbstract({ ...r2, off: 4 }, vm.reg(2), p)!, /offset 0 is outside the verifier's 4/);
  // A context pointer where the run holds a packet pointer.
  assert.match(outsideAbstract({ ...r2, kind: 'ctx' } as Reg, vm.reg(2), p)!, /ctx pointer here, the run points into packet/);
  // A scalar said to be at most 10 holding 42, and one whose known low bit disagrees.
  const scalar = v.statesBefore(2)![0];
  assert.equal(scalar.kind, 'scalar');
  const narrow: Reg = { ...scalar, v: { ...scalar.v, umax: 10n, smax: 10n, umin: 0n, smin: 0n, u32min: 0n, u32max: 10n, s32min: 0n, s32max: 10n, varOff: { value: 0n, mask: 15n } } };
  assert.equal(outsideAbstract(narrow, 2n, undefined), undefined);
  assert.match(outsideAbstract(narrow, 42n, undefined)!, /42 is outside the verifier's unsigned range \[0, 10\]/);
  const odd: Reg = { ...narrow, v: { ...narrow.v, varOff: { value: 1n, mask: 14n } } };
  assert.match(outsideAbstract(odd, 2n, undefined)!, /disagrees with the bits the verifier knows/);
});
