/**
 * ALU transfer functions on scalars, as the Linux 6.18 verifier computes them
 * (adjust_scalar_min_max_vals() and its scalar_min_max_* / scalar32_min_max_* helpers,
 * the BPF_MOV cases of check_alu_op(), coerce_reg_to_size() and the sign-extending casts).
 *
 * Invariants: every function is pure (Scalar in, Scalar out); each step mirrors the kernel
 * function named beside it, in the same order, so results print exactly as the kernel's log
 * prints them. Where the kernel gives up (division and remainder always — 6.18 has no
 * scalar_min_max_udiv() and friends yet —, a shift by a non-constant or by the width or
 * more) the result is fully unknown, even for a 32-bit operation, whose result the kernel
 * then does not zero-extend.
 */

import {
  tnumAdd, tnumAnd, tnumArshift, tnumBswap, tnumCast, tnumConst, tnumIsConst, tnumLshift, tnumMul,
  tnumNeg, tnumOr, tnumRange, tnumRshift, tnumSub, tnumSubreg, tnumSubregIsConst, tnumUnknown, tnumXor,
} from './tnum';
import {
  MutScalar, S32_MAX, S32_MIN, S64_MAX, S64_MIN, Scalar, U32_MAX, U64_MAX, copyScalar, markKnown, markKnown32,
  markUnbounded, markUnbounded32, markUnbounded64, max, min, s16, s32, s64, s8, scalarUnknown, syncInPlace, u32,
  u64, updateBounds, updateBounds32,
} from './scalar';

/** The ALU operations that take a source operand (BPF_ADD ... BPF_ARSH), by kernel name. */
export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh' | 'arsh';

const fits64 = (v: bigint) => v >= S64_MIN && v <= S64_MAX;
const fits32 = (v: bigint) => v >= S32_MIN && v <= S32_MAX;

// ---------------------------------------------------------------------------------------
// add, sub, neg, mul

/** Mirrors scalar32_min_max_add(). */
function add32(d: MutScalar, s: Scalar): void {
  const a = d.s32min + s.s32min, b = d.s32max + s.s32max;
  if (!fits32(a) || !fits32(b)) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = a; d.s32max = b; }
  const lo = d.u32min + s.u32min, hi = d.u32max + s.u32max;
  const minOver = lo > U32_MAX, maxOver = hi > U32_MAX;
  d.u32min = u32(lo);
  d.u32max = u32(hi);
  if (!minOver && maxOver) { d.u32min = 0n; d.u32max = U32_MAX; }
}

/** Mirrors scalar_min_max_add(). */
function add64(d: MutScalar, s: Scalar): void {
  const a = d.smin + s.smin, b = d.smax + s.smax;
  if (!fits64(a) || !fits64(b)) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = a; d.smax = b; }
  const lo = d.umin + s.umin, hi = d.umax + s.umax;
  const minOver = lo > U64_MAX, maxOver = hi > U64_MAX;
  d.umin = u64(lo);
  d.umax = u64(hi);
  if (!minOver && maxOver) { d.umin = 0n; d.umax = U64_MAX; }
}

/** Mirrors scalar32_min_max_sub(). */
function sub32(d: MutScalar, s: Scalar): void {
  const a = d.s32min - s.s32max, b = d.s32max - s.s32min;
  if (!fits32(a) || !fits32(b)) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = a; d.s32max = b; }
  const lo = d.u32min - s.u32max, hi = d.u32max - s.u32min;
  const minUnder = lo < 0n, maxUnder = hi < 0n;
  d.u32min = u32(lo);
  d.u32max = u32(hi);
  if (minUnder && !maxUnder) { d.u32min = 0n; d.u32max = U32_MAX; }
}

/** Mirrors scalar_min_max_sub(). */
function sub64(d: MutScalar, s: Scalar): void {
  const a = d.smin - s.smax, b = d.smax - s.smin;
  if (!fits64(a) || !fits64(b)) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = a; d.smax = b; }
  const lo = d.umin - s.umax, hi = d.umax - s.umin;
  const minUnder = lo < 0n, maxUnder = hi < 0n;
  d.umin = u64(lo);
  d.umax = u64(hi);
  if (minUnder && !maxUnder) { d.umin = 0n; d.umax = U64_MAX; }
}

/** Mirrors scalar32_min_max_mul(). */
function mul32(d: MutScalar, s: Scalar): void {
  const hi = d.u32max * s.u32max, lo = d.u32min * s.u32min;
  if (hi > U32_MAX || lo > U32_MAX) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min = lo; d.u32max = hi; }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (p.some((x) => !fits32(x))) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = p.reduce(min); d.s32max = p.reduce(max); }
}

/** Mirrors scalar_min_max_mul(). */
function mul64(d: MutScalar, s: Scalar): void {
  const hi = d.umax * s.umax, lo = d.umin * s.umin;
  if (hi > U64_MAX || lo > U64_MAX) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = lo; d.umax = hi; }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.some((x) => !fits64(x))) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = p.reduce(min); d.smax = p.reduce(max); }
}

// ---------------------------------------------------------------------------------------
// and, or, xor (var_off already combined by the caller)

/** Signed bounds from the unsigned ones when they do not cross the sign boundary. */
function signed32FromUnsigned(d: MutScalar): void {
  if (s32(d.u32min) <= s32(d.u32max)) { d.s32min = s32(d.u32min); d.s32max = s32(d.u32max); }
  else { d.s32min = S32_MIN; d.s32max = S32_MAX; }
}

function signed64FromUnsigned(d: MutScalar): void {
  if (s64(d.umin) <= s64(d.umax)) { d.smin = s64(d.umin); d.smax = s64(d.umax); }
  else { d.smin = S64_MIN; d.smax = S64_MAX; }
}

/** Mirrors scalar32_min_max_and(). */
function and32(d: MutScalar, s: Scalar): void {
  const t = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) { markKnown32(d, t.value); return; }
  d.u32min = t.value;
  d.u32max = min(d.u32max, s.u32max);
  signed32FromUnsigned(d);
}

/** Mirrors scalar_min_max_and(). */
function and64(d: MutScalar, s: Scalar): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) { markKnown(d, d.varOff.value); return; }
  d.umin = d.varOff.value;
  d.umax = min(d.umax, s.umax);
  signed64FromUnsigned(d);
  updateBounds(d);
}

/** Mirrors scalar32_min_max_or(). */
function or32(d: MutScalar, s: Scalar): void {
  const t = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) { markKnown32(d, t.value); return; }
  d.u32min = max(d.u32min, s.u32min);
  d.u32max = t.value | t.mask;
  signed32FromUnsigned(d);
}

/** Mirrors scalar_min_max_or(). */
function or64(d: MutScalar, s: Scalar): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) { markKnown(d, d.varOff.value); return; }
  d.umin = max(d.umin, s.umin);
  d.umax = d.varOff.value | d.varOff.mask;
  signed64FromUnsigned(d);
  updateBounds(d);
}

/** Mirrors scalar32_min_max_xor(). */
function xor32(d: MutScalar, s: Scalar): void {
  const t = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) { markKnown32(d, t.value); return; }
  d.u32min = t.value;
  d.u32max = t.value | t.mask;
  signed32FromUnsigned(d);
}

/** Mirrors scalar_min_max_xor(). */
function xor64(d: MutScalar, s: Scalar): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) { markKnown(d, d.varOff.value); return; }
  d.umin = d.varOff.value;
  d.umax = d.varOff.value | d.varOff.mask;
  signed64FromUnsigned(d);
  updateBounds(d);
}

// ---------------------------------------------------------------------------------------
// shifts (only by a constant below the width; the caller checks)

/** Mirrors __scalar32_min_max_lsh(). */
function lsh32Bounds(d: MutScalar, uminVal: bigint, umaxVal: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umaxVal > 31n || d.u32max > 1n << (31n - umaxVal)) { d.u32min = 0n; d.u32max = U32_MAX; }
  else { d.u32min = u32(d.u32min << uminVal); d.u32max = u32(d.u32max << umaxVal); }
}

/** Mirrors scalar32_min_max_lsh(). */
function lsh32(d: MutScalar, s: Scalar): void {
  const sub = tnumSubreg(d.varOff);
  lsh32Bounds(d, s.u32min, s.u32max);
  d.varOff = tnumSubreg(tnumLshift(sub, Number(s.u32min)));
  markUnbounded64(d);
  updateBounds32(d);
}

/** Mirrors __scalar64_min_max_lsh(); `<< 32` keeps the signed bounds (the sign-extension idiom). */
function lsh64Bounds(d: MutScalar, uminVal: bigint, umaxVal: bigint): void {
  if (uminVal === 32n && umaxVal === 32n) {
    d.smax = d.s32max << 32n;
    d.smin = d.s32min << 32n;
  } else {
    d.smax = S64_MAX;
    d.smin = S64_MIN;
  }
  if (d.umax > 1n << (63n - umaxVal)) { d.umin = 0n; d.umax = U64_MAX; }
  else { d.umin = u64(d.umin << uminVal); d.umax = u64(d.umax << umaxVal); }
}

/** Mirrors scalar_min_max_lsh(). */
function lsh64(d: MutScalar, s: Scalar): void {
  lsh64Bounds(d, s.umin, s.umax);
  lsh32Bounds(d, s.umin, s.umax);
  d.varOff = tnumLshift(d.varOff, Number(s.umin));
  updateBounds(d);
}

/** Mirrors scalar32_min_max_rsh(). */
function rsh32(d: MutScalar, s: Scalar): void {
  const sub = tnumSubreg(d.varOff);
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  d.varOff = tnumRshift(sub, Number(s.u32min));
  d.u32min = d.u32min >> s.u32max;
  d.u32max = d.u32max >> s.u32min;
  markUnbounded64(d);
  updateBounds32(d);
}

/** Mirrors scalar_min_max_rsh(). */
function rsh64(d: MutScalar, s: Scalar): void {
  d.smin = S64_MIN;
  d.smax = S64_MAX;
  d.varOff = tnumRshift(d.varOff, Number(s.umin));
  d.umin = d.umin >> s.umax;
  d.umax = d.umax >> s.umin;
  markUnbounded32(d);
  updateBounds(d);
}

/** Mirrors scalar32_min_max_arsh(). */
function arsh32(d: MutScalar, s: Scalar): void {
  const n = s.u32min;
  d.s32min = d.s32min >> n;
  d.s32max = d.s32max >> n;
  d.varOff = tnumArshift(tnumSubreg(d.varOff), Number(n), 32);
  d.u32min = 0n;
  d.u32max = U32_MAX;
  markUnbounded64(d);
  updateBounds32(d);
}

/** Mirrors scalar_min_max_arsh(). */
function arsh64(d: MutScalar, s: Scalar): void {
  const n = s.umin;
  d.smin = d.smin >> n;
  d.smax = d.smax >> n;
  d.varOff = tnumArshift(d.varOff, Number(n), 64);
  d.umin = 0n;
  d.umax = U64_MAX;
  markUnbounded32(d);
  updateBounds(d);
}

// ---------------------------------------------------------------------------------------
// Whole operations

/** Mirrors zext_32_to_64() with __reg_assign_32_into_64(): the upper half becomes zero. */
function zext32To64(d: MutScalar): void {
  d.varOff = tnumSubreg(d.varOff);
  d.umin = d.u32min;
  d.umax = d.u32max;
  if (d.s32min >= 0n && d.s32max >= 0n) { d.smin = d.s32min; d.smax = d.s32max; }
  else { d.smin = 0n; d.smax = U32_MAX; }
}

/** Pure form of zext_32_to_64() (no bounds sync). */
export function scalarZext32(s: Scalar): Scalar {
  const d = copyScalar(s);
  zext32To64(d);
  return d;
}

/**
 * Whether the kernel computes a range for `op` with this source at all; otherwise the
 * destination becomes fully unknown. Mirrors is_safe_to_compute_dst_reg_range().
 */
export function isSafeToComputeRange(op: AluOp, src: Scalar, is32: boolean): boolean {
  const srcConst = is32
    ? tnumSubregIsConst(src.varOff) && src.s32min === src.s32max && src.u32min === src.u32max
    : tnumIsConst(src.varOff) && src.smin === src.smax && src.umin === src.umax;
  switch (op) {
    case 'add': case 'sub': case 'and': case 'xor': case 'or': case 'mul':
      return true;
    case 'div': case 'sdiv': case 'mod': case 'smod':
      // 6.18 computes no range for division or remainder, whatever the divisor.
      return false;
    case 'lsh': case 'rsh': case 'arsh':
      return srcConst && src.umax < (is32 ? 32n : 64n);
  }
}

/**
 * `dst = dst OP src` on two scalars, 64-bit (`is32` false) or on the subregisters with the
 * result zero-extended. For a BPF_K source pass scalarFromImm(imm). A bitwise and/or whose
 * destination is in [-1, 0] forks the path in the kernel: see maybeForkScalars(), which the
 * caller applies first. Mirrors adjust_scalar_min_max_vals() for the binary operations.
 */
export function scalarAlu(op: AluOp, dst: Scalar, src: Scalar, is32: boolean): Scalar {
  if (!isSafeToComputeRange(op, src, is32)) return scalarUnknown();
  const d = copyScalar(dst);
  switch (op) {
    case 'add':
      add32(d, src);
      add64(d, src);
      d.varOff = tnumAdd(d.varOff, src.varOff);
      break;
    case 'sub':
      sub32(d, src);
      sub64(d, src);
      d.varOff = tnumSub(d.varOff, src.varOff);
      break;
    case 'mul':
      d.varOff = tnumMul(d.varOff, src.varOff);
      mul32(d, src);
      mul64(d, src);
      break;
    case 'div': case 'sdiv': case 'mod': case 'smod':
      break; // not reached: isSafeToComputeRange() is false for them
    case 'and':
      d.varOff = tnumAnd(d.varOff, src.varOff);
      and32(d, src);
      and64(d, src);
      break;
    case 'or':
      d.varOff = tnumOr(d.varOff, src.varOff);
      or32(d, src);
      or64(d, src);
      break;
    case 'xor':
      d.varOff = tnumXor(d.varOff, src.varOff);
      xor32(d, src);
      xor64(d, src);
      break;
    case 'lsh':
      (is32 ? lsh32 : lsh64)(d, src);
      break;
    case 'rsh':
      (is32 ? rsh32 : rsh64)(d, src);
      break;
    case 'arsh':
      (is32 ? arsh32 : arsh64)(d, src);
      break;
  }
  if (is32) zext32To64(d);
  syncInPlace(d);
  return d;
}

/**
 * The two states the kernel continues with when `dst &= K` or `dst |= K` (K a 64-bit
 * constant source) finds dst in [-1, 0] (64-bit first, else the subregister): the current
 * path applies the and/or to dst = -1 (`current`), and a path with dst = 0 is pushed
 * (`pushed`) that resumes at this same instruction, so the and/or is applied to 0 there
 * (the log shows `from N to N:`). Undefined when there is no fork. Mirrors maybe_fork_scalars().
 */
export function maybeForkScalars(op: AluOp, dst: Scalar, src: Scalar): { current: Scalar; pushed: Scalar } | undefined {
  if ((op !== 'and' && op !== 'or') || !tnumIsConst(src.varOff)) return undefined;
  let is32: boolean;
  if (dst.smin === -1n && dst.smax === 0n) is32 = false;
  else if (dst.s32min === -1n && dst.s32max === 0n) is32 = true;
  else return undefined;
  const zero = copyScalar(dst);
  const ones = copyScalar(dst);
  if (is32) { markKnown32(zero, 0n); markKnown32(ones, U32_MAX); }
  else { markKnown(zero, 0n); markKnown(ones, U64_MAX); }
  return { current: ones, pushed: zero };
}

/** `dst = -dst` (BPF_NEG), 64-bit or 32-bit. Mirrors the BPF_NEG case of adjust_scalar_min_max_vals(). */
export function scalarNeg(dst: Scalar, is32: boolean): Scalar {
  const d = copyScalar(dst);
  markKnown(d, 0n);
  sub32(d, dst);
  sub64(d, dst);
  d.varOff = tnumNeg(dst.varOff);
  if (is32) zext32To64(d);
  syncInPlace(d);
  return d;
}

/** The byte-order instructions: `bswap16/32/64` (ALU64), `be16/32/64` and `le16/32/64` (ALU). */
export type EndOp = 'bswap' | 'be' | 'le';

/**
 * A byte swap or byte-order conversion on a little-endian machine: bswap and be swap the
 * low 16/32/64 bits (bounds re-derived from the tnum), le only truncates; 16 and 32 keep
 * only that many bits. No 32-bit zero-extension follows. Mirrors scalar_byte_swap().
 */
export function scalarEnd(dst: Scalar, kind: EndOp, bits: 16 | 32 | 64): Scalar {
  let d = copyScalar(dst);
  if (kind !== 'le') {
    d.varOff = tnumBswap(d.varOff, (bits / 8) as 2 | 4 | 8);
    markUnbounded(d);
  }
  if (bits !== 64) d = copyScalar(coerceRegToSize(d, bits / 8));
  syncInPlace(d);
  return d;
}

/**
 * The low `size` bytes (1, 2 or 4), zero-extended, as after a narrow load or a truncation.
 * Mirrors coerce_reg_to_size() (which ends with reg_bounds_sync()).
 */
export function coerceRegToSize(s: Scalar, size: number): Scalar {
  // A whole 64-bit value needs no narrowing (and its signed bounds are not its unsigned ones).
  if (size >= 8) return s;
  const d = copyScalar(s);
  d.varOff = tnumCast(d.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((d.umin & ~mask) === (d.umax & ~mask)) { d.umin &= mask; d.umax &= mask; }
  else { d.umin = 0n; d.umax = mask; }
  d.smin = d.umin;
  d.smax = d.umax;
  if (size < 4) markUnbounded32(d);
  syncInPlace(d);
  return d;
}

const sext = (v: bigint, size: number): bigint => (size === 1 ? s8(v) : size === 2 ? s16(v) : s32(v));

/** Mirrors set_sext64_default_val(). */
function sext64Default(d: MutScalar, size: number): void {
  const lim = 1n << BigInt(size * 8 - 1);
  d.smin = d.s32min = -lim;
  d.smax = d.s32max = lim - 1n;
  d.umin = d.u32min = 0n;
  d.umax = U64_MAX;
  d.u32max = U32_MAX;
  d.varOff = tnumUnknown;
}

/**
 * The low `size` bytes (1, 2 or 4) sign-extended to 64 bits (`r1 = (s8)r2`, ldsx). The
 * kernel does not sync the bounds afterwards. Mirrors coerce_reg_to_size_sx().
 */
export function coerceRegToSizeSx(s: Scalar, size: number): Scalar {
  const d = copyScalar(s);
  if (tnumIsConst(d.varOff)) {
    const v = u64(sext(d.varOff.value, size));
    d.varOff = tnumConst(v);
    d.smax = d.smin = s64(v);
    d.umax = d.umin = v;
    d.s32max = d.s32min = s32(v);
    d.u32max = d.u32min = u32(v);
    return d;
  }
  const bits = BigInt(size * 8);
  if ((u64(d.smax) >> bits) << bits !== (u64(d.smin) >> bits) << bits) { sext64Default(d, size); return d; }
  const a = sext(d.smax, size), b = sext(d.smin, size);
  const hi = max(a, b), lo = min(a, b);
  if ((hi >= 0n) === (lo >= 0n)) {
    d.s32min = s32(lo); d.smin = lo;
    d.s32max = s32(hi); d.smax = hi;
    d.u32min = u32(lo); d.umin = u64(lo);
    d.u32max = u32(hi); d.umax = u64(hi);
    d.varOff = tnumRange(u64(lo), u64(hi));
    return d;
  }
  sext64Default(d, size);
  return d;
}

/** Mirrors set_sext32_default_val(). */
function sext32Default(d: MutScalar, size: number): void {
  const lim = 1n << BigInt(size * 8 - 1);
  d.s32min = -lim;
  d.s32max = lim - 1n;
  d.u32min = 0n;
  d.u32max = U32_MAX;
  d.varOff = tnumSubreg(tnumUnknown);
}

/**
 * The low `size` bytes (1 or 2) sign-extended within the 32-bit subregister; 64-bit bounds
 * are left for the zero-extension that follows. Mirrors coerce_subreg_to_size_sx().
 */
export function coerceSubregToSizeSx(s: Scalar, size: number): Scalar {
  const d = copyScalar(s);
  if (tnumIsConst(d.varOff)) {
    const v = u64(sext(d.varOff.value, size));
    d.varOff = tnumConst(v);
    d.s32min = d.s32max = s32(v);
    d.u32min = d.u32max = u32(v);
    return d;
  }
  const bits = BigInt(size * 8);
  if ((u32(d.s32max) >> bits) << bits !== (u32(d.s32min) >> bits) << bits) { sext32Default(d, size); return d; }
  const a = sext(d.s32max, size), b = sext(d.s32min, size);
  const hi = max(a, b), lo = min(a, b);
  if ((lo >= 0n) === (hi >= 0n)) {
    d.s32min = lo;
    d.s32max = hi;
    d.u32min = u32(lo);
    d.u32max = u32(hi);
    d.varOff = tnumSubreg(tnumRange(u64(lo), u64(hi)));
    return d;
  }
  sext32Default(d, size);
  return d;
}

/**
 * The register moves on a scalar source: `r1 = r2` (64, copy), `w1 = w2` (32, zero-extended),
 * `r1 = (s8|s16|s32)r2` (movsx 64, no sync) and `w1 = (s8|s16)w2` (movsx 32, zero-extended).
 * Mirrors the BPF_MOV | BPF_X cases of check_alu_op().
 */
export function scalarMov(src: Scalar, is32: boolean, sextBits: 0 | 8 | 16 | 32 = 0): Scalar {
  if (!is32) return sextBits === 0 ? src : coerceRegToSizeSx(src, sextBits / 8);
  const d = copyScalar(sextBits === 0 ? src : coerceSubregToSizeSx(src, sextBits / 8));
  zext32To64(d);
  syncInPlace(d);
  return d;
}

/** `r1 = imm` (sign-extended) or `w1 = imm` (zero-extended). Mirrors the BPF_MOV | BPF_K case. */
export function scalarMovImm(imm: number, is32: boolean): Scalar {
  const d = copyScalar(scalarUnknown());
  markKnown(d, is32 ? u32(BigInt(imm | 0)) : BigInt(imm | 0));
  return d;
}

/** The concrete semantics of one ALU operation (Linux: x/0 = 0, x%0 = x, shifts masked), for tests. */
export function concreteAlu(op: AluOp, a: bigint, b: bigint, is32: boolean): bigint {
  const W = is32 ? 32 : 64;
  const un = (v: bigint) => BigInt.asUintN(W, v);
  const sg = (v: bigint) => BigInt.asIntN(W, v);
  const x = un(a), y = un(b);
  let r: bigint;
  switch (op) {
    case 'add': r = x + y; break;
    case 'sub': r = x - y; break;
    case 'mul': r = x * y; break;
    case 'div': r = y === 0n ? 0n : x / y; break;
    case 'sdiv': r = y === 0n ? 0n : sg(x) / sg(y); break;
    case 'mod': r = y === 0n ? x : x % y; break;
    case 'smod': r = y === 0n ? x : sg(x) % sg(y); break;
    case 'and': r = x & y; break;
    case 'or': r = x | y; break;
    case 'xor': r = x ^ y; break;
    case 'lsh': r = x << (y & BigInt(W - 1)); break;
    case 'rsh': r = x >> (y & BigInt(W - 1)); break;
    case 'arsh': r = sg(x) >> (y & BigInt(W - 1)); break;
  }
  return BigInt.asUintN(64, un(r));
}
