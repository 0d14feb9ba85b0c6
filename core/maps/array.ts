/**
 * array and percpu_array: max_entries elements indexed by a u32 key, every one present
 * from creation and zeroed (kernel/bpf/arraymap.c).
 *
 * Storage: each element has round_up(value_size, 8) bytes per copy (one copy, or one per
 * CPU), as the kernel's elem_size; a program's view covers the first value_size bytes.
 * Elements are allocated on first touch rather than all at creation, so that a large array
 * costs nothing until used; the bytes seen are the same (zeros until written), and a view,
 * once handed out, is the element's storage for the map's lifetime.
 *
 * Not here: BPF_F_LOCK (our maps carry no BTF record, so no value holds a bpf_spin_lock and
 * the kernel answers EINVAL), mmap, and the index_mask rounding of unprivileged maps.
 *
 * Pure TypeScript: no I/O.
 */

import { arrayNextKey, Flags, MapBase, MapEntry, MapInit, readU32, u32Bytes } from './base';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT, EPERM, F_RDONLY, F_WRONLY, roundUp8, u64 } from './uapi';

interface Cell {
  /** copies * elemSize bytes. */
  backing: Uint8Array;
  /** One value_size view per copy, handed to programs. */
  views: Uint8Array[];
}

export class ArrayMap extends MapBase {
  readonly perCpu: boolean;
  /** round_up(value_size, 8), the kernel's elem_size. */
  readonly elemSize: number;
  private readonly copies: number;
  private readonly cells = new Map<number, Cell>();

  constructor(init: MapInit) {
    super(init);
    this.perCpu = init.spec.name === 'percpu_array';
    this.elemSize = roundUp8(init.def.valueSize);
    this.copies = this.perCpu ? this.nCpus : 1;
  }

  /**
   * array_map_lookup_elem() / percpu_array_map_lookup_elem(): NULL past the end. For a
   * per-CPU array `cpu` picks the copy; a CPU outside [0, nCpus) gives NULL, as
   * map_lookup_percpu_elem does for cpu >= nr_cpu_ids.
   */
  override lookup(key: Uint8Array, cpu: number): Uint8Array | undefined {
    this.checkKey(key);
    const idx = readU32(key);
    if (idx >= this.maxEntries) return undefined;
    if (this.perCpu && !(Number.isInteger(cpu) && cpu >= 0 && cpu < this.nCpus)) return undefined;
    return this.cell(idx).views[this.perCpu ? cpu : 0];
  }

  /**
   * array_map_update_elem(), the helper's path for both array types: unknown flags EINVAL,
   * an index past the end E2BIG (every element already exists, none can be added),
   * BPF_NOEXIST EEXIST, BPF_F_LOCK EINVAL (no spin lock in the value). A per-CPU array
   * gets only the running CPU's copy written.
   */
  override update(key: Uint8Array, value: Uint8Array, flags: Flags, cpu: number): number {
    this.checkKey(key);
    this.checkValue(value);
    const f = u64(flags);
    if ((f & ~BPF_F_LOCK) > BPF_EXIST) return EINVAL;
    const idx = readU32(key);
    if (idx >= this.maxEntries) return E2BIG;
    if (f & BPF_NOEXIST) return EEXIST;
    if (f & BPF_F_LOCK) return EINVAL;
    if (this.perCpu) this.checkCpu(cpu);
    this.cell(idx).views[this.perCpu ? cpu : 0].set(value);
    this.changed('update', key, this.perCpu ? cpu : undefined);
    return 0;
  }

  /** array_map_delete_elem(): elements of an array cannot be deleted. */
  override delete(key: Uint8Array): number {
    this.checkKey(key);
    return EINVAL;
  }

  /** bpf_percpu_array_copy() for per-CPU arrays: every CPU's rounded copy, packed. */
  protected override sysRead(key: Uint8Array): Uint8Array | number {
    if (!this.perCpu) return super.sysRead(key);
    this.checkKey(key);
    const idx = readU32(key);
    if (idx >= this.maxEntries) return ENOENT;
    return this.cell(idx).backing.slice();
  }

  /**
   * bpf_percpu_array_update() for per-CPU arrays: flags above BPF_EXIST (BPF_F_LOCK too)
   * EINVAL, past the end E2BIG, BPF_NOEXIST EEXIST; then each CPU's round_up(value_size, 8)
   * bytes are copied whole (copy_map_value_long), padding included.
   */
  protected override sysWrite(key: Uint8Array, value: Uint8Array, flags: Flags): number {
    if (!this.perCpu) return super.sysWrite(key, value, flags);
    this.checkKey(key);
    this.checkValue(value, this.elemSize * this.nCpus);
    const f = u64(flags);
    if (f > BPF_EXIST) return EINVAL;
    const idx = readU32(key);
    if (idx >= this.maxEntries) return E2BIG;
    if (f === BPF_NOEXIST) return EEXIST;
    this.cell(idx).backing.set(value);
    this.changed('update', key);
    return 0;
  }

  /** array_map_get_next_key() (base.ts arrayNextKey). */
  protected override nextKey(key: Uint8Array | undefined): Uint8Array | number {
    return arrayNextKey(this.maxEntries, key);
  }

  /** Every element, by index (an array has no absent elements). */
  override entries(): MapEntry[] {
    const out: MapEntry[] = [];
    const zero = new Uint8Array(this.def.valueSize);
    for (let idx = 0; idx < this.maxEntries; idx++) {
      const c = this.cells.get(idx);
      const key = u32Bytes(idx);
      if (this.perCpu) out.push({ key, values: Array.from({ length: this.nCpus }, (_, cpu) => (c ? c.views[cpu].slice() : zero.slice())) });
      else out.push({ key, value: c ? c.views[0].slice() : zero.slice() });
    }
    return out;
  }

  protected override peekValue(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const idx = readU32(key);
    return idx < this.maxEntries ? this.cell(idx).views[0] : undefined;
  }

  private cell(idx: number): Cell {
    let c = this.cells.get(idx);
    if (!c) {
      const backing = new Uint8Array(this.elemSize * this.copies);
      const views = Array.from({ length: this.copies }, (_, i) => backing.subarray(i * this.elemSize, i * this.elemSize + this.def.valueSize));
      c = { backing, views };
      this.cells.set(idx, c);
    }
    return c;
  }
}
