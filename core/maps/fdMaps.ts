/**
 * The maps whose values are kernel objects rather than bytes: prog_array (programs, for
 * tail calls), perf_event_array (perf event buffers), array_of_maps and hash_of_maps
 * (other maps). kernel/bpf/arraymap.c (fd_array_*, prog_array_*, perf_event_fd_array_*,
 * array_of_map_*), hashtab.c (htab_of_map_*, bpf_fd_htab_map_update_elem()), map_in_map.c.
 *
 * In the kernel, user space stores a file descriptor and reads back an id. Our stand-ins:
 * - prog_array: the value is a u32 index into the program list given at creation
 *   (`programs`); the slot then names that program. A bpf(2) lookup gives the index back.
 * - array_of_maps / hash_of_maps: the value is a u32 map index, the 0-based declaration
 *   index of the map among the definitions given to createMaps (the index `.bin` output
 *   encodes for a map reference). A lookup gives that index back.
 * - perf_event_array: the value is the CPU the perf event was opened on. At creation slot
 *   c holds CPU c's event for every c < nCpus, as a reader such as libbpf's perf_buffer
 *   sets it up, so output with BPF_F_CURRENT_CPU works from the start.
 * Names can be set directly with `setRef` (JSON loading does).
 *
 * Programs read these maps only through helpers: tail_call uses `lookupRef` (the program's
 * name), map_lookup_elem on a map-in-map uses `lookupMap` (the inner map itself; `lookup`
 * gives no bytes), perf_event_output uses `output`.
 *
 * Pure TypeScript: no I/O.
 */

import { MapDef } from '../object';
import { arrayNextKey, BpfMap, Flags, hashNextKey, MapBase, MapEntry, MapInit, readU32, toHex, u32Bytes } from './base';
import { htabCheckFlags, htabFlagsError } from './hash';
import {
  BPF_ANY, BPF_F_CTXLEN_MASK, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK, E2BIG, EBADF, EINVAL, ENOENT,
  ENOTSUPP, EOPNOTSUPP, EPERM, F_INNER_MAP, F_RDONLY, F_TOKEN_FD, F_WRONLY, u64,
} from './uapi';

/** How fd maps find the objects their values name. */
export interface MapRefs {
  /** Program names by index: a prog_array value. Undefined: programs are only named (setRef). */
  programs?: readonly string[];
  mapByName(name: string): BpfMap | undefined;
  /** The map declared at this index: a map-in-map value. */
  mapByIndex(index: number): BpfMap | undefined;
  indexOfMap(name: string): number;
}

/**
 * The array-shaped fd maps (fd_array_map_* in arraymap.c): updates only with BPF_ANY, an
 * index past the end is E2BIG for update and delete, deleting an empty slot is ENOENT.
 */
abstract class FdArrayMap<T> extends MapBase {
  protected readonly slots = new Map<number, T>();

  /** The object a value names, or an errno (map_fd_get_ptr()). */
  protected abstract resolve(value: Uint8Array): T | number;
  /** The value bpf(2) gives back for a slot (map_fd_sys_lookup_elem()), or an errno. */
  protected abstract sysValue(slot: T): Uint8Array | number;

  /** bpf_fd_array_map_update_elem(): flags other than BPF_ANY EINVAL, past the end E2BIG, then the object. */
  override update(key: Uint8Array, value: Uint8Array, flags: Flags, _cpu: number): number {
    this.checkKey(key);
    this.checkValue(value);
    if (u64(flags) !== BPF_ANY) return EINVAL;
    const idx = readU32(key);
    if (idx >= this.maxEntries) return E2BIG;
    const obj = this.resolve(value);
    if (typeof obj === 'number' && obj < 0) return obj;
    this.slots.set(idx, obj as T);
    this.changed('update', key);
    return 0;
  }

  /** fd_array_map_delete_elem(). */
  override delete(key: Uint8Array): number {
    this.checkKey(key);
    const idx = readU32(key);
    if (idx >= this.maxEntries) return E2BIG;
    if (!this.slots.delete(idx)) return ENOENT;
    this.changed('delete', key);
    return 0;
  }

  /** bpf_fd_array_map_lookup_elem(): ENOENT past the end or for an empty slot. */
  protected override sysRead(key: Uint8Array): Uint8Array | number {
    this.checkKey(key);
    const slot = this.slots.get(readU32(key));
    return slot === undefined ? ENOENT : this.sysValue(slot);
  }

  protected override nextKey(key: Uint8Array | undefined): Uint8Array | number {
    return arrayNextKey(this.maxEntries, key);
  }
}

export class ProgArrayMap extends FdArrayMap<string> {
  constructor(init: MapInit, private readonly refs: MapRefs) {
    super(init);
  }

  /** The program a tail call through this slot enters, or undefined (the call falls through). */
  override lookupRef(key: Uint8Array): string | undefined {
    this.checkKey(key);
    return this.slots.get(readU32(key));
  }

  /** Puts a program in a slot by name: E2BIG past the end, EBADF for a program not in the list. */
  setRef(key: Uint8Array, program: string): number {
    this.checkKey(key);
    if (this.def.flags & F_RDONLY) return EPERM;
    const idx = readU32(key);
    if (idx >= this.maxEntries) return E2BIG;
    if (this.refs.programs && !this.refs.programs.includes(program)) return EBADF;
    this.slots.set(idx, program);
    this.changed('update', key);
    return 0;
  }

  override entries(): MapEntry[] {
    return [...this.slots].sort((a, b) => a[0] - b[0]).map(([idx, name]) => ({ key: u32Bytes(idx), ref: name }));
  }

  /** prog_fd_array_get_ptr(): a bad fd (here, program index) is EBADF. */
  protected resolve(value: Uint8Array): string | number {
    return this.refs.programs?.[readU32(value)] ?? EBADF;
  }

  protected sysValue(slot: string): Uint8Array {
    const idx = this.refs.programs?.indexOf(slot) ?? -1;
    return u32Bytes(idx < 0 ? 0xffffffff : idx);
  }
}

export class PerfEventArrayMap extends FdArrayMap<number> {
  constructor(init: MapInit) {
    super(init);
    for (let c = 0; c < Math.min(this.nCpus, this.maxEntries); c++) this.slots.set(c, c);
  }

  /**
   * __bpf_perf_event_output() with bpf_skb_event_output()'s flag check: bits other than
   * the index and the context length EINVAL (the tracing helper also refuses the context
   * length; that check belongs to the helper). The index, or this CPU for
   * BPF_F_CURRENT_CPU, past the end E2BIG; an empty slot ENOENT; an event on another CPU
   * EOPNOTSUPP. The record goes to the event sink with the CPU.
   */
  override output(data: Uint8Array, flags: Flags, cpu: number): number {
    const f = u64(flags);
    if (f & ~(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK)) return EINVAL;
    this.checkCpu(cpu);
    const sel = f & BPF_F_INDEX_MASK;
    const idx = sel === BPF_F_CURRENT_CPU ? cpu : Number(sel);
    if (idx >= this.maxEntries) return E2BIG;
    const eventCpu = this.slots.get(idx);
    if (eventCpu === undefined) return ENOENT;
    if (eventCpu !== cpu) return EOPNOTSUPP;
    this.changed('output', undefined, cpu);
    this.emit({ map: this.name, data: data.slice(), cpu });
    return 0;
  }

  /** Slots hold perf events, which a dump does not show; their records are events. */
  override entries(): MapEntry[] {
    return [];
  }

  /** perf_event_fd_array_get_ptr(): here the value is the event's CPU; no such CPU is EBADF. */
  protected resolve(value: Uint8Array): number {
    const cpu = readU32(value);
    return cpu < this.nCpus ? cpu : EBADF;
  }

  /** perf_event_array has no map_fd_sys_lookup_elem: bpf_fd_array_map_lookup_elem() says ENOTSUPP. */
  protected sysValue(_slot: number): number {
    return ENOTSUPP;
  }
}

/**
 * bpf_map_meta_equal(), and array_map_meta_equal() for an array template without
 * BPF_F_INNER_MAP (max_entries must match too): whether `inner` may be stored in a
 * map-in-map whose template is `meta`. Flags are compared as the kernel keeps them, without
 * the file-descriptor-only bits (bpf_map_flags_retain_permanent()).
 */
export function innerMapFits(meta: MapDef, inner: BpfMap): boolean {
  const permanent = (flags: number) => flags & ~(F_RDONLY | F_WRONLY | F_TOKEN_FD);
  if (inner.def.type !== meta.type || inner.def.keySize !== meta.keySize || inner.def.valueSize !== meta.valueSize) return false;
  if (permanent(inner.def.flags) !== permanent(meta.flags)) return false;
  if (meta.type === 'array' && !(meta.flags & F_INNER_MAP)) return inner.def.maxEntries === meta.maxEntries;
  return true;
}

/** bpf_map_fd_get_ptr(): no map (a bad index or name) is EBADF, a map of another shape EINVAL. */
function resolveInner(meta: MapDef, map: BpfMap | undefined): string | number {
  if (!map) return EBADF;
  return innerMapFits(meta, map) ? map.name : EINVAL;
}

export class ArrayOfMapsMap extends FdArrayMap<string> {
  constructor(init: MapInit, private readonly refs: MapRefs, readonly meta: MapDef) {
    super(init);
  }

  /** array_of_map_lookup_elem(): the inner map, or NULL. */
  override lookupMap(key: Uint8Array): BpfMap | undefined {
    const name = this.lookupRef(key);
    return name === undefined ? undefined : this.refs.mapByName(name);
  }

  override lookupRef(key: Uint8Array): string | undefined {
    this.checkKey(key);
    return this.slots.get(readU32(key));
  }

  /** Stores a map by name, as an update with its index would. */
  setRef(key: Uint8Array, mapName: string): number {
    if (this.def.flags & F_RDONLY) return EPERM;
    const idx = this.refs.indexOfMap(mapName);
    return this.update(key, u32Bytes(idx < 0 ? 0xffffffff : idx), BPF_ANY, 0);
  }

  override entries(): MapEntry[] {
    return [...this.slots].sort((a, b) => a[0] - b[0]).map(([idx, name]) => ({ key: u32Bytes(idx), ref: name }));
  }

  protected resolve(value: Uint8Array): string | number {
    return resolveInner(this.meta, this.refs.mapByIndex(readU32(value)));
  }

  protected sysValue(slot: string): Uint8Array {
    return u32Bytes(this.refs.indexOfMap(slot) >>> 0);
  }
}

export class HashOfMapsMap extends MapBase {
  private readonly elems = new Map<string, { key: Uint8Array; name: string }>();

  constructor(init: MapInit, private readonly refs: MapRefs, readonly meta: MapDef) {
    super(init);
  }

  /** htab_of_map_lookup_elem(): the inner map, or NULL. */
  override lookupMap(key: Uint8Array): BpfMap | undefined {
    const name = this.lookupRef(key);
    return name === undefined ? undefined : this.refs.mapByName(name);
  }

  override lookupRef(key: Uint8Array): string | undefined {
    this.checkKey(key);
    return this.elems.get(toHex(key))?.name;
  }

  /**
   * bpf_fd_htab_map_update_elem(): the map index first (EBADF, EINVAL for another shape),
   * then htab_map_update_elem()'s checks: flags EINVAL, EEXIST / ENOENT, E2BIG when full.
   */
  override update(key: Uint8Array, value: Uint8Array, flags: Flags, _cpu: number): number {
    this.checkKey(key);
    this.checkValue(value);
    return this.put(key, resolveInner(this.meta, this.refs.mapByIndex(readU32(value))), u64(flags));
  }

  /** Stores a map by name, as an update with its index and BPF_ANY would. */
  setRef(key: Uint8Array, mapName: string): number {
    this.checkKey(key);
    if (this.def.flags & F_RDONLY) return EPERM;
    return this.put(key, resolveInner(this.meta, this.refs.mapByName(mapName)), BPF_ANY);
  }

  /** htab_map_delete_elem(). */
  override delete(key: Uint8Array): number {
    this.checkKey(key);
    if (!this.elems.delete(toHex(key))) return ENOENT;
    this.changed('delete', key);
    return 0;
  }

  /** bpf_fd_htab_map_lookup_elem(): the inner map's index. */
  protected override sysRead(key: Uint8Array): Uint8Array | number {
    this.checkKey(key);
    const e = this.elems.get(toHex(key));
    return e ? u32Bytes(this.refs.indexOfMap(e.name) >>> 0) : ENOENT;
  }

  protected override nextKey(key: Uint8Array | undefined): Uint8Array | number {
    return hashNextKey(this.elems, key);
  }

  override entries(): MapEntry[] {
    return [...this.elems.values()].map((e) => ({ key: e.key.slice(), ref: e.name }));
  }

  private put(key: Uint8Array, inner: string | number, flags: bigint): number {
    if (typeof inner === 'number') return inner;
    const flagErr = htabFlagsError(flags, true);
    if (flagErr) return flagErr;
    const id = toHex(key);
    const old = this.elems.get(id);
    const err = htabCheckFlags(old !== undefined, flags);
    if (err) return err;
    if (old) old.name = inner;
    else if (this.elems.size >= this.maxEntries) return E2BIG;
    else this.elems.set(id, { key: key.slice(), name: inner });
    this.changed('update', key);
    return 0;
  }
}
