/**
 * core/debug/locals.ts on the VM: C examples built by clang-19, run on their example packets
 * up to an instruction, and their C variables read there must hold what the packet and the
 * program put in them: a struct on the stack (clang-19's DW_OP_fbreg offsets counted from the
 * bottom of the frame, corrected by the frame size), packet pointers described as `pkt+N`,
 * a parameter of a bpf-to-bpf subprogram in .text, constants of inlined calls, and
 * `<optimized out>` where no location covers the pc. Skips without clang-19.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC, exampleText, INPUTS_DIR, noClang } from '../c/build';
import { readElf } from '../../core/elf/read';
import { listPrograms } from '../../core/link';
import { createRun, mapsForObject, Run } from '../../core/vm/run';
import { loadMapsJson } from '../../core/maps/json';
import { readCapture } from '../../core/input/pcap';
import { frameAccess, LocalVar, localsAt, localsIndex, LocalsIndex, OPTIMIZED_OUT, readLocal } from '../../core/debug/locals';
import { TypedValue } from '../../core/debug/btfValues';
import { BpfObject } from '../../core/object';

let dir: string;
before(() => { if (!noClang) dir = mkdtempSync(join(tmpdir(), 'locals-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function build(name: string): { object: BpfObject; index: LocalsIndex } {
  const { obj } = buildC(dir, name, exampleText(name));
  const { object } = readElf(new Uint8Array(readFileSync(obj)));
  const index = localsIndex(object);
  assert.ok(index, 'the object has DWARF');
  return { object, index };
}

const packets = (pcap: string) => readCapture(new Uint8Array(readFileSync(join(INPUTS_DIR, pcap)))).packets.map((p) => p.data);

/** Runs `packet` until the machine stands on a slot `stop` accepts; undefined if the run ends first. */
function runTo(object: BpfObject, progType: string, packet: Uint8Array, stop: (run: Run, pc: number) => boolean, mapsFile?: string): Run | undefined {
  const maps = mapsForObject(object);
  if (mapsFile) assert.deepEqual(loadMapsJson(maps, JSON.parse(readFileSync(join(INPUTS_DIR, mapsFile), 'utf8'))), []);
  const run = createRun(object, listPrograms(object)[0], { progType, maps, input: { packet } }).run!;
  for (let n = 0; n < 100_000; n++) {
    if (stop(run, run.vm.pc)) return run;
    if (run.vm.step().reason !== 'step') return undefined;
  }
  return undefined;
}

/** The locals of frame `depth`, read, by name. */
function locals(index: LocalsIndex, run: Run, depth: number): Map<string, { v: LocalVar; value: TypedValue }> {
  const pc = run.vm.callStack()[depth].pc;
  const { section, slot } = run.vm.program.origin[pc];
  const frame = frameAccess(run, depth);
  return new Map(localsAt(index, section, slot).map((v) => [v.name, { v, value: readLocal(index, v, frame) }]));
}

const isHelperCall = (run: Run, pc: number, id: number) => run.vm.program.insns[pc].code === 0x85 && run.vm.program.insns[pc].src === 0 && run.vm.program.insns[pc].imm === id;
const be = (b: Uint8Array, off: number, n: number) => b.subarray(off, off + n).reduce((v, x) => v * 256 + x, 0);
const num = (n: number) => `0x${n.toString(16)} (${n})`;
const field = (v: TypedValue, name: string) => v.children?.find((c) => c.name === name)?.value;
/** The first field of this name at any depth (saddr sits in iphdr's anonymous union). */
const deep = (v: TypedValue, name: string): string | undefined => {
  const queue = [...(v.children ?? [])];
  for (let c = queue.shift(); c; c = queue.shift()) {
    if (c.name === name) return c.value;
    queue.push(...(c.children ?? []));
  }
  return undefined;
};

test('tc_rewrite: the struct service on the stack holds the packet\'s address, port and protocol at the lookup', { skip: noClang }, () => {
  const { object, index } = build('tc_rewrite.bpf.c');
  let checked = 0;
  for (const packet of packets('nat.pcap')) {
    const run = runTo(object, 'sched_cls', packet, (r, pc) => isHelperCall(r, pc, 1));
    if (!run) continue;
    const vars = locals(index, run, 0);
    const svc = vars.get('svc')!;
    assert.ok(svc, `no svc among ${[...vars.keys()].join(', ')}`);
    assert.match(svc.v.location!, /^DW_OP_fbreg \+\d+$/);
    assert.equal(svc.value.type, 'struct service');
    const ihl = (packet[14] & 0xf) * 4;
    assert.equal(field(svc.value, 'addr'), num(be(packet, 30, 4)));
    assert.equal(field(svc.value, 'port'), num(be(packet, 14 + ihl + 2, 2)));
    assert.equal(field(svc.value, 'proto'), num(packet[23]));
    assert.equal(field(svc.value, 'pad'), num(0));
    const skb = vars.get('skb');
    assert.ok(skb);
    checked++;
  }
  assert.ok(checked >= 3, `only ${checked} packets reached the lookup`);
});

test('xdp_firewall: packet pointers, the IPv4 header through ip, inlined count()\'s constants, and <optimized out>', { skip: noClang }, () => {
  const { object, index } = build('xdp_firewall.bpf.c');
  const blocked = packets('firewall.pcap')[2];
  // The first instruction of `if (ip->version != 4 || ip->ihl < 5)`.
  const line = exampleText('xdp_firewall.bpf.c').split('\n').findIndex((l) => l.includes('ip->version != 4'));
  const run = runTo(object, 'xdp', blocked, (r, pc) => r.vm.program.lines[pc]?.line === line)!;
  assert.ok(run, 'the run reaches the IPv4 header check');
  const vars = locals(index, run, 0);
  assert.equal(vars.get('data')!.value.value.split(' ')[0], 'pkt+0');
  assert.equal(vars.get('data_end')!.value.value.split(' ')[0], `pkt+${blocked.length}`);
  assert.equal(vars.get('eth')!.value.value.split(' ')[0], 'pkt+0');
  assert.equal(vars.get('len')!.value.value, num(blocked.length));
  const ip = vars.get('ip')!.value;
  assert.equal(ip.type, 'struct iphdr *');
  assert.equal(ip.value.split(' ')[0], 'pkt+14');
  const hdr = ip.children![0];
  assert.equal(hdr.name, '*ip');
  assert.equal(deep(hdr, 'saddr'), num(be(blocked, 26, 4)));
  assert.equal(deep(hdr, 'daddr'), num(be(blocked, 30, 4)));
  assert.equal(field(hdr, 'protocol'), num(blocked[23]));
  assert.equal(vars.get('blocked')!.value.value, OPTIMIZED_OUT);
  assert.equal(vars.get('ctx')!.value.value, OPTIMIZED_OUT);

  // With the blocklist loaded: inside the inlined count(REASON_BLOCKED, len, XDP_DROP), at its map lookup, key on the stack is 1.
  const inCount = runTo(object, 'xdp', blocked, (r, pc) => isHelperCall(r, pc, 1) && r.vm.reg(2) === r.vm.reg(10) - 4n && localsAt(index, 'xdp', r.vm.program.origin[pc].slot).some((v) => v.name === 'blocked' && v.location), 'firewall_c.maps.json')!;
  assert.ok(inCount, 'the run reaches count() after the blocklist lookup');
  const c = locals(index, inCount, 0);
  assert.ok(c.get('reason')!.v.inlined && c.get('reason')!.v.param);
  assert.equal(c.get('reason')!.value.value, 'REASON_BLOCKED (1)');
  assert.equal(c.get('verdict')!.value.value, num(1));
  assert.equal(c.get('key')!.value.value, num(1));
  assert.equal(c.get('bytes')!.value.value, num(blocked.length));
  assert.match(c.get('blocked')!.value.value, /^map_value\(blocklist\)/);
});

test('xdp_counter: the parameter of a bpf-to-bpf subprogram in .text, and the caller\'s frame', { skip: noClang }, () => {
  const { object, index } = build('xdp_counter.bpf.c');
  let checked = 0;
  for (const packet of packets('firewall.pcap')) {
    const run = runTo(object, 'xdp', packet, (r, pc) => r.vm.program.origin[pc].section === '.text' && isHelperCall(r, pc, 1));
    if (!run) continue;
    assert.equal(run.vm.callStack().length, 2);
    const inner = locals(index, run, 1);
    assert.equal(inner.get('proto')!.value.value, num(packet[23]));
    // The caller's frame: what lives in r0-r5 there is gone, r6-r9 and the stack remain.
    const outer = locals(index, run, 0);
    assert.ok(outer.size > 0);
    for (const { v, value } of outer.values()) {
      if (/^DW_OP_reg[0-5] /.test(v.location ?? '')) assert.match(value.value, /is not known in this frame/);
    }
    checked++;
  }
  assert.ok(checked >= 1, 'no packet reached count_protocol');
});
