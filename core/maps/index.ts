/**
 * core/maps: the map-type table, and the in-memory BPF maps the VM and the debugger use.
 *
 * Invariants:
 * - Behaviour follows Linux 6.18's kernel/bpf (arraymap.c, hashtab.c, lpm_trie.c,
 *   queue_stack_maps.c, ringbuf.c, map_in_map.c, syscall.c): the same checks in the same
 *   order, the same negative errno. Where we differ on purpose (storage kept across updates,
 *   exact LRU, insertion-order iteration), the module that differs says so in its header.
 * - Nothing here throws for a program's or a user's input: operations return errno, creation
 *   and JSON loading return diagnostics. A throw means a caller broke the contract (a key
 *   or value of the wrong length, a CPU out of range where one must be valid).
 * - A value view from `lookup` is the element's storage for as long as the element lives.
 * - No I/O, no clock, no randomness: the same operations give the same maps and dumps.
 */

export type { BpfMap, Flags, MapChange, MapEntry, MapEvent, MapOp } from './base';
export { toHex, readU32, u32Bytes } from './base';
export { ArrayMap } from './array';
export { HashMap } from './hash';
export { LpmTrieMap } from './lpmTrie';
export { QueueStackMap } from './queueStack';
export { RingbufMap } from './ringbuf';
export { ArrayOfMapsMap, HashOfMapsMap, PerfEventArrayMap, ProgArrayMap, innerMapFits } from './fdMaps';
export { MapSet, checkMapDef, createMaps, isSupportedMapType } from './create';
export type { CreateError, CreateMapsOptions } from './create';
export { loadMapsJson, mapsToJson, parseHex } from './json';
export type { EntryJson, MapJson, MapsJson } from './json';
export * from './uapi';
export * from './table';
