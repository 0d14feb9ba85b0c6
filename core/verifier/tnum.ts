/**
 * Tracked numbers: what the verifier knows of each bit of a 64-bit value. A bit is known 0,
 * known 1, or unknown; `value` holds the known ones, `mask` the unknown ones, and the two
 * never share a bit. Each operation is a pure function whose result covers every result the
 * operation could give on values the operands cover (the kernel's kernel/bpf/tnum.c, whose
 * behaviour this mirrors so that printed var_off values match the kernel's log).
 *
 * Values are unsigned 64-bit bigints; every result is reduced modulo 2^64.
 *
 * The version mirrored is the one in the 6.18 kernels of these machines (checked against
 * their verifier log by test/verifier/scalar.test.ts): tnum_mul is the long multiplication
 * with tnum_union, and tnum_overlap, tnum_step and tnum_bswap16/32/64 are there.
 */

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

const U64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => v & U64;

export const tnumUnknown: Tnum = { value: 0n, mask: U64 };

export function tnumConst(v: bigint): Tnum {
  return { value: u64(v), mask: 0n };
}

export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64;
}

/** Position of the highest set bit, 1-based (0 for 0), as the kernel's fls64. */
function fls64(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/**
 * The tnum of every value in [min, max]: the bits above the highest bit in which min and
 * max differ are known. E.g. [4, 7]: 4 ^ 7 = 3, so the low two bits are unknown: (0x4; 0x3).
 */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = u64(min) ^ u64(max);
  const bits = fls64(chi);
  if (bits > 63) return tnumUnknown; // 1 << 64 would not fit
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: u64(min) & ~delta, mask: delta };
}

export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: u64(a.value << s), mask: u64(a.mask << s) };
}

export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

/** Arithmetic shift of the value as `bits` wide (64, or 32 for ALU32 results). */
export function tnumArshift(a: Tnum, minShift: number, bits: 32 | 64 = 64): Tnum {
  const s = BigInt(minShift);
  const w = BigInt(bits);
  const sx = (v: bigint) => BigInt.asUintN(bits, BigInt.asIntN(bits, v & ((1n << w) - 1n)) >> s);
  return { value: sx(a.value), mask: sx(a.mask) };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64, mask: mu };
}

export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64 };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64 };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/**
 * Long multiplication over the bits of `a`, lowest first: a known 1 adds `b` (shifted into
 * place) to the accumulator, an unknown bit takes the union of the accumulator with and
 * without that addition, a known 0 adds nothing. This is the 6.18 algorithm (the older
 * value-times-value plus mask-products one printed wider var_offs).
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc: Tnum = { value: 0n, mask: 0n };
  let x = a, y = b;
  while (x.value || x.mask) {
    if (x.value & 1n) acc = tnumAdd(acc, y);
    else if (x.mask & 1n) acc = tnumUnion(acc, tnumAdd(acc, y));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return acc;
}

/** Either holds: a bit is known only where both know it and agree. */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask | (a.value ^ b.value);
  return { value: a.value & b.value & ~mu & U64, mask: mu };
}

/** Whether some value is covered by both (their known bits never disagree). */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const known = ~a.mask & ~b.mask & U64;
  return (a.value & known) === (b.value & known);
}

/** Both hold: bits known in either are known (where they disagree, the result says 1). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** The low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64 : (1n << BigInt(size * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

export function tnumIsAligned(a: Tnum, size: bigint): boolean {
  if (!size) return true;
  return ((a.value | a.mask) & (size - 1n)) === 0n;
}

/** Whether every value b covers is covered by a. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}

export function tnumEq(a: Tnum, b: Tnum): boolean {
  return a.value === b.value && a.mask === b.mask;
}

/** The 32-bit subregister (low half). */
export function tnumSubreg(a: Tnum): Tnum {
  return tnumCast(a, 4);
}

/** The value with its low 32 bits known zero. */
export function tnumClearSubreg(a: Tnum): Tnum {
  return tnumLshift(tnumRshift(a, 32), 32);
}

/** The high half of `reg` with the low half of `subreg`. */
export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}

/** Whether the low 32 bits are all known. */
export function tnumSubregIsConst(a: Tnum): boolean {
  return (a.mask & 0xffffffffn) === 0n;
}

/** The high half of `a` with the low half the constant `value`. */
export function tnumConstSubreg(a: Tnum, value: bigint): Tnum {
  return tnumWithSubreg(a, tnumConst(value & 0xffffffffn));
}

function swab(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The low 2, 4 or 8 bytes in reverse order (bits above them dropped), known bits moving with their byte. */
export function tnumBswap(a: Tnum, bytes: 2 | 4 | 8): Tnum {
  return { value: swab(a.value, bytes), mask: swab(a.mask, bytes) };
}

/**
 * The smallest member of `t` above `z`, for t.value <= z < the largest member (z at or
 * above the largest member gives the largest, z below the smallest gives the smallest).
 * The kernel's tnum_step, used to see when a u64 range and a tnum share a single value.
 * E.g. t = x11100x0, z = 241 (11110001): 242 (11110010).
 */
export function tnumStep(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  // Keep t's known bits, take the unknown ones from z.
  const j = t.value | (z & t.mask);
  if (j > z) {
    // The highest known-1 bit of t where z has 0: above it follow z, from it on follow t.value.
    const k = BigInt(fls64(~z & t.value & ~t.mask & U64));
    const high = u64(U64 << k);
    return (high & z) | (~high & U64 & t.value);
  }
  // The highest known-0 bit of t where z has 1: the unknown bits above it, taken from z,
  // must be incremented to pass z; below it everything drops to t.value.
  const k = BigInt(fls64(z & ~t.value & ~t.mask & U64));
  const high = u64(U64 << k);
  const v = (high & t.mask & z) | (high & ~t.mask & U64);
  const inc = u64(v + (1n << k));
  return (inc & t.mask) | t.value;
}

/** The kernel log's spelling: `(0x4; 0x3)`. */
export function tnumString(a: Tnum): string {
  const hex = (v: bigint) => (v === 0n ? '0x0' : `0x${v.toString(16)}`);
  return `(${hex(a.value)}; ${hex(a.mask)})`;
}
