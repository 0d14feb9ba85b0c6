/**
 * Sending records to user space: ringbuf_output, ringbuf_reserve, ringbuf_submit,
 * ringbuf_discard, ringbuf_query (kernel/bpf/ringbuf.c) and perf_event_output
 * (kernel/trace/bpf_trace.c, and bpf_skb_event_output() / bpf_xdp_event_output() in
 * net/core/filter.c for packet programs).
 *
 * The ring's accounting and ordering are the map's (core/maps/ringbuf.ts): a record takes
 * round_up(size + 8, 8) bytes, reservations fail when the ring is full, and records reach
 * user space in ring order once no earlier record is still being written. The maps report
 * records through their event sink (MapInit.onEvent), which the run turns into
 * Host.output.events; these helpers never add events themselves, so a record is reported
 * once, in the order a reader would see it.
 *
 * A reserved record is program memory: ringbuf_reserve gives its address (Host.addressOf,
 * region kind 'ringbuf'), and submit or discard take that address back, find the record's
 * map, commit it and forget the region. The verifier allows only the unmodified pointer to
 * be given back; anything else is a fault here.
 */

import type { HelperImpl, Machine } from '../../vm/machine';
import type { Host } from '../../vm/host';
import type { BpfMap } from '../../maps/base';
import { BPF_F_CTXLEN_MASK, BPF_F_INDEX_MASK, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, RINGBUF_MAX_RECORD_SZ } from '../../maps/uapi';
import { addrOf, argBytes, argMap, EAGAIN, EFAULT, EINVAL, errno, fault, hostOf, isFault } from './common';

/** bpf_ringbuf_output(map, data, size, flags): reserve, copy and submit in one; -EAGAIN when full. */
export const ringbufOutput: HelperImpl = (vm) => {
  const c = ringbufMap(vm, 'ringbuf_output');
  if (isFault(c)) return c;
  const size = vm.arg(3);
  if (size > BigInt(RINGBUF_MAX_RECORD_SZ)) {
    // Too big for any ring: the flag check comes first, then __bpf_ringbuf_reserve() fails.
    return errno(vm.arg(4) & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP) ? EINVAL : EAGAIN);
  }
  const data = argBytes(vm, 'ringbuf_output', 2, Number(size), false);
  if (isFault(data)) return data;
  return errno(c.map.output(data.slice(), vm.arg(4), c.host.env.cpu));
};

/** bpf_ringbuf_reserve(map, size, flags): the address of a new record, or NULL (flags other than 0, too big, full). */
export const ringbufReserve: HelperImpl = (vm) => {
  const c = ringbufMap(vm, 'ringbuf_reserve');
  if (isFault(c)) return c;
  const size = vm.arg(2);
  const flags = vm.arg(3);
  if (flags !== 0n || size > BigInt(RINGBUF_MAX_RECORD_SZ)) return 0n;
  const rec = c.map.reserve(Number(size), flags);
  if (!rec) return 0n;
  return addrOf(c.host.addressOf(rec, `ringbuf record (${c.map.name})`, 'ringbuf', true));
};

/** bpf_ringbuf_submit(sample, flags): commits the record (RET_VOID). */
export const ringbufSubmit: HelperImpl = (vm) => commit(vm, 'ringbuf_submit', false);

/** bpf_ringbuf_discard(sample, flags): drops the record; its space is freed when a reader passes it. */
export const ringbufDiscard: HelperImpl = (vm) => commit(vm, 'ringbuf_discard', true);

/** bpf_ringbuf_query(map, flags): available data, ring size, consumer or producer position; 0 otherwise. */
export const ringbufQuery: HelperImpl = (vm) => {
  const c = ringbufMap(vm, 'ringbuf_query');
  if (isFault(c)) return c;
  return c.map.query(vm.arg(2));
};

/**
 * bpf_perf_event_output(ctx, map, flags, data, size): a record on the perf buffer of the
 * CPU in the low 32 bits of flags (BPF_F_CURRENT_CPU: this one). Tracing programs may set
 * nothing else (-EINVAL); packet programs may also ask, in bits 32-51, for that many bytes
 * of the packet after the data (-EFAULT when the packet is shorter). Slot past the end
 * -E2BIG, empty slot -ENOENT, another CPU's event -EOPNOTSUPP (the map's checks).
 */
export const perfEventOutput: HelperImpl = (vm) => {
  const host = hostOf(vm, 'perf_event_output');
  if (isFault(host)) return host;
  const map = argMap(vm, host, 'perf_event_output', 2);
  if (isFault(map)) return map;
  if (map.spec.name !== 'perf_event_array') return fault('perf_event_output', `map ${map.name} is a ${map.spec.name}, not a perf_event_array`);
  const flags = vm.arg(3);
  const data = argBytes(vm, 'perf_event_output', 4, Number(vm.arg(5) & 0xffffffffn), false);
  if (isFault(data)) return data;
  let record = data.slice();
  const pkt = host.packet;
  if (!pkt) {
    if (flags & ~BPF_F_INDEX_MASK) return errno(EINVAL);
  } else {
    if (flags & ~(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK)) return errno(EINVAL);
    const ctxLen = Number((flags & BPF_F_CTXLEN_MASK) >> 32n);
    if (ctxLen > pkt.end - pkt.data) return errno(EFAULT);
    if (ctxLen > 0) {
      const joined = new Uint8Array(record.length + ctxLen);
      joined.set(record);
      joined.set(pkt.region.bytes.subarray(pkt.data, pkt.data + ctxLen), record.length);
      record = joined;
    }
  }
  return errno(map.output(record, flags, host.env.cpu));
};

function ringbufMap(vm: Machine, helper: string): { host: Host; map: BpfMap } | { fault: string } {
  const host = hostOf(vm, helper);
  if (isFault(host)) return host;
  const map = argMap(vm, host, helper, 1);
  if (isFault(map)) return map;
  if (map.spec.name !== 'ringbuf') return fault(helper, `map ${map.name} is a ${map.spec.name}, not a ringbuf`);
  return { host, map };
}

/** bpf_ringbuf_commit(): find the record the address is the start of, commit or discard it, forget its region. */
function commit(vm: Machine, helper: string, discard: boolean): bigint | { fault: string } {
  const host = hostOf(vm, helper);
  if (isFault(host)) return host;
  const at = vm.resolve(vm.lo[1], vm.hi[1], 0, false);
  if ('message' in at || at.region.kind !== 'ringbuf' || at.off !== 0) {
    return fault(helper, 'R1 is not a record from ringbuf_reserve (ARG_PTR_TO_RINGBUF_MEM must be the unmodified pointer)');
  }
  const rec = at.region.bytes;
  const flags = vm.arg(2);
  for (const map of host.maps.values()) {
    if (map.spec.name !== 'ringbuf') continue;
    const err = discard ? map.discard(rec, flags) : map.submit(rec, flags);
    if (err === 0) {
      host.release(rec);
      return 0n; // the kernel function returns 0; the verifier (RET_VOID) lets nobody read it
    }
  }
  return fault(helper, 'R1 is a ringbuf record that was already submitted or discarded');
}
