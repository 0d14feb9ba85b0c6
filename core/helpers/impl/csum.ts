/**
 * Checksum helpers: l3_csum_replace, l4_csum_replace, csum_diff and csum_update
 * (net/core/filter.c), with the one's-complement arithmetic of include/net/checksum.h and
 * x86-64's csum_partial().
 *
 * Values are taken as the kernel takes them: the 16-bit checksum field is read and
 * written in memory order (a little-endian u16 load of big-endian bytes), and `from`/`to`
 * are the register values a program loaded the same way, so the arithmetic needs no byte
 * swapping, as in the kernel.
 *
 * The skb of BPF_PROG_TEST_RUN has ip_summed = CHECKSUM_NONE: the helpers patch the field
 * in the packet and there is no skb->csum to keep up to date. So BPF_F_PSEUDO_HDR and
 * BPF_F_IPV6 change nothing in the packet (they matter for CHECKSUM_PARTIAL/COMPLETE skbs),
 * and csum_update answers -ENOTSUPP as it does for any skb that is not CHECKSUM_COMPLETE.
 *
 * csum_diff returns csum_from32to16() of the 32-bit sum, as the kernel has since 6.13
 * ("bpf_csum_diff: optimize and homogenize for all archs"); sizes need not be multiples
 * of 4 any more.
 */

import type { HelperImpl, Machine } from '../../vm/machine';
import type { PacketState } from '../../vm/host';
import { argBytes, argU32, EFAULT, EINVAL, ENOTSUPP, errno, fault, hostOf, isFault, packetOf } from './common';

const BPF_F_HDR_FIELD_MASK = 0xfn;
const BPF_F_PSEUDO_HDR = 1n << 4n;
const BPF_F_MARK_MANGLED_0 = 1n << 5n;
const BPF_F_MARK_ENFORCE = 1n << 6n;
const BPF_F_IPV6 = 1n << 7n;
/** CSUM_MANGLED_0: a UDP checksum that came out 0 is sent as 0xffff (0 means "none"). */
const CSUM_MANGLED_0 = 0xffff;

/** bpf_l3_csum_replace(skb, offset, from, to, flags): patch the IP header checksum at offset. */
export const l3CsumReplace: HelperImpl = (vm) => {
  const flags = vm.arg(5);
  const field = csumField(vm, 'l3_csum_replace', (flags & ~BPF_F_HDR_FIELD_MASK) === 0n);
  if (isFault(field) || typeof field === 'bigint') return field;
  const err = replace(field, flags & BPF_F_HDR_FIELD_MASK, vm.arg(3), vm.arg(4));
  return errno(err);
};

/**
 * bpf_l4_csum_replace(skb, offset, from, to, flags): patch a TCP/UDP checksum. With
 * BPF_F_MARK_MANGLED_0, a field that holds 0 (UDP without a checksum) is left alone unless
 * BPF_F_MARK_ENFORCE, and a result of 0 is written as CSUM_MANGLED_0.
 */
export const l4CsumReplace: HelperImpl = (vm) => {
  const flags = vm.arg(5);
  const allowed = BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6;
  const field = csumField(vm, 'l4_csum_replace', (flags & ~allowed) === 0n);
  if (isFault(field) || typeof field === 'bigint') return field;
  const mangled0 = (flags & BPF_F_MARK_MANGLED_0) !== 0n;
  if (mangled0 && !(flags & BPF_F_MARK_ENFORCE) && field.get() === 0) return 0n;
  const err = replace(field, flags & BPF_F_HDR_FIELD_MASK, vm.arg(3), vm.arg(4));
  if (err) return errno(err);
  if (mangled0 && field.get() === 0) field.set(CSUM_MANGLED_0);
  return 0n;
};

/**
 * bpf_csum_diff(from, from_size, to, to_size, seed): the checksum of `to` minus that of
 * `from`, added to seed, folded to 16 bits (not inverted).
 */
export const csumDiff: HelperImpl = (vm) => {
  const fromSize = argU32(vm, 2), toSize = argU32(vm, 4);
  const from = argBytes(vm, 'csum_diff', 1, fromSize, false);
  if (isFault(from)) return from;
  const to = argBytes(vm, 'csum_diff', 3, toSize, false);
  if (isFault(to)) return to;
  let ret = argU32(vm, 5);
  if (fromSize && toSize) ret = csumSub(csumPartial(to, ret), csumPartial(from, 0));
  else if (toSize) ret = csumPartial(to, ret);
  else if (fromSize) ret = ~csumPartial(from, ~ret >>> 0) >>> 0;
  return BigInt(csumFrom32to16(ret));
};

/** bpf_csum_update(skb, csum): only for CHECKSUM_COMPLETE skbs, which a test run never has. */
export const csumUpdate: HelperImpl = (vm) => {
  const host = hostOf(vm, 'csum_update');
  if (isFault(host)) return host;
  void vm.lo[2];
  return errno(ENOTSUPP);
};

// --- one's-complement arithmetic (include/net/checksum.h) ------------------------------------

/** csum_add(): 32-bit add with the carry folded back in. */
export function csumAdd(a: number, b: number): number {
  const res = (a + b) >>> 0;
  return (res + (res < b >>> 0 ? 1 : 0)) >>> 0;
}

export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** csum_fold(): 32 to 16 bits, inverted. */
export function csumFold(csum: number): number {
  let sum = (csum & 0xffff) + (csum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** csum_from32to16() (from32to16()): 32 to 16 bits, not inverted. */
export function csumFrom32to16(x: number): number {
  x = (x & 0xffff) + (x >>> 16);
  x = (x & 0xffff) + (x >>> 16);
  return x;
}

/**
 * csum_partial() as x86-64 computes it: the one's-complement sum of the bytes as
 * little-endian words (a last odd byte is a word's low byte), added to `seed`, in 32 bits.
 * The x86 code sums 64-bit words and folds; the result is the same modulo 0xffffffff.
 */
export function csumPartial(buf: Uint8Array, seed: number): number {
  let sum = seed >>> 0;
  let k = 0;
  for (; k + 4 <= buf.length; k += 4) sum = csumAdd(sum, (buf[k] | (buf[k + 1] << 8) | (buf[k + 2] << 16) | (buf[k + 3] << 24)) >>> 0);
  if (k === buf.length) return sum;
  let tail = 0;
  for (let s = 0; k < buf.length; k++, s += 8) tail |= buf[k] << s;
  return csumAdd(sum, tail >>> 0);
}

function csum16Add(csum: number, addend: number): number {
  let res = (csum + addend) & 0xffff;
  res = (res + (res < addend ? 1 : 0)) & 0xffff;
  return res;
}

/** csum_replace2(): a 16-bit field changed from `from` to `to`. */
function csumReplace2(sum: number, from: number, to: number): number {
  return ~csum16Add(csum16Add(~sum & 0xffff, ~from & 0xffff), to) & 0xffff;
}

/** csum_replace4(): a 32-bit field changed. */
function csumReplace4(sum: number, from: number, to: number): number {
  const tmp = csumSub(~sum >>> 0, from);
  return csumFold(csumAdd(tmp, to));
}

/** csum_replace_by_diff(): apply a checksum difference (from csum_diff). */
function csumReplaceByDiff(sum: number, diff: number): number {
  return csumFold(csumAdd(diff, ~sum >>> 0));
}

// --- the field in the packet -------------------------------------------------------------------

interface CsumField {
  get(): number;
  set(v: number): void;
}

/**
 * The __sum16 at skb->data + offset, after the kernel's checks in its order: flags not
 * allowed -EINVAL, then -EFAULT for an offset past 0xffff, odd, or whose two bytes are not
 * in the packet (bpf_try_make_writable() fails).
 */
function csumField(vm: Machine, helper: string, flagsOk: boolean): CsumField | bigint | { fault: string } {
  const host = hostOf(vm, helper);
  if (isFault(host)) return host;
  const pkt = packetOf(host, helper);
  if (isFault(pkt)) return pkt;
  if (host.progType === 'xdp') return fault(helper, 'is an skb helper; xdp programs cannot call it');
  if (!flagsOk) return errno(EINVAL);
  const offset = argU32(vm, 2);
  if (offset > 0xffff || offset & 1) return errno(EFAULT);
  if (offset + 2 > pkt.end - pkt.data) return errno(EFAULT);
  return fieldAt(pkt, pkt.data + offset);
}

function fieldAt(pkt: PacketState, at: number): CsumField {
  const view = pkt.region.view;
  return { get: () => view.getUint16(at, true), set: (v) => view.setUint16(at, v & 0xffff, true) };
}

/** The switch on BPF_F_HDR_FIELD_MASK: 0 a diff in `to` (then `from` must be 0), 2 or 4 a field's size. */
function replace(field: CsumField, size: bigint, from: bigint, to: bigint): number {
  const sum = field.get();
  switch (size) {
    case 0n:
      if (from !== 0n) return EINVAL;
      field.set(csumReplaceByDiff(sum, Number(to & 0xffffffffn)));
      return 0;
    case 2n:
      field.set(csumReplace2(sum, Number(from & 0xffffn), Number(to & 0xffffn)));
      return 0;
    case 4n:
      field.set(csumReplace4(sum, Number(from & 0xffffffffn), Number(to & 0xffffffffn)));
      return 0;
    default:
      return EINVAL;
  }
}
