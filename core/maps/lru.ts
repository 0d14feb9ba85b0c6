/**
 * The eviction order of lru_hash and lru_percpu_hash: an exact least-recently-used policy,
 * which the kernel only approximates (kernel/bpf/bpf_lru_list.c).
 *
 * What we implement, exactly:
 * - Every element has a place in a recency order. Inserting it, a program's lookup
 *   (BpfMap.lookup) and a successful update (from a program or from bpf(2)) make it the
 *   most recent. bpf(2) lookups, getNextKey and dumps do not touch the order (the kernel's
 *   htab_lru_map_lookup_elem_sys() does not mark either).
 * - When an update inserts a new key and the element's list is full, the least recent
 *   element of that list is evicted, exactly one, and the new key is inserted.
 * - One list for the whole map (the common LRU); with BPF_F_NO_COMMON_LRU one list per CPU,
 *   each holding max_entries / nCpus elements after max_entries is rounded up to a multiple
 *   of nCpus (htab_map_alloc() does that rounding), and an element stays in the list of the
 *   CPU that inserted it.
 *
 * How the kernel differs (so runs can disagree once a map is full):
 * 1. Second chance, not exact order. The kernel keeps active and inactive lists; a program
 *    lookup only sets a reference bit (bpf_lru_node_set_ref) and moves nothing. Rotation
 *    (__bpf_lru_list_rotate) moves marked nodes to the active list and demotes unmarked ones,
 *    and eviction (__bpf_lru_list_shrink_inactive) takes unmarked nodes from the inactive
 *    tail, falling back to any node when all are marked.
 * 2. Batches. The common LRU refills a CPU's local free list with up to target_free =
 *    clamp(max_entries / nCpus / 2, 1, 128) nodes at once (bpf_lru_list_pop_free_to_local),
 *    evicting that many when there are no free nodes; the per-CPU LRU shrinks by up to
 *    PERCPU_FREE_TARGET = 4 (bpf_percpu_lru_pop_free). An insert into a full map can thus
 *    remove several elements, where we remove one.
 * 3. Early eviction. Free nodes parked in other CPUs' local lists are taken only after the
 *    global list was shrunk (bpf_common_lru_pop_free steals last), so with several CPUs the
 *    kernel can evict before the map holds max_entries elements.
 * 4. Node first, flags after. htab_lru_map_update_elem() takes a fresh node before it
 *    checks the flags or looks for the key, so a full map loses an element even on an
 *    update of an existing key or on a BPF_NOEXIST / BPF_EXIST update that then fails
 *    (lru_percpu_hash skips the node for BPF_EXIST). We evict only for a key we insert.
 * 5. Replacement. The kernel gives an updated lru_hash element a new node (new storage,
 *    the old one freed); we copy into the element's storage, so a view stays valid, the
 *    element keeps its place in dump order, and with no_common_lru stays in its list (the
 *    kernel's new node comes from the updating CPU's list).
 * 6. The kernel can fail an insert with ENOMEM when no node can be found; we never do.
 *
 * Pure TypeScript: no I/O.
 */

export class LruOrder {
  /** Recency per list: JavaScript Maps keep insertion order, so the first key is the least recent. */
  private readonly lists: Map<string, true>[];
  private readonly listOf = new Map<string, number>();

  constructor(
    nLists: number,
    /** Elements each list may hold. */
    readonly capacity: number,
  ) {
    this.lists = Array.from({ length: nLists }, () => new Map<string, true>());
  }

  /** A new element, most recent in `list`. */
  add(id: string, list: number): void {
    this.lists[list].set(id, true);
    this.listOf.set(id, list);
  }

  /** Make an element the most recent of its list. */
  touch(id: string): void {
    const list = this.listOf.get(id);
    if (list === undefined) return;
    const l = this.lists[list];
    l.delete(id);
    l.set(id, true);
  }

  remove(id: string): void {
    const list = this.listOf.get(id);
    if (list === undefined) return;
    this.lists[list].delete(id);
    this.listOf.delete(id);
  }

  isFull(list: number): boolean {
    return this.lists[list].size >= this.capacity;
  }

  /** The least recent element of `list`, the one an insert into a full list evicts. */
  victim(list: number): string | undefined {
    for (const id of this.lists[list].keys()) return id;
    return undefined;
  }

  /** Elements from least to most recent, for tests and the debugger. */
  order(list = 0): string[] {
    return [...this.lists[list].keys()];
  }
}

/**
 * max_entries as htab_map_alloc() fixes it for BPF_F_NO_COMMON_LRU: rounded up to a
 * multiple of the CPU count so every CPU's list has as many nodes, or rounded down when
 * rounding up would overflow a u32.
 */
export function perCpuLruMaxEntries(maxEntries: number, nCpus: number): number {
  const up = Math.ceil(maxEntries / nCpus) * nCpus;
  return up > 0xffffffff ? Math.floor(maxEntries / nCpus) * nCpus : up;
}
