/**
 * Map contents as JSON: the `maps` object of `run --json`, which `--maps F.json` and the
 * test sidecar's `maps` take back (DESIGN.md, Command line).
 *
 *   {"NAME": {"type": "hash", "entries": [{"key": "<hex>", "value": "<hex>"}]}}
 *
 * - Hex is lowercase, without spaces or 0x, in memory order (a u32 key 1 is "01000000").
 * - Per-CPU maps give "values": one hex string per CPU instead of "value".
 * - queue, stack and ringbuf entries have no "key".
 * - prog_array values are program names; array_of_maps and hash_of_maps values are map names.
 * - perf_event_array entries are always empty: its records are events, not contents.
 *
 * Order of entries: arrays (and fd arrays) by index, every index for array and
 * percpu_array; hash maps in insertion order (hash.ts); lpm_trie in the kernel's
 * get_next_key postorder; queue and stack from oldest to newest; ringbuf records in ring
 * order. Maps appear in definition order.
 *
 * Loading writes each entry as bpf(2) would (BPF_ANY updates; pushes for queue and stack;
 * committed records for ringbuf) and leaves other elements as they are. Input is lenient
 * where it costs nothing: hex may be upper case, "type" may be left out, and a per-CPU map
 * takes a single "value" to mean the same value on every CPU. Every problem becomes a
 * Diagnostic naming the map and the entry index; loading goes on with the next entry.
 *
 * Pure TypeScript: no I/O.
 */

import { Diagnostic, error } from '../diag';
import { BpfMap, MapEntry, packPerCpu, toHex } from './base';
import { ArrayOfMapsMap, HashOfMapsMap, ProgArrayMap } from './fdMaps';
import { mapTypeByName } from './table';
import { errName, roundUp8 } from './uapi';

export interface EntryJson {
  key?: string;
  value?: string;
  values?: string[];
}

export interface MapJson {
  type: string;
  entries: EntryJson[];
}

export type MapsJson = Record<string, MapJson>;

/** Every map's contents, in the shape above. */
export function mapsToJson(maps: ReadonlyMap<string, BpfMap>): MapsJson {
  const out: MapsJson = {};
  for (const [name, map] of maps) out[name] = { type: map.spec.name, entries: map.entries().map(entryJson) };
  return out;
}

function entryJson(e: MapEntry): EntryJson {
  const out: EntryJson = {};
  if (e.key) out.key = toHex(e.key);
  if (e.ref !== undefined) out.value = e.ref;
  else if (e.values) out.values = e.values.map(toHex);
  else if (e.value) out.value = toHex(e.value);
  return out;
}

/**
 * Writes the entries of `json` (an object, or its JSON text) into `maps`. Returns what went
 * wrong; an empty list means every entry was written.
 */
export function loadMapsJson(maps: ReadonlyMap<string, BpfMap>, json: unknown): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const fail = (message: string) => diags.push(error('maps-json', message));
  let root = json;
  if (typeof root === 'string') {
    try {
      root = JSON.parse(root);
    } catch (e) {
      fail(`maps: not valid JSON: ${(e as Error).message}`);
      return diags;
    }
  }
  if (!isObject(root)) {
    fail('maps: expected an object of maps by name, e.g. {"NAME": {"type": "hash", "entries": [...]}}');
    return diags;
  }
  for (const [name, body] of Object.entries(root)) {
    const map = maps.get(name);
    if (!map) {
      fail(`maps: unknown map '${name}' (the program has ${maps.size ? [...maps.keys()].map((n) => `'${n}'`).join(', ') : 'no maps'})`);
      continue;
    }
    if (!isObject(body)) {
      fail(`map '${name}': expected {"type": "${map.spec.name}", "entries": [...]}`);
      continue;
    }
    if (body.type !== undefined && (typeof body.type !== 'string' || mapTypeByName(body.type)?.name !== map.spec.name)) {
      fail(`map '${name}': type is ${JSON.stringify(body.type)} but the map's type is ${map.spec.name}`);
      continue;
    }
    if (!Array.isArray(body.entries)) {
      fail(`map '${name}': "entries" must be an array`);
      continue;
    }
    body.entries.forEach((entry: unknown, i: number) => {
      const msg = loadEntry(map, entry);
      if (msg) fail(`map '${name}' entry ${i}: ${msg}`);
    });
  }
  return diags;
}

/** Writes one entry; the problem in words, or undefined. */
function loadEntry(map: BpfMap, entry: unknown): string | undefined {
  if (!isObject(entry)) return 'expected an object such as {"key": "<hex>", "value": "<hex>"}';
  const type = map.spec.name;
  if (type === 'perf_event_array') return 'perf_event_array maps take no entries (their slots hold perf events)';
  const keyless = map.spec.keyless;
  let key: Uint8Array = new Uint8Array(0);
  if (keyless) {
    if (entry.key !== undefined) return `${type} entries have no "key"`;
  } else {
    const k = bytesField(entry.key, 'key', map.def.keySize, 'key_size');
    if (typeof k === 'string') return k;
    key = k;
  }
  const ref = map instanceof ProgArrayMap || map instanceof ArrayOfMapsMap || map instanceof HashOfMapsMap;
  if (ref) {
    const what = type === 'prog_array' ? 'program' : 'map';
    if (typeof entry.value !== 'string' || entry.value === '') return `"value" must name a ${what}`;
    return result(map, map.setRef(key, entry.value), entry.value);
  }
  const value = valueField(map, entry);
  if (typeof value === 'string') return value;
  if (type === 'ringbuf') return result(map, map.output(value, 0, 0));
  return result(map, map.sysUpdate(key, value, 0));
}

/** The bytes bpf(2)'s update takes: the value, or every CPU's value at a stride of round_up(value_size, 8). */
function valueField(map: BpfMap, entry: Record<string, unknown>): Uint8Array | string {
  const size = map.spec.name === 'ringbuf' ? undefined : map.def.valueSize;
  if (!map.spec.perCpu) {
    if (entry.values !== undefined) return `${map.spec.name} maps take "value", not "values"`;
    return bytesField(entry.value, 'value', size, 'value_size');
  }
  const stride = roundUp8(map.def.valueSize);
  if (entry.values === undefined) {
    const one = bytesField(entry.value, 'value', size, 'value_size');
    return typeof one === 'string' ? `${one} (or "values", one per CPU)` : packPerCpu(Array(map.nCpus).fill(one), stride);
  }
  if (!Array.isArray(entry.values)) return '"values" must be an array of hex strings, one per CPU';
  if (entry.values.length !== map.nCpus) return `"values" has ${entry.values.length} values but the map has ${map.nCpus} CPUs`;
  const vals: Uint8Array[] = [];
  for (let c = 0; c < entry.values.length; c++) {
    const v = bytesField(entry.values[c], `values[${c}]`, size, 'value_size');
    if (typeof v === 'string') return v;
    vals.push(v);
  }
  return packPerCpu(vals, stride);
}

/** A hex field of an exact size (any size when `size` is undefined), or what is wrong with it. */
function bytesField(v: unknown, field: string, size: number | undefined, sizeName: string): Uint8Array | string {
  if (v === undefined) return `"${field}" is missing`;
  if (typeof v !== 'string') return `"${field}" must be a hex string`;
  const bytes = parseHex(v);
  if (!bytes) return `"${field}" is not hex (two digits per byte, no spaces): ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (size !== undefined && bytes.length !== size) return `"${field}" has ${bytes.length} bytes, expected ${size} (${sizeName})`;
  return bytes;
}

/** Hex in memory order; undefined unless it is pairs of hex digits. */
export function parseHex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** An update's errno in words, with the likely cause for this map type. */
function result(map: BpfMap, err: number, ref?: string): string | undefined {
  if (err === 0) return undefined;
  const type = map.spec.name;
  const arrayLike = map.def.keySize === 4 && (type.includes('array') || type === 'prog_array');
  const why: Record<string, string | undefined> = {
    E2BIG: arrayLike ? 'the index is past max_entries' : `the map is full at max_entries ${map.maxEntries}`,
    EAGAIN: 'the ring is full',
    ENOSPC: `the map is full at max_entries ${map.maxEntries}`,
    EBADF: type === 'prog_array' ? `there is no program '${ref}'` : `there is no map '${ref}'`,
    EINVAL: map.spec.mapInMap ? `map '${ref}' does not have the shape of the inner map` : type === 'lpm_trie' ? 'the prefix length is past the maximum' : undefined,
    EPERM: 'the map is read-only for user space (flags=rdonly)',
  };
  const reason = why[errName(err)];
  return `the update fails with ${errName(err)}${reason ? ` (${reason})` : ''}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
