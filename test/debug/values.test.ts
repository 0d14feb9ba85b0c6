/** How the debugger shows values: registers and what they point at, stack slots, context fields, hex dumps, map entries. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bytesText, contextFields, describeRegion, formatOptionsForRun, formatRegister, formatRegisters, hexdump, mapEntries, stackSlots,
} from '../../core/debug/values';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { createMaps, ProgArrayMap, u32Bytes } from '../../core/maps';
import { MapDef } from '../../core/object';
import { FUNC_HI } from '../../core/vm/machine';
import { Memory } from '../../core/vm/memory';
import { createRun, MAP_HANDLE_HI, Run } from '../../core/vm/run';
import { REPO_ROOT } from '../paths';

const MAX = (1n << 64n) - 1n;

/** Ethernet + IPv4 + UDP, 42 bytes. */
function udpPacket(): Uint8Array {
  const p = new Uint8Array(14 + 20 + 8);
  p.set([0x08, 0x00], 12);
  p.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  return p;
}

function startRun(text: string, packet = udpPacket()): Run {
  const { object, diagnostics } = assemble(text);
  assert.deepEqual(diagnostics, []);
  const { run } = createRun(object, listPrograms(object)[0], { progType: 'xdp', input: { packet } });
  assert.ok(run);
  return run;
}

function xdpDropUdp(): Run {
  return startRun(readFileSync(join(REPO_ROOT, 'examples', 'xdp_drop_udp.bpf.s'), 'utf8'));
}

function runTo(run: Run, pc: number): void {
  for (let n = 0; run.vm.pc !== pc; n++) {
    assert.ok(n < 100, `never reached pc ${pc}`);
    run.vm.step();
  }
}

/** What register n points at now. */
function pointer(run: Run, n: number): string | undefined {
  return formatRegister(run.vm.reg(n), run.vm.memory, formatOptionsForRun(run)).pointer;
}

test('a register in hex, decimal and signed decimal; plain numbers point at nothing', () => {
  const memory = new Memory();
  assert.deepEqual(formatRegister(0n, memory), { hex: '0x0', decimal: '0', signed: '0' });
  assert.deepEqual(formatRegister(MAX, memory), { hex: '0xffffffffffffffff', decimal: '18446744073709551615', signed: '-1' });
  assert.deepEqual(formatRegister(-2n, memory), { hex: '0xfffffffffffffffe', decimal: '18446744073709551614', signed: '-2' });
  assert.deepEqual(formatRegister(42n, memory), { hex: '0x2a', decimal: '42', signed: '42' });
  assert.equal(formatRegister((BigInt(FUNC_HI) << 32n) | 12n, memory).pointer, 'func@12');
  assert.equal(formatRegister(BigInt(MAP_HANDLE_HI) << 32n, memory).pointer, 'map(#0)');
});

test('xdp_drop_udp: packet, context and stack pointers', () => {
  const run = xdpDropUdp();
  assert.equal(pointer(run, 1), 'ctx+0 (data)');
  assert.equal(pointer(run, 10), 'fp');
  runTo(run, 6); // r4 = r2; r4 += 14 have run
  assert.equal(pointer(run, 2), 'pkt+0');
  assert.equal(pointer(run, 3), 'pkt+42');
  assert.equal(pointer(run, 4), 'pkt+14');
  assert.equal(pointer(run, 6), undefined);
  // Without the packet state a packet pointer counts from the region's accessible start: the same here.
  assert.equal(formatRegister(run.vm.reg(4), run.vm.memory).pointer, 'pkt+14');
  const regs = formatRegisters(run.vm, formatOptionsForRun(run));
  assert.deepEqual(regs.map((r) => r.pointer), [undefined, 'ctx+0 (data)', 'pkt+0', 'pkt+42', 'pkt+14', undefined, undefined, undefined, undefined, undefined, 'fp']);
  assert.equal(regs[6].hex, '0x2');
  // Headroom and tailroom are part of the packet's buffer; past the buffer nothing is described.
  assert.equal(formatRegister(run.vm.reg(3) + 1n, run.vm.memory).pointer, 'pkt+43');
  assert.equal(formatRegister(run.vm.reg(2) - 1n, run.vm.memory).pointer, 'pkt-1');
  assert.equal(formatRegister(run.vm.reg(2) + 0x10000n, run.vm.memory).pointer, undefined);
  assert.equal(formatRegister(run.vm.reg(2) - 0x10000n, run.vm.memory).pointer, undefined);
});

test('xdp_drop_udp: fp-4 for the key, map(counters) for the handle, map_value(counters)+0 after the lookup', () => {
  const run = xdpDropUdp();
  runTo(run, 20); // r2 = r10; r2 += -4 have run
  assert.equal(pointer(run, 2), 'fp-4');
  runTo(run, 22); // r1 = counters ll
  assert.equal(pointer(run, 1), 'map(counters)');
  assert.equal(formatRegister(run.vm.reg(1), run.vm.memory).pointer, 'map(#0)');
  runTo(run, 23); // call bpf_map_lookup_elem
  assert.equal(pointer(run, 0), 'map_value(counters)+0');
  const slots = stackSlots(run.vm.callStack()[0].stack);
  assert.equal(slots.length, 64);
  assert.deepEqual([slots[0].offset, slots[0].label, slots[63].offset, slots[63].label], [-8, 'fp-8', -512, 'fp-512']);
  assert.deepEqual([...slots[0].bytes], [0, 0, 0, 0, 3, 0, 0, 0]); // the key 3 (UDP) at fp-4
  assert.equal(slots[0].u64, 3n << 32n);
  assert.equal(slots[1].u64, 0n);
});

test('fp-8, and pointers into a caller frame name their frame', () => {
  const run = startRun(`.section xdp
  r6 = r10
  r6 += -8
  *(u64 *)(r10 - 8) = r6
  call f
  r0 = 0
  exit
f:
  r7 = r10
  r7 += -16
  r0 = 0
  exit
`);
  runTo(run, 2);
  assert.equal(pointer(run, 6), 'fp-8');
  runTo(run, 8); // inside f, after r7 += -16
  assert.equal(pointer(run, 6), 'fp-8 (stack frame 0)');
  assert.equal(pointer(run, 7), 'fp-16');
  assert.equal(pointer(run, 10), 'fp');
  const caller = run.vm.callStack()[0].stack;
  assert.equal(stackSlots(caller)[0].u64, run.vm.reg(6));
  assert.equal(formatRegister(run.vm.reg(6), run.vm.memory, { frame: caller }).pointer, 'fp-8');
  assert.equal(formatRegister(run.vm.reg(6), run.vm.memory, { describeRegion: (r, off) => `${r.kind}@${off}` }).pointer, 'stack@504');
});

test('context fields of xdp_md: pointers described, plain fields read', () => {
  const run = xdpDropUdp();
  const ctx = run.vm.memory.regions().find((r) => r.kind === 'ctx')!;
  const fields = contextFields(ctx, 'xdp_md', run.vm.memory, formatOptionsForRun(run));
  assert.deepEqual(fields.map((f) => [f.name, f.off, f.size, f.pointer]), [
    ['data', 0, 4, 'pkt+0'], ['data_end', 4, 4, 'pkt+42'], ['data_meta', 8, 4, 'pkt+0'],
    ['ingress_ifindex', 12, 4, undefined], ['rx_queue_index', 16, 4, undefined], ['egress_ifindex', 20, 4, undefined],
  ]);
  assert.equal(fields[3].value, 1n);
  assert.equal(fields[1].value - fields[0].value, 42n);
  assert.equal(contextFields(ctx, 'xdp_md')[1].pointer, undefined);
  assert.equal(describeRegion(ctx, 4), 'ctx+4 (data_end)');
  assert.equal(describeRegion(ctx, 5), 'ctx+5 (data_end+1)');
  assert.equal(describeRegion(ctx, 24), 'ctx+24');
});

test('context fields of __sk_buff expand arrays; unknown structs show u64 words', () => {
  const memory = new Memory();
  const bytes = new Uint8Array(192);
  const view = new DataView(bytes.buffer);
  view.setUint32(48 + 4, 0xdead, true); // cb[1]
  view.setBigUint64(152, 123n, true); // tstamp
  const ctx = memory.add('ctx (__sk_buff)', 'ctx', bytes, false);
  const fields = contextFields(ctx, '__sk_buff');
  const names = fields.map((f) => f.name);
  assert.deepEqual(names.slice(names.indexOf('cb[0]'), names.indexOf('cb[4]') + 2), ['cb[0]', 'cb[1]', 'cb[2]', 'cb[3]', 'cb[4]', 'hash']);
  assert.ok(names.includes('remote_ip6[3]') && names.includes('local_ip6[0]'));
  assert.deepEqual(fields.find((f) => f.name === 'cb[1]'), { name: 'cb[1]', off: 52, size: 4, value: 0xdeadn });
  assert.equal(fields.find((f) => f.name === 'tstamp')?.value, 123n);
  assert.equal(fields.length, 34 + 4 + 3 + 3);
  assert.equal(describeRegion(ctx, 52), 'ctx+52 (cb[1])');
  assert.equal(describeRegion(ctx, 54), 'ctx+54 (cb[1]+2)');
  const raw = memory.add('ctx (tracepoint)', 'ctx', Uint8Array.from({ length: 20 }, (_, k) => k), false);
  assert.deepEqual(contextFields(raw, 'tracepoint'), [
    { name: '+0', off: 0, size: 8, value: 0x0706050403020100n }, { name: '+8', off: 8, size: 8, value: 0x0f0e0d0c0b0a0908n },
  ]);
  assert.equal(describeRegion(raw, 3), 'ctx+3');
});

test('hexdump: 16 bytes a line, offset, hex, and printable text', () => {
  const bytes = Uint8Array.from([0x45, 0x00, 0x00, 0x14, ...'Hello, world!'.split('').map((c) => c.charCodeAt(0)), 0x7f, 0xff, 0x20]);
  assert.deepEqual(hexdump(bytes), [
    '0000: 45 00 00 14 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64  E...Hello, world',
    '0010: 21 7f ff 20                                      !.. ',
  ]);
  assert.deepEqual(hexdump(bytes.subarray(0, 2), 0xffff0), ['ffff0: 45 00                                            E.']);
  assert.deepEqual(hexdump(new Uint8Array(0)), []);
  assert.equal(hexdump(new Uint8Array(64)).length, 4);
});

test('map entries: integers for 1/2/4/8 bytes, hex otherwise, after a real run', () => {
  const run = xdpDropUdp();
  run.vm.run();
  const counters = run.result().maps.get('counters')!;
  const entries = mapEntries(counters);
  assert.deepEqual(entries.map((e) => [e.keyText, e.valueText]), [
    ['0x0 (0)', '0x0 (0)'], ['0x1 (1)', '0x0 (0)'], ['0x2 (2)', '0x0 (0)'], ['0x3 (3)', '0x1 (1)'],
  ]);
  assert.deepEqual([...entries[3].key], [3, 0, 0, 0]);
  assert.deepEqual([...entries[3].value!], [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(mapEntries(counters, 2).length, 2);
  assert.equal(bytesText(Uint8Array.from([1, 2, 3])), '01 02 03');
  assert.equal(bytesText(Uint8Array.from([0xff, 0xff])), '0xffff (65535)');
});

test('map entries of hash, per-CPU, queue and prog_array maps', () => {
  const def = (name: string, type: string, over: Partial<MapDef> = {}): MapDef =>
    ({ name, type, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, ...over });
  const set = createMaps([
    def('h', 'hash', { keySize: 3, valueSize: 5 }), def('pc', 'percpu_array', { valueSize: 4, maxEntries: 2 }),
    def('q', 'queue', { keySize: 0, valueSize: 2 }), def('progs', 'prog_array', { valueSize: 4 }), def('empty', 'hash'),
  ], { nCpus: 2, programs: ['main', 'next'] });
  assert.deepEqual(set.diagnostics, []);

  const h = set.get('h')!;
  assert.equal(h.sysUpdate(Uint8Array.from([1, 2, 3]), Uint8Array.from([9, 8, 7, 6, 5]), 0), 0);
  assert.deepEqual(mapEntries(h).map((e) => [e.keyText, e.valueText]), [['01 02 03', '09 08 07 06 05']]);

  const pc = set.get('pc')!;
  const packed = new Uint8Array(16); // two CPUs at a stride of 8
  packed.set([5, 0, 0, 0], 0);
  packed.set([7, 0, 0, 0], 8);
  assert.equal(pc.sysUpdate(u32Bytes(1), packed, 0), 0);
  const pcEntries = mapEntries(pc);
  assert.deepEqual(pcEntries.map((e) => e.valueText), ['cpu0: 0x0 (0), cpu1: 0x0 (0)', 'cpu0: 0x5 (5), cpu1: 0x7 (7)']);
  assert.deepEqual(pcEntries[1].values?.map((v) => [...v]), [[5, 0, 0, 0], [7, 0, 0, 0]]);
  assert.equal(pcEntries[1].value, undefined);

  const q = set.get('q')!;
  assert.equal(q.push(Uint8Array.from([1, 0]), 0), 0);
  assert.equal(q.push(Uint8Array.from([2, 0]), 0), 0);
  assert.deepEqual(mapEntries(q).map((e) => [e.keyText, e.valueText, e.key.length]), [['#0', '0x1 (1)', 0], ['#1', '0x2 (2)', 0]]);

  const progs = set.get('progs') as ProgArrayMap;
  assert.equal(progs.setRef(u32Bytes(2), 'next'), 0);
  const progEntries = mapEntries(progs);
  assert.deepEqual(progEntries.map((e) => [e.keyText, e.valueText]), [['0x0 (0)', '<lookup failed: ENOENT>'], ['0x1 (1)', '<lookup failed: ENOENT>'], ['0x2 (2)', 'next'], ['0x3 (3)', '<lookup failed: ENOENT>']]);

  assert.deepEqual(mapEntries(set.get('empty')!), []);
});
