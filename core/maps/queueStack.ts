/**
 * queue and stack: keyless maps of up to max_entries values (kernel/bpf/queue_stack_maps.c).
 *
 * A queue pops its oldest value, a stack its newest. Both push at the same end, and a push
 * with BPF_EXIST into a full map makes room by dropping the OLDEST value, for a stack as
 * for a queue: queue_stack_map_push_elem() advances the shared tail in both cases, so a
 * full stack loses its bottom element, not its top.
 *
 * Popped and peeked values are copied out (the helpers write them to the program's
 * memory); there is no live storage to hand out, and `lookup` gives NULL as the kernel's
 * queue_stack_map_lookup_elem() does. From user space, BPF_MAP_LOOKUP_ELEM peeks and
 * BPF_MAP_UPDATE_ELEM pushes (bpf_map_copy_value() and bpf_map_update_value() in
 * syscall.c); delete and get_next_key are EINVAL.
 *
 * Dumps list the values from oldest to newest, for both types, so that pushing the
 * entries of a dump in order rebuilds the map.
 *
 * Pure TypeScript: no I/O.
 */

import { Flags, MapBase, MapEntry, MapInit } from './base';
import { BPF_EXIST, BPF_NOEXIST, E2BIG, EINVAL, ENOENT, EPERM, F_RDONLY, F_WRONLY, u64 } from './uapi';

export class QueueStackMap extends MapBase {
  readonly lifo: boolean;
  /** Oldest first. */
  private readonly values: Uint8Array[] = [];

  constructor(init: MapInit) {
    super(init);
    this.lifo = init.spec.name === 'stack';
  }

  /**
   * queue_stack_map_push_elem(): BPF_NOEXIST or any flag above BPF_EXIST is EINVAL; a full
   * map is E2BIG unless BPF_EXIST asks to drop the oldest value to make room.
   */
  override push(value: Uint8Array, flags: Flags): number {
    this.checkValue(value);
    const f = u64(flags);
    if (f & BPF_NOEXIST || f > BPF_EXIST) return EINVAL;
    if (this.values.length >= this.maxEntries) {
      if (!(f & BPF_EXIST)) return E2BIG;
      this.values.shift();
    }
    this.values.push(value.slice());
    this.changed('push');
    return 0;
  }

  /** queue_map_pop_elem() / stack_map_pop_elem(): ENOENT (and `dst` zeroed) when empty. */
  override pop(dst: Uint8Array): number {
    return this.get(dst, true);
  }

  /** queue_map_peek_elem() / stack_map_peek_elem(). */
  override peek(dst: Uint8Array): number {
    return this.get(dst, false);
  }

  /** queue_stack_map_update_elem(): a keyed update is EINVAL (push instead). */
  override update(_key: Uint8Array, _value: Uint8Array, _flags: Flags, _cpu: number): number {
    return EINVAL;
  }

  /** queue_stack_map_delete_elem(). */
  override delete(_key: Uint8Array): number {
    return EINVAL;
  }

  /** BPF_MAP_LOOKUP_ELEM on a queue or stack peeks. */
  protected override sysRead(_key: Uint8Array): Uint8Array | number {
    const out = new Uint8Array(this.def.valueSize);
    const err = this.peek(out);
    return err || out;
  }

  /** BPF_MAP_UPDATE_ELEM on a queue or stack pushes; the key is NULL. */
  protected override sysWrite(_key: Uint8Array, value: Uint8Array, flags: Flags): number {
    return this.push(value, flags);
  }

  /** queue_stack_map_get_next_key(). */
  protected override nextKey(_key: Uint8Array | undefined): Uint8Array | number {
    return EINVAL;
  }

  override entries(): MapEntry[] {
    return this.values.map((v) => ({ value: v.slice() }));
  }

  get size(): number {
    return this.values.length;
  }

  private get(dst: Uint8Array, remove: boolean): number {
    this.checkValue(dst);
    if (this.values.length === 0) {
      dst.fill(0);
      return ENOENT;
    }
    const v = (remove ? (this.lifo ? this.values.pop() : this.values.shift()) : this.values[this.lifo ? this.values.length - 1 : 0]) as Uint8Array;
    dst.set(v);
    if (remove) this.changed('pop');
    return 0;
  }
}
