/** Small builders shared by the map tests: definitions, keys and values in memory order. */

import assert from 'node:assert/strict';
import { MapDef } from '../../core/object';
import { BpfMap, createMaps, CreateMapsOptions, MapSet, parseHex, toHex, u32Bytes } from '../../core/maps';

/** A definition with the usual sizes for its type; `over` changes any field. */
export function def(type: string, over: Partial<MapDef> = {}): MapDef {
  const base: Record<string, Partial<MapDef>> = {
    queue: { keySize: 0, valueSize: 4 },
    stack: { keySize: 0, valueSize: 4 },
    ringbuf: { keySize: 0, valueSize: 0, maxEntries: 4096 },
    lpm_trie: { keySize: 8, valueSize: 4, flags: 1 },
    prog_array: { keySize: 4, valueSize: 4 },
    perf_event_array: { keySize: 4, valueSize: 4 },
  };
  return { name: 'm', type, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, ...base[type], ...over };
}

/** One map, created without diagnostics. */
export function mk(type: string, over: Partial<MapDef> = {}, opts: Partial<CreateMapsOptions> = {}): BpfMap {
  const set = createMaps([def(type, over)], { nCpus: 1, ...opts });
  assert.deepEqual(set.diagnostics, []);
  return set.get(over.name ?? 'm') as BpfMap;
}

/** Several maps, created without diagnostics. */
export function mkSet(defs: MapDef[], opts: Partial<CreateMapsOptions> = {}): MapSet {
  const set = createMaps(defs, { nCpus: 1, ...opts });
  assert.deepEqual(set.diagnostics.map((d) => d.message), []);
  return set;
}

export const k = u32Bytes;

/** Bytes from hex, for readable expectations. */
export function h(s: string): Uint8Array {
  const b = parseHex(s.replace(/\s+/g, ''));
  assert.ok(b, `bad hex in test: ${s}`);
  return b;
}

export { toHex };

/** A u64 value in memory order. */
export function v64(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

/** An lpm_trie key: u32 prefix length, then the data bytes. */
export function lpmKey(prefixlen: number, ...data: number[]): Uint8Array {
  return Uint8Array.from([...u32Bytes(prefixlen), ...data]);
}

/** Keys from getNextKey, from the first until ENOENT (or an error). */
export function walk(map: BpfMap): string[] {
  const out: string[] = [];
  let key: Uint8Array | undefined;
  for (let i = 0; i < 10000; i++) {
    const next = map.getNextKey(key);
    if (typeof next === 'number') return out;
    out.push(toHex(next));
    key = next;
  }
  assert.fail('getNextKey did not end');
}
