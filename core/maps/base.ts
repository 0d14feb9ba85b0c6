/**
 * The interface every in-memory map implements, and the base class that gives each
 * operation the kernel's answer for a map type that lacks it.
 *
 * Two sides, as in the kernel:
 * - the program side (what helpers call): `lookup` returns the LIVE value storage, a
 *   Uint8Array view the VM reads and writes through pointers, so a store lands in the map;
 *   `update`, `delete`, `push`/`pop`/`peek`, `reserve`/`submit`/`discard`/`output`/`query`,
 *   and `lookupMap`/`lookupRef` for map-in-map and prog_array slots;
 * - the user side (what bpf(2) does): `sysLookup`/`sysUpdate`/`sysDelete`/`getNextKey`
 *   take and give bytes in the syscall's layout (a per-CPU value is every CPU's value,
 *   each at a stride of round_up(value_size, 8); an fd map's value is a u32 "fd"), and
 *   `entries()` lists the contents for dumps.
 *
 * Invariants:
 * - Errors are negative errno numbers (uapi.ts), the codes the kernel function named in a
 *   method's comment returns; a map never throws for a program's or a user's input. It
 *   throws (via `never`) only when the caller breaks the contract: a key or value of the
 *   wrong length, a CPU outside [0, nCpus) where a CPU must be valid.
 * - A view returned by `lookup` stays valid while its element lives. Arrays preallocate
 *   (lazily, but a view once handed out is kept); a hash element keeps one buffer from
 *   insertion to deletion, and an update copies into it (see hash.ts for how that differs
 *   from the kernel). After a delete the old view is detached: writes to it reach nothing.
 * - `version` grows by one on every change the map makes, and `onChange` hears of it;
 *   writes through a view are not seen by the map, so the VM reports them with
 *   `markWritten`.
 *
 * Pure TypeScript: no I/O.
 */

import { never } from '../diag';
import { MapDef } from '../object';
import { MapTypeSpec } from './table';
import { BPF_F_LOCK, EINVAL, ENOENT, EOPNOTSUPP, EPERM, F_RDONLY, F_WRONLY, u64 } from './uapi';

/** A u64 argument: the VM passes bigint, tests often number. */
export type Flags = number | bigint;

/** One element as a dump shows it; copies, never live storage. */
export interface MapEntry {
  /** Absent for queue, stack and ringbuf. */
  key?: Uint8Array;
  /** The value (value_size bytes); absent for per-CPU maps and fd maps. */
  value?: Uint8Array;
  /** Per-CPU maps: one value per CPU, each value_size bytes. */
  values?: Uint8Array[];
  /** prog_array: the program's name; array_of_maps / hash_of_maps: the inner map's name. */
  ref?: string;
}

export type MapOp =
  | 'update' | 'delete' | 'evict' | 'push' | 'pop' | 'reserve' | 'submit' | 'discard'
  | 'output' | 'consume' | 'write';

/** A change a map made, for the debugger's map view and the VM's change log. */
export interface MapChange {
  map: string;
  op: MapOp;
  /** A copy of the key concerned, when there is one. */
  key?: Uint8Array;
  cpu?: number;
}

/** A record sent to user space: ringbuf records in ring order, perf events as output. */
export interface MapEvent {
  map: string;
  data: Uint8Array;
  /** perf_event_array: the CPU whose buffer got the record. */
  cpu?: number;
}

export interface BpfMap {
  readonly name: string;
  readonly def: MapDef;
  readonly spec: MapTypeSpec;
  /** The CPU count fixed at creation: per-CPU maps hold this many values per element. */
  readonly nCpus: number;
  /** Elements the map may hold (the kernel rounds lru maps with no_common_lru). */
  readonly maxEntries: number;
  /** Grows by one on every change. */
  readonly version: number;
  onChange: ((change: MapChange) => void) | undefined;
  /** The VM wrote through a view of this map: count it as a change. */
  markWritten(key?: Uint8Array, cpu?: number): void;

  // The program side: what the helpers do. `cpu` is the CPU the program runs on.
  /** map_lookup_elem (and map_lookup_percpu_elem for per-CPU maps): the live value, or NULL. */
  lookup(key: Uint8Array, cpu: number): Uint8Array | undefined;
  /** map_update_elem: 0 or a negative errno. prog_array and map-in-map take a u32 index (see fdMaps.ts). */
  update(key: Uint8Array, value: Uint8Array, flags: Flags, cpu: number): number;
  /** map_delete_elem. */
  delete(key: Uint8Array): number;
  /** map_push_elem (queue, stack). */
  push(value: Uint8Array, flags: Flags): number;
  /** map_pop_elem: copies the value into `dst` (value_size bytes); on error `dst` is zeroed, as the kernel does. */
  pop(dst: Uint8Array): number;
  /** map_peek_elem, like pop without taking the value out. */
  peek(dst: Uint8Array): number;
  /** map_lookup_elem on array_of_maps / hash_of_maps: the inner map, or NULL. */
  lookupMap(key: Uint8Array): BpfMap | undefined;
  /** The name a slot holds: prog_array, the program a tail_call enters; map-in-map, the inner map. */
  lookupRef(key: Uint8Array): string | undefined;
  /** ringbuf_reserve: the record's live bytes, or NULL. */
  reserve(size: number, flags?: Flags): Uint8Array | undefined;
  /** ringbuf_submit, for a view `reserve` gave. */
  submit(view: Uint8Array, flags?: Flags): number;
  /** ringbuf_discard. */
  discard(view: Uint8Array, flags?: Flags): number;
  /** ringbuf_output, perf_event_output (the helper appends any context bytes to `data` itself). */
  output(data: Uint8Array, flags: Flags, cpu: number): number;
  /** ringbuf_query. */
  query(flag: Flags): bigint;

  // The user side: bpf(2), in the syscall's byte layout (see the header).
  /** BPF_MAP_LOOKUP_ELEM: a copy, or a negative errno. A queue or stack peeks. */
  sysLookup(key: Uint8Array): Uint8Array | number;
  /** BPF_MAP_UPDATE_ELEM. A queue or stack pushes. */
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: Flags): number;
  /** BPF_MAP_DELETE_ELEM. */
  sysDelete(key: Uint8Array): number;
  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (the first for undefined), or a negative errno, ENOENT at the end. */
  getNextKey(key: Uint8Array | undefined): Uint8Array | number;
  /** The contents for dumps, in the order json.ts documents; copies. */
  entries(): MapEntry[];
}

/** What every map is built from. */
export interface MapInit {
  def: MapDef;
  spec: MapTypeSpec;
  nCpus: number;
  /** The map's capacity when the kernel adjusts max_entries (lru_hash with no_common_lru). */
  maxEntries?: number;
  /** Where maps that send records to user space report them. */
  emit?: (event: MapEvent) => void;
}

/**
 * Defaults are the kernel's answer when a map type has no such operation. The verifier
 * keeps programs from calling most of them; these codes are what bpf(2) says.
 */
export abstract class MapBase implements BpfMap {
  readonly name: string;
  readonly def: MapDef;
  readonly spec: MapTypeSpec;
  readonly nCpus: number;
  readonly maxEntries: number;
  version = 0;
  onChange: ((change: MapChange) => void) | undefined;
  protected readonly emit: (event: MapEvent) => void;

  constructor(init: MapInit) {
    if (!Number.isInteger(init.nCpus) || init.nCpus < 1) never(`map '${init.def.name}': nCpus must be a positive integer, got ${init.nCpus}`);
    this.name = init.def.name;
    this.def = init.def;
    this.spec = init.spec;
    this.nCpus = init.nCpus;
    this.maxEntries = init.maxEntries ?? init.def.maxEntries;
    this.emit = init.emit ?? (() => undefined);
  }

  markWritten(key?: Uint8Array, cpu?: number): void {
    this.changed('write', key, cpu);
  }

  lookup(_key: Uint8Array, _cpu: number): Uint8Array | undefined {
    return undefined;
  }
  update(_key: Uint8Array, _value: Uint8Array, _flags: Flags, _cpu: number): number {
    return EOPNOTSUPP;
  }
  delete(_key: Uint8Array): number {
    return EOPNOTSUPP;
  }
  push(_value: Uint8Array, _flags: Flags): number {
    return EOPNOTSUPP;
  }
  pop(dst: Uint8Array): number {
    dst.fill(0);
    return EOPNOTSUPP;
  }
  peek(dst: Uint8Array): number {
    dst.fill(0);
    return EOPNOTSUPP;
  }
  lookupMap(_key: Uint8Array): BpfMap | undefined {
    return undefined;
  }
  lookupRef(_key: Uint8Array): string | undefined {
    return undefined;
  }
  reserve(_size: number, _flags?: Flags): Uint8Array | undefined {
    return undefined;
  }
  submit(_view: Uint8Array, _flags?: Flags): number {
    return EINVAL;
  }
  discard(_view: Uint8Array, _flags?: Flags): number {
    return EINVAL;
  }
  output(_data: Uint8Array, _flags: Flags, _cpu: number): number {
    return EOPNOTSUPP;
  }
  query(_flag: Flags): bigint {
    return 0n;
  }

  // The user side. These four do what kernel/bpf/syscall.c does before it reaches the map
  // type: map_get_sys_perms() (BPF_F_RDONLY / BPF_F_WRONLY: EPERM), then, for updates,
  // BPF_F_LOCK on a value without a spin lock (EINVAL; none of our values has one, as we
  // keep no BTF record). Map types override the protected halves.

  /** BPF_MAP_LOOKUP_ELEM. */
  sysLookup(key: Uint8Array): Uint8Array | number {
    if (this.def.flags & F_WRONLY) return EPERM;
    return this.sysRead(key);
  }
  /** BPF_MAP_UPDATE_ELEM. */
  sysUpdate(key: Uint8Array, value: Uint8Array, flags: Flags): number {
    if (this.def.flags & F_RDONLY) return EPERM;
    const f = u64(flags);
    if (f & BPF_F_LOCK) return EINVAL;
    return this.sysWrite(key, value, f);
  }
  /** BPF_MAP_DELETE_ELEM. */
  sysDelete(key: Uint8Array): number {
    if (this.def.flags & F_RDONLY) return EPERM;
    return this.delete(key);
  }
  /** BPF_MAP_GET_NEXT_KEY: the next key, or an errno (ENOENT after the last). */
  getNextKey(key: Uint8Array | undefined): Uint8Array | number {
    if (this.def.flags & F_WRONLY) return EPERM;
    if (key) this.checkKey(key);
    return this.nextKey(key);
  }
  abstract entries(): MapEntry[];

  /** bpf_map_copy_value(), for maps whose lookup gives memory: a copy, or ENOENT. */
  protected sysRead(key: Uint8Array): Uint8Array | number {
    const v = this.peekValue(key);
    return v ? v.slice() : ENOENT;
  }
  /** bpf_map_update_value(): for most types the operation a program does. */
  protected sysWrite(key: Uint8Array, value: Uint8Array, flags: Flags): number {
    return this.update(key, value, flags, 0);
  }
  protected nextKey(_key: Uint8Array | undefined): Uint8Array | number {
    return EOPNOTSUPP;
  }

  /** The value under `key` without touching LRU state (a lookup from user space). */
  protected peekValue(_key: Uint8Array): Uint8Array | undefined {
    return undefined;
  }

  protected changed(op: MapOp, key?: Uint8Array, cpu?: number): void {
    this.version++;
    this.onChange?.({ map: this.name, op, key: key?.slice(), cpu });
  }

  protected checkKey(key: Uint8Array): void {
    if (key.length !== this.def.keySize) never(`map '${this.name}': key of ${key.length} bytes, expected ${this.def.keySize}`);
  }

  protected checkValue(value: Uint8Array, size = this.def.valueSize): void {
    if (value.length !== size) never(`map '${this.name}': value of ${value.length} bytes, expected ${size}`);
  }

  protected checkCpu(cpu: number): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.nCpus) never(`map '${this.name}': CPU ${cpu} outside 0..${this.nCpus - 1}`);
  }
}

/** A u32 read in host (little-endian) order, as an array index or a prefix length. */
export function readU32(bytes: Uint8Array, off = 0): number {
  return (bytes[off] | (bytes[off + 1] << 8) | (bytes[off + 2] << 16) | (bytes[off + 3] << 24)) >>> 0;
}

export function u32Bytes(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
}

/** Lowercase hex in memory order: the JSON form, and the key of hash tables. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Per-CPU values in the syscall's layout: CPU c's value at c * stride, stride = round_up(value_size, 8). */
export function packPerCpu(values: readonly Uint8Array[], stride: number): Uint8Array {
  const out = new Uint8Array(stride * values.length);
  values.forEach((v, c) => out.set(v.subarray(0, stride), c * stride));
  return out;
}

/**
 * array_map_get_next_key(): index 0 after no key or an index past the end, ENOENT after the
 * last index, else the next index. Every array-shaped map (fd arrays too) walks this way.
 */
export function arrayNextKey(maxEntries: number, key: Uint8Array | undefined): Uint8Array | number {
  const idx = key ? readU32(key) : 0xffffffff;
  if (idx >= maxEntries) return u32Bytes(0);
  if (idx === maxEntries - 1) return ENOENT;
  return u32Bytes(idx + 1);
}

/**
 * htab_map_get_next_key() over our insertion order: the first key for no key or a key not
 * present (the kernel then restarts from its first bucket), ENOENT after the last.
 */
export function hashNextKey(elems: ReadonlyMap<string, { key: Uint8Array }>, key: Uint8Array | undefined): Uint8Array | number {
  const id = key ? toHex(key) : undefined;
  let seen = id === undefined || !elems.has(id);
  for (const [k, e] of elems) {
    if (seen) return e.key.slice();
    if (k === id) seen = true;
  }
  return ENOENT;
}
