// array and percpu_array against arraymap.c: flag codes, live views, per-CPU isolation,
// get_next_key, and the syscall's per-CPU layout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2BIG, EEXIST, EINVAL, ENOENT, EPERM } from '../../core/maps';
import { h, k, mk, toHex, v64, walk } from './util';

// [flags, index, expected] for array_map_update_elem(): EINVAL for unknown flags first,
// then E2BIG past the end, then EEXIST for BPF_NOEXIST, then EINVAL for BPF_F_LOCK.
const UPDATE_CASES: [number | bigint, number, number][] = [
  [0, 0, 0], [2, 3, 0], [1, 0, EEXIST], [3, 0, EINVAL], [8, 0, EINVAL], [1n << 63n, 0, EINVAL],
  [0, 4, E2BIG], [1, 4, E2BIG], [2, 0xffffffff, E2BIG], [3, 4, EINVAL],
  [4, 0, EINVAL], [5, 0, EEXIST], [6, 0, EINVAL], [5, 9, E2BIG],
];

for (const type of ['array', 'percpu_array']) {
  test(`${type}: update flags and index give the kernel's codes`, () => {
    for (const [flags, idx, want] of UPDATE_CASES) {
      const m = mk(type);
      assert.equal(m.update(k(idx), v64(7), flags, 0), want, `flags ${flags} index ${idx}`);
    }
  });

  test(`${type}: delete is always EINVAL, lookup past the end is NULL`, () => {
    const m = mk(type);
    assert.equal(m.delete(k(0)), EINVAL);
    assert.equal(m.delete(k(99)), EINVAL);
    assert.equal(m.lookup(k(4), 0), undefined);
    assert.equal(m.sysLookup(k(4)), ENOENT);
  });

  test(`${type}: get_next_key walks every index and restarts from 0 for a bad index`, () => {
    const m = mk(type);
    assert.deepEqual(walk(m), ['00000000', '01000000', '02000000', '03000000']);
    assert.equal(toHex(m.getNextKey(undefined) as Uint8Array), '00000000');
    assert.equal(toHex(m.getNextKey(k(77)) as Uint8Array), '00000000');
    assert.equal(m.getNextKey(k(3)), ENOENT);
  });
}

test('array: elements exist from the start, zeroed, and a lookup is live storage', () => {
  const m = mk('array', { valueSize: 6 });
  const view = m.lookup(k(2), 0) as Uint8Array;
  assert.equal(view.length, 6);
  assert.equal(toHex(view), '000000000000');
  view[0] = 0xab; // a program's store through the pointer
  assert.equal(toHex(m.lookup(k(2), 0) as Uint8Array), 'ab0000000000');
  assert.equal(m.update(k(2), h('010203040506'), 0, 0), 0);
  assert.equal(view[5], 6, 'the view sees the update: same storage');
  assert.equal(m.lookup(k(2), 0), view, 'the same view every time');
  assert.equal(toHex(m.sysLookup(k(2)) as Uint8Array), '010203040506');
});

test('array: the version counts changes and onChange hears them', () => {
  const m = mk('array');
  const seen: string[] = [];
  m.onChange = (c) => seen.push(`${c.op}:${c.key ? toHex(c.key) : ''}`);
  m.update(k(1), v64(1), 0, 0);
  m.update(k(9), v64(1), 0, 0); // refused: no change
  m.markWritten(k(1));
  assert.equal(m.version, 2);
  assert.deepEqual(seen, ['update:01000000', 'write:01000000']);
});

test('array: dumps list every index in order', () => {
  const m = mk('array', { maxEntries: 3 });
  m.update(k(1), v64(5), 0, 0);
  assert.deepEqual(m.entries().map((e) => [toHex(e.key as Uint8Array), toHex(e.value as Uint8Array)]), [
    ['00000000', '0000000000000000'], ['01000000', '0500000000000000'], ['02000000', '0000000000000000'],
  ]);
});

test('percpu_array: each CPU has its own copy, and a program updates only its own', () => {
  const m = mk('percpu_array', { valueSize: 4 }, { nCpus: 3 });
  assert.equal(m.update(k(0), h('11111111'), 0, 1), 0);
  assert.equal(toHex(m.lookup(k(0), 0) as Uint8Array), '00000000');
  assert.equal(toHex(m.lookup(k(0), 1) as Uint8Array), '11111111');
  (m.lookup(k(0), 2) as Uint8Array)[0] = 0x22;
  assert.equal(toHex(m.lookup(k(0), 1) as Uint8Array), '11111111');
  assert.deepEqual(m.entries()[0].values?.map(toHex), ['00000000', '11111111', '22000000']);
  // map_lookup_percpu_elem with a CPU that does not exist: NULL.
  assert.equal(m.lookup(k(0), 3), undefined);
});

test('percpu_array: bpf(2) reads and writes every CPU at a stride of round_up(value_size, 8)', () => {
  const m = mk('percpu_array', { valueSize: 4 }, { nCpus: 2 });
  // The padding bytes are copied too (copy_map_value_long) and come back on lookup.
  assert.equal(m.sysUpdate(k(1), h('aaaaaaaa 01020304 bbbbbbbb 05060708'), 0), 0);
  assert.equal(toHex(m.sysLookup(k(1)) as Uint8Array), 'aaaaaaaa01020304bbbbbbbb05060708');
  assert.equal(toHex(m.lookup(k(1), 1) as Uint8Array), 'bbbbbbbb');
  // bpf_percpu_array_update(): anything above BPF_EXIST, BPF_F_LOCK included, is EINVAL.
  assert.equal(m.sysUpdate(k(1), new Uint8Array(16), 4), EINVAL);
  assert.equal(m.sysUpdate(k(1), new Uint8Array(16), 1), EEXIST);
  assert.equal(m.sysUpdate(k(4), new Uint8Array(16), 0), E2BIG);
});

test('array: rdonly and wronly restrict bpf(2) only', () => {
  const ro = mk('array', { flags: 1 << 3 });
  assert.equal(ro.sysUpdate(k(0), v64(1), 0), EPERM);
  assert.equal(ro.update(k(0), v64(1), 0, 0), 0, 'programs may still write');
  const wo = mk('array', { flags: 1 << 4 });
  assert.equal(wo.sysLookup(k(0)), EPERM);
  assert.equal(wo.getNextKey(undefined), EPERM);
});
