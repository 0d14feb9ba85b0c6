/**
 * Scalar values as the Linux 6.18 verifier tracks them (the scalar part of struct
 * bpf_reg_state in kernel/bpf/verifier.c): a tnum `varOff` saying which bits are known, and
 * eight bounds — signed and unsigned, 64-bit and for the 32-bit subregister.
 *
 * Invariants:
 * - every field is a bigint in its C type's range: smin/smax in [-2^63, 2^63), umin/umax in
 *   [0, 2^64), s32min/s32max in [-2^31, 2^31), u32min/u32max in [0, 2^32);
 * - each function is pure: it copies its inputs and returns new records, so a Scalar may be
 *   shared between verifier states;
 * - each function mirrors one kernel function, in the kernel's order of steps and with its
 *   precision (no more, no less), so that the printed state matches the kernel's log. The
 *   ALU transfer functions live in scalarAlu.ts, the branch logic in scalarBranch.ts.
 *
 * Soundness (every concrete value the kernel would consider possible is covered) is the
 * kernel's property; test/verifier/scalar.test.ts checks it by brute force, and checks the
 * printed states against the running kernel's log.
 */

import {
  Tnum, tnumClearSubreg, tnumConst, tnumConstSubreg, tnumIn, tnumIntersect, tnumIsConst, tnumIsUnknown,
  tnumOr, tnumRange, tnumStep, tnumSubreg, tnumUnknown,
} from './tnum';

export interface Scalar {
  readonly varOff: Tnum;
  readonly smin: bigint;
  readonly smax: bigint;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly s32min: bigint;
  readonly s32max: bigint;
  readonly u32min: bigint;
  readonly u32max: bigint;
}

/** The same record with writable fields, for the functions that build a result step by step. */
export type MutScalar = { -readonly [K in keyof Scalar]: Scalar[K] };

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;

/** C conversions: (s64), (u64), (s32), (u32), (s16), (s8). */
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
export const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
export const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
export const s16 = (v: bigint): bigint => BigInt.asIntN(16, v);
export const s8 = (v: bigint): bigint => BigInt.asIntN(8, v);

export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export function copyScalar(s: Scalar): MutScalar {
  return { ...s };
}

// ---------------------------------------------------------------------------------------
// Constructors

/** A completely unknown scalar. Mirrors __mark_reg_unknown_imprecise(). */
export function scalarUnknown(): Scalar {
  return {
    varOff: tnumUnknown, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX,
    s32min: S32_MIN, s32max: S32_MAX, u32min: 0n, u32max: U32_MAX,
  };
}

/** The 64-bit constant `v` (any bigint, taken modulo 2^64). Mirrors ___mark_reg_known(). */
export function scalarConst(v: bigint): Scalar {
  const m = copyScalar(scalarUnknown());
  markKnown(m, v);
  return m;
}

/** The 32-bit constant `v`, zero-extended (`w1 = imm`). */
export function scalarConst32(v: bigint): Scalar {
  return scalarConst(u32(v));
}

/** The scalar a BPF_K operand stands for: the s32 immediate sign-extended to 64 bits. */
export function scalarFromImm(imm: number): Scalar {
  return scalarConst(BigInt(imm | 0));
}

/** Every value in [lo, hi] (unsigned 64-bit), synchronised; a test helper for building inputs. */
export function scalarURange(lo: bigint, hi: bigint): Scalar {
  const m = copyScalar(scalarUnknown());
  m.umin = u64(lo);
  m.umax = u64(hi);
  return boundsSync(m);
}

/** Every value in [lo, hi] (signed 64-bit), synchronised. */
export function scalarSRange(lo: bigint, hi: bigint): Scalar {
  const m = copyScalar(scalarUnknown());
  m.smin = s64(lo);
  m.smax = s64(hi);
  return boundsSync(m);
}

/** Every value the tnum covers, synchronised. */
export function scalarFromTnum(t: Tnum): Scalar {
  const m = copyScalar(scalarUnknown());
  m.varOff = t;
  return boundsSync(m);
}

/** In place: every field says `imm`. Mirrors ___mark_reg_known(). */
export function markKnown(r: MutScalar, imm: bigint): void {
  const v = u64(imm);
  r.varOff = tnumConst(v);
  r.smin = s64(v);
  r.smax = s64(v);
  r.umin = v;
  r.umax = v;
  r.s32min = s32(v);
  r.s32max = s32(v);
  r.u32min = u32(v);
  r.u32max = u32(v);
}

/** In place: the low 32 bits are `imm`; 64-bit bounds untouched. Mirrors __mark_reg32_known(). */
export function markKnown32(r: MutScalar, imm: bigint): void {
  r.varOff = tnumConstSubreg(r.varOff, u32(imm));
  r.s32min = s32(imm);
  r.s32max = s32(imm);
  r.u32min = u32(imm);
  r.u32max = u32(imm);
}

/** In place: no bounds known (var_off kept). Mirrors __mark_reg_unbounded(). */
export function markUnbounded(r: MutScalar): void {
  markUnbounded64(r);
  markUnbounded32(r);
}

/** Mirrors __mark_reg64_unbounded(). */
export function markUnbounded64(r: MutScalar): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}

/** Mirrors __mark_reg32_unbounded(). */
export function markUnbounded32(r: MutScalar): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
}

/** Pure forms of the markers above. */
export function scalarMarkUnbounded(s: Scalar): Scalar {
  const m = copyScalar(s);
  markUnbounded(m);
  return m;
}

export function scalarMarkUnbounded32(s: Scalar): Scalar {
  const m = copyScalar(s);
  markUnbounded32(m);
  return m;
}

// ---------------------------------------------------------------------------------------
// Queries

export function scalarIsConst(s: Scalar): boolean {
  return tnumIsConst(s.varOff);
}

/** Whether the register is a known constant in the width an instruction reads. Mirrors is_reg_const(). */
export function isConstIn(s: Scalar, is32: boolean): boolean {
  return is32 ? tnumIsConst(tnumSubreg(s.varOff)) : tnumIsConst(s.varOff);
}

/** Mirrors reg_const_value(). */
export function constValueIn(s: Scalar, is32: boolean): bigint {
  return is32 ? tnumSubreg(s.varOff).value : s.varOff.value;
}

/** Whether the concrete 64-bit value `v` is covered by every field of `s` (a test aid). */
export function scalarContains(s: Scalar, v: bigint): boolean {
  const x = u64(v);
  const sx = s64(x);
  const lo = u32(x);
  const slo = s32(x);
  return (
    (x & ~s.varOff.mask & U64_MAX) === s.varOff.value &&
    sx >= s.smin && sx <= s.smax && x >= s.umin && x <= s.umax &&
    slo >= s.s32min && slo <= s.s32max && lo >= s.u32min && lo <= s.u32max
  );
}

/** Whether every value `cur` allows, `old` allows (pruning). Mirrors range_within() and tnum_in() in regsafe(). */
export function scalarRangeWithin(old: Scalar, cur: Scalar): boolean {
  return (
    old.umin <= cur.umin && old.umax >= cur.umax &&
    old.smin <= cur.smin && old.smax >= cur.smax &&
    old.u32min <= cur.u32min && old.u32max >= cur.u32max &&
    old.s32min <= cur.s32min && old.s32max >= cur.s32max
  );
}

/** The scalar part of regsafe() for a precise old register: range_within() && tnum_in(). */
export function scalarSafe(old: Scalar, cur: Scalar): boolean {
  return scalarRangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff);
}

export function scalarEquals(a: Scalar, b: Scalar): boolean {
  return (
    a.varOff.value === b.varOff.value && a.varOff.mask === b.varOff.mask &&
    a.smin === b.smin && a.smax === b.smax && a.umin === b.umin && a.umax === b.umax &&
    a.s32min === b.s32min && a.s32max === b.s32max && a.u32min === b.u32min && a.u32max === b.u32max
  );
}

/** Which invariant a scalar breaks, or undefined. Mirrors reg_bounds_sanity_check(). */
export function scalarSanity(s: Scalar): string | undefined {
  if (s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max) return 'range bounds violation';
  if (tnumIsConst(s.varOff)) {
    const uv = s.varOff.value;
    if (s.umin !== uv || s.umax !== uv || s.smin !== s64(uv) || s.smax !== s64(uv)) return 'const tnum out of sync with range bounds';
  }
  if ((s.varOff.mask & U32_MAX) === 0n) {
    const uv = s.varOff.value & U32_MAX;
    if (s.u32min !== uv || s.u32max !== uv || s.s32min !== s32(uv) || s.s32max !== s32(uv)) {
      return 'const subreg tnum out of sync with range bounds';
    }
  }
  return undefined;
}

/**
 * A scalar that breaks an invariant gets its bounds dropped (var_off kept), and the kernel
 * logs `verifier bug: REG INVARIANTS VIOLATION (<where>): <what> u64=[...] ...` (`where` is
 * `alu`, `true_reg1`, `false_reg2`...). It happens on a branch side that cannot be taken.
 * Mirrors reg_bounds_sanity_check() (with env->test_reg_invariants off).
 */
export function regBoundsSanityCheck(s: Scalar, where: string): { scalar: Scalar; message?: string } {
  const what = scalarSanity(s);
  if (!what) return { scalar: s };
  const hex = (v: bigint) => `0x${v.toString(16)}`;
  const message =
    `verifier bug: REG INVARIANTS VIOLATION (${where}): ${what} u64=[${hex(s.umin)}, ${hex(s.umax)}] ` +
    `s64=[${hex(u64(s.smin))}, ${hex(u64(s.smax))}] u32=[${hex(s.u32min)}, ${hex(s.u32max)}] ` +
    `s32=[${hex(u32(s.s32min))}, ${hex(u32(s.s32max))}] var_off=(${hex(s.varOff.value)}, ${hex(s.varOff.mask)})`;
  return { scalar: scalarMarkUnbounded(s), message };
}

// ---------------------------------------------------------------------------------------
// reg_bounds_sync() and its parts, all in place

/** Mirrors __update_reg32_bounds(): bounds implied by the low 32 bits of var_off. */
export function updateBounds32(r: MutScalar): void {
  const t = tnumSubreg(r.varOff);
  r.s32min = max(r.s32min, s32(t.value | (t.mask & 0x80000000n)));
  r.s32max = min(r.s32max, s32(t.value | (t.mask & 0x7fffffffn)));
  r.u32min = max(r.u32min, t.value);
  r.u32max = min(r.u32max, t.value | t.mask);
}

/**
 * Mirrors __update_reg64_bounds(): bounds implied by var_off, then (the 6.18 stable fix with
 * tnum_step) a register whose u64 range and tnum share exactly one value becomes that constant.
 */
export function updateBounds64(r: MutScalar): void {
  const t = r.varOff;
  r.smin = max(r.smin, s64(t.value | (t.mask & (1n << 63n))));
  r.smax = min(r.smax, s64(t.value | (t.mask & S64_MAX)));
  r.umin = max(r.umin, t.value);
  r.umax = min(r.umax, t.value | t.mask);

  const next = tnumStep(t, r.umin);
  const uminIn = (r.umin & ~t.mask & U64_MAX) === t.value;
  const tmax = t.value | t.mask;
  if (uminIn && next > r.umax) markKnown(r, r.umin);
  else if (!uminIn && next === tmax) markKnown(r, tmax);
  else if (!uminIn && next <= r.umax && tnumStep(t, next) > r.umax) markKnown(r, next);
}

/** Mirrors __update_reg_bounds(). */
export function updateBounds(r: MutScalar): void {
  updateBounds32(r);
  updateBounds64(r);
}

/** Mirrors __reg32_deduce_bounds(): 32-bit bounds from the 64-bit ones and from each other. */
export function deduceBounds32(r: MutScalar): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    // The upper halves agree, so the lower halves form a range.
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) {
      r.u32min = max(r.u32min, u32(r.smin));
      r.u32max = min(r.u32max, u32(r.smax));
    }
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  // Upper halves two consecutive numbers, lower halves crossing from negative to positive:
  // still a valid s32 range (e.g. s64 [-1, 1]).
  if (u32(u32(r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32(u32(r.smin >> 32n) + 1n) === u32(r.smax >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(r.u32min, u32(r.s32min));
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (r.u32max < u32(r.s32min)) {
    // The s32 range crosses the sign boundary and the u32 range meets only its
    // non-negative part (a 6.18 stable addition, as for 64 bits below).
    r.s32min = s32(r.u32min);
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (u32(r.s32max) < r.u32min) {
    // ... only its negative part.
    r.s32max = s32(r.u32max);
    r.u32min = max(r.u32min, u32(r.s32min));
  }
}

/** Mirrors __reg64_deduce_bounds(): signed from unsigned and back, also across the sign boundary. */
export function deduceBounds64(r: MutScalar): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(u64(r.smin), r.umin);
    r.umax = min(u64(r.smax), r.umax);
  } else if (r.umax < u64(r.smin)) {
    // The u64 range meets only the non-negative part of the s64 range.
    r.smin = s64(r.umin);
    r.umax = min(r.umax, u64(r.smax));
  } else if (u64(r.smax) < r.umin) {
    // ... only the negative part.
    r.smax = s64(r.umax);
    r.umin = max(r.umin, u64(r.smin));
  }
}

/** Mirrors __reg_deduce_mixed_bounds(): 64-bit bounds tightened with the 32-bit ones. */
export function deduceMixedBounds(r: MutScalar): void {
  const HI = U64_MAX ^ U32_MAX;
  const newUmin = (r.umin & HI) | r.u32min;
  const newUmax = (r.umax & HI) | r.u32max;
  r.umin = max(r.umin, newUmin);
  r.umax = min(r.umax, newUmax);
  const newSmin = s64((u64(r.smin) & HI) | r.u32min);
  const newSmax = s64((u64(r.smax) & HI) | r.u32max);
  r.smin = max(r.smin, newSmin);
  r.smax = min(r.smax, newSmax);
  // A sign-extended value whose low half is non-negative has upper bits all zero.
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = u64(r.s32min);
    r.umax = u64(r.s32max);
    r.varOff = tnumIntersect(r.varOff, tnumRange(u64(r.smin), u64(r.smax)));
  }
}

/** Mirrors __reg_deduce_bounds(). */
export function deduceBounds(r: MutScalar): void {
  deduceBounds32(r);
  deduceBounds64(r);
  deduceMixedBounds(r);
}

/** Mirrors __reg_bound_offset(): var_off tightened with the unsigned ranges. */
export function boundOffset(r: MutScalar): void {
  const var64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(r.u32min, r.u32max));
  r.varOff = tnumOr(tnumClearSubreg(var64), var32);
}

/** In place. Mirrors reg_bounds_sync(). */
export function syncInPlace(r: MutScalar): void {
  if (r.varOff.mask === 0n && syncConstant(r)) return;
  updateBounds(r);
  deduceBounds(r);
  deduceBounds(r);
  deduceBounds(r);
  boundOffset(r);
  updateBounds(r);
}

/**
 * The common case, a known constant whose bounds all hold it: the full sync narrows every
 * bound to the constant, so do that directly. (Bounds that exclude it are left to the full
 * sync, which reports the same impossible state the kernel would.)
 */
function syncConstant(r: MutScalar): boolean {
  const v = r.varOff.value;
  const sv = s64(v), lo = u32(v), slo = s32(v);
  if (r.umin > v || r.umax < v || r.smin > sv || r.smax < sv || r.u32min > lo || r.u32max < lo || r.s32min > slo || r.s32max < slo) return false;
  r.umin = r.umax = v;
  r.smin = r.smax = sv;
  r.u32min = r.u32max = lo;
  r.s32min = r.s32max = slo;
  return true;
}

/** Mirrors reg_bounds_sync(): every field brought in line with the others. */
export function boundsSync(s: Scalar): Scalar {
  const m = copyScalar(s);
  syncInPlace(m);
  return m;
}

// ---------------------------------------------------------------------------------------
// The log's notation

/** Mirrors verbose_unum() in kernel/bpf/log.c: decimal up to 0xffff, hex beyond. */
export function unumString(v: bigint): string {
  const x = u64(v);
  return x <= 0xffffn ? x.toString() : `0x${x.toString(16)}`;
}

/** Mirrors verbose_snum(): decimal in [-32768, 32767], otherwise the u64 bits in hex. */
export function snumString(v: bigint): string {
  const x = s64(v);
  return x >= -32768n && x <= 32767n ? x.toString() : `0x${u64(x).toString(16)}`;
}

/** Mirrors tnum_strn() for a tnum that is not constant: `(0x4; 0x3)`. */
function tnumLogString(t: Tnum): string {
  return `(0x${t.value.toString(16)}; 0x${t.mask.toString(16)})`;
}

/**
 * The bounds part of a scalar, `smin=...,umax=...`: a bound at its type's limit is left out,
 * and a later bound two, four or six places on in the list (smin, smax, umin, umax, smin32,
 * smax32, umin32, umax32) with the same value is named with it (`smax=umax=255`), never
 * mixing negative with non-negative. Mirrors print_scalar_ranges().
 */
export function scalarRangesString(s: Scalar): string {
  const small = (v: bigint) => v >= -32768n && v <= 32767n;
  const items: { name: string; val: bigint; omit: boolean }[] = [
    { name: 'smin', val: u64(s.smin), omit: s.smin === S64_MIN },
    { name: 'smax', val: u64(s.smax), omit: s.smax === S64_MAX },
    { name: 'umin', val: s.umin, omit: s.umin === 0n },
    { name: 'umax', val: s.umax, omit: s.umax === U64_MAX },
    { name: 'smin32', val: small(s.s32min) ? u64(s.s32min) : u32(s.s32min), omit: s.s32min === S32_MIN },
    { name: 'smax32', val: small(s.s32max) ? u64(s.s32max) : u32(s.s32max), omit: s.s32max === S32_MAX },
    { name: 'umin32', val: s.u32min, omit: s.u32min === 0n },
    { name: 'umax32', val: s.u32max, omit: s.u32max === U32_MAX },
  ];
  const parts: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const m1 = items[i];
    if (m1.omit) continue;
    const neg1 = m1.name[0] === 's' && s64(m1.val) < 0n;
    let names = `${m1.name}=`;
    for (let j = i + 2; j < items.length; j += 2) {
      const m2 = items[j];
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name[0] === 's' && s64(m2.val) < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      names += `${m2.name}=`;
    }
    parts.push(names + (m1.name[0] === 's' ? snumString(m1.val) : unumString(m1.val)));
  }
  return parts.join(',');
}

/** What a register adds around its scalar in the log: precision mark and linked-scalar id. */
export interface ScalarPrintExtras {
  precise?: boolean;
  /** reg->id (without the BPF_ADD_CONST flag); 0 or absent prints nothing. */
  id?: number;
  /** The constant delta of a linked scalar (`id=1+5`), printed when given. */
  delta?: number;
}

/**
 * A scalar register as the log prints it: `42`, `-3`, `0xffffffff` for constants, otherwise
 * `scalar(...)` with the ranges and a var_off unless it is fully unknown: `scalar()`,
 * `scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))`.
 * Mirrors the SCALAR_VALUE paths of print_reg_state().
 */
export function scalarString(s: Scalar, extras: ScalarPrintExtras = {}): string {
  const p = extras.precise ? 'P' : '';
  if (tnumIsConst(s.varOff)) return p + snumString(s.varOff.value);
  const parts: string[] = [];
  if (extras.id) parts.push(`id=${extras.id}${extras.delta !== undefined ? (extras.delta >= 0 ? `+${extras.delta}` : `${extras.delta}`) : ''}`);
  const ranges = scalarRangesString(s);
  if (ranges) parts.push(ranges);
  if (!tnumIsUnknown(s.varOff)) parts.push(`var_off=${tnumLogString(s.varOff)}`);
  return `${p}scalar(${parts.join(',')})`;
}
