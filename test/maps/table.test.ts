// Walks the map-type and map-flag tables: their own invariants, then the kernel's enums
// (Debian's bpf.h, and the running kernel's BTF when there is one).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAP_FLAGS, MAP_TYPES, mapFlagByName, mapTypeById, mapTypeByName } from '../../core/maps/table';
import { kernelRelease, parseEnum, parseEnumWith, readDebianHeader, readKernelBtf, tableNames } from '../helpers/uapiEnums';

/** The last map type of Linux 6.18. */
const LAST_ID = 33;
/** The kernel's second names for two values, which are not rows. */
const ALIASES = ['cgroup_storage_deprecated', 'percpu_cgroup_storage_deprecated'];

test('map type ids are unique and run from 1 to the last type of 6.18 without gaps', () => {
  const ids = MAP_TYPES.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'duplicate id');
  assert.deepEqual(ids, Array.from({ length: LAST_ID }, (_, i) => i + 1));
  assert.equal(mapTypeById(LAST_ID)?.name, 'arena');
});

test('map type names are unique lower-case kernel names', () => {
  const names = MAP_TYPES.map((m) => m.name);
  assert.equal(new Set(names).size, names.length, 'duplicate name');
  for (const name of names) assert.match(name, /^[a-z][a-z0-9_]*$/, name);
});

test('every map type has a one-line doc', () => {
  for (const m of MAP_TYPES) {
    assert.ok(m.doc.length >= 10 && m.doc.length <= 130, `${m.name}: doc length ${m.doc.length}`);
    assert.ok(!/[\n\r]/.test(m.doc) && !m.doc.endsWith('.'), `${m.name}: doc`);
  }
});

test('perCpu, keyless and mapInMap mark the right types', () => {
  const names = (pick: (m: (typeof MAP_TYPES)[number]) => boolean) => MAP_TYPES.filter(pick).map((m) => m.name).sort();
  assert.deepEqual(names((m) => m.perCpu), ['lru_percpu_hash', 'percpu_array', 'percpu_cgroup_storage', 'percpu_hash']);
  assert.deepEqual(names((m) => m.keyless), ['arena', 'bloom_filter', 'queue', 'ringbuf', 'stack', 'user_ringbuf']);
  assert.deepEqual(names((m) => m.mapInMap), ['array_of_maps', 'hash_of_maps']);
  // The kernel names say the same: every per-CPU type has "percpu" in it, every map-in-map "_of_maps".
  for (const m of MAP_TYPES) {
    assert.equal(m.perCpu, m.name.includes('percpu'), m.name);
    assert.equal(m.mapInMap, m.name.endsWith('_of_maps'), m.name);
  }
});

test('mapTypeByName takes our names, kernel constants and the deprecated aliases', () => {
  for (const m of MAP_TYPES) {
    assert.equal(mapTypeByName(m.name), m);
    assert.equal(mapTypeByName(`BPF_MAP_TYPE_${m.name.toUpperCase()}`), m);
    assert.equal(mapTypeById(m.id), m);
  }
  assert.equal(mapTypeByName('cgroup_storage_deprecated')?.id, 19);
  assert.equal(mapTypeByName('BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE_DEPRECATED')?.id, 21);
  for (const bad of ['unspec', 'hash_deprecated', 'hashmap', 'perf_event', 'constructor', '']) {
    assert.equal(mapTypeByName(bad), undefined, bad);
  }
  assert.equal(mapTypeById(0), undefined);
  assert.equal(mapTypeById(LAST_ID + 1), undefined);
});

test('map flags are distinct single bits, and mapFlagByName finds them', () => {
  const values = MAP_FLAGS.map((f) => f.value);
  assert.equal(new Set(values).size, values.length, 'duplicate value');
  assert.equal(new Set(MAP_FLAGS.map((f) => f.name)).size, MAP_FLAGS.length, 'duplicate name');
  MAP_FLAGS.forEach((f, i) => assert.equal(f.value, 2 ** i, `${f.name} should be bit ${i}`));
  for (const f of MAP_FLAGS) {
    assert.equal(mapFlagByName(f.name), f);
    assert.equal(mapFlagByName(`BPF_F_${f.name.toUpperCase()}`), f);
  }
  assert.equal(mapFlagByName('no_prealloc')?.value, 1);
  assert.equal(mapFlagByName('mmapable')?.value, 1024);
  assert.equal(mapFlagByName('inner_map')?.value, 4096);
  assert.equal(mapFlagByName('prealloc'), undefined);
  assert.equal(mapFlagByName('lock'), undefined, 'BPF_F_LOCK is an update flag, not a map flag');
});

test('every map type and map flag of Debian\'s bpf.h is in the tables with the same value', (t) => {
  const header = readDebianHeader();
  if (!header) return t.skip('/usr/include/linux/bpf.h not found (Debian package linux-libc-dev)');
  const types = tableNames(parseEnum(header, 'bpf_map_type'), 'BPF_MAP_TYPE_', ALIASES);
  assert.ok(types.size >= 30, `only ${types.size} map types read from the header`);
  for (const [name, id] of types) assert.equal(mapTypeByName(name)?.id, id, `bpf.h has ${name} = ${id}`);
  const flags = tableNames(parseEnumWith(header, 'BPF_F_NO_PREALLOC'), 'BPF_F_');
  assert.ok(flags.size >= 13, `only ${flags.size} map flags read from the header`);
  for (const [name, value] of flags) assert.equal(mapFlagByName(name)?.value, value, `bpf.h has BPF_F_${name}`);
});

test('the running kernel\'s map types and map flags agree with the tables', (t) => {
  const btf = readKernelBtf();
  if ('skip' in btf) return t.skip(btf.skip);
  const types = tableNames(parseEnum(btf.text, 'bpf_map_type'), 'BPF_MAP_TYPE_', ALIASES);
  const flags = tableNames(parseEnumWith(btf.text, 'BPF_F_NO_PREALLOC'), 'BPF_F_');
  for (const [name, id] of types) {
    const row = mapTypeByName(name);
    if (row) assert.equal(row.id, id, `kernel has ${name} = ${id}`);
  }
  for (const [name, value] of flags) {
    const row = mapFlagByName(name);
    if (row) assert.equal(row.value, value, `kernel has BPF_F_${name} = ${value}`);
  }
  const release = kernelRelease() ?? '';
  if (!release.startsWith('6.18.')) {
    t.diagnostic(`kernel ${release} is not 6.18: only the entries both know were compared`);
    return;
  }
  assert.deepEqual([...types.keys()].sort(), MAP_TYPES.map((m) => m.name).sort(), 'a 6.18 kernel has exactly our map types');
  assert.deepEqual([...flags.keys()].sort(), MAP_FLAGS.map((f) => f.name).sort(), 'a 6.18 kernel has exactly our map flags');
});
