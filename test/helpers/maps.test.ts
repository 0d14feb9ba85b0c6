/** The map helpers through the VM: flags, errno codes, live values, per-CPU and map-in-map lookups. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrayOfMapsMap } from '../../core/maps/fdMaps';
import { u32Bytes } from '../../core/maps/base';
import { MAP_HANDLE_HI } from '../../core/vm/run';
import { E2BIG, EEXIST, EINVAL, ENOENT, faultOf, neg, r0Of, runAsm } from './harness';

/** key (u32) at r10-4, value (u64) at r10-16, then map_update_elem(map, key, value, flags). */
function update(map: string, key: number, value: number, flags: number): string {
  return `
  *(u32 *)(r10 - 4) = ${key}
  *(u64 *)(r10 - 16) = ${value}
  r1 = ${map} ll
  r2 = r10
  r2 += -4
  r3 = r10
  r3 += -16
  r4 = ${flags}
  call bpf_map_update_elem`;
}

function lookup(map: string, key: number): string {
  return `
  *(u32 *)(r10 - 4) = ${key}
  r1 = ${map} ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem`;
}

const HASH = '.map h, type=hash, key=4, value=8, max_entries=2\n';
const ARRAY = '.map a, type=array, key=4, value=8, max_entries=4\n';

test('map_update_elem and map_lookup_elem: the value comes back through the pointer', () => {
  assert.equal(r0Of(`${HASH}${update('h', 7, 42, 0)}\n${lookup('h', 7)}\nr0 = *(u64 *)(r0 + 0)\nexit`), 42n);
});

test('map_lookup_elem of an absent key gives NULL', () => {
  assert.equal(r0Of(`${HASH}${lookup('h', 7)}\nexit`), 0n);
});

test('a store through the looked-up pointer lands in the map', () => {
  const ran = runAsm(`${ARRAY}${lookup('a', 2)}\nr1 = 0x1122334455667788 ll\n*(u64 *)(r0 + 0) = r1\nr0 = 0\nexit`);
  assert.equal(ran.stop.reason, 'exit');
  const v = ran.maps.get('a')!.sysLookup(u32Bytes(2)) as Uint8Array;
  assert.deepEqual([...v], [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
});

test('a load past the end of a looked-up value faults', () => {
  assert.match(faultOf(`${ARRAY}${lookup('a', 0)}\nr0 = *(u64 *)(r0 + 8)\nexit`), /past the end of map_value\(a\)/);
});

test('map_update_elem flags on a hash: BPF_NOEXIST, BPF_EXIST, unknown flags, full map', () => {
  assert.equal(r0Of(`${HASH}${update('h', 1, 1, 0)}\n${update('h', 1, 2, 1)}\nexit`), neg(EEXIST));
  assert.equal(r0Of(`${HASH}${update('h', 1, 2, 2)}\nexit`), neg(ENOENT));
  assert.equal(r0Of(`${HASH}${update('h', 1, 2, 8)}\nexit`), neg(EINVAL));
  assert.equal(r0Of(`${HASH}${update('h', 1, 1, 0)}\n${update('h', 2, 2, 0)}\n${update('h', 3, 3, 0)}\nexit`), neg(E2BIG));
  // BPF_EXIST replaces a present key even when the map is full.
  assert.equal(r0Of(`${HASH}${update('h', 1, 1, 0)}\n${update('h', 2, 2, 0)}\n${update('h', 2, 5, 2)}\n${lookup('h', 2)}\nr0 = *(u64 *)(r0 + 0)\nexit`), 5n);
});

test('map_update_elem on an array: past the end E2BIG, BPF_NOEXIST EEXIST', () => {
  assert.equal(r0Of(`${ARRAY}${update('a', 4, 1, 0)}\nexit`), neg(E2BIG));
  assert.equal(r0Of(`${ARRAY}${update('a', 0, 1, 1)}\nexit`), neg(EEXIST));
  assert.equal(r0Of(`${ARRAY}${update('a', 3, 9, 2)}\nexit`), 0n);
});

test('map_delete_elem: hash ENOENT for an absent key, 0 after an insert; array EINVAL', () => {
  const del = (map: string, key: number) => `*(u32 *)(r10 - 4) = ${key}\nr1 = ${map} ll\nr2 = r10\nr2 += -4\ncall bpf_map_delete_elem`;
  assert.equal(r0Of(`${HASH}${del('h', 1)}\nexit`), neg(ENOENT));
  assert.equal(r0Of(`${HASH}${update('h', 1, 1, 0)}\n${del('h', 1)}\nexit`), 0n);
  assert.equal(r0Of(`${HASH}${update('h', 1, 1, 0)}\n${del('h', 1)}\n${lookup('h', 1)}\nexit`), 0n);
  assert.equal(r0Of(`${ARRAY}${del('a', 1)}\nexit`), neg(EINVAL));
});

const QUEUE = '.map q, type=queue, key=0, value=8, max_entries=2\n';
const STACK = '.map s, type=stack, key=0, value=8, max_entries=2\n';
const push = (m: string, v: number, flags: number) => `*(u64 *)(r10 - 8) = ${v}\nr1 = ${m} ll\nr2 = r10\nr2 += -8\nr3 = ${flags}\ncall bpf_map_push_elem`;
const popInto = (m: string, helper: 'pop' | 'peek') => `*(u64 *)(r10 - 16) = -1\nr1 = ${m} ll\nr2 = r10\nr2 += -16\ncall bpf_map_${helper}_elem`;

test('map_push_elem / map_pop_elem: FIFO for a queue, LIFO for a stack', () => {
  assert.equal(r0Of(`${QUEUE}${push('q', 10, 0)}\n${push('q', 20, 0)}\n${popInto('q', 'pop')}\nr0 = *(u64 *)(r10 - 16)\nexit`), 10n);
  assert.equal(r0Of(`${STACK}${push('s', 10, 0)}\n${push('s', 20, 0)}\n${popInto('s', 'pop')}\nr0 = *(u64 *)(r10 - 16)\nexit`), 20n);
});

test('map_peek_elem keeps the value; pop of an empty queue is ENOENT and zeroes the buffer', () => {
  assert.equal(r0Of(`${QUEUE}${push('q', 10, 0)}\n${popInto('q', 'peek')}\n${popInto('q', 'peek')}\nr0 = *(u64 *)(r10 - 16)\nexit`), 10n);
  assert.equal(r0Of(`${QUEUE}${popInto('q', 'pop')}\nexit`), neg(ENOENT));
  assert.equal(r0Of(`${QUEUE}${popInto('q', 'pop')}\nr0 = *(u64 *)(r10 - 16)\nexit`), 0n);
});

test('map_push_elem into a full queue: E2BIG, or BPF_EXIST drops the oldest; BPF_NOEXIST is EINVAL', () => {
  const full = `${QUEUE}${push('q', 1, 0)}\n${push('q', 2, 0)}\n`;
  assert.equal(r0Of(`${full}${push('q', 3, 0)}\nexit`), neg(E2BIG));
  assert.equal(r0Of(`${full}${push('q', 3, 2)}\n${popInto('q', 'pop')}\nr0 = *(u64 *)(r10 - 16)\nexit`), 2n);
  assert.equal(r0Of(`${QUEUE}${push('q', 3, 1)}\nexit`), neg(EINVAL));
});

test('map_lookup_elem on a per-CPU array reads the running CPU\'s copy; map_lookup_percpu_elem picks one', () => {
  const pc = '.map pc, type=percpu_array, key=4, value=8, max_entries=1\n';
  const setup = (maps: import('../../core/maps/create').MapSet) => {
    const v = new Uint8Array(16);
    v[0] = 5; v[8] = 6; // CPU 0: 5, CPU 1: 6 (values at a stride of 8)
    assert.equal(maps.get('pc')!.sysUpdate(u32Bytes(0), v, 0), 0);
  };
  assert.equal(r0Of(`${pc}${lookup('pc', 0)}\nr0 = *(u64 *)(r0 + 0)\nexit`, { setup, env: { cpu: 1 } }), 6n);
  const percpu = (cpu: number) => `${pc}*(u32 *)(r10 - 4) = 0\nr1 = pc ll\nr2 = r10\nr2 += -4\nr3 = ${cpu}\ncall bpf_map_lookup_percpu_elem\n`;
  assert.equal(r0Of(`${percpu(0)}r0 = *(u64 *)(r0 + 0)\nexit`, { setup, env: { cpu: 1 } }), 5n);
  assert.equal(r0Of(`${percpu(2)}exit`, { setup }), 0n, 'a CPU past the CPU count gives NULL');
});

test('map_lookup_elem on array_of_maps gives the inner map, usable by the next lookup', () => {
  const text = `
.map inner, type=array, key=4, value=8, max_entries=2
.map outer, type=array_of_maps, key=4, max_entries=2, inner=inner
${lookup('outer', 0)}
  if r0 == 0 goto miss
  r1 = r0
  *(u32 *)(r10 - 4) = 1
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  r0 = *(u64 *)(r0 + 0)
  exit
miss:
  r0 = 99
  exit`;
  const setup = (maps: import('../../core/maps/create').MapSet) => {
    assert.equal((maps.get('outer') as ArrayOfMapsMap).setRef(u32Bytes(0), 'inner'), 0);
    const v = new Uint8Array(8); v[0] = 77;
    assert.equal(maps.get('inner')!.sysUpdate(u32Bytes(1), v, 0), 0);
  };
  // With map handles from the host (Host.mapHandle, given here as run.ts encodes handles).
  const withHandles = runAsm(text, {
    setup,
    beforeRun: (run) => {
      const order = [...run.host.maps.values()];
      run.host.mapHandle ??= (m) => ({ lo: order.indexOf(m), hi: MAP_HANDLE_HI });
    },
  });
  assert.equal(withHandles.stop.reason, 'exit', withHandles.stop.message);
  assert.equal(withHandles.r0, 77n);
  // Without them the helper cannot name the inner map, and says so.
  const without = runAsm(text, { setup });
  if (!without.run.host.mapHandle) assert.match(without.stop.message ?? '', /Host\.mapHandle/);
  // An empty slot gives NULL without needing a handle.
  assert.equal(r0Of(`.map inner, type=array, key=4, value=8, max_entries=2\n.map outer, type=array_of_maps, key=4, max_entries=2, inner=inner\n${lookup('outer', 1)}\nexit`), 0n);
});
