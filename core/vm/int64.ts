/**
 * Exact 64-bit integer arithmetic on pairs of 32-bit halves, for the interpreter's hot loop.
 *
 * A 64-bit value is (lo, hi), each held as a JavaScript int32 (`| 0`); read the unsigned
 * half with `>>> 0`. Functions that produce a 64-bit result leave it in `res.lo` / `res.hi`
 * rather than allocating. Division and modulo of operands wider than 32 bits fall back to
 * BigInt: they are rare, and exactness matters more there than speed.
 *
 * Linux semantics where RFC 9669 leaves a choice: division by zero gives 0, modulo by zero
 * leaves the dividend, signed INT_MIN / -1 gives INT_MIN and INT_MIN % -1 gives 0.
 */

export const res = { lo: 0, hi: 0 };

const TWO32 = 4294967296;

export function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function fromBig(v: bigint): void {
  const u = BigInt.asUintN(64, v);
  res.lo = Number(u & 0xffffffffn) | 0;
  res.hi = Number(u >> 32n) | 0;
}

export function add64(alo: number, ahi: number, blo: number, bhi: number): void {
  const lo = (alo >>> 0) + (blo >>> 0);
  res.lo = lo | 0;
  res.hi = (ahi + bhi + (lo >= TWO32 ? 1 : 0)) | 0;
}

export function sub64(alo: number, ahi: number, blo: number, bhi: number): void {
  const borrow = (alo >>> 0) < (blo >>> 0) ? 1 : 0;
  res.lo = (alo - blo) | 0;
  res.hi = (ahi - bhi - borrow) | 0;
}

/** The low 64 bits of the product: 16-bit limbs for lo*lo, Math.imul for the cross terms. */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): void {
  const a0 = alo & 0xffff, a1 = alo >>> 16, b0 = blo & 0xffff, b1 = blo >>> 16;
  const mid = a0 * b1 + a1 * b0; // < 2^33, exact
  const low = a0 * b0 + (mid % 65536) * 65536; // < 2^33, exact
  const high = a1 * b1 + Math.floor(mid / 65536) + Math.floor(low / TWO32);
  res.lo = low | 0;
  res.hi = (high + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
}

export function udiv64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { res.lo = 0; res.hi = 0; return; }
  if (ahi === 0 && bhi === 0) { res.lo = Math.floor((alo >>> 0) / (blo >>> 0)) | 0; res.hi = 0; return; }
  fromBig(toBig(alo, ahi) / toBig(blo, bhi));
}

export function umod64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { res.lo = alo; res.hi = ahi; return; }
  if (ahi === 0 && bhi === 0) { res.lo = ((alo >>> 0) % (blo >>> 0)) | 0; res.hi = 0; return; }
  fromBig(toBig(alo, ahi) % toBig(blo, bhi));
}

export function sdiv64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { res.lo = 0; res.hi = 0; return; }
  const a = BigInt.asIntN(64, toBig(alo, ahi));
  const b = BigInt.asIntN(64, toBig(blo, bhi));
  fromBig(a / b); // BigInt division truncates toward zero; INT_MIN / -1 wraps to INT_MIN via asUintN
}

export function smod64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { res.lo = alo; res.hi = ahi; return; }
  const a = BigInt.asIntN(64, toBig(alo, ahi));
  const b = BigInt.asIntN(64, toBig(blo, bhi));
  fromBig(a % b); // the sign follows the dividend, as in C
}

export function udiv32(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0;
}

export function umod32(a: number, b: number): number {
  return b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0;
}

export function sdiv32(a: number, b: number): number {
  if (b === 0) return 0;
  if (a === -0x80000000 && b === -1) return a;
  return Math.trunc(a / b) | 0;
}

export function smod32(a: number, b: number): number {
  if (b === 0) return a;
  if (b === -1) return 0;
  return (a % b) | 0;
}

/** Shifts by n, already masked to 0..63. */
export function lsh64(lo: number, hi: number, n: number): void {
  if (n === 0) { res.lo = lo; res.hi = hi; }
  else if (n < 32) { res.hi = (hi << n) | (lo >>> (32 - n)); res.lo = lo << n; }
  else { res.hi = lo << (n - 32); res.lo = 0; }
}

export function rsh64(lo: number, hi: number, n: number): void {
  if (n === 0) { res.lo = lo; res.hi = hi; }
  else if (n < 32) { res.lo = (lo >>> n) | (hi << (32 - n)); res.hi = (hi >>> n) | 0; }
  else { res.lo = (hi >>> (n - 32)) | 0; res.hi = 0; }
}

export function arsh64(lo: number, hi: number, n: number): void {
  if (n === 0) { res.lo = lo; res.hi = hi; }
  else if (n < 32) { res.lo = (lo >>> n) | (hi << (32 - n)); res.hi = hi >> n; }
  else { res.lo = hi >> (n - 32); res.hi = hi >> 31; }
}

export function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

export function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** Unsigned and signed 64-bit comparisons: negative, zero or positive. */
export function ucmp64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (ahi !== bhi) return (ahi >>> 0) < (bhi >>> 0) ? -1 : 1;
  if (alo !== blo) return (alo >>> 0) < (blo >>> 0) ? -1 : 1;
  return 0;
}

export function scmp64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (ahi !== bhi) return ahi < bhi ? -1 : 1;
  if (alo !== blo) return (alo >>> 0) < (blo >>> 0) ? -1 : 1;
  return 0;
}

/** The u64 decimal string of a value, as `run --json` prints r0. */
export function u64String(lo: number, hi: number): string {
  return toBig(lo, hi).toString();
}
