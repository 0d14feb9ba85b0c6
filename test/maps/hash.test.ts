// hash and percpu_hash against hashtab.c: flag codes on present and absent keys, E2BIG when
// full, insertion order, live views, per-CPU isolation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2BIG, EEXIST, EINVAL, ENOENT, HashMap } from '../../core/maps';
import { h, k, mk, toHex, v64, walk } from './util';

// [flags, key present?, expected]: htab_map_update_elem() checks unknown flags, then
// BPF_F_LOCK (EINVAL: no spin lock in our values), then check_flags().
const HASH_CASES: [number, boolean, number][] = [
  [0, false, 0], [0, true, 0], [1, false, 0], [1, true, EEXIST], [2, false, ENOENT], [2, true, 0],
  [3, false, EINVAL], [3, true, EINVAL], [4, true, EINVAL], [5, false, EINVAL], [6, true, EINVAL], [8, false, EINVAL],
];
// The per-CPU and LRU updates refuse anything above BPF_EXIST (BPF_F_LOCK too), same otherwise.
const PERCPU_CASES = HASH_CASES.map(([f, present, want]): [number, boolean, number] => [f, present, f > 2 ? EINVAL : want]);

for (const [type, cases] of [['hash', HASH_CASES], ['percpu_hash', PERCPU_CASES], ['lru_hash', PERCPU_CASES], ['lru_percpu_hash', PERCPU_CASES]] as const) {
  test(`${type}: update flags on present and absent keys give the kernel's codes`, () => {
    for (const [flags, present, want] of cases) {
      const m = mk(type);
      if (present) assert.equal(m.update(k(1), v64(1), 0, 0), 0);
      assert.equal(m.update(k(1), v64(2), flags, 0), want, `flags ${flags}, key ${present ? 'present' : 'absent'}`);
      const expectValue = want === 0 ? 2 : present ? 1 : undefined;
      const got = m.sysLookup(k(1));
      if (expectValue === undefined) assert.equal(got, ENOENT);
      else assert.equal(toHex((got as Uint8Array).subarray(0, 8)), toHex(v64(expectValue)));
    }
  });

  test(`${type}: delete of an absent key is ENOENT`, () => {
    const m = mk(type);
    assert.equal(m.delete(k(3)), ENOENT);
    m.update(k(3), v64(3), 0, 0);
    assert.equal(m.delete(k(3)), 0);
    assert.equal(m.delete(k(3)), ENOENT);
    assert.equal(m.lookup(k(3), 0), undefined);
  });
}

for (const type of ['hash', 'percpu_hash']) {
  test(`${type}: a full map refuses a new key with E2BIG but updates present ones`, () => {
    const m = mk(type, { maxEntries: 2 });
    assert.equal(m.update(k(1), v64(1), 0, 0), 0);
    assert.equal(m.update(k(2), v64(2), 0, 0), 0);
    assert.equal(m.update(k(3), v64(3), 0, 0), E2BIG);
    assert.equal(m.update(k(3), v64(3), 2, 0), ENOENT, 'check_flags() comes before the free-list check');
    assert.equal(m.update(k(1), v64(9), 0, 0), 0);
    assert.equal(m.update(k(1), v64(9), 2, 0), 0);
    assert.equal(m.delete(k(2)), 0);
    assert.equal(m.update(k(3), v64(3), 1, 0), 0);
  });
}

test('hash: no_prealloc maps are full at max_entries too', () => {
  const m = mk('hash', { maxEntries: 1, flags: 1 });
  assert.equal(m.update(k(1), v64(1), 0, 0), 0);
  assert.equal(m.update(k(2), v64(1), 0, 0), E2BIG);
});

test('hash: iteration and dumps follow insertion order; re-insertion moves a key to the end', () => {
  const m = mk('hash', { maxEntries: 8 });
  for (const n of [5, 1, 9, 3]) m.update(k(n), v64(n), 0, 0);
  m.update(k(1), v64(11), 0, 0); // an update keeps the place
  m.delete(k(9));
  m.update(k(9), v64(9), 0, 0);
  assert.deepEqual(walk(m), ['05000000', '01000000', '03000000', '09000000']);
  assert.deepEqual(m.entries().map((e) => toHex(e.value as Uint8Array).slice(0, 2)), ['05', '0b', '03', '09']);
  // A key not present restarts from the first, as htab_map_get_next_key() does.
  assert.equal(toHex(m.getNextKey(k(42)) as Uint8Array), '05000000');
  assert.equal(m.getNextKey(k(9)), ENOENT);
  assert.equal(mk('hash').getNextKey(undefined), ENOENT);
});

test('hash: a lookup is live storage that survives updates; a delete detaches it', () => {
  const m = mk('hash', { valueSize: 4 });
  m.update(k(1), h('01020304'), 0, 0);
  const view = m.lookup(k(1), 0) as Uint8Array;
  view[3] = 0xff;
  assert.equal(toHex(m.sysLookup(k(1)) as Uint8Array), '010203ff');
  m.update(k(1), h('0a0b0c0d'), 2, 0);
  assert.equal(toHex(view), '0a0b0c0d', 'same buffer after an update');
  assert.equal(m.lookup(k(1), 0), view);
  m.delete(k(1));
  view[0] = 0x99;
  m.update(k(1), h('00000000'), 0, 0);
  assert.equal(toHex(m.lookup(k(1), 0) as Uint8Array), '00000000', 'a write to the old view reaches nothing');
});

test('percpu_hash: a program writes its CPU; a new element is zero on the other CPUs', () => {
  const m = mk('percpu_hash', { valueSize: 4 }, { nCpus: 3 });
  assert.equal(m.update(k(7), h('07070707'), 0, 2), 0);
  assert.deepEqual(m.entries()[0].values?.map(toHex), ['00000000', '00000000', '07070707']);
  assert.equal(m.update(k(7), h('01010101'), 2, 0), 0);
  assert.deepEqual(m.entries()[0].values?.map(toHex), ['01010101', '00000000', '07070707']);
  const v1 = m.lookup(k(7), 1) as Uint8Array;
  v1.set(h('11111111'));
  assert.equal(toHex(m.lookup(k(7), 1) as Uint8Array), '11111111');
  assert.equal(toHex(m.lookup(k(7), 0) as Uint8Array), '01010101');
  assert.equal(m.lookup(k(7), 3), undefined, 'no such CPU');
});

test('percpu_hash: bpf(2) gives and takes every CPU at a stride of round_up(value_size, 8)', () => {
  const m = mk('percpu_hash', { valueSize: 3 }, { nCpus: 2 });
  assert.equal(m.sysUpdate(k(1), h('aabbcc0000000000 ddeeff0000000000'), 0), 0);
  assert.equal(toHex(m.lookup(k(1), 1) as Uint8Array), 'ddeeff');
  assert.equal(toHex(m.sysLookup(k(1)) as Uint8Array), 'aabbcc0000000000ddeeff0000000000');
  assert.equal(m.sysUpdate(k(1), new Uint8Array(16), 1), EEXIST);
  assert.equal(m.sysLookup(k(2)), ENOENT);
});

test('hash: the element count is visible to the debugger', () => {
  const m = mk('hash') as HashMap;
  m.update(k(1), v64(1), 0, 0);
  assert.equal(m.size, 1);
});
