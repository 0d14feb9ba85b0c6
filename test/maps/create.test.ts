// BPF_MAP_CREATE's checks: each refused definition gives the kernel's errno, as a diagnostic
// naming the map; accepted definitions become maps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MapDef } from '../../core/object';
import { checkMapDef, createMaps, EBADF, EINVAL, ENOTSUPP, errName } from '../../core/maps';
import { CASES } from './createCases';
import { def } from './util';

test("BPF_MAP_CREATE's checks give the kernel's errno", () => {
  for (const [what, d, want] of CASES) {
    const got = checkMapDef(d, [d], 2);
    assert.equal(got?.errno ?? 0, want, `${what}: ${got ? `${errName(got.errno)} ${got.reason}` : 'created'}`);
  }
});

test('a refused definition is a diagnostic naming the map and the errno, and no map', () => {
  const set = createMaps([def('ringbuf', { name: 'events', maxEntries: 1000 }), def('array', { name: 'ok' })], { nCpus: 1 });
  assert.deepEqual([...set.keys()], ['ok']);
  assert.equal(set.diagnostics.length, 1);
  assert.match(set.diagnostics[0].message, /^map 'events': BPF_MAP_CREATE fails with EINVAL: .*power of 2.*page size 4096, got 1000$/);
  assert.equal(set.diagnostics[0].severity, 'error');
});

test('map-in-map templates: checked, resolved, and not created when they cannot stand alone', () => {
  const tmpl = def('hash', { name: 'outer.inner' });
  const outer = def('hash_of_maps', { name: 'outer', valueSize: 4, inner: 'outer.inner' });
  const set = createMaps([outer, tmpl], { nCpus: 1 });
  assert.deepEqual(set.diagnostics, []);
  assert.deepEqual([...set.keys()], ['outer']);
  assert.equal(set.indexOf('outer.inner'), 1);
  assert.equal(set.byIndex(1), undefined);

  const errs: [MapDef[], number][] = [
    [[def('array_of_maps', { name: 'o', valueSize: 4 })], EBADF],
    [[def('array_of_maps', { name: 'o', valueSize: 4, inner: 'missing' })], EBADF],
    [[def('array_of_maps', { name: 'o', valueSize: 8, inner: 'i' }), def('array', { name: 'i' })], EINVAL],
    [[def('array_of_maps', { name: 'o', valueSize: 4, inner: 'i' }), def('prog_array', { name: 'i' })], ENOTSUPP],
    [[def('array_of_maps', { name: 'o', valueSize: 4, inner: 'i' }), def('hash_of_maps', { name: 'i', valueSize: 4, inner: 'j' }), def('hash', { name: 'j' })], EINVAL],
    [[def('array_of_maps', { name: 'o', valueSize: 4, inner: 'i' }), def('ringbuf', { name: 'i', maxEntries: 100 })], EINVAL],
    [[def('array_of_maps', { name: 'o', valueSize: 4, inner: 'i' }), def('ringbuf', { name: 'i' })], 0],
  ];
  for (const [defs, want] of errs) assert.equal(checkMapDef(defs[0], defs, 1)?.errno ?? 0, want, JSON.stringify(defs.map((d) => [d.type, d.inner])));
});

test('unsupported types, unknown types and duplicate names are diagnostics too', () => {
  const set = createMaps([def('devmap', { name: 'd' }), def('hashmap', { name: 'x' }), def('array', { name: 'a' }), def('hash', { name: 'a' })], { nCpus: 1 });
  assert.deepEqual(set.diagnostics.map((d) => d.message), [
    "map 'd': map type devmap is not supported by the VM yet",
    "map 'x': BPF_MAP_CREATE fails with EINVAL: unknown map type 'hashmap'",
    "map 'a' is defined twice",
  ]);
  assert.equal(set.get('a')?.spec.name, 'array');
});

test('the map set finds maps by declaration index and keeps definition order', () => {
  const set = createMaps([def('array', { name: 'z' }), def('hash', { name: 'a' })], { nCpus: 4 });
  assert.deepEqual([...set.keys()], ['z', 'a']);
  assert.equal(set.byIndex(1)?.name, 'a');
  assert.equal(set.get('z')?.nCpus, 4);
});
