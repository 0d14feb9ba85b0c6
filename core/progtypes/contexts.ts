/**
 * The context structures programs receive, one row per C struct (the program-type table
 * names a row by `ctxType`): field names, offsets and sizes as in Linux 6.18's uapi
 * headers, which fields hold packet pointers, and which a program may write.
 *
 * Pointer fields are declared u32 (or __bpf_md_ptr) in the uapi struct, but the kernel
 * rewrites their loads into loads of the real 64-bit pointer; the VM does the same.
 */

export interface CtxField {
  name: string;
  off: number;
  size: 1 | 2 | 4 | 8;
  /** Array fields (cb[5], remote_ip6[4]): element count; `size` is one element's. */
  count?: number;
  /** A field whose load yields a pointer into the packet. */
  pointer?: 'data' | 'data_end' | 'data_meta';
  /** The program may store to it. */
  writable?: boolean;
}

export interface CtxStruct {
  name: string;
  size: number;
  fields: readonly CtxField[];
}

const u32 = (name: string, off: number, extra: Partial<CtxField> = {}): CtxField => ({ name, off, size: 4, ...extra });
const u64 = (name: string, off: number, extra: Partial<CtxField> = {}): CtxField => ({ name, off, size: 8, ...extra });

// x86-64 struct pt_regs (arch/x86/include/uapi/asm/ptrace.h), the kprobe context.
const PT_REGS_NAMES = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di',
  'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];

// prettier-ignore
export const CTX_STRUCTS: readonly CtxStruct[] = [
  {
    name: 'xdp_md', size: 24, fields: [
      u32('data', 0, { pointer: 'data' }), u32('data_end', 4, { pointer: 'data_end' }), u32('data_meta', 8, { pointer: 'data_meta' }),
      u32('ingress_ifindex', 12), u32('rx_queue_index', 16), u32('egress_ifindex', 20),
    ],
  },
  {
    name: '__sk_buff', size: 192, fields: [
      u32('len', 0), u32('pkt_type', 4), u32('mark', 8, { writable: true }), u32('queue_mapping', 12, { writable: true }),
      u32('protocol', 16), u32('vlan_present', 20), u32('vlan_tci', 24), u32('vlan_proto', 28),
      u32('priority', 32, { writable: true }), u32('ingress_ifindex', 36), u32('ifindex', 40), u32('tc_index', 44, { writable: true }),
      u32('cb', 48, { count: 5, writable: true }), u32('hash', 68), u32('tc_classid', 72, { writable: true }),
      u32('data', 76, { pointer: 'data' }), u32('data_end', 80, { pointer: 'data_end' }), u32('napi_id', 84),
      u32('family', 88), u32('remote_ip4', 92), u32('local_ip4', 96), u32('remote_ip6', 100, { count: 4 }),
      u32('local_ip6', 116, { count: 4 }), u32('remote_port', 132), u32('local_port', 136),
      u32('data_meta', 140, { pointer: 'data_meta' }), u64('flow_keys', 144), u64('tstamp', 152, { writable: true }),
      u32('wire_len', 160), u32('gso_segs', 164), u64('sk', 168), u32('gso_size', 176),
      { name: 'tstamp_type', off: 180, size: 1 }, u64('hwtstamp', 184),
    ],
  },
  { name: 'pt_regs', size: 168, fields: PT_REGS_NAMES.map((n, k) => u64(n, k * 8)) },
  {
    name: 'bpf_perf_event_data', size: 184,
    fields: [...PT_REGS_NAMES.map((n, k) => u64(`regs.${n}`, k * 8)), u64('sample_period', 168), u64('addr', 176)],
  },
  {
    // cgroup_sock_addr programs (connect, bind, sendmsg, recvmsg hooks).
    name: 'bpf_sock_addr', size: 64, fields: [
      u32('user_family', 0), u32('user_ip4', 4, { writable: true }), u32('user_ip6', 8, { count: 4, writable: true }),
      u32('user_port', 24, { writable: true }), u32('family', 28), u32('type', 32), u32('protocol', 36),
      u32('msg_src_ip4', 40, { writable: true }), u32('msg_src_ip6', 44, { count: 4, writable: true }), u64('sk', 56),
    ],
  },
  // Raw tracepoints get the tracepoint's arguments as u64s (struct bpf_raw_tracepoint_args).
  { name: 'bpf_raw_tracepoint_args', size: 96, fields: [u64('args', 0, { count: 12 })] },
];

export function ctxStruct(name: string): CtxStruct | undefined {
  return CTX_STRUCTS.find((s) => s.name === name);
}

/** The field covering [off, off + size), if the access stays inside one field (or one array element). */
export function ctxFieldAt(s: CtxStruct, off: number): { field: CtxField; index?: number } | undefined {
  for (const f of s.fields) {
    const n = f.count ?? 1;
    if (off >= f.off && off < f.off + f.size * n) return { field: f, index: f.count ? Math.floor((off - f.off) / f.size) : undefined };
  }
  return undefined;
}
