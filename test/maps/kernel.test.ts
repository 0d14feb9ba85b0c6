// Differential: the same bpf(2) operations on a kernel map (through core/kernel) and on our
// map, with the same return codes and the same contents. Skips, saying why, without root
// or bpf(2).
//
// Compared exactly: errno of every operation, lookup bytes, get_next_key sequences where
// the kernel's order is deterministic (arrays, lpm_trie), dumps as sets for hash maps
// (their kernel order depends on a random seed). Not compared: which elements a full LRU
// map evicts (core/maps/lru.ts documents why they differ), and the ids the kernel returns
// for fd-map lookups (ours are indexes).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeFd, createMap, kernelAvailable, mapDump, mapGetNextKey, mapInfo, mapLookup, mapUpdate, mapDelete, possibleCpus, MapCreateDef } from '../../core/kernel';
import { BpfMap, checkMapDef, createMaps, errName, mapTypeByName, roundUp8, toHex } from '../../core/maps';
import { MapDef } from '../../core/object';
import { canLoadBpf } from '../tools';
import { def, k, lpmKey, v64 } from './util';
import { CASES } from './createCases';

function skipReason(): string | undefined {
  if (!canLoadBpf()) return 'bpf(2) needs root on Linux';
  const avail = kernelAvailable();
  return avail.ok ? undefined : avail.reason;
}

type Value = Uint8Array | { map: string };
type Op =
  | { op: 'update'; key: Uint8Array; value: Value; flags: number }
  | { op: 'lookup'; key: Uint8Array }
  | { op: 'delete'; key: Uint8Array }
  | { op: 'next'; key?: Uint8Array };

interface Scenario {
  name: string;
  defs: MapDef[];
  /** The map under test (the others serve as inner maps). */
  target: string;
  ops: Op[];
  /** get_next_key answers compared key for key (else only their errno). */
  orderedNext: boolean;
  dump: 'ordered' | 'set' | 'none';
}

const up = (key: Uint8Array, value: Value, flags = 0): Op => ({ op: 'update', key, value, flags });
const get = (key: Uint8Array): Op => ({ op: 'lookup', key });
const del = (key: Uint8Array): Op => ({ op: 'delete', key });
const next = (key?: Uint8Array): Op => ({ op: 'next', key });
const none = new Uint8Array(0);

/** Every CPU's value, packed as bpf(2) takes them; CPU c gets `n + c`. */
function perCpu(n: number, valueSize: number, nCpus: number): Uint8Array {
  const stride = roundUp8(valueSize);
  const out = new Uint8Array(stride * nCpus);
  for (let c = 0; c < nCpus; c++) out[c * stride] = n + c;
  return out;
}

function scenarios(nCpus: number): Scenario[] {
  const flagsSweep = (key: Uint8Array, val: (n: number) => Uint8Array): Op[] =>
    [0, 1, 2, 3, 4, 5, 6, 8].flatMap((f) => [up(key, val(f), f), get(key), up(k(50 + f), val(f), f), get(k(50 + f))]);
  const pc = (n: number) => perCpu(n, 4, nCpus);
  return [
    {
      name: 'array', defs: [def('array', { name: 'm', maxEntries: 4 })], target: 'm', orderedNext: true, dump: 'ordered',
      ops: [...flagsSweep(k(1), v64), up(k(4), v64(1)), up(k(0xffffffff), v64(1), 2), del(k(0)), del(k(9)), get(k(4)),
        next(), next(k(2)), next(k(3)), next(k(99))],
    },
    {
      name: 'percpu_array', defs: [def('percpu_array', { name: 'm', maxEntries: 3, valueSize: 4 })], target: 'm', orderedNext: true, dump: 'ordered',
      ops: [up(k(0), pc(1)), up(k(1), pc(5), 2), up(k(1), pc(6), 1), up(k(1), pc(7), 4), up(k(3), pc(7)), get(k(0)), get(k(1)), get(k(3)), del(k(1))],
    },
    ...(['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash'] as const).flatMap((type) => [0, 1].map((noPrealloc): Scenario => {
      const percpu = type.includes('percpu');
      const val = (n: number) => (percpu ? pc(n) : v64(n));
      const lru = type.startsWith('lru');
      return {
        name: `${type}${noPrealloc ? ' no_prealloc' : ''}`,
        defs: [def(type, { name: 'm', maxEntries: 4, valueSize: percpu ? 4 : 8, flags: noPrealloc && !lru ? 1 : 0 })],
        target: 'm', orderedNext: false, dump: 'set',
        ops: [
          ...flagsSweep(k(1), val), del(k(1)), del(k(1)), get(k(1)), up(k(2), val(2), 1), up(k(3), val(3)),
          // Full (four present) for the non-LRU types: a new key is E2BIG, present keys update.
          ...(lru ? [] : [up(k(9), val(9)), up(k(9), val(9), 2), up(k(2), val(22)), up(k(2), val(23), 2)]),
          next(), next(k(404)), del(k(404)),
        ],
      };
    })),
    {
      name: 'lpm_trie', defs: [def('lpm_trie', { name: 'm', keySize: 8, maxEntries: 5 })], target: 'm', orderedNext: true, dump: 'ordered',
      ops: [
        up(lpmKey(16, 192, 168, 0, 0), v64(1).subarray(0, 4)), up(lpmKey(24, 192, 168, 0, 0), v64(2).subarray(0, 4)),
        up(lpmKey(24, 192, 168, 128, 0), v64(3).subarray(0, 4)), up(lpmKey(24, 192, 168, 1, 0), v64(5).subarray(0, 4)),
        up(lpmKey(8, 10, 1, 2, 3), v64(6).subarray(0, 4), 1), up(lpmKey(8, 10, 9, 9, 9), v64(7).subarray(0, 4), 1),
        up(lpmKey(8, 10, 9, 9, 9), v64(8).subarray(0, 4), 0), up(lpmKey(8, 11, 0, 0, 0), v64(8).subarray(0, 4), 2),
        up(lpmKey(8, 11, 0, 0, 0), v64(8).subarray(0, 4), 0), up(lpmKey(8, 11, 0, 0, 0), v64(8).subarray(0, 4), 3),
        up(lpmKey(33, 1, 0, 0, 0), v64(8).subarray(0, 4)), up(lpmKey(0, 0, 0, 0, 0), v64(9).subarray(0, 4), 4),
        get(lpmKey(32, 192, 168, 1, 7)), get(lpmKey(32, 192, 168, 200, 7)), get(lpmKey(20, 192, 168, 1, 7)),
        get(lpmKey(32, 10, 0, 0, 1)), get(lpmKey(32, 12, 0, 0, 1)), get(lpmKey(40, 10, 0, 0, 1)),
        next(), next(lpmKey(24, 192, 168, 0, 0)), next(lpmKey(24, 192, 168, 1, 0)), next(lpmKey(16, 192, 168, 0, 0)),
        next(lpmKey(8, 10, 0, 0, 0)), next(lpmKey(99, 0, 0, 0, 0)), next(lpmKey(12, 1, 2, 3, 4)),
        del(lpmKey(24, 192, 168, 0, 1)), del(lpmKey(23, 192, 168, 0, 0)), del(lpmKey(33, 0, 0, 0, 0)), del(lpmKey(24, 192, 168, 0, 0)),
        get(lpmKey(32, 192, 168, 0, 7)), next(),
      ],
    },
    ...(['queue', 'stack'] as const).map((type): Scenario => ({
      name: type, defs: [def(type, { name: 'm', maxEntries: 3 })], target: 'm', orderedNext: false, dump: 'none',
      ops: [
        get(none), up(none, k(1), 1), up(none, k(1), 3), up(none, k(1), 4), up(none, k(1)), get(none), up(none, k(2)), up(none, k(3)),
        get(none), up(none, k(4)), up(none, k(4), 2), get(none), up(none, k(5), 2), get(none), del(none), next(),
      ],
    })),
    {
      name: 'ringbuf', defs: [def('ringbuf', { name: 'm' })], target: 'm', orderedNext: false, dump: 'none',
      ops: [get(none), up(none, none), del(none), next()],
    },
    {
      name: 'prog_array (fd-independent codes)', defs: [def('prog_array', { name: 'm', maxEntries: 2 })], target: 'm', orderedNext: true, dump: 'none',
      ops: [up(k(0), k(0), 1), up(k(0), k(0), 2), up(k(5), k(0)), del(k(0)), del(k(7)), get(k(0)), get(k(9)), next(), next(k(1))],
    },
    {
      name: 'array_of_maps',
      defs: [def('array', { name: 'tmpl', maxEntries: 2 }), def('array', { name: 'a', maxEntries: 2 }), def('array', { name: 'b', maxEntries: 3 }),
        def('hash', { name: 'h' }), def('array_of_maps', { name: 'm', valueSize: 4, maxEntries: 2, inner: 'tmpl' })],
      target: 'm', orderedNext: true, dump: 'none',
      ops: [up(k(0), { map: 'a' }), up(k(1), { map: 'b' }), up(k(1), { map: 'h' }), up(k(1), { map: 'a' }, 1), up(k(2), { map: 'a' }),
        get(k(1)), del(k(1)), del(k(0)), del(k(0)), del(k(5)), next()],
    },
    {
      name: 'hash_of_maps',
      defs: [def('hash', { name: 'tmpl' }), def('hash', { name: 'x', maxEntries: 100 }), def('array', { name: 'arr' }),
        def('hash_of_maps', { name: 'm', valueSize: 4, maxEntries: 1, inner: 'tmpl' })],
      target: 'm', orderedNext: false, dump: 'none',
      ops: [up(k(5), { map: 'x' }), up(k(5), { map: 'arr' }), up(k(5), { map: 'x' }, 1), up(k(6), { map: 'x' }, 2), up(k(6), { map: 'x' }),
        up(k(5), { map: 'tmpl' }, 4), up(k(5), { map: 'tmpl' }, 2), get(k(6)), del(k(6)), del(k(5)), next()],
    },
  ];
}

function kernelDef(d: MapDef, defs: readonly MapDef[]): MapCreateDef {
  const inner = d.inner ? defs.find((x) => x.name === d.inner) : undefined;
  return { type: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries, flags: d.flags, name: d.name, innerDef: inner && kernelDef(inner, defs) };
}

/** One operation on the kernel map: an errno (0 for success) and the bytes a lookup or get_next_key gave. */
function onKernel(fd: number, d: MapDef, op: Op, fds: Map<string, number>): [number, string?] {
  const perCpu = mapTypeByName(d.type)?.perCpu ?? false;
  switch (op.op) {
    case 'update': {
      const value = op.value instanceof Uint8Array ? op.value : Uint8Array.from(k(fds.get(op.value.map) as number));
      const r = mapUpdate(fd, op.key, value, op.flags);
      return ['errno' in r ? r.errno : 0];
    }
    case 'lookup': {
      const r = mapLookup(fd, op.key, { valueSize: d.valueSize, perCpu });
      if ('errno' in r) return [r.errno];
      if ('values' in r) return [0, r.values.map(toHex).join(',')];
      return [0, 'value' in r ? toHex(r.value) : ''];
    }
    case 'delete': {
      const r = mapDelete(fd, op.key);
      return ['errno' in r ? r.errno : 0];
    }
    case 'next': {
      const r = mapGetNextKey(fd, op.key, d.keySize);
      if ('errno' in r) return [r.errno];
      return 'key' in r && r.key ? [0, toHex(r.key)] : [2];
    }
  }
}

function onOurs(map: BpfMap, op: Op, indexOf: (name: string) => number): [number, string?] {
  const err = (r: number) => -r;
  switch (op.op) {
    case 'update': {
      const value = op.value instanceof Uint8Array ? op.value : k(indexOf(op.value.map));
      return [err(map.sysUpdate(op.key, value, op.flags))];
    }
    case 'lookup': {
      const r = map.sysLookup(op.key);
      if (typeof r === 'number') return [err(r)];
      if (!map.spec.perCpu) return [0, toHex(r)];
      const stride = roundUp8(map.def.valueSize);
      return [0, Array.from({ length: map.nCpus }, (_, c) => toHex(r.subarray(c * stride, c * stride + map.def.valueSize))).join(',')];
    }
    case 'delete': return [err(map.sysDelete(op.key))];
    case 'next': {
      const r = map.getNextKey(op.key);
      return typeof r === 'number' ? [err(r)] : [0, toHex(r)];
    }
  }
}

test('map operations: the kernel and our maps agree', (t) => {
  const why = skipReason();
  if (why) return t.skip(why);
  const nCpus = possibleCpus();
  for (const sc of scenarios(nCpus)) {
    const ours = createMaps(sc.defs, { nCpus });
    assert.deepEqual(ours.diagnostics, [], sc.name);
    const fds = new Map<string, number>();
    try {
      for (const d of sc.defs) {
        const r = createMap(kernelDef(d, sc.defs));
        assert.ok('fd' in r, `${sc.name}: kernel map ${d.name}: ${JSON.stringify(r)}`);
        fds.set(d.name, r.fd);
      }
      const d = sc.defs.find((x) => x.name === sc.target) as MapDef;
      const map = ours.get(sc.target) as BpfMap;
      const fd = fds.get(sc.target) as number;
      const indexOf = (name: string) => ours.indexOf(name);
      sc.ops.forEach((op, i) => {
        const kr = onKernel(fd, d, op, fds);
        const or = onOurs(map, op, indexOf);
        const what = `${sc.name} op ${i} (${op.op} ${'key' in op && op.key ? toHex(op.key) : ''}${op.op === 'update' ? ` flags ${op.flags}` : ''})`;
        assert.equal(errName(or[0]), errName(kr[0]), `${what}: errno`);
        const bytesComparable = op.op === 'lookup' ? !mapTypeByName(d.type)?.mapInMap && d.type !== 'prog_array' : op.op === 'next' && sc.orderedNext;
        if (kr[0] === 0 && bytesComparable) assert.equal(or[1], kr[1], `${what}: bytes`);
      });
      if (sc.dump !== 'none') {
        const perCpu = map.spec.perCpu;
        const kd = mapDump(fd, d.keySize, d.valueSize, perCpu);
        assert.ok('entries' in kd, `${sc.name}: dump ${JSON.stringify(kd)}`);
        const fmt = (e: { key?: Uint8Array; value?: Uint8Array; values?: Uint8Array[] }) => `${toHex(e.key as Uint8Array)}=${e.values ? e.values.map(toHex).join(',') : toHex(e.value as Uint8Array)}`;
        const kList = kd.entries.map(fmt);
        const oList = map.entries().map(fmt);
        if (sc.dump === 'set') assert.deepEqual(oList.sort(), kList.sort(), `${sc.name}: contents`);
        else assert.deepEqual(oList, kList, `${sc.name}: contents in order`);
      }
    } finally {
      for (const fd of fds.values()) closeFd(fd);
    }
  }
});

test("BPF_MAP_CREATE: the kernel refuses what checkMapDef refuses, with the same errno", (t) => {
  const why = skipReason();
  if (why) return t.skip(why);
  const nCpus = possibleCpus();
  for (const [what, d, , vmOnly] of CASES) {
    if (vmOnly) continue;
    const ours = checkMapDef(d, [d], nCpus)?.errno ?? 0;
    const r = createMap(kernelDef(d, [d]));
    if ('fd' in r) closeFd(r.fd);
    const theirs = 'fd' in r ? 0 : 'errno' in r ? -r.errno : NaN;
    assert.equal(errName(ours), errName(theirs), what);
  }
});

test('lru_hash: inserting into a full map succeeds in both, whatever each evicts', (t) => {
  const why = skipReason();
  if (why) return t.skip(why);
  const d = def('lru_hash', { name: 'm', maxEntries: 8 });
  const map = createMaps([d], { nCpus: possibleCpus() }).get('m') as BpfMap;
  const r = createMap(kernelDef(d, [d]));
  assert.ok('fd' in r);
  try {
    for (let n = 0; n < 64; n++) {
      const kr = mapUpdate(r.fd, k(n), v64(n), 0);
      assert.ok('ok' in kr, `kernel insert ${n}`);
      assert.equal(map.sysUpdate(k(n), v64(n), 0), 0, `our insert ${n}`);
    }
    const kd = mapDump(r.fd, 4, 8, false);
    assert.ok('entries' in kd);
    assert.ok(kd.entries.length <= 8 && kd.entries.length > 0);
    assert.equal(map.entries().length, 8, 'ours keeps exactly max_entries');
    assert.ok(kd.entries.some((e) => toHex(e.key) === toHex(k(63))), 'the newest key is in the kernel map too');
  } finally {
    closeFd(r.fd);
  }
});

test('lru_hash with no_common_lru: the kernel rounds max_entries as we do', (t) => {
  const why = skipReason();
  if (why) return t.skip(why);
  const nCpus = possibleCpus();
  for (const max of [1, 3, 5, 17]) {
    const d = def('lru_hash', { name: 'm', maxEntries: max, flags: 2 });
    const ours = createMaps([d], { nCpus }).get('m') as BpfMap;
    const r = createMap(kernelDef(d, [d]));
    assert.ok('fd' in r);
    try {
      const info = mapInfo(r.fd);
      assert.ok('maxEntries' in info);
      assert.equal(ours.maxEntries, info.maxEntries, `max_entries ${max} on ${nCpus} CPUs`);
    } finally {
      closeFd(r.fd);
    }
  }
});
