// Scalar tracking (core/verifier/scalar*.ts): worked examples whose expected strings were
// printed by the Linux 6.18 verifier; soundness of every ALU operation and of the branch
// logic by brute force on random small scalars; and a differential run against the
// running kernel's log (test/verifier/scalarKernel.ts), skipped where bpf(2) is not usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelAvailable } from '../../core/kernel';
import {
  MutScalar, Scalar, S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, boundsSync, copyScalar, s32, s64,
  scalarConst, scalarContains, scalarFromImm, scalarRangeWithin, scalarSafe, scalarSanity, scalarString,
  scalarUnknown, u32, u64,
} from '../../core/verifier/scalar';
import {
  AluOp, EndOp, coerceRegToSize, coerceRegToSizeSx, concreteAlu, maybeForkScalars, scalarAlu, scalarEnd, scalarMov,
  scalarMovImm, scalarNeg,
} from '../../core/verifier/scalarAlu';
import { JmpOp, concreteJmp, isBranchTaken, refineBranch } from '../../core/verifier/scalarBranch';
import { tnumConst, tnumUnion, tnumUnknown } from '../../core/verifier/tnum';
import { Rng, runCase } from './scalarKernel';

const u8Load = () => coerceRegToSize(scalarUnknown(), 1);
const u32Load = () => coerceRegToSize(scalarUnknown(), 4);

// ---------------------------------------------------------------------------------------
// Worked examples (the expected strings are the kernel's own log output)

test('constants print as their value', () => {
  assert.equal(scalarString(scalarConst(42n)), '42');
  assert.equal(scalarString(scalarConst(-3n)), '-3');
  assert.equal(scalarString(scalarMovImm(1207330352, false)), '0x47f66630');
  assert.equal(scalarString(scalarMovImm(-1, true)), '0xffffffff');
  assert.equal(scalarString(scalarConst(-100000n)), '0xfffffffffffe7960');
  assert.equal(scalarString(scalarUnknown()), 'scalar()');
  assert.equal(scalarString(scalarConst(5n), { precise: true }), 'P5');
  assert.equal(scalarString(scalarUnknown(), { id: 1, delta: -5 }), 'scalar(id=1-5)');
});

test('narrow loads: r1 = *(u8 *) and *(u32 *)', () => {
  assert.equal(scalarString(u8Load()), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))');
  assert.equal(scalarString(u32Load()), 'scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))');
});

test('r1 &= 0xff gives umax=255 var_off=(0x0; 0xff)', () => {
  const r = scalarAlu('and', u32Load(), scalarFromImm(255), false);
  assert.equal(scalarString(r), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))');
});

test('r4 += -5 on a u32, then w5 = w4 zero-extends', () => {
  const r4 = scalarAlu('add', u32Load(), scalarFromImm(-5), false);
  assert.equal(scalarString(r4), 'scalar(smin=-5,smax=0xfffffffa)');
  assert.equal(scalarString(scalarMov(r4, true)), 'scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))');
});

test('w8 |= 8695 on an unknown keeps the upper half unknown-free', () => {
  const r = scalarAlu('or', scalarUnknown(), scalarFromImm(8695), true);
  assert.equal(scalarString(r), 'scalar(smin=umin=umin32=8695,smax=umax=0xffffffff,smin32=0x800021f7,var_off=(0x21f7; 0xffffde08))');
});

test('if r2 > 10 refines both branches', () => {
  const { taken, fallthrough } = refineBranch(u32Load(), scalarFromImm(10), 'jgt', false);
  assert.equal(scalarString(fallthrough.dst), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))');
  assert.equal(scalarString(taken.dst), 'scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))');
});

test('if r1 < 10 refines both branches', () => {
  const { taken, fallthrough } = refineBranch(u32Load(), scalarFromImm(10), 'jlt', false);
  assert.equal(scalarString(taken.dst), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=9,var_off=(0x0; 0xf))');
  assert.equal(scalarString(fallthrough.dst), 'scalar(smin=umin=umin32=10,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))');
});

test('a range and a tnum sharing one value make a constant (tnum_step)', () => {
  // r2 = *(u8 *)...; r2 &= 0xf0; if r2 >= 0xe1: only 0xf0 is left on the jump side.
  const r = scalarAlu('and', u8Load(), scalarFromImm(0xf0), false);
  const { taken, fallthrough } = refineBranch(r, scalarFromImm(0xe1), 'jge', false);
  assert.equal(scalarString(taken.dst), '240');
  assert.equal(scalarString(fallthrough.dst), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=224,var_off=(0x0; 0xf0))');
});

test('is_branch_taken: decided and undecided comparisons', () => {
  assert.equal(isBranchTaken(u8Load(), scalarFromImm(255), 'jle', false), 1);
  assert.equal(isBranchTaken(u8Load(), scalarFromImm(256), 'jeq', false), 0);
  assert.equal(isBranchTaken(u8Load(), scalarFromImm(5), 'jeq', false), -1);
  // No overlap of the tnums: bit 0 known 1 against 4.
  const odd = scalarAlu('or', scalarAlu('and', u32Load(), scalarFromImm(0xf0), false), scalarFromImm(1), false);
  assert.equal(isBranchTaken(odd, scalarFromImm(4), 'jeq', false), 0);
  assert.equal(isBranchTaken(odd, scalarFromImm(1), 'jset', false), 1);
  // A register against itself is judged by its ranges in 6.18.
  assert.equal(isBranchTaken(u8Load(), u8Load(), 'jgt', false), -1);
});

test('s>>= 63 gives [-1, 0], and an or on it forks the path', () => {
  const r = scalarAlu('arsh', scalarUnknown(), scalarFromImm(63), false);
  assert.equal(scalarString(r), 'scalar(smin=smin32=-1,smax=smax32=0)');
  const fork = maybeForkScalars('or', r, scalarFromImm(5));
  assert.ok(fork);
  assert.equal(scalarString(scalarAlu('or', fork.current, scalarFromImm(5), false)), '-1');
  assert.equal(scalarString(scalarAlu('or', fork.pushed, scalarFromImm(5), false)), '5');
});

test('division and remainder are not tracked in 6.18', () => {
  assert.equal(scalarString(scalarAlu('div', u32Load(), scalarFromImm(2), true)), 'scalar()');
  assert.equal(scalarString(scalarAlu('smod', u32Load(), scalarFromImm(7), false)), 'scalar()');
});

test('a shift by a non-constant makes even a 32-bit result unknown', () => {
  assert.equal(scalarString(scalarAlu('lsh', u8Load(), u8Load(), true)), 'scalar()');
});

test('a dead branch side breaks the invariants: bounds dropped, kernel message', () => {
  const s: MutScalar = copyScalar(scalarUnknown());
  Object.assign(s, {
    varOff: { value: 0n, mask: 0xffffffffn }, smin: 0n, smax: 0xffffffffn, umin: 0n, umax: 0xffffffffn,
    s32min: -1n, s32max: 0n, u32min: 0n, u32max: U32_MAX,
  });
  const r = refineBranch(s, s, 'jsgt', true, true);
  assert.deepEqual(r.messages, [
    'verifier bug: REG INVARIANTS VIOLATION (true_reg1): range bounds violation u64=[0x0, 0xffffffff] ' +
    's64=[0x0, 0xffffffff] u32=[0x0, 0xffffffff] s32=[0x0, 0xffffffff] var_off=(0x0, 0xffffffff)',
  ]);
  assert.equal(scalarString(r.taken.dst), 'scalar(var_off=(0x0; 0xffffffff))');
  assert.equal(scalarString(r.fallthrough.dst), 'scalar(smin=0,smax=umax=0xffffffff,smin32=-1,smax32=0,var_off=(0x0; 0xffffffff))');
});

test('movsx and byte swaps', () => {
  assert.equal(scalarString(coerceRegToSizeSx(u8Load(), 1)), 'scalar(smin=smin32=-128,smax=smax32=127)');
  assert.equal(scalarString(scalarMov(scalarConst(0xf7n), false, 8)), '-9');
  assert.equal(scalarString(scalarEnd(scalarConst(0x1234n), 'be', 16)), '13330'); // 0x3412
  assert.equal(scalarString(scalarEnd(u8Load(), 'bswap', 16)), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=0xff00,var_off=(0x0; 0xff00))');
  assert.equal(scalarString(scalarEnd(u32Load(), 'le', 16)), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=0xffff,var_off=(0x0; 0xffff))');
});

test('range_within and tnum_in for pruning', () => {
  const wide = u32Load(), narrow = u8Load();
  assert.ok(scalarRangeWithin(wide, narrow));
  assert.ok(!scalarRangeWithin(narrow, wide));
  assert.ok(scalarSafe(scalarUnknown(), narrow));
  assert.ok(scalarSafe(narrow, narrow));
  assert.ok(!scalarSafe(scalarConst(5n), scalarConst(6n)));
  // Same ranges, but the tnum of the new value is not within the old one.
  const evens = scalarAlu('and', u8Load(), scalarFromImm(0xfe), false);
  const odds = scalarAlu('or', evens, scalarFromImm(1), false);
  assert.ok(!scalarSafe(evens, odds));
});

// ---------------------------------------------------------------------------------------
// Soundness by brute force

/** The tightest scalar the kernel could describe for a finite set, then synchronised. */
function scalarOf(vals: bigint[]): Scalar {
  const us = vals.map(u64), ss = vals.map(s64), u32s = vals.map(u32), s32s = vals.map(s32);
  const lo = (xs: bigint[]) => xs.reduce((a, b) => (a < b ? a : b));
  const hi = (xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));
  const m = copyScalar(scalarUnknown());
  m.varOff = us.map((v) => tnumConst(v)).reduce(tnumUnion);
  m.umin = lo(us); m.umax = hi(us); m.smin = lo(ss); m.smax = hi(ss);
  m.u32min = lo(u32s); m.u32max = hi(u32s); m.s32min = lo(s32s); m.s32max = hi(s32s);
  return boundsSync(m);
}

const BASES = [
  0n, 1n, 2n, 7n, 100n, 255n, 256n, 0xffffn, S32_MAX, 1n << 31n, U32_MAX, 1n << 32n, (1n << 32n) + 5n, S64_MAX,
  1n << 63n, U64_MAX, U64_MAX - 100n, 0xffffffff80000000n, 0x123456789an,
];

function randomSet(rng: Rng): bigint[] {
  const n = 1 + rng.int(5);
  const out: bigint[] = [];
  const base = rng.pick(BASES);
  for (let i = 0; i < n; i++) {
    const b = rng.chance(0.7) ? base : rng.pick(BASES);
    const r = rng.chance(0.2) ? BigInt(rng.int(2 ** 32)) << BigInt(rng.int(33)) : BigInt(rng.int(9) - 4);
    out.push(u64(b + r));
  }
  return out;
}

const ALU_OPS: AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'and', 'or', 'xor', 'lsh', 'rsh', 'arsh'];
const JMP_OPS: JmpOp[] = ['jeq', 'jne', 'jset', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle'];

function describe(s: Scalar): string {
  return `${scalarString(s)} [u ${s.umin}..${s.umax} s ${s.smin}..${s.smax} u32 ${s.u32min}..${s.u32max} s32 ${s.s32min}..${s.s32max}]`;
}

test('soundness: the abstract result of every ALU op covers the concrete one', () => {
  const rng = new Rng(1234);
  let checks = 0;
  for (let n = 0; n < 2500; n++) {
    const xs = randomSet(rng), ys = rng.chance(0.3) ? [u64(BigInt(rng.int(70)))] : randomSet(rng);
    const a = scalarOf(xs), b = scalarOf(ys);
    for (const v of xs) assert.ok(scalarContains(a, v), `construction ${describe(a)} lost ${v}`);
    for (const is32 of [false, true]) {
      for (const op of ALU_OPS) {
        const fork = maybeForkScalars(op, a, b);
        const onCurrent = fork ? scalarAlu(op, fork.current, b, is32) : scalarAlu(op, a, b, is32);
        const onPushed = fork ? scalarAlu(op, fork.pushed, b, is32) : undefined;
        assert.equal(scalarSanity(onCurrent), undefined, `${op}${is32 ? '32' : ''} broke an invariant: ${describe(onCurrent)}`);
        for (const x of xs) for (const y of ys) {
          const r = concreteAlu(op, x, y, is32);
          const res = fork && onPushed && !scalarContains(fork.current, x) ? onPushed : onCurrent;
          assert.ok(scalarContains(res, r), `${op}${is32 ? '32' : ''} ${describe(a)} ${describe(b)}: ${x} op ${y} = ${r} not in ${describe(res)}`);
          checks++;
        }
      }
      const neg = scalarNeg(a, is32);
      for (const x of xs) { assert.ok(scalarContains(neg, concreteAlu('sub', 0n, x, is32)), `neg ${describe(a)}`); checks++; }
    }
    for (const [kind, bits] of [['bswap', 16], ['bswap', 32], ['bswap', 64], ['be', 16], ['be', 32], ['be', 64], ['le', 16], ['le', 32], ['le', 64]] as [EndOp, 16 | 32 | 64][]) {
      const r = scalarEnd(a, kind, bits);
      for (const x of xs) {
        const bytes = bits / 8;
        let v = u64(x) & ((1n << BigInt(bits)) - 1n);
        if (kind !== 'le') { let w = 0n; for (let i = 0; i < bytes; i++) w = (w << 8n) | ((v >> BigInt(8 * i)) & 0xffn); v = w; }
        assert.ok(scalarContains(r, v), `${kind}${bits} ${describe(a)} on ${x}`);
        checks++;
      }
    }
    for (const size of [1, 2, 4]) {
      const z = coerceRegToSize(a, size), sx = coerceRegToSizeSx(a, size);
      const mask = (1n << BigInt(size * 8)) - 1n;
      for (const x of xs) {
        assert.ok(scalarContains(z, x & mask), `coerce ${size} ${describe(a)} on ${x}`);
        const sxv = u64(BigInt.asIntN(size * 8, x));
        assert.ok(scalarContains(sx, sxv), `coerce_sx ${size} ${describe(a)} on ${x}`);
        if (size < 4) {
          const m32 = scalarMov(a, true, (size * 8) as 8 | 16);
          assert.ok(scalarContains(m32, u32(BigInt.asIntN(size * 8, x))), `movsx32 ${size} ${describe(a)} on ${x}`);
        }
        checks += 3;
      }
    }
  }
  assert.ok(checks > 100000, `${checks} checks`);
});

test('soundness: branch decisions and refinements keep every concrete pair', () => {
  const rng = new Rng(99);
  let checks = 0, decided = 0;
  for (let n = 0; n < 2500; n++) {
    const xs = randomSet(rng);
    const same = rng.chance(0.1);
    const ys = same ? xs : rng.chance(0.4) ? [u64(BigInt(rng.pick([0, 1, 5, -1, 255, 256, -256, 0x7fffffff, -0x80000000])))] : randomSet(rng);
    const a = scalarOf(xs), b = same ? a : scalarOf(ys);
    for (const is32 of [false, true]) {
      for (const op of JMP_OPS) {
        const pred = isBranchTaken(a, b, op, is32);
        const pairs: [bigint, bigint][] = same ? xs.map((x) => [x, x]) : xs.flatMap((x) => ys.map((y) => [x, y] as [bigint, bigint]));
        if (pred !== -1) {
          decided++;
          for (const [x, y] of pairs) {
            assert.equal(concreteJmp(op, x, y, is32), pred === 1, `${op}${is32 ? '32' : ''} said ${pred} for ${x}, ${y}: ${describe(a)} ${describe(b)}`);
            checks++;
          }
          continue;
        }
        const r = refineBranch(a, b, op, is32, same);
        for (const [x, y] of pairs) {
          const side = concreteJmp(op, x, y, is32) ? r.taken : r.fallthrough;
          assert.ok(scalarContains(side.dst, x) && scalarContains(side.src, y),
            `${op}${is32 ? '32' : ''} ${x}, ${y} (${side === r.taken ? 'taken' : 'fallthrough'}): ${describe(a)} ${describe(b)} -> ${describe(side.dst)} ${describe(side.src)}`);
          checks++;
        }
      }
    }
  }
  assert.ok(checks > 50000 && decided > 1000, `${checks} checks, ${decided} decided`);
});

test('constructors and bounds stay consistent', () => {
  for (const v of [0n, 1n, -1n, S64_MIN, S64_MAX, U64_MAX, S32_MIN, S32_MAX, U32_MAX]) {
    const c = scalarConst(v);
    assert.equal(scalarSanity(c), undefined);
    assert.ok(scalarContains(c, v));
  }
  assert.deepEqual(scalarUnknown().varOff, tnumUnknown);
  assert.equal(scalarSanity(boundsSync(scalarUnknown())), undefined);
});

// ---------------------------------------------------------------------------------------
// Differential: the running kernel's log

test('agrees with the running kernel on random ALU/branch sequences', (t) => {
  const k = kernelAvailable();
  if (!k.ok) { t.skip(`kernel not available: ${k.reason}`); return; }
  const N = 300;
  let agree = 0, checks = 0, bad = 0;
  const failures: string[] = [];
  for (let seed = 1; seed <= N; seed++) {
    const r = runCase(seed, 6 + (seed % 15));
    assert.equal(r.error, undefined, `seed ${seed}: ${r.error}\n${r.program.join('\n')}`);
    checks += r.checks.length;
    bad += r.mismatches.length;
    if (r.mismatches.length === 0) agree++;
    else if (failures.length < 3) {
      failures.push(`seed ${seed}:\n  ${r.program.join('\n  ')}\n${r.mismatches.slice(0, 3).map((m) => `  ${m.where} R${m.reg}: kernel ${m.kernel}, ours ${m.ours}`).join('\n')}`);
    }
  }
  t.diagnostic(`${agree}/${N} sequences agree; ${checks - bad}/${checks} printed register states agree`);
  assert.equal(agree, N, failures.join('\n'));
});
