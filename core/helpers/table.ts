/**
 * The helper table: one row per BPF helper function of Linux 6.18, the single list of
 * helpers in this project.
 *
 * The rows follow the kernel's `___BPF_FUNC_MAPPER` in include/uapi/linux/bpf.h: the same
 * ids (what `call N` encodes) and the same names, spelt without the `bpf_` prefix as FN()
 * spells them. The assembler resolves `call bpf_map_lookup_elem` here, the disassembler
 * prints names from here, hover and completion show `doc`, and the verifier refuses
 * `gplOnly` helpers to programs without a GPL-compatible license, the verifier checks a
 * call against the row's prototype (`proto`, core/helpers/proto.ts), and the VM runs the
 * row's implementation (`impl`, core/helpers/impl/). Nothing else lists helpers: there is
 * no second id-to-implementation map.
 *
 * Invariants (checked by test/helpers/table.test.ts): ids are unique and contiguous from 1
 * to the last helper of 6.18 (211, cgrp_storage_delete); names are unique. Id 0 (`unspec`
 * in the kernel's list) is not a helper, and has no row: the kernel rejects `call 0`.
 *
 * Where `gplOnly` comes from: the kernel marks a helper's prototype `.gpl_only = true`, and
 * check_helper_call() in kernel/bpf/verifier.c refuses such a helper ("cannot call
 * GPL-restricted function from non-GPL compatible program") before it looks at any argument.
 * The values below were read off a running 6.18 kernel by loading `call N; exit` under a
 * non-GPL license in every program type that offers the helper. The few helpers that no
 * loadable type offered there (probe_write_user, override_return, the rc_* infrared
 * helpers, tcp_send_ack, the LSM-only and fentry-only helpers) follow their protos in the
 * kernel sources. One helper has protos that disagree: get_stackid is GPL-only everywhere
 * except in perf_event programs, whose variant is not; the row says true.
 *
 * Every row with an `impl` has a `proto`, and an impl reads no register beyond its proto's
 * arguments (test/helpers/table.test.ts walks the rows).
 *
 * This module is pure data and lookups: no I/O.
 */

import type { HelperImpl } from '../vm/machine';
import {
  HelperProto, PTR_TO_LONG, PTR_TO_MEM_OR_NULL_RDONLY, PTR_TO_MEM_OR_NULL_WRITE, PTR_TO_MEM_RDONLY,
  PTR_TO_STACK_OR_NULL, PTR_TO_UNINIT_MEM, RINGBUF_MEM_RELEASE, UNINIT_MAP_VALUE,
} from './proto';
import { forEachMapElem, loop, spinLock, spinUnlock, tailCall } from './impl/callbacks';
import { csumDiff, csumUpdate, l3CsumReplace, l4CsumReplace } from './impl/csum';
import { mapDeleteElem, mapLookupElem, mapLookupPercpuElem, mapPeekElem, mapPopElem, mapPushElem, mapUpdateElem } from './impl/maps';
import {
  skbLoadBytes, skbLoadBytesRelative, skbStoreBytes, xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail, xdpGetBuffLen,
  xdpLoadBytes, xdpStoreBytes,
} from './impl/packet';
import {
  copyFromUser, probeReadCompat, probeReadCompatStr, probeReadKernel, probeReadKernelStr, probeReadUser, probeReadUserStr,
} from './impl/probe';
import { redirect, redirectMap } from './impl/redirect';
import { perfEventOutput, ringbufDiscard, ringbufOutput, ringbufQuery, ringbufReserve, ringbufSubmit } from './impl/ringbuf';
import { getHashRecalc, getSocketCookie, skbVlanPop, skbVlanPush } from './impl/skb';
import { strncmp, strtol, strtoul } from './impl/strings';
import { getAttachCookie, getCurrentComm, getCurrentPidTgid, getCurrentTask, getCurrentUidGid, getFuncIp } from './impl/task';
import { getNumaNodeId, getPrandomU32, getSmpProcessorId, jiffies64, ktimeGetBootNs, ktimeGetCoarseNs, ktimeGetNs, ktimeGetTaiNs } from './impl/time';
import { snprintf, tracePrintk, traceVprintk } from './impl/trace';

export interface HelperSpec {
  /** The helper id: BPF_FUNC_<name>, the immediate of `call`. */
  readonly id: number;
  /** The kernel's name without `bpf_` (`map_lookup_elem`), as in FN(). */
  readonly name: string;
  /** The kernel refuses the helper to programs whose license is not GPL-compatible. */
  readonly gplOnly: boolean;
  /** One line for hover and completion, in our words. */
  readonly doc: string;
  /** The kernel's bpf_func_proto in our terms, for the verifier; absent where not written yet. */
  readonly proto?: HelperProto;
  /** What the VM runs at `call N`; absent for helpers the VM cannot run yet (a call faults). */
  readonly impl?: HelperImpl;
}

// prettier-ignore
export const HELPERS = [
  { id: 1, name: 'map_lookup_elem', gplOnly: false, doc: 'Look up a key in a map; returns a pointer to its value, or NULL when the key is absent',
    proto: { ret: 'map_value_or_null', args: ['const_map_ptr', 'map_key'], pktAccess: true }, impl: mapLookupElem },
  { id: 2, name: 'map_update_elem', gplOnly: false, doc: 'Create or replace the value stored under a key (flags BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK)',
    proto: { ret: 'integer', args: ['const_map_ptr', 'map_key', 'map_value', 'anything'], pktAccess: true }, impl: mapUpdateElem },
  { id: 3, name: 'map_delete_elem', gplOnly: false, doc: 'Remove a key and its value from a map',
    proto: { ret: 'integer', args: ['const_map_ptr', 'map_key'], pktAccess: true }, impl: mapDeleteElem },
  { id: 4, name: 'probe_read', gplOnly: true, doc: 'Copy memory from an unchecked address into a buffer (old form; use probe_read_kernel or probe_read_user)',
    proto: { ret: 'integer', args: [PTR_TO_UNINIT_MEM, 'const_size_or_zero', 'anything'] }, impl: probeReadCompat },
  { id: 5, name: 'ktime_get_ns', gplOnly: false, doc: 'Nanoseconds since boot, not counting time suspended (CLOCK_MONOTONIC)',
    proto: { ret: 'integer', args: [] }, impl: ktimeGetNs },
  { id: 6, name: 'trace_printk', gplOnly: true, doc: 'Print a formatted debug message with up to three arguments to the kernel trace pipe',
    proto: { ret: 'integer', args: [PTR_TO_MEM_RDONLY, 'const_size', 'dontcare', 'dontcare', 'dontcare'] }, impl: tracePrintk },
  { id: 7, name: 'get_prandom_u32', gplOnly: false, doc: 'A pseudo-random 32-bit number (not for cryptography)',
    proto: { ret: 'integer', args: [] }, impl: getPrandomU32 },
  { id: 8, name: 'get_smp_processor_id', gplOnly: false, doc: 'The id of the CPU the program runs on',
    proto: { ret: 'integer', args: [], allowFastcall: true }, impl: getSmpProcessorId },
  { id: 9, name: 'skb_store_bytes', gplOnly: false, doc: 'Write bytes into the packet at an offset, optionally updating the checksum',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', PTR_TO_MEM_RDONLY, 'const_size', 'anything'] }, impl: skbStoreBytes },
  { id: 10, name: 'l3_csum_replace', gplOnly: false, doc: 'Patch an IP-level checksum in the packet after a field changed, without recomputing it',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything', 'anything', 'anything'] }, impl: l3CsumReplace },
  { id: 11, name: 'l4_csum_replace', gplOnly: false, doc: 'Patch a TCP/UDP checksum in the packet after a field (or the pseudo-header) changed',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything', 'anything', 'anything'] }, impl: l4CsumReplace },
  { id: 12, name: 'tail_call', gplOnly: false, doc: 'Jump to the program at an index of a prog_array map; on success it does not return',
    proto: { ret: 'void', args: ['ptr_to_ctx', 'const_map_ptr', 'anything'] }, impl: tailCall },
  { id: 13, name: 'clone_redirect', gplOnly: false, doc: 'Send a copy of the packet out of (or into) another interface; the original goes on' },
  { id: 14, name: 'get_current_pid_tgid', gplOnly: false, doc: 'Current task: process id (tgid) in the upper 32 bits, thread id in the lower 32',
    proto: { ret: 'integer', args: [] }, impl: getCurrentPidTgid },
  { id: 15, name: 'get_current_uid_gid', gplOnly: false, doc: 'Current task: group id in the upper 32 bits, user id in the lower 32',
    proto: { ret: 'integer', args: [] }, impl: getCurrentUidGid },
  { id: 16, name: 'get_current_comm', gplOnly: false, doc: 'Copy the command name of the current task into a buffer',
    proto: { ret: 'integer', args: [PTR_TO_UNINIT_MEM, 'const_size'] }, impl: getCurrentComm },
  { id: 17, name: 'get_cgroup_classid', gplOnly: false, doc: 'The net_cls (cgroup v1) class id of the current task, for tc egress' },
  { id: 18, name: 'skb_vlan_push', gplOnly: false, doc: 'Add a VLAN tag (protocol and TCI) to the packet',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'anything'] }, impl: skbVlanPush },
  { id: 19, name: 'skb_vlan_pop', gplOnly: false, doc: 'Remove the outer VLAN tag from the packet',
    proto: { ret: 'integer', args: ['ptr_to_ctx'] }, impl: skbVlanPop },
  { id: 20, name: 'skb_get_tunnel_key', gplOnly: false, doc: 'Read the tunnel metadata (remote address, tunnel id, TOS, TTL) of a decapsulated packet' },
  { id: 21, name: 'skb_set_tunnel_key', gplOnly: false, doc: 'Set the tunnel metadata a collect-metadata tunnel device uses to encapsulate the packet' },
  { id: 22, name: 'perf_event_read', gplOnly: true, doc: 'Read a perf counter from a perf_event_array map (perf_event_read_value is preferred)' },
  { id: 23, name: 'redirect', gplOnly: false, doc: 'Send the packet to another interface; return the result as the program verdict',
    proto: { ret: 'integer', args: ['anything', 'anything'] }, impl: redirect },
  { id: 24, name: 'get_route_realm', gplOnly: false, doc: 'The realm (tclassid) of the route the packet takes' },
  { id: 25, name: 'perf_event_output', gplOnly: true, doc: 'Send a record to user space through the per-CPU buffers of a perf_event_array map',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'anything', PTR_TO_MEM_RDONLY, 'const_size_or_zero'] }, impl: perfEventOutput },
  { id: 26, name: 'skb_load_bytes', gplOnly: false, doc: 'Copy bytes from the packet at an offset into a buffer',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', PTR_TO_UNINIT_MEM, 'const_size'] }, impl: skbLoadBytes },
  { id: 27, name: 'get_stackid', gplOnly: true, doc: 'Save the current kernel or user stack in a stack_trace map and return its id' }, // not GPL-only in perf_event programs
  { id: 28, name: 'csum_diff', gplOnly: false, doc: 'Checksum difference between two buffers, for incremental checksum updates',
    proto: { ret: 'integer', args: [PTR_TO_MEM_OR_NULL_RDONLY, 'const_size_or_zero', PTR_TO_MEM_OR_NULL_RDONLY, 'const_size_or_zero', 'anything'], pktAccess: true }, impl: csumDiff },
  { id: 29, name: 'skb_get_tunnel_opt', gplOnly: false, doc: 'Copy the tunnel options (e.g. Geneve TLVs) of a decapsulated packet' },
  { id: 30, name: 'skb_set_tunnel_opt', gplOnly: false, doc: 'Set the tunnel options to send with the packet' },
  { id: 31, name: 'skb_change_proto', gplOnly: false, doc: 'Switch the packet between IPv4 and IPv6, making room for the new header (the program writes it)' },
  { id: 32, name: 'skb_change_type', gplOnly: false, doc: 'Change the packet type (to host, broadcast, multicast, other host)' },
  { id: 33, name: 'skb_under_cgroup', gplOnly: false, doc: 'Whether the packet\'s socket is in the cgroup held at an index of a cgroup_array map' },
  { id: 34, name: 'get_hash_recalc', gplOnly: false, doc: 'The packet\'s flow hash, computed now if it is not known yet',
    proto: { ret: 'integer', args: ['ptr_to_ctx'] }, impl: getHashRecalc },
  { id: 35, name: 'get_current_task', gplOnly: true, doc: 'The address of the current task_struct, as a plain number',
    proto: { ret: 'integer', args: [] }, impl: getCurrentTask },
  { id: 36, name: 'probe_write_user', gplOnly: true, doc: 'Write into the current task\'s user memory (for debugging; the kernel logs a warning)' },
  { id: 37, name: 'current_task_under_cgroup', gplOnly: false, doc: 'Whether the current task is in the cgroup held at an index of a cgroup_array map' },
  { id: 38, name: 'skb_change_tail', gplOnly: false, doc: 'Grow or trim the packet to a new length at its end' },
  { id: 39, name: 'skb_pull_data', gplOnly: false, doc: 'Make the first bytes of the packet, up to a length, directly accessible' },
  { id: 40, name: 'csum_update', gplOnly: false, doc: 'Fold a checksum difference into the packet\'s full checksum (CHECKSUM_COMPLETE)',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything'] }, impl: csumUpdate },
  { id: 41, name: 'set_hash_invalid', gplOnly: false, doc: 'Mark the packet\'s flow hash as stale so that it is computed again' },
  { id: 42, name: 'get_numa_node_id', gplOnly: false, doc: 'The NUMA node of the CPU the program runs on',
    proto: { ret: 'integer', args: [] }, impl: getNumaNodeId },
  { id: 43, name: 'skb_change_head', gplOnly: false, doc: 'Make room at the front of the packet, e.g. to add a header' },
  { id: 44, name: 'xdp_adjust_head', gplOnly: false, doc: 'Move the start of the XDP packet by a signed delta (add or strip bytes at the front)',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything'] }, impl: xdpAdjustHead },
  { id: 45, name: 'probe_read_str', gplOnly: true, doc: 'Copy a NUL-terminated string from an unchecked address (old form; use the _kernel_str or _user_str variant)',
    proto: { ret: 'integer', args: [PTR_TO_UNINIT_MEM, 'const_size_or_zero', 'anything'] }, impl: probeReadCompatStr },
  { id: 46, name: 'get_socket_cookie', gplOnly: false, doc: 'A 64-bit cookie that identifies the socket for its whole life',
    proto: { ret: 'integer', args: ['ptr_to_ctx'] }, impl: getSocketCookie },
  { id: 47, name: 'get_socket_uid', gplOnly: false, doc: 'The user id that owns the packet\'s socket' },
  { id: 48, name: 'set_hash', gplOnly: false, doc: 'Set the packet\'s flow hash' },
  { id: 49, name: 'setsockopt', gplOnly: false, doc: 'Set an option of the program\'s socket, as setsockopt(2) does (a subset of options)' },
  { id: 50, name: 'skb_adjust_room', gplOnly: false, doc: 'Add or remove room at the network or MAC layer of the packet, e.g. to encapsulate' },
  { id: 51, name: 'redirect_map', gplOnly: false, doc: 'Send the packet to the device, CPU or AF_XDP socket held under a key of a devmap, cpumap or xskmap',
    proto: { ret: 'integer', args: ['const_map_ptr', 'anything', 'anything'] }, impl: redirectMap },
  { id: 52, name: 'sk_redirect_map', gplOnly: false, doc: 'Send the packet to the socket held at an index of a sockmap' },
  { id: 53, name: 'sock_map_update', gplOnly: false, doc: 'Put the socket of a sock_ops event into a sockmap' },
  { id: 54, name: 'xdp_adjust_meta', gplOnly: false, doc: 'Move the start of the XDP metadata area by a signed delta',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything'] }, impl: xdpAdjustMeta },
  { id: 55, name: 'perf_event_read_value', gplOnly: true, doc: 'Read a perf counter from a perf_event_array map, with its enabled and running times' },
  { id: 56, name: 'perf_prog_read_value', gplOnly: true, doc: 'Read the counter and the enabled and running times of the perf event that fired the program' },
  { id: 57, name: 'getsockopt', gplOnly: false, doc: 'Read an option of the program\'s socket, as getsockopt(2) does (a subset of options)' },
  { id: 58, name: 'override_return', gplOnly: true, doc: 'Make the probed kernel function return the given value without running it (error injection)' },
  { id: 59, name: 'sock_ops_cb_flags_set', gplOnly: false, doc: 'Choose which extra sock_ops events (RTO, retransmit, state change...) the socket reports' },
  { id: 60, name: 'msg_redirect_map', gplOnly: false, doc: 'Send the message to the socket held at an index of a sockmap' },
  { id: 61, name: 'msg_apply_bytes', gplOnly: false, doc: 'Apply this verdict to the next N bytes of the message stream' },
  { id: 62, name: 'msg_cork_bytes', gplOnly: false, doc: 'Hold data until N bytes have gathered before the program runs again' },
  { id: 63, name: 'msg_pull_data', gplOnly: false, doc: 'Make a byte range of the message directly accessible' },
  { id: 64, name: 'bind', gplOnly: false, doc: 'Bind the socket to a local address from a connect hook' },
  { id: 65, name: 'xdp_adjust_tail', gplOnly: false, doc: 'Move the end of the XDP packet by a signed delta (grow or trim at the end)',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything'] }, impl: xdpAdjustTail },
  { id: 66, name: 'skb_get_xfrm_state', gplOnly: false, doc: 'Read the IPsec (xfrm) state at an index of the packet\'s security path' },
  { id: 67, name: 'get_stack', gplOnly: true, doc: 'Copy the current kernel or user stack (addresses or build ids) into a buffer',
    // No VM implementation: a run has no kernel stack to copy. The prototype serves the verifier.
    proto: { ret: 'integer', args: ['ptr_to_ctx', PTR_TO_UNINIT_MEM, 'const_size_or_zero', 'anything'] } },
  { id: 68, name: 'skb_load_bytes_relative', gplOnly: false, doc: 'Copy packet bytes at an offset from the start of the MAC or network header',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', PTR_TO_UNINIT_MEM, 'const_size', 'anything'] }, impl: skbLoadBytesRelative },
  { id: 69, name: 'fib_lookup', gplOnly: true, doc: 'Ask the kernel\'s routing and neighbour tables where a packet would go' },
  { id: 70, name: 'sock_hash_update', gplOnly: false, doc: 'Put the socket of a sock_ops event into a sockhash under a key' },
  { id: 71, name: 'msg_redirect_hash', gplOnly: false, doc: 'Send the message to the socket held under a key of a sockhash' },
  { id: 72, name: 'sk_redirect_hash', gplOnly: false, doc: 'Send the packet to the socket held under a key of a sockhash' },
  { id: 73, name: 'lwt_push_encap', gplOnly: false, doc: 'Add an encapsulation header (IP or SRv6) to the packet in a lightweight-tunnel hook' },
  { id: 74, name: 'lwt_seg6_store_bytes', gplOnly: false, doc: 'Write into the editable fields of the packet\'s SRv6 routing header' },
  { id: 75, name: 'lwt_seg6_adjust_srh', gplOnly: false, doc: 'Grow or shrink the TLV area of the packet\'s SRv6 routing header' },
  { id: 76, name: 'lwt_seg6_action', gplOnly: false, doc: 'Perform an SRv6 End action (End.X, End.T, End.B6...) on the packet' },
  { id: 77, name: 'rc_repeat', gplOnly: true, doc: 'Report that the last infrared key press repeats' },
  { id: 78, name: 'rc_keydown', gplOnly: true, doc: 'Report a decoded infrared key press (protocol, scancode, toggle bit)' },
  { id: 79, name: 'skb_cgroup_id', gplOnly: false, doc: 'The cgroup v2 id of the packet\'s socket' },
  { id: 80, name: 'get_current_cgroup_id', gplOnly: false, doc: 'The cgroup v2 id of the current task' },
  { id: 81, name: 'get_local_storage', gplOnly: false, doc: 'A pointer to the program\'s storage in this cgroup (cgroup_storage or percpu_cgroup_storage map)' },
  { id: 82, name: 'sk_select_reuseport', gplOnly: false, doc: 'Pick the socket of a SO_REUSEPORT group from a reuseport_sockarray, sockmap or sockhash' },
  { id: 83, name: 'skb_ancestor_cgroup_id', gplOnly: false, doc: 'The id of the ancestor cgroup, at a given level, of the packet\'s socket' },
  { id: 84, name: 'sk_lookup_tcp', gplOnly: false, doc: 'Find a TCP socket by address and ports; release the result with sk_release' ,
    // Verify-only: a run has no sockets to find.
    proto: { ret: 'socket_or_null', args: ['ptr_to_ctx', PTR_TO_MEM_RDONLY, 'const_size', 'anything', 'anything'] } },
  { id: 85, name: 'sk_lookup_udp', gplOnly: false, doc: 'Find a UDP socket by address and ports; release the result with sk_release' ,
    // Verify-only: a run has no sockets to find.
    proto: { ret: 'socket_or_null', args: ['ptr_to_ctx', PTR_TO_MEM_RDONLY, 'const_size', 'anything', 'anything'] } },
  { id: 86, name: 'sk_release', gplOnly: false, doc: 'Drop a socket reference taken by sk_lookup_tcp, sk_lookup_udp or skc_lookup_tcp' ,
    proto: { ret: 'integer', args: [{ type: 'ptr_to_btf_id_sock_common', flags: ['release'] }] } },
  { id: 87, name: 'map_push_elem', gplOnly: false, doc: 'Add a value to a queue or stack map (BPF_EXIST drops the oldest when it is full)',
    proto: { ret: 'integer', args: ['const_map_ptr', 'map_value', 'anything'], pktAccess: true }, impl: mapPushElem },
  { id: 88, name: 'map_pop_elem', gplOnly: false, doc: 'Take the next value out of a queue or stack map',
    proto: { ret: 'integer', args: ['const_map_ptr', UNINIT_MAP_VALUE] }, impl: mapPopElem },
  { id: 89, name: 'map_peek_elem', gplOnly: false, doc: 'Read the next value of a queue or stack map without taking it out',
    proto: { ret: 'integer', args: ['const_map_ptr', UNINIT_MAP_VALUE] }, impl: mapPeekElem },
  { id: 90, name: 'msg_push_data', gplOnly: false, doc: 'Insert bytes into the message at an offset' },
  { id: 91, name: 'msg_pop_data', gplOnly: false, doc: 'Remove bytes from the message at an offset' },
  { id: 92, name: 'rc_pointer_rel', gplOnly: true, doc: 'Report relative pointer (mouse) movement decoded from infrared' },
  { id: 93, name: 'spin_lock', gplOnly: false, doc: 'Take the bpf_spin_lock held in a map value',
    proto: { ret: 'void', args: ['ptr_to_spin_lock'] }, impl: spinLock },
  { id: 94, name: 'spin_unlock', gplOnly: false, doc: 'Release the bpf_spin_lock held in a map value',
    proto: { ret: 'void', args: ['ptr_to_spin_lock'] }, impl: spinUnlock },
  { id: 95, name: 'sk_fullsock', gplOnly: false, doc: 'The full socket behind a socket pointer, or NULL (request and time-wait sockets have none)' },
  { id: 96, name: 'tcp_sock', gplOnly: false, doc: 'The TCP fields (bpf_tcp_sock) of a socket, or NULL when it is not TCP' },
  { id: 97, name: 'skb_ecn_set_ce', gplOnly: false, doc: 'Mark the packet Congestion Experienced in its IP header, if it is ECN-capable' },
  { id: 98, name: 'get_listener_sock', gplOnly: false, doc: 'The listening socket a request socket belongs to, or NULL' },
  { id: 99, name: 'skc_lookup_tcp', gplOnly: false, doc: 'Find a TCP socket by address and ports, request and time-wait sockets too; release with sk_release' },
  { id: 100, name: 'tcp_check_syncookie', gplOnly: true, doc: 'Whether a TCP ACK carries a valid SYN cookie for a listening socket' },
  { id: 101, name: 'sysctl_get_name', gplOnly: false, doc: 'Copy the name of the sysctl being accessed (full path or last part)' },
  { id: 102, name: 'sysctl_get_current_value', gplOnly: false, doc: 'Copy the sysctl\'s current value, as text' },
  { id: 103, name: 'sysctl_get_new_value', gplOnly: false, doc: 'Copy the value being written to the sysctl, as text' },
  { id: 104, name: 'sysctl_set_new_value', gplOnly: false, doc: 'Replace the value being written to the sysctl' },
  { id: 105, name: 'strtol', gplOnly: false, doc: 'Parse a signed integer from text in a buffer',
    proto: { ret: 'integer', args: [PTR_TO_MEM_RDONLY, 'const_size', 'anything', PTR_TO_LONG] }, impl: strtol },
  { id: 106, name: 'strtoul', gplOnly: false, doc: 'Parse an unsigned integer from text in a buffer',
    proto: { ret: 'integer', args: [PTR_TO_MEM_RDONLY, 'const_size', 'anything', PTR_TO_LONG] }, impl: strtoul },
  { id: 107, name: 'sk_storage_get', gplOnly: false, doc: 'The value a sk_storage map keeps for a socket, created on request' },
  { id: 108, name: 'sk_storage_delete', gplOnly: false, doc: 'Delete the value a sk_storage map keeps for a socket' },
  { id: 109, name: 'send_signal', gplOnly: false, doc: 'Send a signal to the process of the current task' },
  { id: 110, name: 'tcp_gen_syncookie', gplOnly: true, doc: 'Make a SYN cookie for a TCP SYN; returns the cookie and the MSS' },
  { id: 111, name: 'skb_output', gplOnly: true, doc: 'Send a record with packet bytes to user space through a perf_event_array map (tracing programs)' },
  { id: 112, name: 'probe_read_user', gplOnly: true, doc: 'Copy user memory from an unchecked address into a buffer',
    proto: { ret: 'integer', args: [PTR_TO_UNINIT_MEM, 'const_size_or_zero', 'anything'] }, impl: probeReadUser },
  { id: 113, name: 'probe_read_kernel', gplOnly: true, doc: 'Copy kernel memory from an unchecked address into a buffer',
    proto: { ret: 'integer', args: [PTR_TO_UNINIT_MEM, 'const_size_or_zero', 'anything'] }, impl: probeReadKernel },
  { id: 114, name: 'probe_read_user_str', gplOnly: true, doc: 'Copy a NUL-terminated string from user memory into a buffer',
    proto: { ret: 'integer', args: [PTR_TO_UNINIT_MEM, 'const_size_or_zero', 'anything'] }, impl: probeReadUserStr },
  { id: 115, name: 'probe_read_kernel_str', gplOnly: true, doc: 'Copy a NUL-terminated string from kernel memory into a buffer',
    proto: { ret: 'integer', args: [PTR_TO_UNINIT_MEM, 'const_size_or_zero', 'anything'] }, impl: probeReadKernelStr },
  { id: 116, name: 'tcp_send_ack', gplOnly: false, doc: 'Send a TCP ACK now (TCP congestion control written as struct_ops)' },
  { id: 117, name: 'send_signal_thread', gplOnly: false, doc: 'Send a signal to the current thread only' },
  { id: 118, name: 'jiffies64', gplOnly: false, doc: 'The kernel\'s 64-bit jiffies counter',
    proto: { ret: 'integer', args: [] }, impl: jiffies64 },
  { id: 119, name: 'read_branch_records', gplOnly: true, doc: 'Copy the branch records (LBR) of the perf event that fired the program' },
  { id: 120, name: 'get_ns_current_pid_tgid', gplOnly: false, doc: 'The current pid and tgid as a given PID namespace sees them' },
  { id: 121, name: 'xdp_output', gplOnly: true, doc: 'Send a record with XDP packet bytes to user space through a perf_event_array map (tracing programs)' },
  { id: 122, name: 'get_netns_cookie', gplOnly: false, doc: 'A cookie that identifies the network namespace of the context' },
  { id: 123, name: 'get_current_ancestor_cgroup_id', gplOnly: false, doc: 'The id of the ancestor cgroup, at a given level, of the current task' },
  { id: 124, name: 'sk_assign', gplOnly: false, doc: 'Deliver the packet to a chosen socket (tc ingress, sk_lookup)' },
  { id: 125, name: 'ktime_get_boot_ns', gplOnly: false, doc: 'Nanoseconds since boot, including time suspended (CLOCK_BOOTTIME)',
    proto: { ret: 'integer', args: [] }, impl: ktimeGetBootNs },
  { id: 126, name: 'seq_printf', gplOnly: true, doc: 'Print formatted text to the output of a BPF iterator' },
  { id: 127, name: 'seq_write', gplOnly: true, doc: 'Write bytes to the output of a BPF iterator' },
  { id: 128, name: 'sk_cgroup_id', gplOnly: false, doc: 'The cgroup v2 id of a socket' },
  { id: 129, name: 'sk_ancestor_cgroup_id', gplOnly: false, doc: 'The id of the ancestor cgroup, at a given level, of a socket' },
  { id: 130, name: 'ringbuf_output', gplOnly: false, doc: 'Copy a record into a ringbuf map',
    proto: { ret: 'integer', args: ['const_map_ptr', PTR_TO_MEM_RDONLY, 'const_size_or_zero', 'anything'] }, impl: ringbufOutput },
  { id: 131, name: 'ringbuf_reserve', gplOnly: false, doc: 'Reserve room for a record in a ringbuf map (pointer or NULL); it must be submitted or discarded',
    proto: { ret: 'ringbuf_mem_or_null', args: ['const_map_ptr', 'const_alloc_size_or_zero', 'anything'] }, impl: ringbufReserve },
  { id: 132, name: 'ringbuf_submit', gplOnly: false, doc: 'Publish a record reserved with ringbuf_reserve',
    proto: { ret: 'void', args: [RINGBUF_MEM_RELEASE, 'anything'] }, impl: ringbufSubmit },
  { id: 133, name: 'ringbuf_discard', gplOnly: false, doc: 'Throw away a record reserved with ringbuf_reserve',
    proto: { ret: 'void', args: [RINGBUF_MEM_RELEASE, 'anything'] }, impl: ringbufDiscard },
  { id: 134, name: 'ringbuf_query', gplOnly: false, doc: 'Ask a ringbuf map for its unread bytes, size, or consumer or producer position',
    proto: { ret: 'integer', args: ['const_map_ptr', 'anything'] }, impl: ringbufQuery },
  { id: 135, name: 'csum_level', gplOnly: false, doc: 'Read or change how many checksums of the packet are known good (CHECKSUM_UNNECESSARY level)' },
  { id: 136, name: 'skc_to_tcp6_sock', gplOnly: false, doc: 'View a socket pointer as a tcp6_sock, or NULL when it is not one' },
  { id: 137, name: 'skc_to_tcp_sock', gplOnly: false, doc: 'View a socket pointer as a tcp_sock, or NULL when it is not one' },
  { id: 138, name: 'skc_to_tcp_timewait_sock', gplOnly: false, doc: 'View a socket pointer as a tcp_timewait_sock, or NULL when it is not one' },
  { id: 139, name: 'skc_to_tcp_request_sock', gplOnly: false, doc: 'View a socket pointer as a tcp_request_sock, or NULL when it is not one' },
  { id: 140, name: 'skc_to_udp6_sock', gplOnly: false, doc: 'View a socket pointer as a udp6_sock, or NULL when it is not one' },
  { id: 141, name: 'get_task_stack', gplOnly: false, doc: 'Copy the kernel stack of a given task into a buffer' },
  { id: 142, name: 'load_hdr_opt', gplOnly: false, doc: 'Find a TCP header option of the packet and copy it (sock_ops)' },
  { id: 143, name: 'store_hdr_opt', gplOnly: false, doc: 'Write a TCP header option into the outgoing packet, in room reserved before (sock_ops)' },
  { id: 144, name: 'reserve_hdr_opt', gplOnly: false, doc: 'Reserve room for TCP header options in the outgoing packet (sock_ops)' },
  { id: 145, name: 'inode_storage_get', gplOnly: false, doc: 'The value an inode_storage map keeps for an inode, created on request' },
  { id: 146, name: 'inode_storage_delete', gplOnly: false, doc: 'Delete the value an inode_storage map keeps for an inode' },
  { id: 147, name: 'd_path', gplOnly: false, doc: 'Write the full path name of a struct path into a buffer' },
  { id: 148, name: 'copy_from_user', gplOnly: false, doc: 'Copy user memory into a buffer, waiting for page faults (sleepable programs)',
    proto: { ret: 'integer', args: [PTR_TO_UNINIT_MEM, 'const_size_or_zero', 'anything'], mightSleep: true }, impl: copyFromUser },
  { id: 149, name: 'snprintf_btf', gplOnly: false, doc: 'Print a kernel object as text, laid out from its BTF type, into a buffer' },
  { id: 150, name: 'seq_printf_btf', gplOnly: true, doc: 'Print a kernel object as text, laid out from its BTF type, to the output of a BPF iterator' },
  { id: 151, name: 'skb_cgroup_classid', gplOnly: false, doc: 'The net_cls (cgroup v1) class id of the packet\'s socket' },
  { id: 152, name: 'redirect_neigh', gplOnly: false, doc: 'Send the packet out of another interface, filling the L2 header from the neighbour table' },
  { id: 153, name: 'per_cpu_ptr', gplOnly: false, doc: 'A pointer to a given CPU\'s copy of a per-CPU kernel variable, or NULL' },
  { id: 154, name: 'this_cpu_ptr', gplOnly: false, doc: 'A pointer to this CPU\'s copy of a per-CPU kernel variable' },
  { id: 155, name: 'redirect_peer', gplOnly: false, doc: 'Send the packet to the peer of a veth or netkit device, into the other network namespace' },
  { id: 156, name: 'task_storage_get', gplOnly: false, doc: 'The value a task_storage map keeps for a task, created on request' },
  { id: 157, name: 'task_storage_delete', gplOnly: false, doc: 'Delete the value a task_storage map keeps for a task' },
  { id: 158, name: 'get_current_task_btf', gplOnly: true, doc: 'A typed (BTF) pointer to the current task_struct' },
  { id: 159, name: 'bprm_opts_set', gplOnly: false, doc: 'Set options (such as secure-exec) of the program being executed, from an LSM hook' },
  { id: 160, name: 'ktime_get_coarse_ns', gplOnly: false, doc: 'Cheaper, less precise monotonic nanoseconds (CLOCK_MONOTONIC_COARSE)',
    proto: { ret: 'integer', args: [] }, impl: ktimeGetCoarseNs },
  { id: 161, name: 'ima_inode_hash', gplOnly: false, doc: 'Copy the IMA hash of an inode, when IMA has measured it' },
  { id: 162, name: 'sock_from_file', gplOnly: false, doc: 'The socket behind a struct file, or NULL when the file is not a socket' },
  { id: 163, name: 'check_mtu', gplOnly: true, doc: 'Whether the packet, grown by a delta, fits the MTU of an interface; also reports the MTU' },
  { id: 164, name: 'for_each_map_elem', gplOnly: false, doc: 'Call a callback on each element of a map',
    proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_func', PTR_TO_STACK_OR_NULL, 'anything'] }, impl: forEachMapElem },
  { id: 165, name: 'snprintf', gplOnly: true, doc: 'Format text into a buffer, as snprintf does, with the arguments in an array',
    proto: { ret: 'integer', args: [PTR_TO_MEM_OR_NULL_WRITE, 'const_size_or_zero', 'ptr_to_const_str', PTR_TO_MEM_OR_NULL_RDONLY, 'const_size_or_zero'] }, impl: snprintf },
  { id: 166, name: 'sys_bpf', gplOnly: false, doc: 'Run a bpf(2) command from a syscall program' },
  { id: 167, name: 'btf_find_by_name_kind', gplOnly: false, doc: 'Find the id of a kernel BTF type by name and kind' },
  { id: 168, name: 'sys_close', gplOnly: false, doc: 'Close a file descriptor from a syscall program' },
  { id: 169, name: 'timer_init', gplOnly: true, doc: 'Set up a bpf_timer held in a map value' },
  { id: 170, name: 'timer_set_callback', gplOnly: true, doc: 'Choose the function a bpf_timer calls when it expires' },
  { id: 171, name: 'timer_start', gplOnly: true, doc: 'Arm a bpf_timer to expire after a number of nanoseconds' },
  { id: 172, name: 'timer_cancel', gplOnly: true, doc: 'Disarm a bpf_timer, waiting for a running callback to finish' },
  { id: 173, name: 'get_func_ip', gplOnly: true, doc: 'The address of the traced function (kprobe, fentry, fexit...)',
    proto: { ret: 'integer', args: ['ptr_to_ctx'] }, impl: getFuncIp },
  { id: 174, name: 'get_attach_cookie', gplOnly: false, doc: 'The 64-bit cookie given when the program was attached',
    proto: { ret: 'integer', args: ['ptr_to_ctx'] }, impl: getAttachCookie },
  { id: 175, name: 'task_pt_regs', gplOnly: true, doc: 'The saved user-space registers (pt_regs) of a task' },
  { id: 176, name: 'get_branch_snapshot', gplOnly: true, doc: 'Snapshot this CPU\'s last branch records (LBR) into a buffer' },
  { id: 177, name: 'trace_vprintk', gplOnly: true, doc: 'Print a formatted debug message to the kernel trace pipe, with any number of arguments in an array',
    proto: { ret: 'integer', args: [PTR_TO_MEM_RDONLY, 'const_size', PTR_TO_MEM_OR_NULL_RDONLY, 'const_size_or_zero'] }, impl: traceVprintk },
  { id: 178, name: 'skc_to_unix_sock', gplOnly: false, doc: 'View a socket pointer as a unix_sock, or NULL when it is not one' },
  { id: 179, name: 'kallsyms_lookup_name', gplOnly: false, doc: 'The address of a kernel symbol, by name (syscall programs)' },
  { id: 180, name: 'find_vma', gplOnly: false, doc: 'Find the memory mapping of a task that holds an address, and call a callback on it' },
  { id: 181, name: 'loop', gplOnly: false, doc: 'Call a callback up to N times, stopping early when it returns 1',
    proto: { ret: 'integer', args: ['anything', 'ptr_to_func', PTR_TO_STACK_OR_NULL, 'anything'] }, impl: loop },
  { id: 182, name: 'strncmp', gplOnly: false, doc: 'Compare a string, up to a length, with a constant string',
    proto: { ret: 'integer', args: [PTR_TO_MEM_RDONLY, 'const_size', 'ptr_to_const_str'] }, impl: strncmp },
  { id: 183, name: 'get_func_arg', gplOnly: false, doc: 'Read an argument of the traced function by its index (fentry, fexit, fmod_ret)' },
  { id: 184, name: 'get_func_ret', gplOnly: false, doc: 'Read the return value of the traced function (fexit, fmod_ret)' },
  { id: 185, name: 'get_func_arg_cnt', gplOnly: false, doc: 'How many arguments the traced function has' },
  { id: 186, name: 'get_retval', gplOnly: false, doc: 'The return value the cgroup hook will hand back to the system call so far' },
  { id: 187, name: 'set_retval', gplOnly: false, doc: 'Set the return value (an error) the cgroup hook hands back to the system call' },
  { id: 188, name: 'xdp_get_buff_len', gplOnly: false, doc: 'The whole length of the XDP packet, fragments included',
    proto: { ret: 'integer', args: ['ptr_to_ctx'] }, impl: xdpGetBuffLen },
  { id: 189, name: 'xdp_load_bytes', gplOnly: false, doc: 'Copy bytes of the XDP packet, across fragments, into a buffer',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', PTR_TO_UNINIT_MEM, 'const_size'] }, impl: xdpLoadBytes },
  { id: 190, name: 'xdp_store_bytes', gplOnly: false, doc: 'Copy bytes from a buffer into the XDP packet, across fragments',
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', PTR_TO_MEM_RDONLY, 'const_size'] }, impl: xdpStoreBytes },
  { id: 191, name: 'copy_from_user_task', gplOnly: true, doc: 'Copy another task\'s user memory into a buffer (sleepable programs)' },
  { id: 192, name: 'skb_set_tstamp', gplOnly: false, doc: 'Set the packet\'s delivery time and the clock it refers to' },
  { id: 193, name: 'ima_file_hash', gplOnly: false, doc: 'Copy the IMA hash of a file, measuring it first if needed' },
  { id: 194, name: 'kptr_xchg', gplOnly: false, doc: 'Swap a referenced kernel pointer stored in a map value; returns the previous one' },
  { id: 195, name: 'map_lookup_percpu_elem', gplOnly: false, doc: 'Look up a key of a per-CPU map, taking the value of a given CPU',
    proto: { ret: 'map_value_or_null', args: ['const_map_ptr', 'map_key', 'anything'], pktAccess: true }, impl: mapLookupPercpuElem },
  { id: 196, name: 'skc_to_mptcp_sock', gplOnly: false, doc: 'The MPTCP socket a subflow socket belongs to, or NULL' },
  { id: 197, name: 'dynptr_from_mem', gplOnly: false, doc: 'Make a dynptr that covers a memory area such as a map value' },
  { id: 198, name: 'ringbuf_reserve_dynptr', gplOnly: false, doc: 'Reserve a record of a size known only at run time in a ringbuf map, as a dynptr' },
  { id: 199, name: 'ringbuf_submit_dynptr', gplOnly: false, doc: 'Publish a ringbuf record reserved as a dynptr' },
  { id: 200, name: 'ringbuf_discard_dynptr', gplOnly: false, doc: 'Throw away a ringbuf record reserved as a dynptr' },
  { id: 201, name: 'dynptr_read', gplOnly: false, doc: 'Copy bytes out of a dynptr, from an offset' },
  { id: 202, name: 'dynptr_write', gplOnly: false, doc: 'Copy bytes into a dynptr, at an offset' },
  { id: 203, name: 'dynptr_data', gplOnly: false, doc: 'A direct pointer to a range of a dynptr\'s bytes, or NULL' },
  { id: 204, name: 'tcp_raw_gen_syncookie_ipv4', gplOnly: true, doc: 'Make a SYN cookie from raw IPv4 and TCP headers, without a socket' },
  { id: 205, name: 'tcp_raw_gen_syncookie_ipv6', gplOnly: true, doc: 'Make a SYN cookie from raw IPv6 and TCP headers, without a socket' },
  { id: 206, name: 'tcp_raw_check_syncookie_ipv4', gplOnly: true, doc: 'Check the SYN cookie of an ACK from raw IPv4 and TCP headers' },
  { id: 207, name: 'tcp_raw_check_syncookie_ipv6', gplOnly: true, doc: 'Check the SYN cookie of an ACK from raw IPv6 and TCP headers' },
  { id: 208, name: 'ktime_get_tai_ns', gplOnly: false, doc: 'Nanoseconds of the TAI clock (CLOCK_TAI)',
    proto: { ret: 'integer', args: [] }, impl: ktimeGetTaiNs },
  { id: 209, name: 'user_ringbuf_drain', gplOnly: false, doc: 'Call a callback on each record that user space wrote into a user_ringbuf map' },
  { id: 210, name: 'cgrp_storage_get', gplOnly: false, doc: 'The value a cgrp_storage map keeps for a cgroup, created on request' },
  { id: 211, name: 'cgrp_storage_delete', gplOnly: false, doc: 'Delete the value a cgrp_storage map keeps for a cgroup' },
] as const satisfies readonly HelperSpec[];

/** A helper name as the kernel spells it in FN(), without `bpf_`. */
export type HelperName = (typeof HELPERS)[number]['name'];

// Lookups, built once.
const byId = new Map<number, HelperSpec>(HELPERS.map((h) => [h.id, h]));
const byName = new Map<string, HelperSpec>(HELPERS.map((h) => [h.name, h]));

/** The helper with this id (`call N`), or undefined (0 and unknown ids have no row). */
export function helperById(id: number): HelperSpec | undefined {
  return byId.get(id);
}

/**
 * The helper with this name, written as FN() has it (`map_lookup_elem`) or as C code
 * calls it (`bpf_map_lookup_elem`). Case-sensitive, as the kernel's names are.
 */
export function helperByName(name: string): HelperSpec | undefined {
  return byName.get(name) ?? (name.startsWith('bpf_') ? byName.get(name.slice(4)) : undefined);
}
