/**
 * hash, percpu_hash, lru_hash and lru_percpu_hash (kernel/bpf/hashtab.c).
 *
 * Elements live in a JavaScript Map keyed by the key's hex, so iteration, getNextKey and
 * dumps follow insertion order: the order in which the keys now present were inserted
 * (an update of an existing key keeps its place; a key deleted and inserted again moves to
 * the end). The kernel walks its buckets instead, in an order that depends on a random
 * hash seed, so no order can match it; insertion order is at least reproducible.
 *
 * Storage: an element has round_up(value_size, 8) bytes per copy (one, or one per CPU) from
 * insertion to deletion; a program's view covers value_size bytes of its CPU's copy. An
 * update of an existing key copies into that storage. The kernel does so only for the
 * per-CPU types and for BPF_F_LOCK; for hash and lru_hash, htab_map_update_elem() and
 * htab_lru_map_update_elem() link a new element and free the old one, so a pointer a program
 * took before its own update keeps reading the old bytes there, and the new value here.
 * Keeping one buffer is what lets a view stay valid for the VM.
 *
 * Fullness: hash and percpu_hash refuse a new key with E2BIG once max_entries elements are
 * present (prealloc: the free list is empty; no_prealloc: is_map_full()); lru types evict
 * instead, by the policy documented in lru.ts.
 *
 * Pure TypeScript: no I/O.
 */

import { Flags, hashNextKey, MapBase, MapEntry, MapInit, toHex } from './base';
import { LruOrder, perCpuLruMaxEntries } from './lru';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT, EPERM, F_NO_COMMON_LRU, F_RDONLY, F_WRONLY, roundUp8, u64 } from './uapi';

interface Elem {
  key: Uint8Array;
  /** copies * elemSize bytes. */
  backing: Uint8Array;
  views: Uint8Array[];
}

/**
 * check_flags() in hashtab.c, on the flags without BPF_F_LOCK: BPF_NOEXIST on a present key
 * is EEXIST, BPF_EXIST on an absent one ENOENT. hash_of_maps shares it.
 */
export function htabCheckFlags(exists: boolean, flags: bigint): number {
  const f = flags & ~BPF_F_LOCK;
  if (exists && f === BPF_NOEXIST) return EEXIST;
  if (!exists && f === BPF_EXIST) return ENOENT;
  return 0;
}

/**
 * The flag check each update function starts with: htab_map_update_elem() allows
 * BPF_F_LOCK beside the others (then EINVAL, our values holding no spin lock), the per-CPU
 * and LRU updates allow nothing above BPF_EXIST.
 */
export function htabFlagsError(flags: bigint, allowLock: boolean): number {
  if (!allowLock) return flags > BPF_EXIST ? EINVAL : 0;
  if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return EINVAL;
  return flags & BPF_F_LOCK ? EINVAL : 0;
}

export class HashMap extends MapBase {
  readonly perCpu: boolean;
  readonly lru: LruOrder | undefined;
  /** BPF_F_NO_COMMON_LRU: one LRU list per CPU. */
  readonly perCpuLru: boolean;
  readonly elemSize: number;
  private readonly copies: number;
  private readonly elems = new Map<string, Elem>();

  constructor(init: MapInit) {
    const type = init.spec.name;
    const isLru = type === 'lru_hash' || type === 'lru_percpu_hash';
    const perCpuLru = isLru && (init.def.flags & F_NO_COMMON_LRU) !== 0;
    super(perCpuLru ? { ...init, maxEntries: perCpuLruMaxEntries(init.def.maxEntries, init.nCpus) } : init);
    this.perCpu = type === 'percpu_hash' || type === 'lru_percpu_hash';
    this.perCpuLru = perCpuLru;
    this.lru = !isLru ? undefined : this.perCpuLru ? new LruOrder(this.nCpus, this.maxEntries / this.nCpus) : new LruOrder(1, this.maxEntries);
    this.elemSize = roundUp8(init.def.valueSize);
    this.copies = this.perCpu ? this.nCpus : 1;
  }

  /**
   * htab_map_lookup_elem(), htab_percpu_map_lookup_elem(), and the LRU versions, which
   * mark the element used (here: make it the most recent). A per-CPU map gives `cpu`'s
   * copy, or NULL for a CPU outside [0, nCpus) as map_lookup_percpu_elem does.
   */
  override lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    this.checkKey(key);
    const id = toHex(key);
    const e = this.elems.get(id);
    if (!e) return undefined;
    if (this.perCpu && !(Number.isInteger(cpu) && cpu >= 0 && cpu < this.nCpus)) return undefined;
    this.lru?.touch(id);
    return e.views[this.perCpu ? cpu : 0];
  }

  /**
   * The helper's update, from a program on `cpu`: htab_map_update_elem(),
   * htab_lru_map_update_elem(), htab_percpu_map_update_elem() or
   * htab_lru_percpu_map_update_elem(). For a per-CPU map only `cpu`'s copy is written; a new
   * element gets zeros on the other CPUs (pcpu_init_value()).
   */
  override update(key: Uint8Array, value: Uint8Array, flags: Flags, cpu: number): number {
    this.checkKey(key);
    this.checkValue(value);
    if (this.perCpu || this.perCpuLru) this.checkCpu(cpu);
    return this.write(key, value, u64(flags), cpu, false);
  }

  /**
   * bpf(2)'s update: for per-CPU maps bpf_percpu_hash_update() with every CPU's value in
   * `value` (round_up(value_size, 8) bytes each, copied whole); for the others the same as
   * a program's. A syscall runs on some CPU; we take CPU 0 (it matters only for the list a
   * new element joins under BPF_F_NO_COMMON_LRU).
   */
  protected override sysWrite(key: Uint8Array, value: Uint8Array, flags: Flags): number {
    if (!this.perCpu) return super.sysWrite(key, value, flags);
    this.checkKey(key);
    this.checkValue(value, this.elemSize * this.nCpus);
    return this.write(key, value, u64(flags), 0, true);
  }

  /** htab_map_delete_elem() / htab_lru_map_delete_elem(): ENOENT when absent. */
  override delete(key: Uint8Array): number {
    this.checkKey(key);
    const id = toHex(key);
    if (!this.elems.has(id)) return ENOENT;
    this.remove(id);
    this.changed('delete', key);
    return 0;
  }

  /** bpf_percpu_hash_copy() for per-CPU maps: every CPU's rounded copy, packed; no LRU mark. */
  protected override sysRead(key: Uint8Array): Uint8Array | number {
    if (!this.perCpu) return super.sysRead(key);
    this.checkKey(key);
    const e = this.elems.get(toHex(key));
    return e ? e.backing.slice() : ENOENT;
  }

  /** htab_map_get_next_key(), in insertion order (base.ts hashNextKey). */
  protected override nextKey(key: Uint8Array | undefined): Uint8Array | number {
    return hashNextKey(this.elems, key);
  }

  /** Every element in insertion order. */
  override entries(): MapEntry[] {
    return [...this.elems.values()].map((e) =>
      this.perCpu ? { key: e.key.slice(), values: e.views.map((v) => v.slice()) } : { key: e.key.slice(), value: e.views[0].slice() },
    );
  }

  /** Keys from least to most recently used in one LRU list (the common one by default). */
  recency(list = 0): Uint8Array[] {
    return (this.lru?.order(list) ?? []).map((id) => (this.elems.get(id) as Elem).key.slice());
  }

  get size(): number {
    return this.elems.size;
  }

  protected override peekValue(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    return this.elems.get(toHex(key))?.views[0];
  }

  private write(key: Uint8Array, value: Uint8Array, flags: bigint, cpu: number, allCpus: boolean): number {
    const flagErr = htabFlagsError(flags, !this.perCpu && !this.lru);
    if (flagErr) return flagErr;
    const id = toHex(key);
    const old = this.elems.get(id);
    const err = htabCheckFlags(old !== undefined, flags);
    if (err) return err;
    if (old) {
      this.fill(old, value, cpu, allCpus);
      this.lru?.touch(id);
      this.changed('update', key, allCpus || !this.perCpu ? undefined : cpu);
      return 0;
    }
    const list = this.perCpuLru ? cpu : 0;
    if (this.lru) {
      if (this.lru.isFull(list)) {
        const victim = this.lru.victim(list) as string;
        const victimKey = (this.elems.get(victim) as Elem).key;
        this.remove(victim);
        this.changed('evict', victimKey);
      }
    } else if (this.elems.size >= this.maxEntries) {
      return E2BIG;
    }
    const backing = new Uint8Array(this.elemSize * this.copies);
    const views = Array.from({ length: this.copies }, (_, i) => backing.subarray(i * this.elemSize, i * this.elemSize + this.def.valueSize));
    const e: Elem = { key: key.slice(), backing, views };
    this.fill(e, value, cpu, allCpus);
    this.elems.set(id, e);
    this.lru?.add(id, list);
    this.changed('update', key, allCpus || !this.perCpu ? undefined : cpu);
    return 0;
  }

  private fill(e: Elem, value: Uint8Array, cpu: number, allCpus: boolean): void {
    if (allCpus) e.backing.set(value);
    else e.views[this.perCpu ? cpu : 0].set(value);
  }

  private remove(id: string): void {
    this.elems.delete(id);
    this.lru?.remove(id);
  }
}
