/**
 * String helpers: strncmp, strtol and strtoul (kernel/bpf/helpers.c, with lib/string.c's
 * strncmp() and lib/kstrtox.c's integer parsing).
 *
 * strncmp compares at most s1_sz bytes of s1 with the constant string s2 and returns -1, 0
 * or 1 (the kernel's generic strncmp(), which x86-64 uses), sign-extended to 64 bits.
 *
 * strtol / strtoul parse an integer from the start of buf (at most buf_len bytes): leading
 * white space, an optional '-', then digits in the base given by the low 5 bits of flags
 * (0: detect "0x" for 16 and a leading 0 for 8, else 10; or 8, 10, 16). They store the
 * value through res and return how many bytes were consumed. Errors, with *res = 0: a bad
 * base or other flag bits, nothing to parse -EINVAL; a value out of range -ERANGE; and for
 * strtoul a '-' -EINVAL. Only the first 63 characters after the sign are looked at.
 */

import type { HelperImpl, Machine } from '../../vm/machine';
import { EINVAL, ERANGE, argBytes, argU32, cString, fault, isFault, s64 } from './common';

const BPF_STRTOX_BASE_MASK = 0x1f;

/** bpf_strncmp(s1, s1_sz, s2). */
export const strncmp: HelperImpl = (vm) => {
  const s1 = argBytes(vm, 'strncmp', 1, argU32(vm, 2), false);
  if (isFault(s1)) return s1;
  const s2 = cString(vm, vm.lo[3], vm.hi[3], Infinity);
  if (!s2 || !s2.complete) return fault('strncmp', 'R3 is not a NUL-terminated string (ARG_PTR_TO_CONST_STR)');
  for (let k = 0; k < s1.length; k++) {
    const c1 = s1[k], c2 = k < s2.bytes.length ? s2.bytes[k] : 0;
    if (c1 !== c2) return s64(c1 < c2 ? -1 : 1);
    if (c1 === 0) break;
  }
  return 0n;
};

/** bpf_strtol(buf, buf_len, flags, res). */
export const strtol: HelperImpl = (vm) => strtox(vm, 'strtol', true);

/** bpf_strtoul(buf, buf_len, flags, res). */
export const strtoul: HelperImpl = (vm) => strtox(vm, 'strtoul', false);

function strtox(vm: Machine, helper: string, signed: boolean): bigint | { fault: string } {
  const buf = argBytes(vm, helper, 1, argU32(vm, 2), false);
  if (isFault(buf)) return buf;
  const res = argBytes(vm, helper, 4, 8, true);
  if (isFault(res)) return res;
  const out = new DataView(res.buffer, res.byteOffset, 8);
  out.setBigUint64(0, 0n, true);
  const r = parse(buf.slice(), vm.arg(3));
  if (typeof r === 'number') return s64(r);
  let value = r.value;
  if (signed) {
    if (r.negative) {
      if (BigInt.asIntN(64, -value) > 0n) return s64(ERANGE);
      value = BigInt.asUintN(64, -value);
    } else if (BigInt.asIntN(64, value) < 0n) return s64(ERANGE);
  } else if (r.negative) return s64(EINVAL);
  out.setBigUint64(0, value, true);
  return BigInt(r.consumed);
}

/** __bpf_strtoull(): the value, whether a '-' came first, and the bytes consumed; or a negative errno. */
function parse(buf: Uint8Array, flags: bigint): { value: bigint; negative: boolean; consumed: number } | number {
  let base = Number(flags & BigInt(BPF_STRTOX_BASE_MASK));
  if (buf.length === 0) return EINVAL;
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return EINVAL;
  if (flags & ~BigInt(BPF_STRTOX_BASE_MASK)) return EINVAL;
  let cur = 0;
  while (cur < buf.length && isSpace(buf[cur])) cur++;
  const negative = cur < buf.length && buf[cur] === 0x2d;
  if (negative) cur++;
  let consumed = cur;
  if (buf.length - cur === 0) return EINVAL;
  // The kernel copies at most 63 characters into a NUL-terminated buffer.
  const str = new Uint8Array(64);
  str.set(buf.subarray(cur, cur + Math.min(buf.length - cur, 63)));
  let s = 0;
  // _parse_integer_fixup_radix().
  const lower = (c: number) => c | 0x20;
  if (base === 0) base = str[0] === 0x30 ? (lower(str[1]) === 0x78 && isXdigit(str[2]) ? 16 : 8) : 10;
  if (base === 16 && str[0] === 0x30 && lower(str[1]) === 0x78) s += 2;
  // _parse_integer().
  let value = 0n;
  let digits = 0;
  let overflow = false;
  for (; ; s++) {
    const c = str[s], lc = lower(c);
    let digit: number;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (lc >= 0x61 && lc <= 0x66) digit = lc - 0x61 + 10;
    else break;
    if (digit >= base) break;
    // KSTRTOX_OVERFLOW: parsing goes on, the result is -ERANGE.
    if (value > (0xffffffffffffffffn - BigInt(digit)) / BigInt(base)) overflow = true;
    value = BigInt.asUintN(64, value * BigInt(base) + BigInt(digit));
    digits++;
  }
  if (overflow) return ERANGE;
  if (digits === 0) return EINVAL;
  consumed += s;
  return { value, negative, consumed };
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isXdigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}
