// The `maps` JSON of run --json and --maps: shape, round trip (dump -> load -> dump), and
// messages that name the map and the entry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMaps, loadMapsJson, MapSet, mapsToJson } from '../../core/maps';
import { MapDef } from '../../core/object';
import { def, h, k, lpmKey, v64 } from './util';

/** One map of every kind the VM has, with a template and an inner map for the map-in-maps. */
function defs(): MapDef[] {
  return [
    def('array', { name: 'arr', maxEntries: 3 }),
    def('percpu_array', { name: 'parr', maxEntries: 2, valueSize: 4 }),
    def('hash', { name: 'hsh', maxEntries: 8 }),
    def('percpu_hash', { name: 'phsh', valueSize: 2 }),
    def('lru_hash', { name: 'lru', maxEntries: 3 }),
    def('lru_percpu_hash', { name: 'plru', valueSize: 4 }),
    def('lpm_trie', { name: 'lpm' }),
    def('queue', { name: 'q' }),
    def('stack', { name: 'st' }),
    def('ringbuf', { name: 'rb' }),
    def('prog_array', { name: 'jmp' }),
    def('perf_event_array', { name: 'perf' }),
    def('array', { name: 'inner', maxEntries: 2 }),
    def('array_of_maps', { name: 'aom', valueSize: 4, inner: 'inner' }),
    def('hash_of_maps', { name: 'hom', valueSize: 4, inner: 'inner' }),
  ];
}

function fresh(): MapSet {
  const set = createMaps(defs(), { nCpus: 2, programs: ['main', 'tail'] });
  assert.deepEqual(set.diagnostics, []);
  return set;
}

function populate(set: MapSet): void {
  const g = (n: string) => set.get(n)!;
  g('arr').update(k(2), v64(0x1122), 0, 0);
  g('parr').update(k(1), h('aabbccdd'), 0, 1);
  for (const n of [9, 3, 7]) g('hsh').update(k(n), v64(n * 2), 0, 0);
  g('phsh').update(k(1), h('0102'), 0, 0);
  g('phsh').update(k(1), h('0304'), 0, 1);
  for (const n of [1, 2, 3, 4]) g('lru').update(k(n), v64(n), 0, 0);
  g('plru').update(k(5), h('05050505'), 0, 1);
  g('lpm').update(lpmKey(16, 10, 1, 0, 0), h('01000000'), 0, 0);
  g('lpm').update(lpmKey(8, 10, 0, 0, 0), h('02000000'), 0, 0);
  g('q').push(h('01000000'), 0);
  g('q').push(h('02000000'), 0);
  g('st').push(h('0a000000'), 0);
  g('st').push(h('0b000000'), 0);
  g('rb').output(h('deadbeef'), 0, 0);
  g('rb').output(h('00'), 0, 0);
  g('jmp').update(k(1), k(1), 0, 0);
  g('aom').update(k(0), k(12), 0, 0);
  g('hom').sysUpdate(k(77), k(12), 0);
  g('perf').output(h('ff'), 0, 0);
}

test('the dump has the documented shape: lowercase hex, values per CPU, no keys for keyless maps, names for refs', () => {
  const set = fresh();
  populate(set);
  const j = mapsToJson(set);
  assert.deepEqual(Object.keys(j), ['arr', 'parr', 'hsh', 'phsh', 'lru', 'plru', 'lpm', 'q', 'st', 'rb', 'jmp', 'perf', 'inner', 'aom', 'hom']);
  assert.deepEqual(j.arr, { type: 'array', entries: [
    { key: '00000000', value: '0000000000000000' }, { key: '01000000', value: '0000000000000000' }, { key: '02000000', value: '2211000000000000' },
  ] });
  assert.deepEqual(j.parr.entries[1], { key: '01000000', values: ['00000000', 'aabbccdd'] });
  assert.deepEqual(j.hsh.entries.map((e) => e.key), ['09000000', '03000000', '07000000'], 'insertion order');
  assert.deepEqual(j.phsh.entries, [{ key: '01000000', values: ['0102', '0304'] }]);
  assert.deepEqual(j.lru.entries.map((e) => e.key), ['02000000', '03000000', '04000000']);
  assert.deepEqual(j.lpm.entries, [{ key: '100000000a010000', value: '01000000' }, { key: '080000000a000000', value: '02000000' }]);
  assert.deepEqual(j.q.entries, [{ value: '01000000' }, { value: '02000000' }]);
  assert.deepEqual(j.st.entries, [{ value: '0a000000' }, { value: '0b000000' }]);
  assert.deepEqual(j.rb, { type: 'ringbuf', entries: [{ value: 'deadbeef' }, { value: '00' }] });
  assert.deepEqual(j.jmp.entries, [{ key: '01000000', value: 'tail' }]);
  assert.deepEqual(j.perf.entries, []);
  assert.deepEqual(j.aom.entries, [{ key: '00000000', value: 'inner' }]);
  assert.deepEqual(j.hom.entries, [{ key: '4d000000', value: 'inner' }]);
  assert.deepEqual(set.events.map((e) => e.map), ['rb', 'rb', 'perf']);
});

test('round trip: dump, load into fresh maps, dump again: equal', () => {
  const a = fresh();
  populate(a);
  const first = mapsToJson(a);
  const b = fresh();
  assert.deepEqual(loadMapsJson(b, JSON.stringify(first)), []);
  assert.deepEqual(mapsToJson(b), first);
});

test('load is lenient where it costs nothing: upper-case hex, no type, one value for every CPU', () => {
  const set = fresh();
  const diags = loadMapsJson(set, { parr: { entries: [{ key: '01000000', value: 'A1B2C3D4' }] }, arr: { type: 'BPF_MAP_TYPE_ARRAY', entries: [] } });
  assert.deepEqual(diags, []);
  assert.deepEqual(mapsToJson(set).parr.entries[1].values, ['a1b2c3d4', 'a1b2c3d4']);
});

// [input, expected message]
const ERRORS: [unknown, string][] = [
  ['{"arr": ', 'maps: not valid JSON: '],
  [[1, 2], 'maps: expected an object of maps by name'],
  [{ nope: { entries: [] } }, "maps: unknown map 'nope' (the program has 'arr', 'parr'"],
  [{ arr: [] }, `map 'arr': expected {"type": "array", "entries": [...]}`],
  [{ arr: { type: 'hash', entries: [] } }, "map 'arr': type is \"hash\" but the map's type is array"],
  [{ arr: { entries: {} } }, `map 'arr': "entries" must be an array`],
  [{ arr: { entries: [{ key: '00000000', value: '00' }] } }, `map 'arr' entry 0: "value" has 1 bytes, expected 8 (value_size)`],
  [{ arr: { entries: [{}, { key: '00000000', value: '0000000000000000' }] } }, `map 'arr' entry 0: "key" is missing`],
  [{ arr: { entries: [{ key: '00000000', value: '0000000000000000' }, { key: '000000', value: '0000000000000000' }] } }, `map 'arr' entry 1: "key" has 3 bytes, expected 4 (key_size)`],
  [{ arr: { entries: [{ key: '00 00 00 00', value: '0000000000000000' }] } }, `map 'arr' entry 0: "key" is not hex (two digits per byte, no spaces): "00 00 00 00"`],
  [{ arr: { entries: [{ key: '09000000', value: '0000000000000000' }] } }, "map 'arr' entry 0: the update fails with E2BIG (the index is past max_entries)"],
  [{ parr: { entries: [{ key: '00000000', values: ['00000000'] }] } }, `map 'parr' entry 0: "values" has 1 values but the map has 2 CPUs`],
  [{ hsh: { entries: [{ key: '00000000', values: ['00'] }] } }, 'map \'hsh\' entry 0: hash maps take "value", not "values"'],
  [{ q: { entries: [{ key: '00', value: '00000000' }] } }, 'map \'q\' entry 0: queue entries have no "key"'],
  [{ jmp: { entries: [{ key: '00000000', value: 'nope' }] } }, "map 'jmp' entry 0: the update fails with EBADF (there is no program 'nope')"],
  [{ aom: { entries: [{ key: '00000000', value: 'hsh' }] } }, "map 'aom' entry 0: the update fails with EINVAL (map 'hsh' does not have the shape of the inner map)"],
  [{ aom: { entries: [{ key: '00000000', value: 1 }] } }, `map 'aom' entry 0: "value" must name a map`],
  [{ perf: { entries: [{ key: '00000000', value: '00' }] } }, "map 'perf' entry 0: perf_event_array maps take no entries"],
  [{ lpm: { entries: [{ key: '210000000a000000', value: '00000000' }] } }, "map 'lpm' entry 0: the update fails with EINVAL (the prefix length is past the maximum)"],
];

test('bad input gives messages naming the map and the entry index', () => {
  for (const [input, want] of ERRORS) {
    const diags = loadMapsJson(fresh(), input);
    assert.equal(diags.length, 1, `${JSON.stringify(input)}: ${diags.map((d) => d.message).join(' | ')}`);
    assert.ok(diags[0].message.startsWith(want), `got: ${diags[0].message}\nwant: ${want}`);
    assert.equal(diags[0].code, 'maps-json');
  }
});

test('a full map or ring is reported per entry, and the other entries still load', () => {
  const set = createMaps([def('hash', { name: 'h', maxEntries: 1 }), def('ringbuf', { name: 'r' })], { nCpus: 1 });
  const diags = loadMapsJson(set, {
    h: { entries: [{ key: '01000000', value: '0000000000000000' }, { key: '02000000', value: '0000000000000000' }] },
    r: { entries: [{ value: '00'.repeat(4000) }, { value: '00'.repeat(100) }, { value: '01' }] },
  });
  assert.deepEqual(diags.map((d) => d.message), [
    "map 'h' entry 1: the update fails with E2BIG (the map is full at max_entries 1)",
    "map 'r' entry 1: the update fails with EAGAIN (the ring is full)",
  ]);
  assert.equal(mapsToJson(set).r.entries.length, 2);
});
