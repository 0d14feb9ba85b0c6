/**
 * Creating the in-memory maps of an object: BPF_MAP_CREATE's checks, then one BpfMap per
 * definition, with map-in-map templates and fd-map references resolved.
 *
 * The checks are the kernel's, in the kernel's order, with its errno: map_create() in
 * kernel/bpf/syscall.c, then the type's map_alloc_check / map_alloc (array_map_alloc_check,
 * fd_array_map_alloc_check, htab_map_alloc_check + htab_map_alloc, trie_alloc,
 * queue_stack_map_alloc_check, ringbuf_map_alloc, bpf_map_meta_alloc for map-in-map). A
 * definition that fails becomes a Diagnostic naming the map, the errno and the reason, and
 * no map; creation never throws for a definition. We assume a privileged loader (root, as
 * on the project's machines), so the capability checks pass, and page size and limits of
 * x86-64 (uapi.ts).
 *
 * Which maps exist: every definition except a map-in-map template that cannot stand
 * alone (core/elf names those `<outer>.inner`, not a C identifier; libbpf creates them only
 * to pass their shape and closes them). Map "indexes", the stand-in for map file
 * descriptors in map-in-map values, are 0-based positions in the definition list, the
 * index `.bin` output encodes for a map reference.
 *
 * Pure TypeScript: no I/O.
 */

import { Diagnostic, error } from '../diag';
import { MapDef } from '../object';
import { ArrayMap } from './array';
import { BpfMap, MapChange, MapEvent, MapInit } from './base';
import { ArrayOfMapsMap, HashOfMapsMap, MapRefs, PerfEventArrayMap, ProgArrayMap } from './fdMaps';
import { HashMap } from './hash';
import { LpmTrieMap } from './lpmTrie';
import { perCpuLruMaxEntries } from './lru';
import { QueueStackMap } from './queueStack';
import { RingbufMap } from './ringbuf';
import { MapTypeName, MapTypeSpec, mapTypeByName } from './table';
import {
  E2BIG, EBADF, EINVAL, ENOMEM, ENOTSUPP, errName, F_ACCESS_MASK, F_INNER_MAP, F_MMAPABLE, F_NO_COMMON_LRU,
  F_NO_PREALLOC, F_NUMA_NODE, F_PRESERVE_ELEMS, F_RDONLY, F_RDONLY_PROG, F_TOKEN_FD, F_WRONLY, F_WRONLY_PROG,
  F_ZERO_SEED, HTAB_ELEM_SIZE, KMALLOC_MAX_SIZE, LPM_DATA_SIZE_MAX, LPM_DATA_SIZE_MIN, LPM_TRIE_NODE_SIZE, PAGE_SIZE,
  PCPU_MIN_UNIT_SIZE, RINGBUF_MAX_DATA_SZ, roundUp8, VM_ARRAY_BYTES_MAX,
} from './uapi';

export interface CreateMapsOptions {
  /** CPUs of the simulated machine: per-CPU maps hold this many values per element. */
  nCpus: number;
  /** Programs a prog_array can hold, by the index its u32 values give. */
  programs?: readonly string[];
  /** Hears every ringbuf and perf_event_array record as it becomes visible. */
  onEvent?: (event: MapEvent) => void;
}

/** Why BPF_MAP_CREATE refuses a definition: a negative errno and our words. */
export interface CreateError {
  errno: number;
  reason: string;
}

/**
 * The maps of an object by name, in definition order: a Map, plus what creation said and
 * the records maps have sent to user space.
 */
export class MapSet extends Map<string, BpfMap> {
  readonly diagnostics: Diagnostic[] = [];
  /** Every ringbuf and perf_event_array record, in the order they became visible; callers may clear it. */
  readonly events: MapEvent[] = [];

  constructor(
    readonly defs: readonly MapDef[],
    readonly programs: readonly string[] | undefined,
  ) {
    super();
  }

  /** The map declared at a 0-based definition index (a map reference's index in `.bin`). */
  byIndex(index: number): BpfMap | undefined {
    const def = this.defs[index];
    const map = def && this.get(def.name);
    return map?.def === def ? map : undefined;
  }

  indexOf(name: string): number {
    return this.defs.findIndex((d) => d.name === name);
  }

  /** Sets every map's onChange (the debugger's map view); undefined stops listening. */
  watch(listener: ((change: MapChange) => void) | undefined): void {
    for (const map of this.values()) map.onChange = listener;
  }
}

/** Creates a map for each definition; refused definitions become diagnostics (see the header). */
export function createMaps(defs: readonly MapDef[], opts: CreateMapsOptions): MapSet {
  const set = new MapSet(defs, opts.programs);
  const refs: MapRefs = {
    programs: opts.programs,
    mapByName: (name) => set.get(name),
    mapByIndex: (i) => set.byIndex(i),
    indexOfMap: (name) => set.indexOf(name),
  };
  const emit = (ev: MapEvent) => {
    set.events.push(ev);
    opts.onEvent?.(ev);
  };
  for (const def of defs) {
    if (isTemplateOnly(def, defs)) continue;
    if (set.has(def.name)) {
      set.diagnostics.push(error('map-create', `map '${def.name}' is defined twice`, def.span));
      continue;
    }
    const spec = mapTypeByName(def.type);
    const err = checkMapDef(def, defs, opts.nCpus);
    if (err || !spec) {
      const e = err ?? { errno: EINVAL, reason: `unknown map type '${def.type}'` };
      set.diagnostics.push(error('map-create', `map '${def.name}': BPF_MAP_CREATE fails with ${errName(e.errno)}: ${e.reason}`, def.span));
      continue;
    }
    const make = FACTORIES[spec.name as MapTypeName];
    if (!make) {
      set.diagnostics.push(error('map-unsupported', `map '${def.name}': map type ${spec.name} is not supported by the VM yet`, def.span));
      continue;
    }
    set.set(def.name, make({ def, spec, nCpus: opts.nCpus, emit }, refs, innerDef(def, defs)));
  }
  return set;
}

/** `meta`: a map-in-map's template, which checkMapDef() has made sure exists. */
type Factory = (init: MapInit, refs: MapRefs, meta: MapDef | undefined) => BpfMap;

/** The map types the VM implements, and the class of each. */
const FACTORIES: Partial<Record<MapTypeName, Factory>> = {
  array: (init) => new ArrayMap(init),
  percpu_array: (init) => new ArrayMap(init),
  hash: (init) => new HashMap(init),
  percpu_hash: (init) => new HashMap(init),
  lru_hash: (init) => new HashMap(init),
  lru_percpu_hash: (init) => new HashMap(init),
  lpm_trie: (init) => new LpmTrieMap(init),
  queue: (init) => new QueueStackMap(init),
  stack: (init) => new QueueStackMap(init),
  ringbuf: (init) => new RingbufMap(init),
  prog_array: (init, refs) => new ProgArrayMap(init, refs),
  perf_event_array: (init) => new PerfEventArrayMap(init),
  array_of_maps: (init, refs, meta) => new ArrayOfMapsMap(init, refs, meta as MapDef),
  hash_of_maps: (init, refs, meta) => new HashOfMapsMap(init, refs, meta as MapDef),
};

/** Whether the VM implements a map type. */
export function isSupportedMapType(type: string): boolean {
  const spec = mapTypeByName(type);
  return spec !== undefined && FACTORIES[spec.name as MapTypeName] !== undefined;
}

/**
 * BPF_MAP_CREATE's verdict on a definition, or undefined when the kernel would create it.
 * `defs` is where a map-in-map finds its template (`inner`).
 */
export function checkMapDef(def: MapDef, defs: readonly MapDef[], nCpus: number): CreateError | undefined {
  const spec = mapTypeByName(def.type);
  // map_create(): an unknown type. BPF_F_TOKEN_FD asks the kernel to read a BPF token from
  // map_token_fd; a definition cannot carry one, and fd 0 is no token (bpf_token_get_from_fd()).
  if (!spec) return { errno: EINVAL, reason: `unknown map type '${def.type}'` };
  if (def.flags & F_TOKEN_FD) return { errno: EINVAL, reason: 'flag token_fd needs a BPF token, which a map definition cannot give' };
  const d = def;
  // bpf_get_file_flag(): the two user-space access flags exclude each other.
  if (d.flags & F_RDONLY && d.flags & F_WRONLY) return { errno: EINVAL, reason: 'flags rdonly and wronly together' };
  switch (spec.name) {
    case 'array': case 'percpu_array': case 'prog_array': case 'perf_event_array':
      return arrayCheck(d, spec);
    case 'array_of_maps':
      return arrayCheck(d, spec) ?? innerCheck(d, defs, nCpus);
    case 'hash': case 'percpu_hash': case 'lru_hash': case 'lru_percpu_hash':
      return htabCheck(d, spec) ?? htabAllocCheck(d, spec, nCpus);
    case 'hash_of_maps':
      return htabCheck(d, spec) ?? innerCheck(d, defs, nCpus) ?? htabAllocCheck(d, spec, nCpus);
    case 'lpm_trie': return trieCheck(d);
    case 'queue': case 'stack': return queueStackCheck(d);
    case 'ringbuf': return ringbufCheck(d);
    default: return undefined;
  }
}

const ARRAY_CREATE_FLAG_MASK = F_NUMA_NODE | F_MMAPABLE | F_ACCESS_MASK | F_PRESERVE_ELEMS | F_INNER_MAP;
const HTAB_CREATE_FLAG_MASK = F_NO_PREALLOC | F_NO_COMMON_LRU | F_NUMA_NODE | F_ACCESS_MASK | F_ZERO_SEED;
const LPM_CREATE_FLAG_MASK = F_NO_PREALLOC | F_NUMA_NODE | F_ACCESS_MASK;
const QUEUE_STACK_CREATE_FLAG_MASK = F_NUMA_NODE | F_ACCESS_MASK;
const RINGBUF_CREATE_FLAG_MASK = F_NUMA_NODE;

/** bpf_map_flags_access_ok(): a program may not be both read-only and write-only. */
function accessOk(flags: number): boolean {
  return !(flags & F_RDONLY_PROG && flags & F_WRONLY_PROG);
}

function unknownFlags(flags: number, mask: number): string {
  return `flags 0x${(flags & ~mask).toString(16)} are not allowed for this map type`;
}

/** fd_array_map_alloc_check() for fd arrays, then array_map_alloc_check(); then the VM's size limit. */
function arrayCheck(d: MapDef, spec: MapTypeSpec): CreateError | undefined {
  const fd = spec.name !== 'array' && spec.name !== 'percpu_array';
  const percpu = spec.name === 'percpu_array';
  if (fd && d.valueSize !== 4) return { errno: EINVAL, reason: `value_size must be 4 (the value is a file descriptor), got ${d.valueSize}` };
  if (fd && d.flags & (F_RDONLY_PROG | F_WRONLY_PROG)) return { errno: EINVAL, reason: 'rdonly_prog and wronly_prog are not supported for this map type' };
  if (d.maxEntries === 0) return { errno: EINVAL, reason: 'max_entries must not be 0' };
  if (d.keySize !== 4) return { errno: EINVAL, reason: `key_size must be 4 (a u32 index), got ${d.keySize}` };
  if (d.valueSize === 0) return { errno: EINVAL, reason: 'value_size must not be 0' };
  if (d.flags & ~ARRAY_CREATE_FLAG_MASK) return { errno: EINVAL, reason: unknownFlags(d.flags, ARRAY_CREATE_FLAG_MASK) };
  if (!accessOk(d.flags)) return { errno: EINVAL, reason: 'flags rdonly_prog and wronly_prog together' };
  if (percpu && d.flags & F_NUMA_NODE) return { errno: EINVAL, reason: 'numa_node is not allowed for a per-CPU map' };
  if (spec.name !== 'array' && d.flags & (F_MMAPABLE | F_INNER_MAP)) return { errno: EINVAL, reason: 'mmapable and inner_map are only for array maps' };
  if (spec.name !== 'perf_event_array' && d.flags & F_PRESERVE_ELEMS) return { errno: EINVAL, reason: 'preserve_elems is only for perf_event_array maps' };
  if (d.valueSize > 0x7fffffff) return { errno: E2BIG, reason: `value_size ${d.valueSize} is too large` };
  if (percpu && d.valueSize > PCPU_MIN_UNIT_SIZE) return { errno: E2BIG, reason: `value_size ${d.valueSize} exceeds the per-CPU limit of ${PCPU_MIN_UNIT_SIZE}` };
  if (d.maxEntries * roundUp8(d.valueSize) > VM_ARRAY_BYTES_MAX) {
    return { errno: ENOMEM, reason: `${d.maxEntries} elements of ${roundUp8(d.valueSize)} bytes exceed the VM's ${VM_ARRAY_BYTES_MAX >> 20} MiB per array` };
  }
  return undefined;
}

/** htab_map_alloc_check() (fd_htab_map_alloc_check() first for hash_of_maps). */
function htabCheck(d: MapDef, spec: MapTypeSpec): CreateError | undefined {
  const lru = spec.name === 'lru_hash' || spec.name === 'lru_percpu_hash';
  const percpu = spec.perCpu;
  if (spec.name === 'hash_of_maps' && d.valueSize !== 4) return { errno: EINVAL, reason: `value_size must be 4 (the value is a file descriptor), got ${d.valueSize}` };
  if (d.flags & ~HTAB_CREATE_FLAG_MASK) return { errno: EINVAL, reason: unknownFlags(d.flags, HTAB_CREATE_FLAG_MASK) };
  if (!accessOk(d.flags)) return { errno: EINVAL, reason: 'flags rdonly_prog and wronly_prog together' };
  if (!lru && d.flags & F_NO_COMMON_LRU) return { errno: EINVAL, reason: 'no_common_lru is only for LRU hash maps' };
  if (lru && d.flags & F_NO_PREALLOC) return { errno: ENOTSUPP, reason: 'LRU hash maps are always preallocated (no_prealloc is not supported)' };
  if (d.flags & F_NUMA_NODE && (percpu || d.flags & F_NO_COMMON_LRU)) return { errno: EINVAL, reason: 'numa_node is not allowed for a per-CPU map or a per-CPU LRU' };
  if (d.maxEntries === 0) return { errno: EINVAL, reason: 'max_entries must not be 0' };
  if (d.keySize === 0) return { errno: EINVAL, reason: 'key_size must not be 0' };
  if (d.valueSize === 0) return { errno: EINVAL, reason: 'value_size must not be 0' };
  if (d.keySize + d.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return { errno: E2BIG, reason: `key_size + value_size = ${d.keySize + d.valueSize} is too large` };
  if (percpu && roundUp8(d.valueSize) > PCPU_MIN_UNIT_SIZE) return { errno: E2BIG, reason: `value_size ${d.valueSize} exceeds the per-CPU limit of ${PCPU_MIN_UNIT_SIZE}` };
  return undefined;
}

/** htab_map_alloc(): after no_common_lru rounding, more than 2^31 entries is E2BIG. */
function htabAllocCheck(d: MapDef, spec: MapTypeSpec, nCpus: number): CreateError | undefined {
  const lru = spec.name === 'lru_hash' || spec.name === 'lru_percpu_hash';
  const max = lru && d.flags & F_NO_COMMON_LRU ? perCpuLruMaxEntries(d.maxEntries, nCpus) : d.maxEntries;
  if (max > 2 ** 31) return { errno: E2BIG, reason: `max_entries ${max} exceeds 2^31` };
  return undefined;
}

/** trie_alloc(): every failure is EINVAL. */
function trieCheck(d: MapDef): CreateError | undefined {
  const valMax = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - LPM_TRIE_NODE_SIZE;
  if (d.maxEntries === 0) return { errno: EINVAL, reason: 'max_entries must not be 0' };
  if (!(d.flags & F_NO_PREALLOC)) return { errno: EINVAL, reason: 'lpm_trie maps need flags=no_prealloc (the kernel never preallocates them)' };
  if (d.flags & ~LPM_CREATE_FLAG_MASK) return { errno: EINVAL, reason: unknownFlags(d.flags, LPM_CREATE_FLAG_MASK) };
  if (!accessOk(d.flags)) return { errno: EINVAL, reason: 'flags rdonly_prog and wronly_prog together' };
  if (d.keySize < 4 + LPM_DATA_SIZE_MIN || d.keySize > 4 + LPM_DATA_SIZE_MAX) {
    return { errno: EINVAL, reason: `key_size must be 4 (the prefix length) + 1 to 256 data bytes, got ${d.keySize}` };
  }
  if (d.valueSize < 1 || d.valueSize > valMax) return { errno: EINVAL, reason: `value_size must be 1 to ${valMax}, got ${d.valueSize}` };
  return undefined;
}

/** queue_stack_map_alloc_check(). */
function queueStackCheck(d: MapDef): CreateError | undefined {
  if (d.maxEntries === 0) return { errno: EINVAL, reason: 'max_entries must not be 0' };
  if (d.keySize !== 0) return { errno: EINVAL, reason: `key_size must be 0 (queue and stack maps have no keys), got ${d.keySize}` };
  if (d.valueSize === 0) return { errno: EINVAL, reason: 'value_size must not be 0' };
  if (d.flags & ~QUEUE_STACK_CREATE_FLAG_MASK) return { errno: EINVAL, reason: unknownFlags(d.flags, QUEUE_STACK_CREATE_FLAG_MASK) };
  if (!accessOk(d.flags)) return { errno: EINVAL, reason: 'flags rdonly_prog and wronly_prog together' };
  if (d.valueSize > KMALLOC_MAX_SIZE) return { errno: E2BIG, reason: `value_size ${d.valueSize} exceeds ${KMALLOC_MAX_SIZE}` };
  return undefined;
}

/** ringbuf_map_alloc(). */
function ringbufCheck(d: MapDef): CreateError | undefined {
  if (d.flags & ~RINGBUF_CREATE_FLAG_MASK) return { errno: EINVAL, reason: unknownFlags(d.flags, RINGBUF_CREATE_FLAG_MASK) };
  if (d.keySize !== 0 || d.valueSize !== 0) return { errno: EINVAL, reason: `key_size and value_size must be 0 for a ringbuf, got ${d.keySize} and ${d.valueSize}` };
  const n = d.maxEntries;
  if (n === 0 || (n & (n - 1)) !== 0 || n % PAGE_SIZE !== 0) {
    return { errno: EINVAL, reason: `max_entries (the ring's size in bytes) must be a power of 2 and a multiple of the page size ${PAGE_SIZE}, got ${n}` };
  }
  if (n > RINGBUF_MAX_DATA_SZ) return { errno: E2BIG, reason: `max_entries ${n} exceeds the ringbuf limit` };
  return undefined;
}

/**
 * bpf_map_meta_alloc(): the template must be a map (EBADF), not itself a map-in-map
 * (EINVAL), and of a type that can be compared (prog_array cannot: ENOTSUPP). The
 * template is created first by the loader, so its own checks apply too.
 */
function innerCheck(d: MapDef, defs: readonly MapDef[], nCpus: number): CreateError | undefined {
  const inner = innerDef(d, defs);
  if (!inner) return { errno: EBADF, reason: d.inner ? `its inner map '${d.inner}' is not defined` : 'it has no inner map (give it inner=NAME)' };
  const spec = mapTypeByName(inner.type);
  if (spec?.mapInMap) return { errno: EINVAL, reason: `its inner map '${inner.name}' is itself a ${inner.type}; only one level of maps in maps is supported` };
  const own = checkMapDef(inner, defs, nCpus);
  if (own) return { errno: own.errno, reason: `its inner map '${inner.name}' cannot be created: ${own.reason}` };
  if (spec?.name === 'prog_array') return { errno: ENOTSUPP, reason: 'a prog_array cannot be an inner map' };
  return undefined;
}

function innerDef(d: MapDef, defs: readonly MapDef[]): MapDef | undefined {
  return d.inner === undefined ? undefined : defs.find((x) => x.name === d.inner);
}

/** A template core/elf made up for a map-in-map (`outer.inner`): not a map of its own. */
function isTemplateOnly(d: MapDef, defs: readonly MapDef[]): boolean {
  return !/^[A-Za-z_][A-Za-z0-9_]*$/.test(d.name) && defs.some((x) => x.inner === d.name);
}
