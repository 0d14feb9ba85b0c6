/**
 * The numbers the in-memory maps share with the kernel: update and output flags, ringbuf
 * query selectors, map-creation flag bits, the errno codes the map operations return, and
 * the size limits BPF_MAP_CREATE enforces.
 *
 * Flag values are include/uapi/linux/bpf.h's; errno numbers come from the project's one
 * errno table (core/kernel/errno.ts, pure data) by name, so no number is typed twice.
 * Limits are those of an x86-64 Linux 6.18 build (4 KiB pages, SLUB): they decide whether
 * a definition is accepted, so they are written out here with the kernel symbol each
 * mirrors.
 *
 * Pure data: no I/O.
 */

import { errnoByName, errnoName } from '../kernel/errno';
import { MAP_FLAGS, MapFlagName } from './table';

/** Errno codes as the map operations return them: negative, as the kernel's ops do. */
export const EPERM = -errnoByName('EPERM');
export const ENOENT = -errnoByName('ENOENT');
export const E2BIG = -errnoByName('E2BIG');
export const EBADF = -errnoByName('EBADF');
export const EAGAIN = -errnoByName('EAGAIN');
export const ENOMEM = -errnoByName('ENOMEM');
export const EBUSY = -errnoByName('EBUSY');
export const EEXIST = -errnoByName('EEXIST');
export const EINVAL = -errnoByName('EINVAL');
export const ENOSPC = -errnoByName('ENOSPC');
export const EOPNOTSUPP = -errnoByName('EOPNOTSUPP');
/** The kernel-internal 524 that bpf(2) lets through (ringbuf element ops, LRU without prealloc). */
export const ENOTSUPP = -errnoByName('ENOTSUPP');

/** `EINVAL` for -22: the name of a negative (or positive) errno, for messages. */
export function errName(err: number): string {
  return errnoName(Math.abs(err));
}

/** Flags of map_update_elem and BPF_MAP_UPDATE_ELEM (bpf.h: BPF_ANY...). */
export const BPF_ANY = 0n;
export const BPF_NOEXIST = 1n;
export const BPF_EXIST = 2n;
export const BPF_F_LOCK = 4n;

/** perf_event_output flags: the low 32 bits pick the slot; this value means "this CPU's". */
export const BPF_F_INDEX_MASK = 0xffffffffn;
export const BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK;
/** skb_output / xdp_output: bits 32-51 say how many packet bytes to append (the helper's job). */
export const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

/** ringbuf_submit / discard / output flags (bpf.h BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP). */
export const BPF_RB_NO_WAKEUP = 1n;
export const BPF_RB_FORCE_WAKEUP = 2n;

/** ringbuf_query selectors (bpf.h BPF_RB_AVAIL_DATA...). */
export const BPF_RB_AVAIL_DATA = 0n;
export const BPF_RB_RING_SIZE = 1n;
export const BPF_RB_CONS_POS = 2n;
export const BPF_RB_PROD_POS = 3n;

/** The 8-byte header in front of every ringbuf record (BPF_RINGBUF_HDR_SZ). */
export const BPF_RINGBUF_HDR_SZ = 8;

/** A map-creation flag's bit, from the map-type table's flag list. */
export function flagBit(name: MapFlagName): number {
  return (MAP_FLAGS.find((f) => f.name === name) as { value: number }).value;
}

export const F_NO_PREALLOC = flagBit('no_prealloc');
export const F_NO_COMMON_LRU = flagBit('no_common_lru');
export const F_NUMA_NODE = flagBit('numa_node');
export const F_RDONLY = flagBit('rdonly');
export const F_WRONLY = flagBit('wronly');
export const F_ZERO_SEED = flagBit('zero_seed');
export const F_RDONLY_PROG = flagBit('rdonly_prog');
export const F_WRONLY_PROG = flagBit('wronly_prog');
export const F_MMAPABLE = flagBit('mmapable');
export const F_PRESERVE_ELEMS = flagBit('preserve_elems');
export const F_INNER_MAP = flagBit('inner_map');
export const F_TOKEN_FD = flagBit('token_fd');
/** BPF_F_ACCESS_MASK in include/linux/bpf.h. */
export const F_ACCESS_MASK = F_RDONLY | F_RDONLY_PROG | F_WRONLY | F_WRONLY_PROG;

/** PAGE_SIZE on x86-64. */
export const PAGE_SIZE = 4096;
/** KMALLOC_MAX_SIZE with SLUB on x86-64: 1 << (MAX_PAGE_ORDER + PAGE_SHIFT) = 4 MiB. */
export const KMALLOC_MAX_SIZE = 1 << 22;
/** sizeof(struct htab_elem) on x86-64 (hashtab.c), part of the hash maps' size check. */
export const HTAB_ELEM_SIZE = 48;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value (32 KiB). */
export const PCPU_MIN_UNIT_SIZE = 32 << 10;
/** lpm_trie.c: data bytes after the u32 prefix length, 1 to 256 (LPM_DATA_SIZE_MIN/MAX). */
export const LPM_DATA_SIZE_MIN = 1;
export const LPM_DATA_SIZE_MAX = 256;
/** sizeof(struct lpm_trie_node) on x86-64, for LPM_VAL_SIZE_MAX. */
export const LPM_TRIE_NODE_SIZE = 24;
/** ringbuf.c RINGBUF_MAX_RECORD_SZ: UINT_MAX / 4. */
export const RINGBUF_MAX_RECORD_SZ = Math.floor(0xffffffff / 4);
/** ringbuf.c RINGBUF_MAX_DATA_SZ: ((1 << 24) - RINGBUF_POS_PAGES - RINGBUF_PGOFF) * PAGE_SIZE, with PGOFF 1. */
export const RINGBUF_MAX_DATA_SZ = ((1 << 24) - 2 - 1) * PAGE_SIZE;

/**
 * The most bytes the VM gives one array's values (ours, not the kernel's): an array with
 * more fails creation with ENOMEM, as vmalloc would on a small machine.
 */
export const VM_ARRAY_BYTES_MAX = 256 << 20;

/** A u64 flags argument as the kernel sees it (registers arrive as bigint or number). */
export function u64(flags: number | bigint): bigint {
  return BigInt.asUintN(64, typeof flags === 'bigint' ? flags : BigInt(Math.trunc(flags)));
}

/** round_up(n, 8): the stride of array elements and of per-CPU values. */
export function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
