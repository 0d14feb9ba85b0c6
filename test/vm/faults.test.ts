/** One test per fault kind: the run stops with a message naming the instruction, line, address, size and region. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { linkProgram, listPrograms, LinkedProgram } from '../../core/link';
import { Machine } from '../../core/vm/machine';
import { Memory } from '../../core/vm/memory';
import { runRaw } from '../../core/vm/raw';

function link(text: string): LinkedProgram {
  const { object, diagnostics } = assemble(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  return linkProgram(object, listPrograms(object)[0]).program;
}

function fault(text: string, mem?: number[], budget?: number): string {
  const r = runRaw(link(text), mem ? Uint8Array.from(mem) : undefined, budget);
  assert.equal(r.stop.reason, 'fault', `expected a fault, got ${r.stop.reason} r0=${r.r0}`);
  return r.stop.message!;
}

test('read past the end of the input memory', () => {
  const m = fault('r0 = *(u32 *)(r1 + 6)\nexit', [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.match(m, /^invalid read of 4 bytes at 0x[0-9a-f]+: it runs past the end of mem \(offset 6 of 8 bytes\) at insn 0 \(line 1\)$/);
});

test('read before a region', () => {
  assert.match(fault('r0 = *(u8 *)(r1 - 2)\nexit', [1]), /invalid read of 1 byte at 0x[0-9a-f]+: 2 bytes before mem \(1 bytes\) at insn 0/);
});

test('NULL pointer dereference', () => {
  assert.match(fault('r1 = 0\nr0 = *(u64 *)(r1 + 16)\nexit'), /invalid read of 8 bytes at 0x10: a NULL pointer dereference at insn 1 \(line 2\)/);
});

test('address in no region', () => {
  assert.match(fault('r1 = 0x123456789 ll\n*(u8 *)(r1 + 0) = 1\nexit'), /invalid write of 1 byte at 0x123456789: not in any memory region at insn 2/);
});

test('stack access below the frame', () => {
  assert.match(fault('*(u64 *)(r10 - 520) = 1\nexit'), /invalid write of 8 bytes at 0x[0-9a-f]+: 8 bytes before stack frame 0 \(512 bytes\) at insn 0/);
});

test('write to read-only memory', () => {
  const memory = new Memory();
  const prog = link('*(u32 *)(r1 + 0) = 7\nexit');
  const vm = new Machine({ program: prog, memory, budget: 100, helper: () => undefined });
  const ro = memory.add('rodata', 'rodata', new Uint8Array(8), false);
  const a = Memory.address(ro, 0);
  vm.lo[1] = a.lo; vm.hi[1] = a.hi;
  const stop = vm.run();
  assert.equal(stop.reason, 'fault');
  assert.match(stop.message!, /invalid write of 4 bytes to read-only rodata at offset 0 at insn 0/);
});

test('instruction budget', () => {
  assert.match(fault('loop: goto loop', undefined, 1000), /^instruction budget of 1000 exceeded at insn 0 \(line 1\)$/);
});

test('unknown helper, unknown opcode, call depth', () => {
  assert.match(fault('call 99\nexit'), /call to unknown helper 99 at insn 0/);
  assert.match(fault('.quad 0xff\nexit'), /unknown opcode 0xff at insn 0/);
  assert.match(fault('f: call f\nexit'), /call stack too deep: more than 8 frames at insn 0/);
});

test('each bpf-to-bpf frame has its own stack, and r6-r9 survive the call', () => {
  const r = runRaw(link(`
    r6 = 6
    *(u64 *)(r10 - 8) = 1
    call f
    r0 = *(u64 *)(r10 - 8)
    r0 += r6
    exit
  f:
    *(u64 *)(r10 - 8) = 100
    r6 = 1000
    r0 = 0
    exit`), undefined);
  assert.equal(r.stop.reason, 'exit');
  assert.equal(r.r0, 7n);
});

test('Linux division semantics, 64-bit exact', () => {
  const r0 = (text: string) => runRaw(link(`${text}\nexit`), undefined).r0;
  assert.equal(r0('r0 = 7\nr1 = 0\nr0 /= r1'), 0n);
  assert.equal(r0('r0 = 7\nr1 = 0\nr0 %= r1'), 7n);
  assert.equal(r0('r0 = -0x8000000000000000 ll\nr1 = -1\nr0 s/= r1'), 0x8000000000000000n);
  assert.equal(r0('r0 = -0x8000000000000000 ll\nr1 = -1\nr0 s%= r1'), 0n);
  assert.equal(r0('r0 = 0xffffffffffffffff ll\nr1 = 0xffffffff ll\nr0 *= r1'), BigInt.asUintN(64, 0xffffffffffffffffn * 0xffffffffn));
  assert.equal(r0('r0 = 0x123456789abcdef ll\nr1 = 0x10000 ll\nr0 /= r1'), 0x123456789abcdefn / 0x10000n);
  assert.equal(r0('w0 = -1\nw0 += 1\nr0 <<= 1'), 0n);
  assert.equal(r0('r0 = -1\nw0 = w0'), 0xffffffffn);
});
