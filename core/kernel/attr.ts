/**
 * The byte layouts bpf(2) reads: the members of `union bpf_attr` each command uses, and the
 * `struct bpf_prog_info` / `struct bpf_map_info` that BPF_OBJ_GET_INFO_BY_FD fills.
 *
 * Offsets are those of the kernel's include/uapi/linux/bpf.h as Linux 6.18 lays it out on
 * a 64-bit host (every pointer is an `__aligned_u64`, so the layout is the same on 32-bit
 * hosts). Field names are the kernel's, spelt as in bpf.h, so that
 * test/kernel/attr.test.ts can look every one up in the running kernel's BTF
 * (/sys/kernel/btf/vmlinux) and compare the offsets: they are checked, not trusted.
 *
 * Each layout's `size` is the end of the last member we write or read, and is what we pass
 * as bpf(2)'s `size`. The kernel accepts a size larger than its own union only when the
 * extra bytes are zero, and treats a smaller one as zero-extended; so fields newer than a
 * kernel cost nothing while they stay zero.
 *
 * Pure data and byte writing: no I/O.
 */

/** enum bpf_cmd values (bpf.h). */
export const BPF_MAP_CREATE = 0;
export const BPF_MAP_LOOKUP_ELEM = 1;
export const BPF_MAP_UPDATE_ELEM = 2;
export const BPF_MAP_DELETE_ELEM = 3;
export const BPF_MAP_GET_NEXT_KEY = 4;
export const BPF_PROG_LOAD = 5;
export const BPF_PROG_TEST_RUN = 10;
export const BPF_OBJ_GET_INFO_BY_FD = 15;

/** BPF_OBJ_NAME_LEN: map_name and prog_name hold 15 characters and a NUL. */
export const BPF_OBJ_NAME_LEN = 16;

/** A layout: member name -> byte offset, and `size`, the bytes we pass. */
export interface Layout {
  /** The C type the members belong to (the test looks them up there). */
  readonly struct: 'bpf_attr' | 'bpf_prog_info' | 'bpf_map_info';
  readonly fields: Readonly<Record<string, number>>;
  readonly size: number;
}

/** BPF_MAP_CREATE: the first anonymous struct of union bpf_attr. */
export const MAP_CREATE = {
  struct: 'bpf_attr',
  fields: {
    map_type: 0, key_size: 4, value_size: 8, max_entries: 12, map_flags: 16, inner_map_fd: 20,
    numa_node: 24, map_name: 28, map_ifindex: 44, btf_fd: 48, btf_key_type_id: 52,
    btf_value_type_id: 56, btf_vmlinux_value_type_id: 60, map_extra: 64,
  },
  size: 72,
} as const satisfies Layout;

/** BPF_MAP_*_ELEM: map_fd, key, value (or next_key, the same u64), flags. */
export const MAP_ELEM = {
  struct: 'bpf_attr',
  fields: { map_fd: 0, key: 8, value: 16, next_key: 16, flags: 24 },
  size: 32,
} as const satisfies Layout;

/** BPF_PROG_LOAD, up to log_true_size (6.4), the size the kernel needed for the whole log. */
export const PROG_LOAD = {
  struct: 'bpf_attr',
  fields: {
    prog_type: 0, insn_cnt: 4, insns: 8, license: 16, log_level: 24, log_size: 28, log_buf: 32,
    kern_version: 40, prog_flags: 44, prog_name: 48, prog_ifindex: 64, expected_attach_type: 68,
    prog_btf_fd: 72, func_info_rec_size: 76, func_info: 80, func_info_cnt: 88,
    line_info_rec_size: 92, line_info: 96, line_info_cnt: 104, attach_btf_id: 108,
    attach_prog_fd: 112, core_relo_cnt: 116, fd_array: 120, core_relos: 128,
    core_relo_rec_size: 136, log_true_size: 140,
  },
  size: 144,
} as const satisfies Layout;

/** BPF_PROG_TEST_RUN: the `test` struct of union bpf_attr. */
export const PROG_TEST_RUN = {
  struct: 'bpf_attr',
  fields: {
    prog_fd: 0, retval: 4, data_size_in: 8, data_size_out: 12, data_in: 16, data_out: 24,
    repeat: 32, duration: 36, ctx_size_in: 40, ctx_size_out: 44, ctx_in: 48, ctx_out: 56,
    flags: 64, cpu: 68, batch_size: 72,
  },
  size: 76,
} as const satisfies Layout;

/** BPF_OBJ_GET_INFO_BY_FD: the `info` struct of union bpf_attr. */
export const OBJ_INFO = {
  struct: 'bpf_attr',
  fields: { bpf_fd: 0, info_len: 4, info: 8 },
  size: 16,
} as const satisfies Layout;

/** struct bpf_prog_info, up to attach_btf_id and its padding (sizeof is 232 on 6.18). */
export const PROG_INFO = {
  struct: 'bpf_prog_info',
  fields: {
    type: 0, id: 4, tag: 8, jited_prog_len: 16, xlated_prog_len: 20, jited_prog_insns: 24,
    xlated_prog_insns: 32, load_time: 40, created_by_uid: 48, nr_map_ids: 52, map_ids: 56,
    name: 64, ifindex: 80, netns_dev: 88, netns_ino: 96, btf_id: 128, run_time_ns: 192,
    run_cnt: 200, recursion_misses: 208, verified_insns: 216, attach_btf_obj_id: 220,
    attach_btf_id: 224,
  },
  size: 232,
} as const satisfies Layout;

/** struct bpf_map_info, up to map_extra (5.16). */
export const MAP_INFO = {
  struct: 'bpf_map_info',
  fields: {
    type: 0, id: 4, key_size: 8, value_size: 12, max_entries: 16, map_flags: 20, name: 24,
    ifindex: 40, btf_id: 64, map_extra: 80,
  },
  size: 88,
} as const satisfies Layout;

export const LAYOUTS = { MAP_CREATE, MAP_ELEM, PROG_LOAD, PROG_TEST_RUN, OBJ_INFO, PROG_INFO, MAP_INFO } as const;

/** log_level bits (bpf.h: BPF_LOG_LEVEL1, BPF_LOG_LEVEL2, BPF_LOG_STATS). */
export const BPF_LOG_LEVEL1 = 1;
export const BPF_LOG_LEVEL2 = 2;
export const BPF_LOG_STATS = 4;

/** BPF_PSEUDO_MAP_FD and BPF_PSEUDO_MAP_VALUE: src_reg of an lddw that names a map. */
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;

/** Whether this host stores numbers little-endian (bpf(2)'s structures are host-endian). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes into and reads from a structure's bytes by member offset, in host byte order. */
export class StructView {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u32(off: number, v?: number): number {
    if (v !== undefined) this.view.setUint32(off, v >>> 0, HOST_LITTLE_ENDIAN);
    return this.view.getUint32(off, HOST_LITTLE_ENDIAN);
  }
  u64(off: number, v?: bigint): bigint {
    if (v !== undefined) this.view.setBigUint64(off, BigInt.asUintN(64, v), HOST_LITTLE_ENDIAN);
    return this.view.getBigUint64(off, HOST_LITTLE_ENDIAN);
  }
  /** A char[BPF_OBJ_NAME_LEN] member: at most 15 bytes and a NUL. */
  name(off: number, v?: string): string {
    if (v !== undefined) {
      const bytes = new TextEncoder().encode(v).subarray(0, BPF_OBJ_NAME_LEN - 1);
      this.bytes.fill(0, off, off + BPF_OBJ_NAME_LEN);
      this.bytes.set(bytes, off);
    }
    const raw = this.bytes.subarray(off, off + BPF_OBJ_NAME_LEN);
    const end = raw.indexOf(0);
    return new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
  }
}

/**
 * A map or program name the kernel accepts: bpf_obj_name_cpy() takes only letters, digits,
 * `_` and `.`, and at most 15 of them. Other characters are dropped rather than refused, so
 * that `my-map` still gets a name (`mymap`).
 */
export function objName(name: string | undefined): string {
  return (name ?? '').replace(/[^A-Za-z0-9_.]/g, '').slice(0, BPF_OBJ_NAME_LEN - 1);
}
