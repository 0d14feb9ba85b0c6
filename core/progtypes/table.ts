/**
 * The program-type tables of Linux 6.18, the single list of each in this project:
 *
 *   PROG_TYPES     one row per `enum bpf_prog_type` value: context, BPF_PROG_TEST_RUN, doc
 *   ATTACH_TYPES   one row per `enum bpf_attach_type` value
 *   SECTION_DEFS   libbpf's section names (src/libbpf.c, `section_defs[]`), which decide a
 *                  program's type and expected attach type from its ELF section
 *
 * Names are the kernel's without `BPF_PROG_TYPE_` or `BPF_`, in lower case (`sched_cls`,
 * `cgroup_inet4_connect`); ids are the enum values bpf(2) takes. The assembler and the ELF
 * reader type programs by their section here, `--prog-type` resolves here, and hover shows
 * `doc`. Later the context layout, the allowed helpers and the return range join the
 * PROG_TYPES rows; nothing else lists program types.
 *
 * Invariants (checked by test/progtypes/table.test.ts): program-type ids are unique and
 * contiguous from 1 (socket_filter) to 32 (netfilter), attach-type ids from 0 to 57;
 * names are unique; every section row names a program type and attach type of these tables,
 * with the attach type's id. `unspec` (0) is not a program type and has no row. `raw`, the
 * CLI's context-free mode, is not a kernel type and is not here either.
 *
 * This module is pure data and lookups: no I/O.
 */

/** How BPF_PROG_TEST_RUN runs the type on Linux 6.18 (DESIGN.md, Testing). */
export type TestRunKind =
  /** Runs with a packet (data_in) and a repeat count. */
  | 'packet'
  /** Runs once with a context (ctx_in) and no packet. */
  | 'ctx'
  /** Not test-runnable (ENOTSUPP, or only for kernel-internal test targets). */
  | 'none';

export interface ProgTypeSpec {
  /** The enum bpf_prog_type value. */
  readonly id: number;
  /** The kernel name without BPF_PROG_TYPE_, in lower case. */
  readonly name: string;
  /**
   * The C type the program's r1 points to, as the kernel declares it for the type
   * (include/linux/bpf_types.h), without `struct`: `__sk_buff`, `xdp_md`, `bpf_sock_addr`...
   * kprobe's is bpf_user_pt_regs_t, which is `pt_regs` on x86-64. Two spellings are not
   * structs: `__u64` (tracepoint: the tracepoint's record, read as u64 words) and `void`
   * (the context is an array of the traced function's arguments, or a user buffer).
   */
  readonly ctxType: string;
  readonly testRun: TestRunKind;
  /** One line for hover and completion, in our words. */
  readonly doc: string;
  // Later: context fields, allowed helpers, return range.
}

// testRun values were measured on a 6.18 kernel with `r0 = 0; exit` programs (`r0 = 1` where
// the type requires it), given a packet alone, a context alone, and neither. lwt_out and
// lwt_xmit run with a packet as lwt_in does; sk_lookup runs with a context. Not measured:
// tracing and lsm (their loads failed with EPERM there), lirc_mode2 (not built into that
// kernel), struct_ops and ext (they need a target). They are 'none': the kernel test-runs
// fentry/fexit/fmod_ret and struct_ops only against its own test functions, the rest not at all.
// prettier-ignore
export const PROG_TYPES = [
  { id: 1, name: 'socket_filter', ctxType: '__sk_buff', testRun: 'packet', doc: 'Socket filter (SO_ATTACH_BPF): returns how many bytes of the packet to keep; 0 drops it' },
  { id: 2, name: 'kprobe', ctxType: 'pt_regs', testRun: 'none', doc: 'Runs at a kprobe or uprobe (entry or return of a kernel or user function), with the registers as context' },
  { id: 3, name: 'sched_cls', ctxType: '__sk_buff', testRun: 'packet', doc: 'tc classifier on an interface\'s ingress or egress (tc, tcx, netkit); returns a TC_ACT_* verdict' },
  { id: 4, name: 'sched_act', ctxType: '__sk_buff', testRun: 'packet', doc: 'tc action; returns a TC_ACT_* verdict' },
  { id: 5, name: 'tracepoint', ctxType: '__u64', testRun: 'none', doc: 'Runs at a static kernel tracepoint, with the tracepoint\'s record as context' },
  { id: 6, name: 'xdp', ctxType: 'xdp_md', testRun: 'packet', doc: 'Runs on each received packet in the driver, before the network stack; returns XDP_PASS, XDP_DROP, XDP_TX, XDP_REDIRECT or XDP_ABORTED' },
  { id: 7, name: 'perf_event', ctxType: 'bpf_perf_event_data', testRun: 'none', doc: 'Runs on a perf event sample (timer, hardware counter overflow...)' },
  { id: 8, name: 'cgroup_skb', ctxType: '__sk_buff', testRun: 'packet', doc: 'Filters the packets a cgroup\'s sockets send or receive; 1 lets the packet through, 0 drops it' },
  { id: 9, name: 'cgroup_sock', ctxType: 'bpf_sock', testRun: 'none', doc: 'Runs when a cgroup\'s sockets are created, released or bound; 1 allows, 0 refuses' },
  { id: 10, name: 'lwt_in', ctxType: '__sk_buff', testRun: 'packet', doc: 'Lightweight-tunnel hook of a route, on input; may read, not change, the packet' },
  { id: 11, name: 'lwt_out', ctxType: '__sk_buff', testRun: 'packet', doc: 'Lightweight-tunnel hook of a route, on output; may read, not change, the packet' },
  { id: 12, name: 'lwt_xmit', ctxType: '__sk_buff', testRun: 'packet', doc: 'Lightweight-tunnel hook of a route, on transmit; may change and encapsulate the packet' },
  { id: 13, name: 'sock_ops', ctxType: 'bpf_sock_ops', testRun: 'none', doc: 'Runs at TCP events of a cgroup\'s sockets (connect, established, RTO, header options...) to tune them' },
  { id: 14, name: 'sk_skb', ctxType: '__sk_buff', testRun: 'none', doc: 'Parses or gives a verdict on data received by sockets in a sockmap or sockhash (may redirect it)' },
  { id: 15, name: 'cgroup_device', ctxType: 'bpf_cgroup_dev_ctx', testRun: 'none', doc: 'Decides whether a cgroup\'s tasks may use a device; 1 allows, 0 refuses' },
  { id: 16, name: 'sk_msg', ctxType: 'sk_msg_md', testRun: 'none', doc: 'Gives a verdict on data sent by sockets in a sockmap or sockhash: pass, drop or redirect' },
  { id: 17, name: 'raw_tracepoint', ctxType: 'bpf_raw_tracepoint_args', testRun: 'ctx', doc: 'Runs at a tracepoint with its raw arguments, before any record is formatted' },
  { id: 18, name: 'cgroup_sock_addr', ctxType: 'bpf_sock_addr', testRun: 'none', doc: 'Runs at bind, connect, sendmsg, recvmsg, getpeername and getsockname of a cgroup\'s sockets; may rewrite the address' },
  { id: 19, name: 'lwt_seg6local', ctxType: '__sk_buff', testRun: 'none', doc: 'The End.BPF action of an SRv6 seg6local route' },
  { id: 20, name: 'lirc_mode2', ctxType: '__u32', testRun: 'none', doc: 'Decodes raw infrared pulses received by a LIRC device' },
  { id: 21, name: 'sk_reuseport', ctxType: 'sk_reuseport_md', testRun: 'none', doc: 'Picks which socket of a SO_REUSEPORT group gets an incoming packet or connection' },
  { id: 22, name: 'flow_dissector', ctxType: '__sk_buff', testRun: 'packet', doc: 'Takes over the kernel\'s flow dissector: parses the packet headers into bpf_flow_keys' },
  { id: 23, name: 'cgroup_sysctl', ctxType: 'bpf_sysctl', testRun: 'none', doc: 'Checks, and may rewrite, a cgroup\'s reads and writes of /proc/sys; 1 allows, 0 refuses' },
  { id: 24, name: 'raw_tracepoint_writable', ctxType: 'bpf_raw_tracepoint_args', testRun: 'none', doc: 'Raw tracepoint whose program may write into the buffer the tracepoint passes' },
  { id: 25, name: 'cgroup_sockopt', ctxType: 'bpf_sockopt', testRun: 'none', doc: 'Runs at getsockopt and setsockopt of a cgroup\'s sockets; may change the option or its result' },
  { id: 26, name: 'tracing', ctxType: 'void', testRun: 'none', doc: 'BTF-typed tracing: fentry, fexit, fmod_ret, tp_btf and BPF iterators' },
  { id: 27, name: 'struct_ops', ctxType: 'void', testRun: 'none', doc: 'Implements one member of a kernel ops structure, such as a TCP congestion control' },
  { id: 28, name: 'ext', ctxType: 'void', testRun: 'none', doc: 'Replaces a global function of another loaded BPF program (freplace)' },
  { id: 29, name: 'lsm', ctxType: 'void', testRun: 'none', doc: 'Runs at a Linux Security Module hook; a negative error denies the operation' },
  { id: 30, name: 'sk_lookup', ctxType: 'bpf_sk_lookup', testRun: 'ctx', doc: 'Picks the socket that receives an incoming connection or packet, before the usual lookup' },
  { id: 31, name: 'syscall', ctxType: 'void', testRun: 'ctx', doc: 'Run from user space with BPF_PROG_TEST_RUN; may call bpf(2) itself, e.g. to load other programs' },
  { id: 32, name: 'netfilter', ctxType: 'bpf_nf_ctx', testRun: 'packet', doc: 'Netfilter hook; returns NF_ACCEPT or NF_DROP for the packet' },
] as const satisfies readonly ProgTypeSpec[];

export type ProgTypeName = (typeof PROG_TYPES)[number]['name'];

export interface AttachTypeSpec {
  /** The enum bpf_attach_type value. */
  readonly id: number;
  /** The kernel name without BPF_, in lower case. */
  readonly name: string;
}

// prettier-ignore
export const ATTACH_TYPES = [
  { id: 0, name: 'cgroup_inet_ingress' },
  { id: 1, name: 'cgroup_inet_egress' },
  { id: 2, name: 'cgroup_inet_sock_create' },
  { id: 3, name: 'cgroup_sock_ops' },
  { id: 4, name: 'sk_skb_stream_parser' },
  { id: 5, name: 'sk_skb_stream_verdict' },
  { id: 6, name: 'cgroup_device' },
  { id: 7, name: 'sk_msg_verdict' },
  { id: 8, name: 'cgroup_inet4_bind' },
  { id: 9, name: 'cgroup_inet6_bind' },
  { id: 10, name: 'cgroup_inet4_connect' },
  { id: 11, name: 'cgroup_inet6_connect' },
  { id: 12, name: 'cgroup_inet4_post_bind' },
  { id: 13, name: 'cgroup_inet6_post_bind' },
  { id: 14, name: 'cgroup_udp4_sendmsg' },
  { id: 15, name: 'cgroup_udp6_sendmsg' },
  { id: 16, name: 'lirc_mode2' },
  { id: 17, name: 'flow_dissector' },
  { id: 18, name: 'cgroup_sysctl' },
  { id: 19, name: 'cgroup_udp4_recvmsg' },
  { id: 20, name: 'cgroup_udp6_recvmsg' },
  { id: 21, name: 'cgroup_getsockopt' },
  { id: 22, name: 'cgroup_setsockopt' },
  { id: 23, name: 'trace_raw_tp' },
  { id: 24, name: 'trace_fentry' },
  { id: 25, name: 'trace_fexit' },
  { id: 26, name: 'modify_return' },
  { id: 27, name: 'lsm_mac' },
  { id: 28, name: 'trace_iter' },
  { id: 29, name: 'cgroup_inet4_getpeername' },
  { id: 30, name: 'cgroup_inet6_getpeername' },
  { id: 31, name: 'cgroup_inet4_getsockname' },
  { id: 32, name: 'cgroup_inet6_getsockname' },
  { id: 33, name: 'xdp_devmap' },
  { id: 34, name: 'cgroup_inet_sock_release' },
  { id: 35, name: 'xdp_cpumap' },
  { id: 36, name: 'sk_lookup' },
  { id: 37, name: 'xdp' },
  { id: 38, name: 'sk_skb_verdict' },
  { id: 39, name: 'sk_reuseport_select' },
  { id: 40, name: 'sk_reuseport_select_or_migrate' },
  { id: 41, name: 'perf_event' },
  { id: 42, name: 'trace_kprobe_multi' },
  { id: 43, name: 'lsm_cgroup' },
  { id: 44, name: 'struct_ops' },
  { id: 45, name: 'netfilter' },
  { id: 46, name: 'tcx_ingress' },
  { id: 47, name: 'tcx_egress' },
  { id: 48, name: 'trace_uprobe_multi' },
  { id: 49, name: 'cgroup_unix_connect' },
  { id: 50, name: 'cgroup_unix_sendmsg' },
  { id: 51, name: 'cgroup_unix_recvmsg' },
  { id: 52, name: 'cgroup_unix_getpeername' },
  { id: 53, name: 'cgroup_unix_getsockname' },
  { id: 54, name: 'netkit_primary' },
  { id: 55, name: 'netkit_peer' },
  { id: 56, name: 'trace_kprobe_session' },
  { id: 57, name: 'trace_uprobe_session' },
] as const satisfies readonly AttachTypeSpec[];

export type AttachTypeName = (typeof ATTACH_TYPES)[number]['name'];

/**
 * One entry of libbpf's section table. How a section name matches it:
 *
 *   matchPrefix false   the name is `prefix` exactly                       (`xdp`, `tc`, `cgroup/connect4`)
 *   matchPrefix true    the name is `prefix`, or `prefix/` and anything     (`kprobe`, `kprobe/do_unlinkat`)
 *
 * This is libbpf ≥ 1.0, where a SEC_DEF ending in `+` takes a `/` suffix and the others
 * match exactly, so `xdp/foo` and `xdp_prog` are not program sections. libbpf 0.x, in its
 * default (non-strict) mode, also let the rows marked `legacyPrefix` match any name that
 * starts with `prefix` (`xdp_prog`, `socket1`, `classifier_ingress`); sectionProgType falls
 * back to that rule only when no row matches the ≥ 1.0 way, and says so.
 *
 * `expectedAttachType` absent means libbpf loads with expected_attach_type 0; the kernel
 * ignores it for most types, but 0 reads as cgroup_inet_ingress where it matters
 * (`cgroup/skb` loads as an ingress cgroup_skb program).
 */
export interface SectionDef {
  readonly prefix: string;
  readonly progType: ProgTypeName;
  readonly expectedAttachType?: AttachTypeName;
  /** The id of expectedAttachType, filled from ATTACH_TYPES. */
  readonly attachTypeId?: number;
  readonly matchPrefix: boolean;
  /** libbpf 0.x's sloppy rule (SEC_SLOPPY_PFX): any name starting with `prefix`. */
  readonly legacyPrefix: boolean;
  /** libbpf loads the program with BPF_F_SLEEPABLE (`.s` sections, `syscall`). */
  readonly sleepable?: boolean;
  /** libbpf loads the program with BPF_F_XDP_HAS_FRAGS (`xdp.frags` sections). */
  readonly xdpFrags?: boolean;
}

type SectionRow = Omit<SectionDef, 'attachTypeId'>;

// In libbpf's order, which decides between rows that both match (the first wins):
// `sk_reuseport/migrate` before `sk_reuseport`, `cgroup/sock_create` before `cgroup/sock`.
// The rows are those of libbpf 1.6/1.7 (the releases of the 6.18 era) without the entries
// for kernels after 6.18 (fsession, the sleepable tracepoints, the multi-tracing links).
// prettier-ignore
const SECTION_ROWS: readonly SectionRow[] = [
  { prefix: 'socket', progType: 'socket_filter', matchPrefix: false, legacyPrefix: true },
  { prefix: 'sk_reuseport/migrate', progType: 'sk_reuseport', expectedAttachType: 'sk_reuseport_select_or_migrate', matchPrefix: false, legacyPrefix: true },
  { prefix: 'sk_reuseport', progType: 'sk_reuseport', expectedAttachType: 'sk_reuseport_select', matchPrefix: false, legacyPrefix: true },
  { prefix: 'kprobe', progType: 'kprobe', matchPrefix: true, legacyPrefix: false },
  { prefix: 'uprobe', progType: 'kprobe', matchPrefix: true, legacyPrefix: false },
  { prefix: 'uprobe.s', progType: 'kprobe', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'kretprobe', progType: 'kprobe', matchPrefix: true, legacyPrefix: false },
  { prefix: 'uretprobe', progType: 'kprobe', matchPrefix: true, legacyPrefix: false },
  { prefix: 'uretprobe.s', progType: 'kprobe', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'kprobe.multi', progType: 'kprobe', expectedAttachType: 'trace_kprobe_multi', matchPrefix: true, legacyPrefix: false },
  { prefix: 'kretprobe.multi', progType: 'kprobe', expectedAttachType: 'trace_kprobe_multi', matchPrefix: true, legacyPrefix: false },
  { prefix: 'kprobe.session', progType: 'kprobe', expectedAttachType: 'trace_kprobe_session', matchPrefix: true, legacyPrefix: false },
  { prefix: 'uprobe.multi', progType: 'kprobe', expectedAttachType: 'trace_uprobe_multi', matchPrefix: true, legacyPrefix: false },
  { prefix: 'uretprobe.multi', progType: 'kprobe', expectedAttachType: 'trace_uprobe_multi', matchPrefix: true, legacyPrefix: false },
  { prefix: 'uprobe.session', progType: 'kprobe', expectedAttachType: 'trace_uprobe_session', matchPrefix: true, legacyPrefix: false },
  { prefix: 'uprobe.multi.s', progType: 'kprobe', expectedAttachType: 'trace_uprobe_multi', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'uretprobe.multi.s', progType: 'kprobe', expectedAttachType: 'trace_uprobe_multi', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'uprobe.session.s', progType: 'kprobe', expectedAttachType: 'trace_uprobe_session', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'ksyscall', progType: 'kprobe', matchPrefix: true, legacyPrefix: false },
  { prefix: 'kretsyscall', progType: 'kprobe', matchPrefix: true, legacyPrefix: false },
  { prefix: 'usdt', progType: 'kprobe', matchPrefix: true, legacyPrefix: false },
  { prefix: 'usdt.s', progType: 'kprobe', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'tc/ingress', progType: 'sched_cls', expectedAttachType: 'tcx_ingress', matchPrefix: false, legacyPrefix: false },
  { prefix: 'tc/egress', progType: 'sched_cls', expectedAttachType: 'tcx_egress', matchPrefix: false, legacyPrefix: false },
  { prefix: 'tcx/ingress', progType: 'sched_cls', expectedAttachType: 'tcx_ingress', matchPrefix: false, legacyPrefix: false },
  { prefix: 'tcx/egress', progType: 'sched_cls', expectedAttachType: 'tcx_egress', matchPrefix: false, legacyPrefix: false },
  { prefix: 'tc', progType: 'sched_cls', matchPrefix: false, legacyPrefix: false },
  { prefix: 'classifier', progType: 'sched_cls', matchPrefix: false, legacyPrefix: true },
  { prefix: 'action', progType: 'sched_act', matchPrefix: false, legacyPrefix: true },
  { prefix: 'netkit/primary', progType: 'sched_cls', expectedAttachType: 'netkit_primary', matchPrefix: false, legacyPrefix: false },
  { prefix: 'netkit/peer', progType: 'sched_cls', expectedAttachType: 'netkit_peer', matchPrefix: false, legacyPrefix: false },
  { prefix: 'tracepoint', progType: 'tracepoint', matchPrefix: true, legacyPrefix: false },
  { prefix: 'tp', progType: 'tracepoint', matchPrefix: true, legacyPrefix: false },
  { prefix: 'raw_tracepoint', progType: 'raw_tracepoint', matchPrefix: true, legacyPrefix: false },
  { prefix: 'raw_tp', progType: 'raw_tracepoint', matchPrefix: true, legacyPrefix: false },
  { prefix: 'raw_tracepoint.w', progType: 'raw_tracepoint_writable', matchPrefix: true, legacyPrefix: false },
  { prefix: 'raw_tp.w', progType: 'raw_tracepoint_writable', matchPrefix: true, legacyPrefix: false },
  { prefix: 'tp_btf', progType: 'tracing', expectedAttachType: 'trace_raw_tp', matchPrefix: true, legacyPrefix: false },
  { prefix: 'fentry', progType: 'tracing', expectedAttachType: 'trace_fentry', matchPrefix: true, legacyPrefix: false },
  { prefix: 'fmod_ret', progType: 'tracing', expectedAttachType: 'modify_return', matchPrefix: true, legacyPrefix: false },
  { prefix: 'fexit', progType: 'tracing', expectedAttachType: 'trace_fexit', matchPrefix: true, legacyPrefix: false },
  { prefix: 'fentry.s', progType: 'tracing', expectedAttachType: 'trace_fentry', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'fmod_ret.s', progType: 'tracing', expectedAttachType: 'modify_return', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'fexit.s', progType: 'tracing', expectedAttachType: 'trace_fexit', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'freplace', progType: 'ext', matchPrefix: true, legacyPrefix: false },
  { prefix: 'lsm', progType: 'lsm', expectedAttachType: 'lsm_mac', matchPrefix: true, legacyPrefix: false },
  { prefix: 'lsm.s', progType: 'lsm', expectedAttachType: 'lsm_mac', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'lsm_cgroup', progType: 'lsm', expectedAttachType: 'lsm_cgroup', matchPrefix: true, legacyPrefix: false },
  { prefix: 'iter', progType: 'tracing', expectedAttachType: 'trace_iter', matchPrefix: true, legacyPrefix: false },
  { prefix: 'iter.s', progType: 'tracing', expectedAttachType: 'trace_iter', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'syscall', progType: 'syscall', matchPrefix: false, legacyPrefix: false, sleepable: true },
  { prefix: 'xdp.frags/devmap', progType: 'xdp', expectedAttachType: 'xdp_devmap', matchPrefix: false, legacyPrefix: false, xdpFrags: true },
  { prefix: 'xdp/devmap', progType: 'xdp', expectedAttachType: 'xdp_devmap', matchPrefix: false, legacyPrefix: false },
  { prefix: 'xdp.frags/cpumap', progType: 'xdp', expectedAttachType: 'xdp_cpumap', matchPrefix: false, legacyPrefix: false, xdpFrags: true },
  { prefix: 'xdp/cpumap', progType: 'xdp', expectedAttachType: 'xdp_cpumap', matchPrefix: false, legacyPrefix: false },
  { prefix: 'xdp.frags', progType: 'xdp', expectedAttachType: 'xdp', matchPrefix: false, legacyPrefix: false, xdpFrags: true },
  { prefix: 'xdp', progType: 'xdp', expectedAttachType: 'xdp', matchPrefix: false, legacyPrefix: true },
  { prefix: 'perf_event', progType: 'perf_event', matchPrefix: false, legacyPrefix: true },
  { prefix: 'lwt_in', progType: 'lwt_in', matchPrefix: false, legacyPrefix: true },
  { prefix: 'lwt_out', progType: 'lwt_out', matchPrefix: false, legacyPrefix: true },
  { prefix: 'lwt_xmit', progType: 'lwt_xmit', matchPrefix: false, legacyPrefix: true },
  { prefix: 'lwt_seg6local', progType: 'lwt_seg6local', matchPrefix: false, legacyPrefix: true },
  { prefix: 'sockops', progType: 'sock_ops', expectedAttachType: 'cgroup_sock_ops', matchPrefix: false, legacyPrefix: true },
  { prefix: 'sk_skb/stream_parser', progType: 'sk_skb', expectedAttachType: 'sk_skb_stream_parser', matchPrefix: false, legacyPrefix: true },
  { prefix: 'sk_skb/stream_verdict', progType: 'sk_skb', expectedAttachType: 'sk_skb_stream_verdict', matchPrefix: false, legacyPrefix: true },
  { prefix: 'sk_skb/verdict', progType: 'sk_skb', expectedAttachType: 'sk_skb_verdict', matchPrefix: false, legacyPrefix: false },
  { prefix: 'sk_skb', progType: 'sk_skb', matchPrefix: false, legacyPrefix: true },
  { prefix: 'sk_msg', progType: 'sk_msg', expectedAttachType: 'sk_msg_verdict', matchPrefix: false, legacyPrefix: true },
  { prefix: 'lirc_mode2', progType: 'lirc_mode2', expectedAttachType: 'lirc_mode2', matchPrefix: false, legacyPrefix: true },
  { prefix: 'flow_dissector', progType: 'flow_dissector', expectedAttachType: 'flow_dissector', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup_skb/ingress', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup_skb/egress', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_egress', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/skb', progType: 'cgroup_skb', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/sock_create', progType: 'cgroup_sock', expectedAttachType: 'cgroup_inet_sock_create', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/sock_release', progType: 'cgroup_sock', expectedAttachType: 'cgroup_inet_sock_release', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/sock', progType: 'cgroup_sock', expectedAttachType: 'cgroup_inet_sock_create', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/post_bind4', progType: 'cgroup_sock', expectedAttachType: 'cgroup_inet4_post_bind', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/post_bind6', progType: 'cgroup_sock', expectedAttachType: 'cgroup_inet6_post_bind', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/bind4', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet4_bind', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/bind6', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet6_bind', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/connect4', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet4_connect', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/connect6', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet6_connect', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/connect_unix', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_unix_connect', matchPrefix: false, legacyPrefix: false },
  { prefix: 'cgroup/sendmsg4', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_udp4_sendmsg', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/sendmsg6', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_udp6_sendmsg', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/sendmsg_unix', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_unix_sendmsg', matchPrefix: false, legacyPrefix: false },
  { prefix: 'cgroup/recvmsg4', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_udp4_recvmsg', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/recvmsg6', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_udp6_recvmsg', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/recvmsg_unix', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_unix_recvmsg', matchPrefix: false, legacyPrefix: false },
  { prefix: 'cgroup/getpeername4', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet4_getpeername', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/getpeername6', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet6_getpeername', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/getpeername_unix', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_unix_getpeername', matchPrefix: false, legacyPrefix: false },
  { prefix: 'cgroup/getsockname4', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet4_getsockname', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/getsockname6', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet6_getsockname', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/getsockname_unix', progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_unix_getsockname', matchPrefix: false, legacyPrefix: false },
  { prefix: 'cgroup/sysctl', progType: 'cgroup_sysctl', expectedAttachType: 'cgroup_sysctl', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/getsockopt', progType: 'cgroup_sockopt', expectedAttachType: 'cgroup_getsockopt', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/setsockopt', progType: 'cgroup_sockopt', expectedAttachType: 'cgroup_setsockopt', matchPrefix: false, legacyPrefix: true },
  { prefix: 'cgroup/dev', progType: 'cgroup_device', expectedAttachType: 'cgroup_device', matchPrefix: false, legacyPrefix: true },
  { prefix: 'struct_ops', progType: 'struct_ops', matchPrefix: true, legacyPrefix: false },
  { prefix: 'struct_ops.s', progType: 'struct_ops', matchPrefix: true, legacyPrefix: false, sleepable: true },
  { prefix: 'sk_lookup', progType: 'sk_lookup', expectedAttachType: 'sk_lookup', matchPrefix: false, legacyPrefix: true },
  { prefix: 'netfilter', progType: 'netfilter', expectedAttachType: 'netfilter', matchPrefix: false, legacyPrefix: false },
];

// ---------------------------------------------------------------------------------------------
// Lookups, built once.

const progById = new Map<number, ProgTypeSpec>(PROG_TYPES.map((p) => [p.id, p]));
const progByName = new Map<string, ProgTypeSpec>(PROG_TYPES.map((p) => [p.name, p]));
const attachById = new Map<number, AttachTypeSpec>(ATTACH_TYPES.map((a) => [a.id, a]));
const attachByName = new Map<string, AttachTypeSpec>(ATTACH_TYPES.map((a) => [a.name, a]));

/** libbpf's section table, each row with the id of its expected attach type. */
export const SECTION_DEFS: readonly SectionDef[] = SECTION_ROWS.map((row) =>
  row.expectedAttachType === undefined ? row : { ...row, attachTypeId: attachByName.get(row.expectedAttachType)?.id },
);

export interface SectionMatch {
  progType: ProgTypeName;
  expectedAttachType?: AttachTypeName;
  def: SectionDef;
  /** Matched only by libbpf 0.x's sloppy prefix rule: libbpf ≥ 1.0 rejects this name. */
  legacy?: true;
}

/**
 * The program type (and expected attach type) libbpf gives a program in this section, or
 * undefined when libbpf would not recognise it (`.text`, `foo`, `maps`).
 * Mirrors find_sec_def() and sec_def_matches() in libbpf's src/libbpf.c: the first row in
 * table order that matches wins. Then, only if nothing matched, libbpf 0.x's sloppy rule
 * is tried, and a match says `legacy: true` so that callers can warn.
 */
export function sectionProgType(sectionName: string): SectionMatch | undefined {
  const strict = SECTION_DEFS.find((def) => matchesStrict(def, sectionName));
  if (strict) return toMatch(strict);
  const sloppy = SECTION_DEFS.find((def) => def.legacyPrefix && sectionName.startsWith(def.prefix));
  return sloppy ? { ...toMatch(sloppy), legacy: true } : undefined;
}

/**
 * The program type a user named, as `--prog-type` and `programType` take it: a kernel name
 * (`sched_cls`, or `BPF_PROG_TYPE_SCHED_CLS` in any case), or a libbpf section name (`tc`,
 * `socket`, `kprobe/do_unlinkat`, `cgroup/connect4`) under libbpf ≥ 1.0's rules. `raw` is
 * the CLI's own mode, not a program type: undefined here, as for any unknown name.
 */
export function progTypeByName(name: string): ProgTypeSpec | undefined {
  const byKernelName = progByName.get(name) ?? progByName.get(name.toLowerCase().replace(/^bpf_prog_type_/, ''));
  if (byKernelName) return byKernelName;
  const def = SECTION_DEFS.find((d) => matchesStrict(d, name));
  return def ? progByName.get(def.progType) : undefined;
}

export function progTypeById(id: number): ProgTypeSpec | undefined {
  return progById.get(id);
}

export function attachTypeById(id: number): AttachTypeSpec | undefined {
  return attachById.get(id);
}

/** The attach type with this name: `cgroup_inet4_connect`, or `BPF_CGROUP_INET4_CONNECT` (any case). */
export function attachTypeByName(name: string): AttachTypeSpec | undefined {
  return attachByName.get(name) ?? attachByName.get(name.toLowerCase().replace(/^bpf_/, ''));
}

// ---------------------------------------------------------------------------------------------

/** libbpf ≥ 1.0: an exact name, or for `+` rows the prefix followed by `/` and anything. */
function matchesStrict(def: SectionDef, name: string): boolean {
  if (name === def.prefix) return true;
  return def.matchPrefix && name.startsWith(def.prefix + '/');
}

function toMatch(def: SectionDef): SectionMatch {
  const m: SectionMatch = { progType: def.progType, def };
  if (def.expectedAttachType !== undefined) m.expectedAttachType = def.expectedAttachType;
  return m;
}
