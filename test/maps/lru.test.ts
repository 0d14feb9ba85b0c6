// lru_hash and lru_percpu_hash: the exact-LRU policy documented in core/maps/lru.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashMap } from '../../core/maps';
import { k, mk, toHex, v64, walk } from './util';

const keysOf = (m: HashMap, list = 0) => m.recency(list).map((key) => toHex(key).slice(0, 2));

test('lru_hash: inserting into a full map evicts the least recently used element', () => {
  const m = mk('lru_hash', { maxEntries: 3 }) as HashMap;
  for (const n of [1, 2, 3]) assert.equal(m.update(k(n), v64(n), 0, 0), 0);
  assert.equal(m.update(k(4), v64(4), 0, 0), 0, 'never E2BIG');
  assert.equal(m.lookup(k(1), 0), undefined, '1 was the oldest');
  assert.deepEqual(keysOf(m), ['02', '03', '04']);
  assert.equal(m.size, 3);
});

test('lru_hash: program lookups and updates make an element the most recent; bpf(2) reads do not', () => {
  const m = mk('lru_hash', { maxEntries: 3 }) as HashMap;
  for (const n of [1, 2, 3]) m.update(k(n), v64(n), 0, 0);
  m.lookup(k(1), 0); // 1 used: 2 is now the oldest
  m.sysLookup(k(2)); // a user-space read does not count
  m.getNextKey(undefined);
  m.entries();
  assert.deepEqual(keysOf(m), ['02', '03', '01']);
  m.update(k(2), v64(22), 2, 0); // an update counts
  assert.deepEqual(keysOf(m), ['03', '01', '02']);
  m.update(k(5), v64(5), 0, 0);
  assert.deepEqual(keysOf(m), ['01', '02', '05']);
  assert.equal(m.sysLookup(k(3)), -2);
  // Dumps stay in insertion order, whatever the recency.
  assert.deepEqual(walk(m).map((x) => x.slice(0, 2)), ['01', '02', '05']);
});

test('lru_hash: eviction order over a longer sequence', () => {
  const m = mk('lru_hash', { maxEntries: 4 }) as HashMap;
  const evicted: string[] = [];
  m.onChange = (c) => c.op === 'evict' && evicted.push(toHex(c.key as Uint8Array).slice(0, 2));
  for (const n of [1, 2, 3, 4]) m.update(k(n), v64(n), 0, 0);
  m.lookup(k(1), 0);
  m.lookup(k(3), 0);
  for (const n of [5, 6, 7]) m.update(k(n), v64(n), 0, 0);
  assert.deepEqual(evicted, ['02', '04', '01']);
  assert.deepEqual(keysOf(m), ['03', '05', '06', '07']);
});

test('lru_hash: failed updates and updates of present keys evict nothing here', () => {
  const m = mk('lru_hash', { maxEntries: 2 }) as HashMap;
  m.update(k(1), v64(1), 0, 0);
  m.update(k(2), v64(2), 0, 0);
  assert.equal(m.update(k(3), v64(3), 2, 0), -2, 'BPF_EXIST on an absent key: ENOENT');
  assert.equal(m.update(k(1), v64(1), 1, 0), -17, 'BPF_NOEXIST on a present key: EEXIST');
  assert.equal(m.update(k(2), v64(9), 0, 0), 0);
  assert.equal(m.size, 2);
  assert.deepEqual(keysOf(m), ['01', '02']);
});

test('lru_hash: a deleted element frees its place', () => {
  const m = mk('lru_hash', { maxEntries: 2 }) as HashMap;
  m.update(k(1), v64(1), 0, 0);
  m.update(k(2), v64(2), 0, 0);
  m.delete(k(1));
  m.update(k(3), v64(3), 0, 0);
  assert.deepEqual(keysOf(m), ['02', '03'], 'nothing evicted: there was room');
});

test('lru_hash with no_common_lru: one list per CPU, max_entries rounded up to a multiple of the CPUs', () => {
  const m = mk('lru_hash', { maxEntries: 3, flags: 2 }, { nCpus: 2 }) as HashMap;
  assert.equal(m.maxEntries, 4, 'roundup(3, 2)');
  m.update(k(1), v64(1), 0, 0);
  m.update(k(2), v64(2), 0, 0);
  m.update(k(3), v64(3), 0, 1);
  m.update(k(4), v64(4), 0, 0); // CPU 0's list (2 places) is full: 1 goes
  assert.deepEqual(keysOf(m, 0), ['02', '04']);
  assert.deepEqual(keysOf(m, 1), ['03']);
  m.update(k(5), v64(5), 0, 1); // CPU 1 still has room
  assert.equal(m.size, 4);
  m.update(k(6), v64(6), 0, 1);
  assert.deepEqual(keysOf(m, 1), ['05', '06']);
});

test('lru_percpu_hash: per-CPU values with LRU eviction', () => {
  const m = mk('lru_percpu_hash', { maxEntries: 2, valueSize: 8 }, { nCpus: 2 }) as HashMap;
  m.update(k(1), v64(1), 0, 1);
  m.update(k(2), v64(2), 0, 0);
  assert.equal(toHex(m.lookup(k(1), 0) as Uint8Array), '0000000000000000');
  m.lookup(k(1), 1);
  m.update(k(3), v64(3), 0, 0);
  assert.equal(m.lookup(k(2), 0), undefined);
  assert.deepEqual(m.entries().map((e) => e.values?.map((v) => v[0])), [[0, 1], [3, 0]]);
});
