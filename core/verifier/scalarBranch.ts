/**
 * Conditional jumps on scalars, as the Linux 6.18 verifier handles them: whether a branch is
 * decided (is_scalar_branch_taken()), and what each side of an undecided branch learns about
 * both operands (reg_set_min_max() over regs_refine_cond_op()).
 *
 * Invariants: pure functions; for a BPF_K comparison the second operand is
 * scalarFromImm(imm) (the immediate sign-extended to 64 bits, as the kernel's fake register);
 * `is32` compares the subregisters (BPF_JMP32). The refined scalars are synchronised
 * (reg_bounds_sync()) exactly where the kernel synchronises them.
 */

import {
  tnumAnd, tnumConst, tnumIntersect, tnumIsConst, tnumOr, tnumOverlap, tnumSubreg, tnumWithSubreg,
} from './tnum';
import {
  MutScalar, Scalar, U64_MAX, constValueIn, copyScalar, isConstIn, markUnbounded, max, min, regBoundsSanityCheck,
  s32, s64, syncInPlace, u32, u64,
} from './scalar';

/** The conditional jump operations, by kernel name (BPF_JEQ ... BPF_JSLE). */
export type JmpOp = 'jeq' | 'jne' | 'jset' | 'jgt' | 'jge' | 'jlt' | 'jle' | 'jsgt' | 'jsge' | 'jslt' | 'jsle';

/** The refinement ops: the jump ops, plus the negation of jset the kernel writes BPF_JSET | BPF_X. */
type RefineOp = JmpOp | 'jset_not';

/** `a OP b` equals `b FLIP(OP) a`. Mirrors flip_opcode(). */
export function flipJmpOp(op: JmpOp): JmpOp {
  switch (op) {
    case 'jge': return 'jle';
    case 'jgt': return 'jlt';
    case 'jle': return 'jge';
    case 'jlt': return 'jgt';
    case 'jsge': return 'jsle';
    case 'jsgt': return 'jslt';
    case 'jsle': return 'jsge';
    case 'jslt': return 'jsgt';
    default: return op;
  }
}

/** The condition of the fall-through side. Mirrors rev_opcode(). */
function revOp(op: RefineOp): RefineOp {
  switch (op) {
    case 'jeq': return 'jne';
    case 'jne': return 'jeq';
    case 'jset': return 'jset_not';
    case 'jset_not': return 'jset';
    case 'jge': return 'jlt';
    case 'jgt': return 'jle';
    case 'jle': return 'jgt';
    case 'jlt': return 'jge';
    case 'jsge': return 'jslt';
    case 'jsgt': return 'jsle';
    case 'jsle': return 'jsgt';
    case 'jslt': return 'jsge';
  }
}

/**
 * 1 if `a OP b` always holds, 0 if it never does, -1 if it depends. A register compared with
 * itself (`if r1 > r1`) gets no special case in 6.18: it is judged by its ranges like any
 * pair. Mirrors is_scalar_branch_taken() (which is_branch_taken() calls for two scalars).
 */
export function isBranchTaken(a: Scalar, b: Scalar, op: JmpOp, is32: boolean): 1 | 0 | -1 {
  let r1 = a, r2 = b;
  let t1 = is32 ? tnumSubreg(r1.varOff) : r1.varOff;
  let t2 = is32 ? tnumSubreg(r2.varOff) : r2.varOff;
  const umin1 = is32 ? r1.u32min : r1.umin, umax1 = is32 ? r1.u32max : r1.umax;
  const smin1 = is32 ? r1.s32min : r1.smin, smax1 = is32 ? r1.s32max : r1.smax;
  const umin2 = is32 ? r2.u32min : r2.umin, umax2 = is32 ? r2.u32max : r2.umax;
  const smin2 = is32 ? r2.s32min : r2.smin, smax2 = is32 ? r2.s32max : r2.smax;

  switch (op) {
    case 'jeq':
    case 'jne': {
      const eq = op === 'jeq' ? 1 : 0, ne = op === 'jeq' ? 0 : 1;
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value === t2.value ? eq : ne;
      if (!tnumOverlap(t1, t2)) return ne;
      if (umin1 > umax2 || umax1 < umin2) return ne;
      if (smin1 > smax2 || smax1 < smin2) return ne;
      if (!is32) {
        // 64-bit ranges inconclusive: the subregisters may still never meet.
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return ne;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return ne;
      }
      return -1;
    }
    case 'jset':
      if (!isConstIn(r2, is32)) { [r1, r2] = [r2, r1]; [t1, t2] = [t2, t1]; }
      if (!isConstIn(r2, is32)) return -1;
      if (~t1.mask & t1.value & t2.value) return 1;
      if (!((t1.mask | t1.value) & t2.value)) return 0;
      return -1;
    case 'jgt':
      if (umin1 > umax2) return 1;
      if (umax1 <= umin2) return 0;
      return -1;
    case 'jsgt':
      if (smin1 > smax2) return 1;
      if (smax1 <= smin2) return 0;
      return -1;
    case 'jlt':
      if (umax1 < umin2) return 1;
      if (umin1 >= umax2) return 0;
      return -1;
    case 'jslt':
      if (smax1 < smin2) return 1;
      if (smin1 >= smax2) return 0;
      return -1;
    case 'jge':
      if (umin1 >= umax2) return 1;
      if (umax1 < umin2) return 0;
      return -1;
    case 'jsge':
      if (smin1 >= smax2) return 1;
      if (smax1 < smin2) return 0;
      return -1;
    case 'jle':
      if (umax1 <= umin2) return 1;
      if (umin1 > umax2) return 0;
      return -1;
    case 'jsle':
      if (smax1 <= smin2) return 1;
      if (smin1 > smax2) return 0;
      return -1;
  }
}

const isPowerOf2 = (v: bigint) => v !== 0n && (v & (v - 1n)) === 0n;

/** In place on both operands: what `r1 OP r2` holding teaches. Mirrors regs_refine_cond_op(). */
function refineCondOp(reg1: MutScalar, reg2: MutScalar, op: RefineOp, is32: boolean): void {
  // GE/GT/SGE/SGT reuse the LE/LT/SLE/SLT logic with the operands swapped.
  if (op === 'jge' || op === 'jgt' || op === 'jsge' || op === 'jsgt') {
    op = flipJmpOp(op);
    [reg1, reg2] = [reg2, reg1];
  }
  switch (op) {
    case 'jeq':
      if (is32) {
        reg1.u32min = max(reg1.u32min, reg2.u32min);
        reg1.u32max = min(reg1.u32max, reg2.u32max);
        reg1.s32min = max(reg1.s32min, reg2.s32min);
        reg1.s32max = min(reg1.s32max, reg2.s32max);
        reg2.u32min = reg1.u32min;
        reg2.u32max = reg1.u32max;
        reg2.s32min = reg1.s32min;
        reg2.s32max = reg1.s32max;
        const t = tnumIntersect(tnumSubreg(reg1.varOff), tnumSubreg(reg2.varOff));
        reg1.varOff = tnumWithSubreg(reg1.varOff, t);
        reg2.varOff = tnumWithSubreg(reg2.varOff, t);
      } else {
        reg1.umin = max(reg1.umin, reg2.umin);
        reg1.umax = min(reg1.umax, reg2.umax);
        reg1.smin = max(reg1.smin, reg2.smin);
        reg1.smax = min(reg1.smax, reg2.smax);
        reg2.umin = reg1.umin;
        reg2.umax = reg1.umax;
        reg2.smin = reg1.smin;
        reg2.smax = reg1.smax;
        reg1.varOff = tnumIntersect(reg1.varOff, reg2.varOff);
        reg2.varOff = reg1.varOff;
      }
      return;
    case 'jne': {
      if (!isConstIn(reg2, is32)) [reg1, reg2] = [reg2, reg1];
      if (!isConstIn(reg2, is32)) return;
      // A constant at the edge of the other range trims that edge.
      const val = constValueIn(reg2, is32);
      if (is32) {
        if (reg1.u32min === u32(val)) reg1.u32min = u32(reg1.u32min + 1n);
        if (reg1.u32max === u32(val)) reg1.u32max = u32(reg1.u32max - 1n);
        if (reg1.s32min === s32(val)) reg1.s32min = s32(reg1.s32min + 1n);
        if (reg1.s32max === s32(val)) reg1.s32max = s32(reg1.s32max - 1n);
      } else {
        if (reg1.umin === u64(val)) reg1.umin = u64(reg1.umin + 1n);
        if (reg1.umax === u64(val)) reg1.umax = u64(reg1.umax - 1n);
        if (reg1.smin === s64(val)) reg1.smin = s64(reg1.smin + 1n);
        if (reg1.smax === s64(val)) reg1.smax = s64(reg1.smax - 1n);
      }
      return;
    }
    case 'jset': {
      if (!isConstIn(reg2, is32)) [reg1, reg2] = [reg2, reg1];
      if (!isConstIn(reg2, is32)) return;
      // Only a single tested bit tells which bit is set.
      const val = constValueIn(reg2, is32);
      if (!isPowerOf2(val)) return;
      if (is32) reg1.varOff = tnumWithSubreg(reg1.varOff, tnumOr(tnumSubreg(reg1.varOff), tnumConst(val)));
      else reg1.varOff = tnumOr(reg1.varOff, tnumConst(val));
      return;
    }
    case 'jset_not': {
      if (!isConstIn(reg2, is32)) [reg1, reg2] = [reg2, reg1];
      if (!isConstIn(reg2, is32)) return;
      const val = constValueIn(reg2, is32);
      // The ranges are dropped first so that a dead branch cannot break the invariants.
      markUnbounded(reg1);
      const notVal = tnumConst(~val & U64_MAX);
      if (is32) reg1.varOff = tnumWithSubreg(reg1.varOff, tnumAnd(tnumSubreg(reg1.varOff), notVal));
      else reg1.varOff = tnumAnd(reg1.varOff, notVal);
      return;
    }
    case 'jle':
      if (is32) {
        reg1.u32max = min(reg1.u32max, reg2.u32max);
        reg2.u32min = max(reg1.u32min, reg2.u32min);
      } else {
        reg1.umax = min(reg1.umax, reg2.umax);
        reg2.umin = max(reg1.umin, reg2.umin);
      }
      return;
    case 'jlt':
      // The kernel computes max - 1 and min + 1 in the bound's own type (wrapping).
      if (is32) {
        reg1.u32max = min(reg1.u32max, u32(reg2.u32max - 1n));
        reg2.u32min = max(u32(reg1.u32min + 1n), reg2.u32min);
      } else {
        reg1.umax = min(reg1.umax, u64(reg2.umax - 1n));
        reg2.umin = max(u64(reg1.umin + 1n), reg2.umin);
      }
      return;
    case 'jsle':
      if (is32) {
        reg1.s32max = min(reg1.s32max, reg2.s32max);
        reg2.s32min = max(reg1.s32min, reg2.s32min);
      } else {
        reg1.smax = min(reg1.smax, reg2.smax);
        reg2.smin = max(reg1.smin, reg2.smin);
      }
      return;
    case 'jslt':
      if (is32) {
        reg1.s32max = min(reg1.s32max, s32(reg2.s32max - 1n));
        reg2.s32min = max(s32(reg1.s32min + 1n), reg2.s32min);
      } else {
        reg1.smax = min(reg1.smax, s64(reg2.smax - 1n));
        reg2.smin = max(s64(reg1.smin + 1n), reg2.smin);
      }
      return;
  }
}

/** The two operands of a comparison on one side of the branch. */
export interface BranchSide {
  dst: Scalar;
  src: Scalar;
}

/**
 * What each side of an undecided `if dst OP src goto` learns: `taken` (the jump) and
 * `fallthrough`, each with both operands refined and synchronised. With `sameReg` (`if r1 >
 * r1`) the two operands are one register, refined through both roles at once and
 * synchronised twice, as in the kernel (6.18 does not skip that case); `dst` and `src` of
 * each side are then the same scalar. A side that cannot happen may break the invariants:
 * then, as in the kernel, that scalar's bounds are dropped and `messages` holds the
 * `verifier bug: REG INVARIANTS VIOLATION (...)` lines the kernel logs (checked in the
 * order true_reg1, true_reg2, false_reg1, false_reg2). Call it only when isBranchTaken()
 * gave -1. Mirrors reg_set_min_max().
 */
export function refineBranch(
  dst: Scalar, src: Scalar, op: JmpOp, is32: boolean, sameReg = false,
): { taken: BranchSide; fallthrough: BranchSide; messages: string[] } {
  const side = (cond: RefineOp): { d: MutScalar; s: MutScalar } => {
    const d = copyScalar(dst);
    const s = sameReg ? d : copyScalar(src);
    refineCondOp(d, s, cond, is32);
    syncInPlace(d);
    syncInPlace(s);
    return { d, s };
  };
  const f = side(revOp(op));
  const t = side(op);
  const messages: string[] = [];
  const check = (r: MutScalar, where: string) => {
    const c = regBoundsSanityCheck(r, where);
    if (c.message) { messages.push(c.message); Object.assign(r, c.scalar); }
  };
  check(t.d, 'true_reg1');
  check(t.s, 'true_reg2');
  check(f.d, 'false_reg1');
  check(f.s, 'false_reg2');
  return { taken: { dst: t.d, src: t.s }, fallthrough: { dst: f.d, src: f.s }, messages };
}

/** Whether concrete operands take the jump (64-bit or subregister comparison), for tests. */
export function concreteJmp(op: JmpOp, a: bigint, b: bigint, is32: boolean): boolean {
  const W = is32 ? 32 : 64;
  const ua = BigInt.asUintN(W, a), ub = BigInt.asUintN(W, b);
  const sa = BigInt.asIntN(W, a), sb = BigInt.asIntN(W, b);
  switch (op) {
    case 'jeq': return ua === ub;
    case 'jne': return ua !== ub;
    case 'jset': return (ua & ub) !== 0n;
    case 'jgt': return ua > ub;
    case 'jge': return ua >= ub;
    case 'jlt': return ua < ub;
    case 'jle': return ua <= ub;
    case 'jsgt': return sa > sb;
    case 'jsge': return sa >= sb;
    case 'jslt': return sa < sb;
    case 'jsle': return sa <= sb;
  }
}

