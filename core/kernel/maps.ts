/**
 * Maps in the running kernel: BPF_MAP_CREATE, the BPF_MAP_*_ELEM commands, a whole-map
 * dump, and BPF_OBJ_GET_INFO_BY_FD for a map.
 *
 * Keys and values are bytes in the kernel's layout (host order). A per-CPU map (percpu_hash,
 * percpu_array, lru_percpu_hash, percpu_cgroup_storage) holds one value per possible CPU;
 * bpf(2) passes them as one buffer with each value at a multiple of round_up(value_size, 8)
 * (bpf_map_copy_value() in kernel/bpf/syscall.c), which these functions split into
 * `values` and join from an array of values.
 *
 * Every function answers plain data: the result, a KernelError (errno and its name), or
 * Unavailable when bpf(2) cannot be reached. A map type unknown by name is an EINVAL error
 * that says so. A file descriptor belongs to the caller, who closes it with closeFd().
 */

import { mapTypeById, mapTypeByName } from '../maps/table';
import {
  BPF_MAP_CREATE, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY, BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM,
  MAP_CREATE, MAP_ELEM, MAP_INFO, objName,
} from './attr';
import { KernelError, Unavailable, closeFd, kernelError, possibleCpus, sysBpf, unavailable, withScratch } from './sys';
import { objInfo } from './info';

export interface MapCreateDef {
  /** A map_type number, or a name of core/maps/table.ts (`hash`, `BPF_MAP_TYPE_HASH`). */
  type: number | string;
  keySize: number;
  /** For array_of_maps and hash_of_maps, 0 means 4 (the value is a map fd, then a map id). */
  valueSize: number;
  maxEntries: number;
  /** map_flags: BPF_F_NO_PREALLOC... (core/maps/table.ts MAP_FLAGS). */
  flags: number;
  /** Map-in-map: an existing map whose shape the inner maps follow (inner_map_fd). */
  innerMapFd?: number;
  /** Map-in-map: the inner maps' shape; a template map is created from it and closed after. */
  innerDef?: MapCreateDef;
  /** map_name; characters the kernel refuses are dropped, and it is cut to 15. */
  name?: string;
  /** map_extra: for bloom_filter, the number of hash functions in its low 4 bits. */
  mapExtra?: bigint;
}

/** One entry of a dump: `value`, or `values` (one per possible CPU) for a per-CPU map. */
export type MapEntry = { key: Uint8Array; value: Uint8Array } | { key: Uint8Array; values: Uint8Array[] };

/** A lookup's result, shaped as a dump entry without its key. */
export type MapValue = { value: Uint8Array } | { values: Uint8Array[] };

/** How the values of a map are laid out, for lookups (mapInfo() gives it when not passed). */
export interface ValueShape {
  valueSize: number;
  perCpu: boolean;
}

export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

/** BPF_MAP_CREATE. */
export function createMap(def: MapCreateDef): { fd: number } | KernelError | Unavailable {
  const down = unavailable();
  if (down) return down;
  const spec = typeof def.type === 'number' ? mapTypeById(def.type) : mapTypeByName(def.type);
  const typeId = typeof def.type === 'number' ? def.type : spec?.id;
  if (typeId === undefined) return { ...kernelError('BPF_MAP_CREATE', 22), message: `BPF_MAP_CREATE: unknown map type '${def.type}'` };

  let innerFd = def.innerMapFd;
  let template: number | undefined;
  if (innerFd === undefined && def.innerDef) {
    const inner = createMap(def.innerDef);
    if (!('fd' in inner)) return inner;
    innerFd = template = inner.fd;
  }
  const valueSize = spec?.mapInMap && def.valueSize === 0 ? 4 : def.valueSize;
  const res = withScratch((s) => {
    const attr = s.alloc(MAP_CREATE.size);
    const f = MAP_CREATE.fields;
    attr.u32(f.map_type, typeId);
    attr.u32(f.key_size, def.keySize);
    attr.u32(f.value_size, valueSize);
    attr.u32(f.max_entries, def.maxEntries);
    attr.u32(f.map_flags, def.flags);
    attr.u32(f.inner_map_fd, innerFd ?? 0);
    attr.name(f.map_name, objName(def.name));
    attr.u64(f.map_extra, def.mapExtra ?? 0n);
    return sysBpf(BPF_MAP_CREATE, attr);
  });
  // The kernel keeps its own copy of the inner map's shape (bpf_map_meta_alloc()).
  if (template !== undefined) closeFd(template);
  return res.ret >= 0 ? { fd: res.ret } : kernelError('BPF_MAP_CREATE', res.errno);
}

/**
 * BPF_MAP_UPDATE_ELEM. `flags`: 0 (BPF_ANY), 1 (BPF_NOEXIST), 2 (BPF_EXIST), 4 (BPF_F_LOCK).
 * For a per-CPU map, pass one value per possible CPU as an array, or the packed buffer of
 * possibleCpus() * round_up(value_size, 8) bytes (the kernel reads that many).
 */
export function mapUpdate(fd: number, key: Uint8Array, value: Uint8Array | readonly Uint8Array[], flags = 0): { ok: true } | KernelError | Unavailable {
  if (!(value instanceof Uint8Array) && value.length !== possibleCpus()) {
    return { ...kernelError('BPF_MAP_UPDATE_ELEM', 22), message: `BPF_MAP_UPDATE_ELEM: ${value.length} values for ${possibleCpus()} possible CPUs` };
  }
  const bytes = value instanceof Uint8Array ? value : packPerCpu(value);
  const res = elemCall(BPF_MAP_UPDATE_ELEM, fd, key, bytes, BigInt(flags));
  return 'unavailable' in res ? res : res.ret === 0 ? { ok: true } : kernelError('BPF_MAP_UPDATE_ELEM', res.errno);
}

/**
 * BPF_MAP_LOOKUP_ELEM. An empty key is passed as NULL (queue and stack maps: peek). A key
 * that is not there is the KernelError ENOENT.
 */
export function mapLookup(fd: number, key: Uint8Array, shape?: ValueShape): MapValue | KernelError | Unavailable {
  const sh = shape ?? shapeOf(fd);
  if ('errno' in sh || 'unavailable' in sh) return sh;
  const stride = sh.perCpu ? roundUp8(sh.valueSize) : sh.valueSize;
  const n = sh.perCpu ? possibleCpus() : 1;
  const out = new Uint8Array(stride * n);
  const res = elemCall(BPF_MAP_LOOKUP_ELEM, fd, key, out, 0n);
  if ('unavailable' in res) return res;
  if (res.ret !== 0) return kernelError('BPF_MAP_LOOKUP_ELEM', res.errno);
  if (!sh.perCpu) return { value: out };
  return { values: Array.from({ length: n }, (_, c) => out.slice(c * stride, c * stride + sh.valueSize)) };
}

/** BPF_MAP_DELETE_ELEM. */
export function mapDelete(fd: number, key: Uint8Array): { ok: true } | KernelError | Unavailable {
  const res = elemCall(BPF_MAP_DELETE_ELEM, fd, key, undefined, 0n);
  return 'unavailable' in res ? res : res.ret === 0 ? { ok: true } : kernelError('BPF_MAP_DELETE_ELEM', res.errno);
}

/**
 * BPF_MAP_GET_NEXT_KEY: the key after `key`, or the first key when `key` is undefined;
 * `key: undefined` in the answer when there is none (the kernel's ENOENT). `keySize` is
 * needed only when `key` is undefined, and then taken from mapInfo() when not given.
 */
export function mapGetNextKey(fd: number, key: Uint8Array | undefined, keySize?: number): { key: Uint8Array | undefined } | KernelError | Unavailable {
  let size = key?.length ?? keySize;
  if (size === undefined) {
    const info = mapInfo(fd);
    if (!('keySize' in info)) return info;
    size = info.keySize;
  }
  const next = new Uint8Array(size);
  const res = elemCall(BPF_MAP_GET_NEXT_KEY, fd, key, next, 0n, true);
  if ('unavailable' in res) return res;
  if (res.ret === 0) return { key: next };
  return res.errno === 2 ? { key: undefined } : kernelError('BPF_MAP_GET_NEXT_KEY', res.errno);
}

/**
 * Every entry, in the kernel's iteration order, by get_next_key then lookup. An entry deleted
 * between the two is left out. Keyless maps (queue, stack, ringbuf...) cannot be walked this
 * way; the kernel's error is returned.
 */
export function mapDump(fd: number, keySize: number, valueSize: number, perCpu: boolean): { entries: MapEntry[] } | KernelError | Unavailable {
  const entries: MapEntry[] = [];
  const seen = new Set<string>();
  let key: Uint8Array | undefined;
  for (;;) {
    const next = mapGetNextKey(fd, key, keySize);
    if (!('key' in next)) return next;
    if (!next.key) break;
    key = next.key;
    // A hash map restarts from its first key when the one asked about was deleted; stop
    // rather than walk it twice.
    const hex = Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
    if (seen.has(hex)) break;
    seen.add(hex);
    const v = mapLookup(fd, key, { valueSize, perCpu });
    if ('errno' in v && v.errno === 2) continue;
    if ('errno' in v || 'unavailable' in v) return v;
    entries.push({ key, ...v });
  }
  return { entries };
}

/** BPF_OBJ_GET_INFO_BY_FD for a map (struct bpf_map_info). */
export function mapInfo(fd: number): MapInfo | KernelError | Unavailable {
  const f = MAP_INFO.fields;
  return objInfo(fd, MAP_INFO.size, (info) => ({
    type: info.u32(f.type), id: info.u32(f.id), keySize: info.u32(f.key_size), valueSize: info.u32(f.value_size),
    maxEntries: info.u32(f.max_entries), flags: info.u32(f.map_flags), name: info.name(f.name),
  }));
}

/** One BPF_MAP_*_ELEM call; `out` (value or next_key) is copied back when `write` or for lookups. */
function elemCall(cmd: number, fd: number, key: Uint8Array | undefined, out: Uint8Array | undefined, flags: bigint, write = cmd === BPF_MAP_LOOKUP_ELEM): { ret: number; errno: number } | Unavailable {
  const down = unavailable();
  if (down) return down;
  return withScratch((s) => {
    const attr = s.alloc(MAP_ELEM.size);
    const f = MAP_ELEM.fields;
    attr.u32(f.map_fd, fd);
    // A NULL key: the first key for get_next_key, peek/pop for queue and stack maps.
    if (key && key.length > 0) attr.u64(f.key, s.copy(key).addr);
    const buf = out ? s.copy(out) : undefined;
    if (buf) attr.u64(f.value, buf.addr);
    attr.u64(f.flags, flags);
    const res = sysBpf(cmd, attr);
    if (res.ret === 0 && buf && out && write) out.set(buf.bytes.subarray(0, out.length));
    return res;
  });
}

function shapeOf(fd: number): ValueShape | KernelError | Unavailable {
  const info = mapInfo(fd);
  if (!('valueSize' in info)) return info;
  return { valueSize: info.valueSize, perCpu: mapTypeById(info.type)?.perCpu ?? false };
}

function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

/** One buffer holding each CPU's value at a stride of round_up(value_size, 8). */
function packPerCpu(values: readonly Uint8Array[]): Uint8Array {
  const size = values[0]?.length ?? 0;
  const stride = roundUp8(size);
  const out = new Uint8Array(stride * values.length);
  values.forEach((v, c) => out.set(v.subarray(0, size), c * stride));
  return out;
}
