// prog_array, perf_event_array, array_of_maps and hash_of_maps: the fd-map codes of
// arraymap.c / hashtab.c / map_in_map.c, with our stand-ins for file descriptors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArrayOfMapsMap, E2BIG, EBADF, EEXIST, EINVAL, ENOENT, ENOTSUPP, EOPNOTSUPP, HashOfMapsMap, MapEvent, ProgArrayMap,
} from '../../core/maps';
import { def, k, mk, mkSet, toHex, v64 } from './util';

test('prog_array: updates with BPF_ANY only, E2BIG past the end, EBADF for no such program', () => {
  const m = mk('prog_array', { maxEntries: 4 }, { programs: ['entry', 'stage2', 'stage3'] }) as ProgArrayMap;
  assert.equal(m.update(k(0), k(1), 0, 0), 0);
  assert.equal(m.lookupRef(k(0)), 'stage2');
  assert.equal(m.update(k(0), k(1), 1, 0), EINVAL);
  assert.equal(m.update(k(0), k(1), 2, 0), EINVAL);
  assert.equal(m.update(k(4), k(1), 0, 0), E2BIG);
  assert.equal(m.update(k(1), k(3), 0, 0), EBADF);
  assert.equal(m.setRef(k(2), 'stage3'), 0);
  assert.equal(m.setRef(k(2), 'nope'), EBADF);
  assert.equal(toHex(m.sysLookup(k(2)) as Uint8Array), '02000000', 'bpf(2) gives the program index back');
  assert.equal(m.sysLookup(k(3)), ENOENT);
  assert.equal(m.lookupRef(k(3)), undefined, 'an empty slot: the tail call falls through');
  assert.equal(m.lookup(k(0), 0), undefined);
  assert.equal(m.delete(k(9)), E2BIG);
  assert.equal(m.delete(k(3)), ENOENT);
  assert.equal(m.delete(k(0)), 0);
  assert.deepEqual(m.entries().map((e) => [toHex(e.key as Uint8Array), e.ref]), [['02000000', 'stage3']]);
});

test('perf_event_array: output to this CPU is an event with the CPU; other slots give the kernel codes', () => {
  const events: MapEvent[] = [];
  const m = mk('perf_event_array', { maxEntries: 4 }, { nCpus: 2, onEvent: (e) => events.push(e) });
  const CURRENT = 0xffffffffn;
  assert.equal(m.output(Uint8Array.of(1, 2), CURRENT, 1), 0);
  assert.equal(m.output(Uint8Array.of(3), 0, 0), 0, 'an explicit index equal to this CPU');
  assert.equal(m.output(Uint8Array.of(4), 1, 0), EOPNOTSUPP, "CPU 1's event read from CPU 0");
  assert.equal(m.output(Uint8Array.of(4), 2, 0), ENOENT, 'no event in slot 2');
  assert.equal(m.output(Uint8Array.of(4), 4, 0), E2BIG);
  assert.equal(m.output(Uint8Array.of(4), 1n << 52n, 0), EINVAL, 'bits past the context length');
  assert.equal(m.output(Uint8Array.of(5), (8n << 32n) | CURRENT, 0), 0, 'a context length is the helper business');
  assert.deepEqual(events.map((e) => [e.map, toHex(e.data), e.cpu]), [['m', '0102', 1], ['m', '03', 0], ['m', '05', 0]]);
  assert.deepEqual(m.entries(), []);
  // Slots can be changed from user space: the value is the CPU of the event.
  assert.equal(m.sysUpdate(k(2), k(0), 0), 0);
  assert.equal(m.output(Uint8Array.of(6), 2, 0), 0);
  assert.equal(m.sysUpdate(k(2), k(5), 0), EBADF);
  assert.equal(m.sysDelete(k(0)), 0);
  assert.equal(m.output(Uint8Array.of(6), CURRENT, 0), ENOENT);
  assert.equal(m.sysLookup(k(1)), ENOTSUPP);
});

const inner = (name: string, over = {}) => def('array', { name, maxEntries: 2, ...over });

test('array_of_maps: slots hold maps of the template shape; the program gets the inner map', () => {
  const set = mkSet([inner('tmpl'), inner('a'), inner('b', { maxEntries: 3 }), def('hash', { name: 'h' }), def('array_of_maps', { name: 'outer', valueSize: 4, inner: 'tmpl' })]);
  const outer = set.get('outer') as ArrayOfMapsMap;
  assert.equal(outer.update(k(0), k(1), 0, 0), 0, 'map index 1 is a');
  assert.equal(outer.lookupMap(k(0)), set.get('a'));
  assert.equal(outer.lookupRef(k(0)), 'a');
  assert.equal(outer.update(k(1), k(2), 0, 0), EINVAL, 'b has another max_entries (array template without inner_map)');
  assert.equal(outer.update(k(1), k(3), 0, 0), EINVAL, 'a hash is not an array');
  assert.equal(outer.update(k(1), k(9), 0, 0), EBADF);
  assert.equal(outer.update(k(1), k(1), 1, 0), EINVAL, 'BPF_ANY only');
  assert.equal(outer.update(k(4), k(1), 0, 0), E2BIG);
  assert.equal(outer.setRef(k(1), 'tmpl'), 0);
  assert.equal(outer.setRef(k(1), 'zzz'), EBADF);
  assert.equal(toHex(outer.sysLookup(k(1)) as Uint8Array), '00000000', 'the index of tmpl');
  assert.equal(outer.lookupMap(k(2)), undefined);
  assert.equal(outer.delete(k(2)), ENOENT);
  assert.deepEqual(outer.entries().map((e) => e.ref), ['a', 'tmpl']);
  // Writes through the inner map reached from the outer one land in that map.
  outer.lookupMap(k(0))?.update(k(1), v64(42), 0, 0);
  assert.equal((set.get('a')?.lookup(k(1), 0) as Uint8Array)[0], 42);
});

test('array_of_maps: an array template with inner_map accepts other sizes', () => {
  const set = mkSet([inner('tmpl', { flags: 1 << 12 }), inner('big', { maxEntries: 64, flags: 1 << 12 }), def('array_of_maps', { name: 'outer', valueSize: 4, inner: 'tmpl' })]);
  assert.equal((set.get('outer') as ArrayOfMapsMap).setRef(k(0), 'big'), 0);
});

test('hash_of_maps: the map first (EBADF / EINVAL), then the hash codes', () => {
  const set = mkSet([def('hash', { name: 'tmpl' }), def('hash', { name: 'x', maxEntries: 100 }), def('array', { name: 'arr' }), def('hash_of_maps', { name: 'outer', valueSize: 4, maxEntries: 1, inner: 'tmpl' })]);
  const outer = set.get('outer') as HashOfMapsMap;
  assert.equal(outer.update(k(5), k(1), 0, 0), 0, 'max_entries may differ for hash templates');
  assert.equal(outer.lookupMap(k(5)), set.get('x'));
  assert.equal(outer.update(k(5), k(2), 0, 0), EINVAL, 'an array is not a hash');
  assert.equal(outer.update(k(5), k(7), 1, 0), EBADF, 'the map is resolved before the flags');
  assert.equal(outer.update(k(5), k(0), 1, 0), EEXIST);
  assert.equal(outer.update(k(6), k(0), 2, 0), ENOENT);
  assert.equal(outer.update(k(6), k(0), 0, 0), E2BIG);
  assert.equal(outer.update(k(5), k(0), 4, 0), EINVAL, 'BPF_F_LOCK');
  assert.equal(outer.update(k(5), k(0), 0, 0), 0);
  assert.equal(outer.lookupRef(k(5)), 'tmpl');
  assert.equal(toHex(outer.sysLookup(k(5)) as Uint8Array), '00000000');
  assert.equal(outer.delete(k(6)), ENOENT);
  assert.equal(outer.delete(k(5)), 0);
  assert.equal(outer.lookupMap(k(5)), undefined);
});
