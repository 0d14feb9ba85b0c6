// Tnums (core/verifier/tnum.ts): worked examples from kernel/bpf/tnum.c's semantics, and
// soundness by brute force on 8-bit-wide tnums (every member of the operands, every result
// must be a member of the result).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tnum, tnumAdd, tnumAnd, tnumArshift, tnumBswap, tnumConst, tnumIn, tnumIntersect, tnumLshift, tnumMul, tnumNeg,
  tnumOr, tnumOverlap, tnumRange, tnumRshift, tnumStep, tnumString, tnumSub, tnumUnion, tnumXor,
} from '../../core/verifier/tnum';

const U64 = (1n << 64n) - 1n;
const t = (value: bigint, mask: bigint): Tnum => ({ value, mask });
const member = (a: Tnum, v: bigint) => ((v & U64) & ~a.mask & U64) === a.value;

/** Every member of a tnum whose mask has few bits. */
function members(a: Tnum): bigint[] {
  const bits: bigint[] = [];
  for (let i = 0n; i < 64n; i++) if ((a.mask >> i) & 1n) bits.push(1n << i);
  const out: bigint[] = [];
  for (let k = 0; k < 1 << bits.length; k++) {
    let v = a.value;
    bits.forEach((b, j) => { if ((k >> j) & 1) v |= b; });
    out.push(v);
  }
  return out;
}

/** Random tnums with at most `maxUnknown` unknown bits among the low `width` bits. */
function randomTnum(rnd: () => number, width: number, maxUnknown: number): Tnum {
  let mask = 0n, value = 0n;
  const unknown = Math.floor(rnd() * (maxUnknown + 1));
  for (let i = 0; i < unknown; i++) mask |= 1n << BigInt(Math.floor(rnd() * width));
  for (let i = 0; i < width; i++) if (rnd() < 0.5) value |= 1n << BigInt(i);
  if (rnd() < 0.2) { value |= 0xffffffffffff0000n; } // sometimes negative
  return t(value & ~mask & U64, mask);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), s | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('tnum_range: the bits above the highest differing bit are known', () => {
  assert.equal(tnumString(tnumRange(4n, 7n)), '(0x4; 0x3)');
  assert.equal(tnumString(tnumRange(0n, 255n)), '(0x0; 0xff)');
  assert.equal(tnumString(tnumRange(5n, 5n)), '(0x5; 0x0)');
  assert.equal(tnumString(tnumRange(0n, U64)), '(0x0; 0xffffffffffffffff)');
});

test('and/or/xor/add worked examples', () => {
  assert.deepEqual(tnumAnd(t(0n, U64), tnumConst(0xffn)), t(0n, 0xffn));
  assert.deepEqual(tnumOr(t(0n, 0xffn), tnumConst(0x100n)), t(0x100n, 0xffn));
  assert.deepEqual(tnumXor(t(0x10n, 0x1n), tnumConst(0x11n)), t(0x0n, 0x1n));
  assert.deepEqual(tnumAdd(t(0n, 1n), tnumConst(1n)), t(0n, 3n));
});

test('tnum_mul is the 6.18 long multiplication with unions', () => {
  // x1 * 11 (the bits of the first operand drive the loop) = union(0011, 1001) = x0x1.
  assert.deepEqual(tnumMul(t(1n, 2n), tnumConst(3n)), t(1n, 0b1010n));
  // Not symmetric in precision: driven by the constant, the additions carry the unknown bit.
  assert.deepEqual(tnumMul(tnumConst(3n), t(1n, 2n)), t(1n, 0b1110n));
  assert.deepEqual(tnumMul(t(0n, 0xffn), tnumConst(1n)), t(0n, 0xffn));
});

test('tnum_step walks the members in order', () => {
  // The kernel's example: t = x11100x0, z = 241 gives 242.
  assert.equal(tnumStep(t(0b01110000n, 0b10000010n), 241n), 242n);
  const rnd = rng(7);
  for (let n = 0; n < 300; n++) {
    const a = randomTnum(rnd, 10, 5);
    const ms = members(a).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const z = ms[0] + BigInt(Math.floor(rnd() * Number(ms[ms.length - 1] - ms[0] + 1n)));
    const next = ms.find((m) => m > z) ?? ms[ms.length - 1];
    assert.equal(tnumStep(a, z), next, `${tnumString(a)} step ${z}`);
  }
});

test('overlap, intersect, union, in', () => {
  assert.equal(tnumOverlap(tnumConst(5n), t(0n, 0xffn)), true);
  assert.equal(tnumOverlap(t(1n, 0xf0n), tnumConst(4n)), false);
  assert.deepEqual(tnumUnion(tnumConst(3n), tnumConst(9n)), t(1n, 0b1010n));
  assert.deepEqual(tnumIntersect(t(0n, 0xffn), t(0x10n, 0x0fn)), t(0x10n, 0x0fn));
  assert.equal(tnumIn(t(0n, 0xffn), t(0x10n, 0x0fn)), true);
  assert.equal(tnumIn(t(0x10n, 0x0fn), t(0n, 0xffn)), false);
});

test('bswap swaps bytes of value and mask', () => {
  assert.deepEqual(tnumBswap(t(0x1200n, 0x00ffn), 2), t(0x12n, 0xff00n));
  assert.deepEqual(tnumBswap(tnumConst(0x11223344n), 4), tnumConst(0x44332211n));
});

test('soundness: every operation covers every concrete result (brute force)', () => {
  const rnd = rng(42);
  const binops: [string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint][] = [
    ['add', tnumAdd, (x, y) => x + y],
    ['sub', tnumSub, (x, y) => x - y],
    ['mul', tnumMul, (x, y) => x * y],
    ['and', tnumAnd, (x, y) => x & y],
    ['or', tnumOr, (x, y) => x | y],
    ['xor', tnumXor, (x, y) => x ^ y],
    ['union', tnumUnion, (x) => x],
  ];
  let checked = 0;
  for (let n = 0; n < 400; n++) {
    const a = randomTnum(rnd, 12, 4), b = randomTnum(rnd, 12, 4);
    for (const [name, f, conc] of binops) {
      const r = f(a, b);
      for (const x of members(a)) for (const y of members(b)) {
        assert.ok(member(r, conc(x, y)), `${name} ${tnumString(a)} ${tnumString(b)} on ${x},${y}`);
        checked++;
      }
    }
    const s = Math.floor(rnd() * 64);
    const r1 = tnumLshift(a, s), r2 = tnumRshift(a, s), r3 = tnumArshift(a, s, 64), r4 = tnumNeg(a);
    const s32 = s & 31, r5 = tnumArshift({ value: a.value & 0xffffffffn, mask: a.mask & 0xffffffffn }, s32, 32);
    for (const x of members(a)) {
      assert.ok(member(r1, x << BigInt(s)));
      assert.ok(member(r2, x >> BigInt(s)));
      assert.ok(member(r3, BigInt.asUintN(64, BigInt.asIntN(64, x) >> BigInt(s))));
      assert.ok(member(r4, -x));
      assert.ok(member(r5, BigInt.asUintN(32, BigInt.asIntN(32, x & 0xffffffffn) >> BigInt(s32))));
      checked += 5;
    }
    if (members(a).some((x) => members(b).includes(x))) assert.ok(tnumOverlap(a, b), 'overlap missed');
  }
  assert.ok(checked > 10000);
});
