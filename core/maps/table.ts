/**
 * The map-type table: one row per `enum bpf_map_type` value of Linux 6.18, and the map
 * flags of BPF_MAP_CREATE; the single list of both in this project.
 *
 * Names are the kernel's without `BPF_MAP_TYPE_`, in lower case (`hash`, `lpm_trie`), as
 * `.map NAME, type=...` and `run --json` spell them; ids are the enum values that
 * BPF_MAP_CREATE takes. The assembler and the ELF reader check map definitions against
 * these rows, the verifier and the VM ask them how a map behaves, and hover shows `doc`.
 * Later, per-type rules (key and value sizes, allowed helpers) and the VM's storage join
 * these same rows.
 *
 * Invariants (checked by test/maps/table.test.ts): ids are unique and contiguous from 1 to
 * 33 (arena); names are unique. `unspec` (0) is not a map type and has no row. The kernel
 * also spells 19 and 21 `cgroup_storage_deprecated` and `percpu_cgroup_storage_deprecated`;
 * those aliases are accepted by mapTypeByName, not listed as rows.
 *
 * `keyless` means the kernel requires key_size 0: the map holds values without keys
 * (queue, stack, bloom_filter), records (ringbuf, user_ringbuf), or pages (arena).
 *
 * This module is pure data and lookups: no I/O.
 */

export interface MapTypeSpec {
  /** The enum bpf_map_type value. */
  readonly id: number;
  /** The kernel name without BPF_MAP_TYPE_, in lower case. */
  readonly name: string;
  /** Each CPU has its own copy of every value (lookups from a program see this CPU's). */
  readonly perCpu: boolean;
  /** The map has no keys: key_size must be 0. */
  readonly keyless: boolean;
  /** The values are other maps (array_of_maps, hash_of_maps). */
  readonly mapInMap: boolean;
  /** One line for hover and completion, in our words. */
  readonly doc: string;
}

// prettier-ignore
export const MAP_TYPES = [
  { id: 1, name: 'hash', perCpu: false, keyless: false, mapInMap: false, doc: 'Hash table of fixed-size keys and values' },
  { id: 2, name: 'array', perCpu: false, keyless: false, mapInMap: false, doc: 'Array indexed by a u32 from 0 to max_entries - 1; every element exists and starts zeroed' },
  { id: 3, name: 'prog_array', perCpu: false, keyless: false, mapInMap: false, doc: 'Array of programs: the jump table of tail_call' },
  { id: 4, name: 'perf_event_array', perCpu: false, keyless: false, mapInMap: false, doc: 'Array of perf events, usually one per CPU, for perf_event_output and perf_event_read' },
  { id: 5, name: 'percpu_hash', perCpu: true, keyless: false, mapInMap: false, doc: 'Hash table with a separate value for each CPU' },
  { id: 6, name: 'percpu_array', perCpu: true, keyless: false, mapInMap: false, doc: 'Array with a separate value for each CPU' },
  { id: 7, name: 'stack_trace', perCpu: false, keyless: false, mapInMap: false, doc: 'Stack traces saved by get_stackid, keyed by the stack id it returns' },
  { id: 8, name: 'cgroup_array', perCpu: false, keyless: false, mapInMap: false, doc: 'Array of cgroups, for skb_under_cgroup and current_task_under_cgroup' },
  { id: 9, name: 'lru_hash', perCpu: false, keyless: false, mapInMap: false, doc: 'Hash table that evicts the least recently used entries when it is full' },
  { id: 10, name: 'lru_percpu_hash', perCpu: true, keyless: false, mapInMap: false, doc: 'LRU hash table with a separate value for each CPU' },
  { id: 11, name: 'lpm_trie', perCpu: false, keyless: false, mapInMap: false, doc: 'Longest-prefix-match table; a key is a u32 prefix length followed by the address bytes' },
  { id: 12, name: 'array_of_maps', perCpu: false, keyless: false, mapInMap: true, doc: 'Array whose values are maps, all shaped like its inner map' },
  { id: 13, name: 'hash_of_maps', perCpu: false, keyless: false, mapInMap: true, doc: 'Hash table whose values are maps, all shaped like its inner map' },
  { id: 14, name: 'devmap', perCpu: false, keyless: false, mapInMap: false, doc: 'Array of network devices that XDP can redirect_map packets to' },
  { id: 15, name: 'sockmap', perCpu: false, keyless: false, mapInMap: false, doc: 'Array of sockets, for sk_skb and sk_msg redirects and reuseport selection' },
  { id: 16, name: 'cpumap', perCpu: false, keyless: false, mapInMap: false, doc: 'Array of CPUs that XDP can redirect_map packets to, for processing there' },
  { id: 17, name: 'xskmap', perCpu: false, keyless: false, mapInMap: false, doc: 'Array of AF_XDP sockets that XDP can redirect_map packets to' },
  { id: 18, name: 'sockhash', perCpu: false, keyless: false, mapInMap: false, doc: 'Hash table of sockets, for sk_skb and sk_msg redirects' },
  { id: 19, name: 'cgroup_storage', perCpu: false, keyless: false, mapInMap: false, doc: 'Storage for one program in one cgroup, reached with get_local_storage (deprecated; cgrp_storage replaces it)' },
  { id: 20, name: 'reuseport_sockarray', perCpu: false, keyless: false, mapInMap: false, doc: 'Array of the sockets of a SO_REUSEPORT group, for sk_select_reuseport' },
  { id: 21, name: 'percpu_cgroup_storage', perCpu: true, keyless: false, mapInMap: false, doc: 'Per-CPU storage for one program in one cgroup, reached with get_local_storage (deprecated)' },
  { id: 22, name: 'queue', perCpu: false, keyless: true, mapInMap: false, doc: 'First-in first-out queue of values, with no keys (map_push_elem, map_pop_elem, map_peek_elem)' },
  { id: 23, name: 'stack', perCpu: false, keyless: true, mapInMap: false, doc: 'Last-in first-out stack of values, with no keys (map_push_elem, map_pop_elem, map_peek_elem)' },
  { id: 24, name: 'sk_storage', perCpu: false, keyless: false, mapInMap: false, doc: 'A value kept per socket (sk_storage_get, sk_storage_delete)' },
  { id: 25, name: 'devmap_hash', perCpu: false, keyless: false, mapInMap: false, doc: 'Hash table of network devices that XDP can redirect_map packets to' },
  { id: 26, name: 'struct_ops', perCpu: false, keyless: false, mapInMap: false, doc: 'A kernel ops structure (e.g. TCP congestion control) whose members are BPF programs' },
  { id: 27, name: 'ringbuf', perCpu: false, keyless: true, mapInMap: false, doc: 'Ring buffer shared by all CPUs, for sending records of any size to user space' },
  { id: 28, name: 'inode_storage', perCpu: false, keyless: false, mapInMap: false, doc: 'A value kept per inode (inode_storage_get, inode_storage_delete)' },
  { id: 29, name: 'task_storage', perCpu: false, keyless: false, mapInMap: false, doc: 'A value kept per task (task_storage_get, task_storage_delete)' },
  { id: 30, name: 'bloom_filter', perCpu: false, keyless: true, mapInMap: false, doc: 'Bloom filter: push values, then ask whether a value may be present (false positives possible)' },
  { id: 31, name: 'user_ringbuf', perCpu: false, keyless: true, mapInMap: false, doc: 'Ring buffer written by user space and read by programs with user_ringbuf_drain' },
  { id: 32, name: 'cgrp_storage', perCpu: false, keyless: false, mapInMap: false, doc: 'A value kept per cgroup (cgrp_storage_get, cgrp_storage_delete)' },
  { id: 33, name: 'arena', perCpu: false, keyless: true, mapInMap: false, doc: 'Memory shared by programs and user space (mmap), its pages allocated on demand; no keys or values' },
] as const satisfies readonly MapTypeSpec[];

export type MapTypeName = (typeof MAP_TYPES)[number]['name'];

export interface MapFlagSpec {
  /** The kernel name without BPF_F_, in lower case (`no_prealloc`). */
  readonly name: string;
  /** Its bit in map_flags. */
  readonly value: number;
  readonly doc: string;
}

/**
 * The flags of the kernel's BPF_MAP_CREATE flag enum (BPF_F_NO_PREALLOC ... in bpf.h), as
 * `.map ..., flags=a|b` names them. The enum also holds a few flags that belong to other
 * fields or commands (path_fd, token_fd); they are listed because the enum lists them, and
 * their doc says where they apply.
 */
// prettier-ignore
export const MAP_FLAGS = [
  { name: 'no_prealloc', value: 1 << 0, doc: 'Hash maps: allocate elements when they are inserted instead of all at creation' },
  { name: 'no_common_lru', value: 1 << 1, doc: 'LRU hash maps: keep one LRU list per CPU instead of one shared list' },
  { name: 'numa_node', value: 1 << 2, doc: 'Allocate the map on the NUMA node given in numa_node' },
  { name: 'rdonly', value: 1 << 3, doc: 'User space may only read the map through this file descriptor' },
  { name: 'wronly', value: 1 << 4, doc: 'User space may only write the map through this file descriptor' },
  { name: 'stack_build_id', value: 1 << 5, doc: 'stack_trace maps: store build id and file offset instead of addresses' },
  { name: 'zero_seed', value: 1 << 6, doc: 'Hash maps: use a zero hash seed, for reproducible tests' },
  { name: 'rdonly_prog', value: 1 << 7, doc: 'Programs may only read the map' },
  { name: 'wronly_prog', value: 1 << 8, doc: 'Programs may only write the map' },
  { name: 'clone', value: 1 << 9, doc: 'sk_storage maps: copy the value to sockets cloned from a listening socket' },
  { name: 'mmapable', value: 1 << 10, doc: 'array and arena maps: user space may mmap the map' },
  { name: 'preserve_elems', value: 1 << 11, doc: 'perf_event_array maps: keep the events when the file that added them is closed' },
  { name: 'inner_map', value: 1 << 12, doc: 'A map-in-map inner map whose replacements may differ in max_entries' },
  { name: 'link', value: 1 << 13, doc: 'struct_ops maps: registered and unregistered through a bpf_link' },
  { name: 'path_fd', value: 1 << 14, doc: 'BPF_OBJ_PIN and BPF_OBJ_GET: the path is relative to a directory file descriptor (not a map flag)' },
  { name: 'vtype_btf_obj_fd', value: 1 << 15, doc: 'struct_ops maps: value_type_btf_obj_fd names the BTF object of the value type' },
  { name: 'token_fd', value: 1 << 16, doc: 'The command\'s token_fd field holds a BPF token (map, program and BTF creation)' },
  { name: 'segv_on_fault', value: 1 << 17, doc: 'arena maps: user space faults on pages not yet allocated instead of getting them allocated' },
  { name: 'no_user_conv', value: 1 << 18, doc: 'arena maps: do not convert pointers between the user and kernel views of the arena' },
] as const satisfies readonly MapFlagSpec[];

export type MapFlagName = (typeof MAP_FLAGS)[number]['name'];

/** The kernel's second spellings of two values (bpf.h since 6.2). */
const TYPE_ALIASES = new Map<string, MapTypeName>([
  ['cgroup_storage_deprecated', 'cgroup_storage'],
  ['percpu_cgroup_storage_deprecated', 'percpu_cgroup_storage'],
]);

// Lookups, built once.
const typeById = new Map<number, MapTypeSpec>(MAP_TYPES.map((t) => [t.id, t]));
const typeByName = new Map<string, MapTypeSpec>(MAP_TYPES.map((t) => [t.name, t]));
const flagByName = new Map<string, MapFlagSpec>(MAP_FLAGS.map((f) => [f.name, f]));

export function mapTypeById(id: number): MapTypeSpec | undefined {
  return typeById.get(id);
}

/**
 * The map type with this name: `hash`, or the kernel constant `BPF_MAP_TYPE_HASH` (any
 * case), or one of the kernel's `*_deprecated` aliases of the cgroup storage types.
 */
export function mapTypeByName(name: string): MapTypeSpec | undefined {
  const key = name.toLowerCase().replace(/^bpf_map_type_/, '');
  return typeByName.get(key) ?? typeByName.get(TYPE_ALIASES.get(key) ?? '');
}

/** The map flag with this name: `no_prealloc`, or `BPF_F_NO_PREALLOC` (any case). */
export function mapFlagByName(name: string): MapFlagSpec | undefined {
  return flagByName.get(name.toLowerCase().replace(/^bpf_f_/, ''));
}
