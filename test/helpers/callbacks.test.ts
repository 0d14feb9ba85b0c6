/** loop, for_each_map_elem, tail_call and spin_lock / spin_unlock through the VM. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgArrayMap } from '../../core/maps/fdMaps';
import { u32Bytes } from '../../core/maps/base';
import { MapSet } from '../../core/maps/create';
import { E2BIG, EINVAL, faultOf, neg, r0Of, runAsm } from './harness';

/**
 * bpf_loop(n, cb, &sum, flags) where cb adds i to sum and stops (returns 1) when i equals
 * `stopAt`; returns sum << 32 | bpf_loop's result.
 */
function loop(n: number, stopAt = -1, flags = 0): bigint {
  return r0Of(`
  *(u64 *)(r10 - 8) = 0
  r1 = ${n}
  r2 = cb ll
  r3 = r10
  r3 += -8
  r4 = ${flags}
  call bpf_loop
  r1 = *(u64 *)(r10 - 8)
  r1 <<= 32
  r0 |= r1
  exit
cb:
  r3 = *(u64 *)(r2 + 0)
  r3 += r1
  *(u64 *)(r2 + 0) = r3
  r0 = 0
  if r1 != ${stopAt} goto next
  r0 = 1
next:
  exit`);
}

test('loop calls the callback n times with the index and the context, and returns n', () => {
  assert.equal(loop(5), (10n << 32n) | 5n);
  assert.equal(loop(0), 0n);
});

test('a callback that returns 1 stops the loop; loop returns the calls made', () => {
  assert.equal(loop(5, 2), (3n << 32n) | 3n);
  assert.equal(loop(5, 0), 1n);
});

test('loop refuses flags (-EINVAL) and more than 1 << 23 iterations (-E2BIG)', () => {
  assert.equal(loop(5, -1, 1) & 0xffffffffn, neg(EINVAL) & 0xffffffffn);
  assert.equal(r0Of(`r1 = ${(1 << 23) + 1}\nr2 = cb ll\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit\ncb:\nr0 = 0\nexit`), neg(E2BIG));
});

test('a callback that faults ends the run with its fault', () => {
  assert.match(faultOf('r1 = 3\nr2 = cb ll\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit\ncb:\nr0 = *(u64 *)(r2 + 0)\nexit'), /NULL pointer dereference/);
});

test('a callback runs in a frame of its own: r6-r9 and the caller\'s stack are kept', () => {
  assert.equal(r0Of(`
  r6 = 66
  *(u64 *)(r10 - 8) = 7
  r1 = 2
  r2 = cb ll
  r3 = 0
  r4 = 0
  call bpf_loop
  r0 = *(u64 *)(r10 - 8)
  r0 += r6
  exit
cb:
  r6 = 1000
  *(u64 *)(r10 - 8) = 1000
  r0 = 0
  exit`), 73n);
});

const ARRAY = '.map a, type=array, key=4, value=8, max_entries=4\n';
const HASH = '.map h, type=hash, key=4, value=8, max_entries=8\n';

function fill(name: string, entries: [number, number][]) {
  return (maps: MapSet) => {
    for (const [k, v] of entries) {
      const value = new Uint8Array(8);
      new DataView(value.buffer).setBigUint64(0, BigInt(v), true);
      assert.equal(maps.get(name)!.sysUpdate(u32Bytes(k), value, 0), 0);
    }
  };
}

/**
 * for_each_map_elem(map, cb, &acc, flags): cb adds key * 100 + value to acc, doubles the
 * value in place, and stops on key `stopAt`. Returns acc << 32 | the helper's result.
 */
function forEach(map: string, setup: (maps: MapSet) => void, stopAt = -1, flags = 0) {
  return runAsm(`${map === 'a' ? ARRAY : HASH}
  *(u64 *)(r10 - 8) = 0
  r1 = ${map} ll
  r2 = cb ll
  r3 = r10
  r3 += -8
  r4 = ${flags}
  call bpf_for_each_map_elem
  r1 = *(u64 *)(r10 - 8)
  r1 <<= 32
  r0 |= r1
  exit
cb:
  r6 = *(u32 *)(r2 + 0)
  r7 = *(u64 *)(r3 + 0)
  r8 = r7
  r8 += r7
  *(u64 *)(r3 + 0) = r8
  r5 = r6
  r5 *= 100
  r5 += r7
  r9 = *(u64 *)(r4 + 0)
  r9 += r5
  *(u64 *)(r4 + 0) = r9
  r0 = 0
  if r6 != ${stopAt} goto next
  r0 = 1
next:
  exit`, { setup });
}

test('for_each_map_elem visits every array element by index, and the value pointer is live', () => {
  const ran = forEach('a', fill('a', [[0, 1], [1, 2], [2, 3], [3, 4]]));
  assert.equal(ran.r0, ((0n + 1n + 100n + 2n + 200n + 3n + 300n + 4n) << 32n) | 4n);
  assert.equal((ran.maps.get('a')!.sysLookup(u32Bytes(3)) as Uint8Array)[0], 8, 'values doubled in place');
});

test('for_each_map_elem stops when the callback returns 1, counting that element', () => {
  assert.equal(forEach('a', fill('a', [[0, 1], [1, 2]]), 1).r0, ((1n + 102n) << 32n) | 2n);
});

test('for_each_map_elem over a hash visits the elements present', () => {
  assert.equal(forEach('h', fill('h', [[5, 1], [9, 2], [7, 3]])).r0, ((501n + 902n + 703n) << 32n) | 3n);
  assert.equal(forEach('h', () => undefined).r0, 0n);
});

test('for_each_map_elem: flags -EINVAL; the key may not be written; a queue cannot be walked', () => {
  assert.equal(forEach('a', () => undefined, -1, 1).r0! & 0xffffffffn, neg(EINVAL) & 0xffffffffn);
  assert.match(faultOf(`${ARRAY}r1 = a ll\nr2 = cb ll\nr3 = 0\nr4 = 0\ncall bpf_for_each_map_elem\nexit\ncb:\n*(u32 *)(r2 + 0) = 1\nr0 = 0\nexit`), /read-only map_key\(a\)/);
  assert.match(faultOf(`.map q, type=queue, key=0, value=8, max_entries=2\nr1 = q ll\nr2 = cb ll\nr3 = 0\nr4 = 0\ncall bpf_for_each_map_elem\nexit\ncb:\nr0 = 0\nexit`), /cannot be walked/);
});

const PROGS = `
.map jmp, type=prog_array, key=4, value=4, max_entries=2
.section kprobe/first
  r1 = jmp ll
  r2 = r1
  r1 = 0
  r3 = INDEX
  r0 = 7
  call bpf_tail_call
  exit
.section kprobe/second
  r0 = 42
  exit
`;
const slot0 = (target: string) => (maps: MapSet) => assert.equal((maps.get('jmp') as ProgArrayMap).setRef(u32Bytes(0), target), 0);

test('tail_call jumps to the program in the slot and does not return', () => {
  assert.equal(r0Of(PROGS.replace('INDEX', '0'), { program: 'kprobe/first', setup: slot0('kprobe/second') }), 42n);
});

test('tail_call through an empty slot or past max_entries goes on with r0 as it was', () => {
  assert.equal(r0Of(PROGS.replace('INDEX', '1'), { program: 'kprobe/first', setup: slot0('kprobe/second') }), 7n);
  assert.equal(r0Of(PROGS.replace('INDEX', '2'), { program: 'kprobe/first', setup: slot0('kprobe/second') }), 7n);
  assert.equal(r0Of(PROGS.replace('INDEX', '0'), { program: 'kprobe/first' }), 7n);
});

test('tail_call stops after 33 calls (MAX_TAIL_CALL_CNT): a program that calls itself runs 34 times', () => {
  const self = `
.map jmp, type=prog_array, key=4, value=4, max_entries=1
.map cnt, type=array, key=4, value=8, max_entries=1
.section kprobe/self
  r6 = r1
  *(u32 *)(r10 - 4) = 0
  r1 = cnt ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  r7 = *(u64 *)(r0 + 0)
  r7 += 1
  *(u64 *)(r0 + 0) = r7
  r1 = r6
  r2 = jmp ll
  r3 = 0
  call bpf_tail_call
  r0 = r7
  exit`;
  assert.equal(r0Of(self, { setup: slot0('kprobe/self') }), 34n);
});

const LOCKED = '.map l, type=array, key=4, value=8, max_entries=1\n*(u32 *)(r10 - 4) = 0\nr1 = l ll\nr2 = r10\nr2 += -4\ncall bpf_map_lookup_elem\nr6 = r0\n';
const lock = (op: 'lock' | 'unlock') => `r1 = r6\ncall bpf_spin_${op}`;

test('spin_lock / spin_unlock: the lock word is 1 while held, 0 after', () => {
  assert.equal(r0Of(`${LOCKED}${lock('lock')}\nr0 = *(u32 *)(r6 + 0)\nexit`), 1n);
  assert.equal(r0Of(`${LOCKED}${lock('lock')}\n${lock('unlock')}\nr0 = *(u32 *)(r6 + 0)\nexit`), 0n);
});

test('spin_lock faults where the kernel would deadlock or the verifier refuses', () => {
  assert.match(faultOf(`${LOCKED}${lock('lock')}\n${lock('lock')}\nexit`), /already held/);
  assert.match(faultOf(`${LOCKED}${lock('unlock')}\nexit`), /not held/);
  assert.match(faultOf('r1 = r10\nr1 += -8\ncall bpf_spin_lock\nexit'), /lives in a map value/);
  assert.match(faultOf(`${LOCKED}r6 += 2\n${lock('lock')}\nexit`), /not 4-byte aligned/);
});
