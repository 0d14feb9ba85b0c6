// Maps in the running kernel through core/kernel: create, update, lookup, delete, iterate,
// dump (per-CPU too), map-in-map, and the errors the kernel gives.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { closeFd, createMap, mapDelete, mapDump, mapGetNextKey, mapInfo, mapLookup, mapUpdate, possibleCpus } from '../../core/kernel';
import { ok, readU64, skipReason, u32le, u64le } from './support';

test('hash map: update, lookup, get_next_key, delete round trip', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const { fd } = ok(createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, name: 'rt-hash' }));
  try {
    const info = ok(mapInfo(fd));
    assert.deepEqual({ ...info, id: 0 }, { type: 1, id: 0, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, name: 'rthash' });

    for (const k of [3, 5, 9]) ok(mapUpdate(fd, u32le(k), u64le(k * 1000)));
    assert.equal(readU64(ok(mapLookup(fd, u32le(5)) as { value: Uint8Array }).value), 5000n);

    // Walk all keys from the start; the order is the hash's, so compare as a set.
    const seen: number[] = [];
    let key: Uint8Array | undefined;
    for (;;) {
      key = ok(mapGetNextKey(fd, key, 4)).key;
      if (!key) break;
      seen.push(new DataView(key.buffer).getUint32(0, true));
    }
    assert.deepEqual(seen.sort((a, b) => a - b), [3, 5, 9]);

    // BPF_NOEXIST on an existing key, then BPF_EXIST on a missing one.
    const noexist = mapUpdate(fd, u32le(3), u64le(1), 1);
    assert.ok('errno' in noexist && noexist.errnoName === 'EEXIST', JSON.stringify(noexist));
    const exist = mapUpdate(fd, u32le(4), u64le(1), 2);
    assert.ok('errno' in exist && exist.errnoName === 'ENOENT', JSON.stringify(exist));

    ok(mapDelete(fd, u32le(5)));
    const gone = mapLookup(fd, u32le(5));
    assert.ok('errno' in gone && gone.errno === 2 && gone.errnoName === 'ENOENT', JSON.stringify(gone));
    const again = mapDelete(fd, u32le(5));
    assert.ok('errno' in again && again.errnoName === 'ENOENT');

    const dump = ok(mapDump(fd, 4, 8, false)).entries;
    const flat = dump.map((e) => [new DataView(e.key.buffer).getUint32(0, true), 'value' in e ? readU64(e.value) : -1n]);
    assert.deepEqual(flat.sort((a, b) => Number(a[0]) - Number(b[0])), [[3, 3000n], [9, 9000n]]);
  } finally {
    assert.ok(closeFd(fd));
  }
});

test('an empty map dumps to no entries, and get_next_key from nothing says so', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const { fd } = ok(createMap({ type: 'hash', keySize: 8, valueSize: 4, maxEntries: 4, flags: 1 /* no_prealloc */ }));
  try {
    assert.deepEqual(ok(mapGetNextKey(fd, undefined)), { key: undefined });
    assert.deepEqual(ok(mapDump(fd, 8, 4, false)).entries, []);
  } finally {
    closeFd(fd);
  }
});

test('a per-CPU array holds one value per possible CPU', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const n = possibleCpus();
  assert.ok(n >= cpus().length && n >= 1, `possible CPUs ${n}, online ${cpus().length}`);
  // A value size that is not a multiple of 8 checks the kernel's round_up(value_size, 8) stride.
  const { fd } = ok(createMap({ type: 'percpu_array', keySize: 4, valueSize: 12, maxEntries: 2, flags: 0 }));
  try {
    const values = Array.from({ length: n }, (_, c) => Uint8Array.from({ length: 12 }, (_, b) => (c * 16 + b + 1) & 0xff));
    ok(mapUpdate(fd, u32le(1), values));
    const entries = ok(mapDump(fd, 4, 12, true)).entries;
    assert.equal(entries.length, 2);
    const [e0, e1] = entries;
    assert.ok('values' in e0 && 'values' in e1);
    assert.deepEqual(Array.from(e0.key), [0, 0, 0, 0]);
    assert.equal(e0.values.length, n);
    for (const v of e0.values) assert.deepEqual(Array.from(v), new Array(12).fill(0));
    assert.deepEqual(e1.values.map((v) => Array.from(v)), values.map((v) => Array.from(v)));
    // A lookup without a shape asks the kernel for the map's type and value size.
    const looked = ok(mapLookup(fd, u32le(1)));
    assert.ok('values' in looked && looked.values.length === n);
    assert.deepEqual(Array.from(looked.values[n - 1]), Array.from(values[n - 1]));

    const wrong = mapUpdate(fd, u32le(0), [new Uint8Array(12)].concat(n > 1 ? [] : [new Uint8Array(12)]));
    assert.ok('errno' in wrong && wrong.errnoName === 'EINVAL', JSON.stringify(wrong));
  } finally {
    closeFd(fd);
  }
});

test('array_of_maps from an inner definition, holding a map', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const inner = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
  const outer = ok(createMap({ type: 'array_of_maps', keySize: 4, valueSize: 0, maxEntries: 2, flags: 0, innerDef: inner, name: 'outer' }));
  const member = ok(createMap({ ...inner, name: 'member' }));
  const stranger = ok(createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 }));
  try {
    assert.equal(ok(mapInfo(outer.fd)).valueSize, 4);
    ok(mapUpdate(outer.fd, u32le(0), u32le(member.fd)));
    // A lookup gives the inner map's id, not an fd.
    const id = new DataView(ok(mapLookup(outer.fd, u32le(0), { valueSize: 4, perCpu: false }) as { value: Uint8Array }).value.buffer).getUint32(0, true);
    assert.equal(id, ok(mapInfo(member.fd)).id);
    // A map of another shape is refused.
    const bad = mapUpdate(outer.fd, u32le(1), u32le(stranger.fd));
    assert.ok('errno' in bad && bad.errnoName === 'EINVAL', JSON.stringify(bad));
  } finally {
    for (const fd of [outer.fd, member.fd, stranger.fd]) closeFd(fd);
  }
});

test('bad map definitions give the kernel\'s errno, an unknown type name EINVAL', (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const unknown = createMap({ type: 'no_such_map', keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
  assert.deepEqual(unknown, { errno: 22, errnoName: 'EINVAL', message: "BPF_MAP_CREATE: unknown map type 'no_such_map'" });
  const zero = createMap({ type: 'hash', keySize: 0, valueSize: 4, maxEntries: 1, flags: 0 });
  assert.deepEqual(zero, { errno: 22, errnoName: 'EINVAL', message: 'BPF_MAP_CREATE: EINVAL' });
  const badFd = mapLookup(999999, u32le(0), { valueSize: 4, perCpu: false });
  assert.ok('errno' in badFd && badFd.errnoName === 'EBADF', JSON.stringify(badFd));
  assert.equal(closeFd(999999), false);
});
