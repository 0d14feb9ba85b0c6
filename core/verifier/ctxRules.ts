/**
 * Which context accesses each program type allows: the kernel's per-type is_valid_access()
 * callbacks (xdp_is_valid_access, sk_filter_is_valid_access, tc_cls_act_is_valid_access,
 * kprobe_prog_is_valid_access, tp_prog_is_valid_access, raw_tp_prog_is_valid_access,
 * pe_prog_is_valid_access, cg_skb_is_valid_access), over the layouts in
 * core/progtypes/contexts.ts. A load of a pointer field yields the packet pointer kind.
 */

import { ctxFieldAt, ctxStruct, CtxStruct } from '../progtypes/contexts';
import { RegKind } from './state';

export interface CtxAccess {
  ok: boolean;
  pointer?: RegKind;
}

const PTR_KIND = { data: 'pkt', data_end: 'pkt_end', data_meta: 'pkt_meta' } as const;
const SKB_TYPES = new Set(['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local', 'sk_skb']);
/** Types whose programs may read packet data directly (may_access_direct_pkt_data()). */
const DIRECT_PKT = new Set(['xdp', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local', 'sk_skb', 'sk_msg']);
const PKT_WRITE = new Set(['xdp', 'sched_cls', 'sched_act', 'lwt_xmit', 'lwt_seg6local', 'sk_skb', 'sk_msg']);
/** __sk_buff fields a tc program may write (tc_cls_act_is_valid_access()). */
const TC_WRITABLE = new Set(['mark', 'tc_index', 'priority', 'cb', 'tc_classid', 'queue_mapping', 'tstamp']);

export function canWritePacket(progType: string): boolean {
  return PKT_WRITE.has(progType);
}

export function checkCtxAccess(progType: string, off: number, size: number, type: 'read' | 'write', attachType?: string): CtxAccess {
  const no: CtxAccess = { ok: false };
  if (off < 0 || size <= 0 || off % size !== 0) return no;
  switch (progType) {
    case 'xdp': {
      if (type === 'write') return no;
      const f = field('xdp_md', off, size);
      if (!f) return no;
      if (size !== 4) return no; // xdp_md has no narrow loads
      if (f.field.pointer) return off === f.field.off ? { ok: true, pointer: PTR_KIND[f.field.pointer] } : no;
      if (f.field.name === 'egress_ifindex' && attachType !== 'xdp_devmap') return no; // only programs run by a devmap
      return { ok: true };
    }
    case 'kprobe': {
      if (type === 'write' || off + size > 168) return no;
      return { ok: true };
    }
    case 'perf_event': {
      if (type === 'write' || off + size > 184) return no;
      if (off >= 168 && size !== 8) return no;
      return { ok: true };
    }
    case 'tracepoint': {
      // The first 8 bytes (the common trace fields' header) are not the program's.
      if (type === 'write' || off < 8 || off + size > 2048) return no;
      return { ok: true };
    }
    case 'cgroup_sock_addr': {
      const f = field('bpf_sock_addr', off, size);
      if (!f) return no;
      if (f.field.name === 'sk') return type === 'read' && size === 8 ? { ok: true, pointer: 'sock' } : no;
      // An IPv4 hook sees only the IPv4 address fields, an IPv6 hook only the IPv6 ones.
      const v4 = /(inet4|udp4)_/.test(attachType ?? ''), v6 = /(inet6|udp6)_/.test(attachType ?? '');
      if ((v4 && f.field.name.endsWith('ip6')) || (v6 && f.field.name.endsWith('ip4'))) return no;
      if (type === 'write' && !f.field.writable) return no;
      return { ok: true };
    }
    case 'raw_tracepoint': {
      if (type === 'write' || off + size > 96 || size !== 8) return no;
      return { ok: true };
    }
    default:
      if (SKB_TYPES.has(progType)) return skbAccess(progType, off, size, type);
      return no;
  }
}

function field(struct: string, off: number, size: number) {
  const st = ctxStruct(struct) as CtxStruct;
  const at = ctxFieldAt(st, off);
  if (!at) return undefined;
  const f = at.field;
  const elemStart = f.off + (at.index ?? 0) * f.size;
  if (off + size > elemStart + f.size) return undefined; // straddles two fields
  return at;
}

function skbAccess(progType: string, off: number, size: number, type: 'read' | 'write'): CtxAccess {
  const no: CtxAccess = { ok: false };
  const at = field('__sk_buff', off, size);
  if (!at) return no;
  const f = at.field;
  if (f.size === 8 && size !== 8) return no;
  if (f.pointer) {
    if (!DIRECT_PKT.has(progType) || type === 'write' || size !== 4 || off !== f.off) return no;
    if (f.pointer === 'data_meta' && progType !== 'sched_cls' && progType !== 'sched_act') return no;
    return { ok: true, pointer: PTR_KIND[f.pointer] };
  }
  if (f.name === 'sk') return type === 'read' && size === 8 && progType !== 'socket_filter' ? { ok: true, pointer: 'sock' } : no;
  if (f.name === 'flow_keys') return no;
  if (type === 'write') {
    if (f.name === 'cb') return { ok: true };
    if ((progType === 'sched_cls' || progType === 'sched_act') && TC_WRITABLE.has(f.name)) return { ok: true };
    if (progType === 'cgroup_skb' && (f.name === 'mark' || f.name === 'priority')) return { ok: true };
    return no;
  }
  if (progType === 'socket_filter' && ['tc_classid', 'tstamp', 'wire_len', 'hwtstamp', 'tstamp_type', 'family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port'].includes(f.name)) return no;
  if (progType === 'cgroup_skb' && ['tc_classid', 'tc_index'].includes(f.name)) return no;
  // The socket fields of __sk_buff are for programs that run with a socket at hand.
  const SOCK_FIELDS = ['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port'];
  if (SOCK_FIELDS.includes(f.name) && progType !== 'cgroup_skb' && progType !== 'sk_skb') return no;
  return { ok: true };
}
