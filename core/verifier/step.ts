/**
 * One instruction of the abstract walk: what it does to the state, or the kernel's message
 * when it is not allowed. Mirrors do_check()'s class dispatch and check_alu_op(),
 * check_cond_jmp_op(), check_ld_imm(), check_ld_abs() and the exit handling; memory
 * accesses are in mem.ts and calls in calls.ts.
 *
 * The state passed in belongs to the caller's path and is updated in place; a branch the
 * bounds do not decide returns two states.
 */

import { Insn, LDDW_CODE } from '../isa/insn';
import { LinkedProgram, MapRef } from '../link';
import { MapDef } from '../object';
import {
  boundsSync, constValueIn, isConstIn, regBoundsSanityCheck, Scalar, scalarConst, scalarUnknown, S64_MIN,
} from './scalar';
import { AluOp, maybeForkScalars, scalarAlu, scalarEnd, scalarMov, scalarMovImm, scalarNeg } from './scalarAlu';
import { isBranchTaken, JmpOp, refineBranch } from './scalarBranch';
import { cloneState, constReg, curFrame, isPktPointer, isPointer, NOT_INIT, ptrReg, Reg, regTypeName, scalarReg, VState } from './state';
import { checkMemAccess, checkAtomic } from './mem';
import { checkCall, checkExit, failLeak } from './calls';
import { tnumIsConst } from './tnum';

export class VerifyError extends Error {
  constructor(message: string, readonly detail?: string[]) {
    super(message);
  }
}

export function fail(message: string, detail?: string[]): never {
  throw new VerifyError(message, detail);
}

export interface Ctx {
  insns: readonly Insn[];
  progType: string;
  /** The expected attach type, where the program type has several (cgroup_skb egress...). */
  attachType?: string;
  license: string;
  maps: readonly MapDef[];
  program: LinkedProgram;
  subprogs: number[];
  mapRefs: Map<number, MapRef>;
  /** The deepest stack byte each subprogram touches (by its first slot), for the call-graph check. */
  stackDepth: Map<number, number>;
}

export type StepOut =
  | { kind: 'next'; state: VState; pc: number }
  | { kind: 'branch'; fallthrough: VState; fallthroughPc: number; taken: VState; takenPc: number }
  | { kind: 'exit' };

const ALU_OPS: Record<number, AluOp | 'neg' | 'mov' | 'end'> = {
  0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and', 0x60: 'lsh', 0x70: 'rsh',
  0x80: 'neg', 0x90: 'mod', 0xa0: 'xor', 0xb0: 'mov', 0xc0: 'arsh', 0xd0: 'end',
};

const JMP_OPS: Record<number, JmpOp> = {
  0x10: 'jeq', 0x20: 'jgt', 0x30: 'jge', 0x40: 'jset', 0x50: 'jne', 0x60: 'jsgt', 0x70: 'jsge',
  0xa0: 'jlt', 0xb0: 'jle', 0xc0: 'jslt', 0xd0: 'jsle',
};

/** check_reg_arg(SRC_OP): the register must hold a value. */
export function readReg(st: VState, r: number): Reg {
  if (r >= 11) fail(`R${r} is invalid`);
  const reg = curFrame(st).regs[r];
  if (reg.kind === 'not_init') fail(`R${r} !read_ok`);
  return reg;
}

/** check_reg_arg(DST_OP): the register may be written (not r10). */
export function checkWritable(r: number): void {
  if (r >= 11) fail(`R${r} is invalid`);
  if (r === 10) fail('frame pointer is read only');
}

export function setReg(st: VState, r: number, reg: Reg): void {
  curFrame(st).regs[r] = reg;
}

export function stepInsn(ctx: Ctx, st: VState, pc: number): StepOut {
  const i = ctx.insns[pc];
  const cls = i.code & 7;
  switch (cls) {
    case 0x04: case 0x07:
      return checkAlu(ctx, st, i, pc);
    case 0x01: { // LDX
      if (i.imm !== 0) fail('BPF_LDX uses reserved fields');
      const mode = i.code & 0xe0;
      if (mode !== 0x60 && mode !== 0x80) fail('unknown insn class 1');
      readReg(st, i.src);
      checkWritable(i.dst);
      checkMemAccess(ctx, st, pc, i.src, i.off, SIZE[i.code & 0x18], 'read', i.dst, mode === 0x80);
      return { kind: 'next', state: st, pc: pc + 1 };
    }
    case 0x03: { // STX
      if ((i.code & 0xe0) === 0xc0) { checkAtomic(ctx, st, pc, i); return { kind: 'next', state: st, pc: pc + 1 }; }
      if ((i.code & 0xe0) !== 0x60 || i.imm !== 0) fail('BPF_STX uses reserved fields');
      readReg(st, i.src);
      readReg(st, i.dst);
      checkMemAccess(ctx, st, pc, i.dst, i.off, SIZE[i.code & 0x18], 'write', i.src, false);
      return { kind: 'next', state: st, pc: pc + 1 };
    }
    case 0x02: { // ST
      if ((i.code & 0xe0) !== 0x60 || i.src !== 0) fail('BPF_ST uses reserved fields');
      readReg(st, i.dst);
      checkMemAccess(ctx, st, pc, i.dst, i.off, SIZE[i.code & 0x18], 'write', -1, false, scalarConst(BigInt(i.imm)));
      return { kind: 'next', state: st, pc: pc + 1 };
    }
    case 0x05: case 0x06:
      return checkJmp(ctx, st, i, pc);
    case 0x00:
      if (i.code === LDDW_CODE) return checkLdImm(ctx, st, i, pc);
      if ((i.code & 0xe0) === 0x20 || (i.code & 0xe0) === 0x40) return checkLdAbs(ctx, st, i, pc);
      fail('invalid BPF_LD mode');
  }
  return fail(`unknown insn class ${cls}`);
}

const SIZE: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

// --- ALU -------------------------------------------------------------------------------------

function checkAlu(ctx: Ctx, st: VState, i: Insn, pc: number): StepOut {
  const is64 = (i.code & 7) === 0x07;
  const opBits = i.code & 0xf0;
  const op = ALU_OPS[opBits];
  const useReg = (i.code & 0x08) !== 0;
  const next: StepOut = { kind: 'next', state: st, pc: pc + 1 };
  if (!op) fail(`invalid BPF_ALU opcode ${opBits.toString(16)}`);

  if (op === 'end' || op === 'neg') {
    if (op === 'neg') {
      if (useReg || i.src !== 0 || i.off !== 0 || i.imm !== 0) fail('BPF_NEG uses reserved fields');
    } else if (i.src !== 0 || i.off !== 0 || (i.imm !== 16 && i.imm !== 32 && i.imm !== 64) || (is64 && useReg)) {
      fail('BPF_END uses reserved fields');
    }
    const dst = readReg(st, i.dst);
    checkWritable(i.dst);
    // Privileged programs may negate or byte-swap a pointer: the result is an unknown scalar.
    if (isPointer(dst)) { setReg(st, i.dst, scalarReg(scalarUnknown())); return next; }
    const v = op === 'neg' ? scalarNeg(dst.v, !is64) : scalarEnd(dst.v, is64 ? 'bswap' : useReg ? 'be' : 'le', i.imm as 16 | 32 | 64);
    setReg(st, i.dst, scalarReg(v));
    return next;
  }

  if (op === 'mov') {
    const sx = i.off;
    if (useReg) {
      if (i.imm !== 0 || !(sx === 0 || (is64 && (sx === 8 || sx === 16 || sx === 32 || sx === 1)) || (!is64 && (sx === 8 || sx === 16)))) {
        fail('BPF_MOV uses reserved fields');
      }
      const src = readReg(st, i.src);
      checkWritable(i.dst);
      if (sx === 1) { // addr_space_cast: only arena pointers; no arena here
        fail(`addr_space_cast insn can only be used in a program that has an associated arena`);
      }
      if (!isPointer(src) || (is64 && sx === 0)) {
        if (is64 && sx === 0) setReg(st, i.dst, { ...src });
        else setReg(st, i.dst, scalarReg(scalarMov(src.kind === 'scalar' ? src.v : scalarUnknown(), !is64, sx as 0 | 8 | 16 | 32)));
      } else {
        // A 32-bit or sign-extending copy of a pointer: privileged programs get an unknown scalar.
        setReg(st, i.dst, scalarReg(scalarMov(scalarUnknown(), !is64, sx as 0 | 8 | 16 | 32)));
      }
      return next;
    }
    if (i.src !== 0 || i.off !== 0) fail('BPF_MOV uses reserved fields');
    checkWritable(i.dst);
    setReg(st, i.dst, scalarReg(scalarMovImm(i.imm, !is64)));
    return next;
  }

  // Binary operations.
  if (useReg) {
    if (i.imm !== 0 || !(i.off === 0 || ((op === 'div' || op === 'mod') && i.off === 1))) fail('BPF_ALU uses reserved fields');
  } else if (i.src !== 0 || !(i.off === 0 || ((op === 'div' || op === 'mod') && i.off === 1))) {
    fail('BPF_ALU uses reserved fields');
  }
  const dst = readReg(st, i.dst);
  const src = useReg ? readReg(st, i.src) : constReg(BigInt(i.imm));
  checkWritable(i.dst);
  if (!useReg && (op === 'div' || op === 'mod') && i.imm === 0) fail('div by zero');
  const width = is64 ? 64 : 32;
  if (!useReg && (op === 'lsh' || op === 'rsh' || op === 'arsh') && (i.imm < 0 || i.imm >= width)) fail(`invalid shift ${i.imm}`);
  const aluOp: AluOp = op === 'div' && i.off === 1 ? 'sdiv' : op === 'mod' && i.off === 1 ? 'smod' : (op as AluOp);

  if (isPointer(dst) || isPointer(src)) {
    setReg(st, i.dst, pointerArith(st, i, aluOp, dst, src, is64));
    return next;
  }
  const fork = (aluOp === 'and' || aluOp === 'or') ? maybeForkScalars(aluOp, dst.v, src.v) : undefined;
  if (fork) {
    // The kernel splits a value in [-1, 0] in two and verifies the instruction for each.
    const other = cloneState(st);
    setReg(other, i.dst, scalarReg(fork.pushed));
    setReg(st, i.dst, scalarReg(fork.current));
    return { kind: 'branch', fallthrough: st, fallthroughPc: pc, taken: other, takenPc: pc };
  }
  const res = scalarAlu(aluOp, dst.v, src.v, !is64);
  const checked = regBoundsSanityCheck(res, 'alu');
  if (checked.message) fail(checked.message);
  setReg(st, i.dst, scalarReg(res));
  return next;
}

const OP_NAMES: Record<string, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', mod: '%=', smod: 's%=', and: '&=', or: '|=', xor: '^=',
  lsh: '<<=', rsh: '>>=', arsh: 's>>=',
};

/** adjust_ptr_min_max_vals(): what arithmetic on a pointer may do, and its result. */
function pointerArith(st: VState, i: Insn, op: AluOp, dst: Reg, src: Reg, is64: boolean): Reg {
  const d = i.dst;
  if (!is64) fail(`R${d} 32-bit pointer arithmetic prohibited`);
  if (isPointer(dst) && isPointer(src)) {
    // Privileged programs may subtract any two pointers; the difference is an unknown scalar.
    if (op === 'sub') return scalarReg(scalarUnknown());
    fail(`R${d} pointer ${OP_NAMES[op]} pointer prohibited`);
  }
  const [ptr, off, ptrIsDst] = isPointer(dst) ? [dst, src, true] : [src, dst, false];
  if (!ptrIsDst && op === 'sub') fail(`R${d} tried to subtract pointer from scalar`);
  if (op !== 'add' && op !== 'sub') {
    fail(op === 'and' || op === 'or' || op === 'xor' ? `R${d} bitwise operator ${OP_NAMES[op]} on pointer prohibited` : `R${d} pointer arithmetic with ${OP_NAMES[op]} operator prohibited`);
  }
  if (ptr.maybeNull) fail(`R${d} pointer arithmetic on ${regTypeName(ptr)} prohibited, null-check it first`);
  const known = tnumIsConst(off.v.varOff);
  if (ptr.kind === 'map_ptr' && known && off.v.varOff.value === 0n) return { ...ptr }; // + 0 changes nothing
  if (ptr.kind === 'map_ptr' || ptr.kind === 'pkt_end' || ptr.kind === 'func' || ptr.kind === 'sock' || ptr.kind === 'socket' || ptr.kind === 'flow_keys') {
    fail(`R${d} pointer arithmetic on ${regTypeName(ptr)} prohibited`);
  }
  if (ptr.kind === 'stack' && op === 'sub') fail(`R${d} subtraction from stack pointer prohibited`);
  saneOffset(off.v, ptr);
  const res: Reg = { ...ptr };
  if (known) {
    const c = BigInt.asIntN(64, off.v.varOff.value);
    const delta = op === 'add' ? c : -c;
    const newOff = BigInt(ptr.off) + delta;
    if (newOff >= BPF_MAX_VAR_OFF || newOff <= -BPF_MAX_VAR_OFF) fail(`${regTypeName(ptr)} pointer offset ${newOff} is not allowed`);
    res.off = Number(newOff);
    return res;
  }
  // A variable offset: the pointer's variable part grows; packet pointers lose their range.
  res.v = scalarAlu(op, ptr.v, off.v, false);
  if (isPktPointer(ptr)) { res.range = 0; res.id = ++st.nextId; }
  saneOffset(res.v, res);
  return res;
}

const BPF_MAX_VAR_OFF = 1n << 29n;

/** check_reg_sane_offset(): offsets a pointer may carry, checked on the operand and on the result. */
function saneOffset(v: Scalar, ptr: Reg): void {
  const name = regTypeName(ptr);
  const val = BigInt.asIntN(64, v.varOff.value);
  if (tnumIsConst(v.varOff) && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) fail(`math between ${name} pointer and ${val} is not allowed`);
  if (BigInt(ptr.off) >= BPF_MAX_VAR_OFF || BigInt(ptr.off) <= -BPF_MAX_VAR_OFF) fail(`${name} pointer offset ${ptr.off} is not allowed`);
  if (v.smin === S64_MIN) fail(`math between ${name} pointer and register with unbounded min value is not allowed`);
  if (v.smin >= BPF_MAX_VAR_OFF || v.smin <= -BPF_MAX_VAR_OFF) fail(`value ${v.smin} makes ${name} pointer be out of bounds`);
}

// --- jumps -----------------------------------------------------------------------------------

function checkJmp(ctx: Ctx, st: VState, i: Insn, pc: number): StepOut {
  const is64 = (i.code & 7) === 0x05;
  const opBits = i.code & 0xf0;
  if (opBits === 0x00) {
    if (is64) {
      if (i.src !== 0 || i.dst !== 0 || i.imm !== 0 || (i.code & 0x08)) fail('BPF_JA uses reserved fields');
      return { kind: 'next', state: st, pc: pc + 1 + i.off };
    }
    if (i.src !== 0 || i.dst !== 0 || i.off !== 0 || (i.code & 0x08)) fail('BPF_JA uses reserved fields');
    return { kind: 'next', state: st, pc: pc + 1 + i.imm };
  }
  if (is64 && opBits === 0x80) return checkCall(ctx, st, i, pc);
  if (is64 && opBits === 0x90) {
    if (i.src !== 0 || i.dst !== 0 || i.off !== 0 || i.imm !== 0 || (i.code & 0x08)) fail('BPF_EXIT uses reserved fields');
    return checkExit(ctx, st, pc);
  }
  if (is64 && opBits === 0xe0) {
    if (i.imm !== 0) fail(`invalid may_goto imm ${i.imm}`);
    // may_goto: either way is possible; going on counts one more pass of the bounded loop.
    const taken = cloneState(st);
    st.mayGotoDepth = (st.mayGotoDepth ?? 0) + 1;
    return { kind: 'branch', fallthrough: st, fallthroughPc: pc + 1, taken, takenPc: pc + 1 + i.off };
  }
  const op = JMP_OPS[opBits];
  if (!op) fail(`invalid BPF_JMP/JMP32 opcode ${opBits.toString(16)}`);
  const useReg = (i.code & 0x08) !== 0;
  if (useReg ? i.imm !== 0 : i.src !== 0) fail('BPF_JMP/JMP32 uses reserved fields');
  const dst = readReg(st, i.dst);
  const src = useReg ? readReg(st, i.src) : constReg(BigInt(i.imm));
  const fall = pc + 1, target = pc + 1 + i.off;

  // Null checks: `if rX == 0` on a maybe-null pointer decides each side (mark_ptr_or_null_regs()).
  if (dst.maybeNull && !useReg && i.imm === 0 && (op === 'jeq' || op === 'jne') && is64) {
    const taken = cloneState(st);
    markNull(op === 'jeq' ? taken : st, dst.id, true);
    markNull(op === 'jeq' ? st : taken, dst.id, false);
    return { kind: 'branch', fallthrough: st, fallthroughPc: fall, taken, takenPc: target };
  }
  // Packet bounds: `if pkt + N > pkt_end` proves N bytes on one side (find_good_pkt_pointers()).
  // data_meta is checked against data as data is against data_end.
  const endOf = (p: Reg, e: Reg) => (p.kind === 'pkt' && e.kind === 'pkt_end') || (p.kind === 'pkt_meta' && e.kind === 'pkt');
  if (is64 && useReg && (endOf(dst, src) || endOf(src, dst))) {
    return pktCompare(st, i, op, dst, src, fall, target);
  }
  if (isPointer(dst) && !dst.maybeNull && !useReg && i.imm === 0 && (op === 'jeq' || op === 'jne') && is64) {
    // A pointer that cannot be NULL never equals 0 (is_branch_taken() on reg_not_null()).
    return { kind: 'next', state: st, pc: op === 'jeq' ? fall : target };
  }
  if (isPointer(dst) || isPointer(src)) {
    // Other pointer comparisons are allowed to privileged programs and teach nothing.
    return { kind: 'branch', fallthrough: st, fallthroughPc: fall, taken: cloneState(st), takenPc: target };
  }
  const decided = isBranchTaken(dst.v, src.v, op, !is64);
  if (decided === 1) return { kind: 'next', state: st, pc: target };
  if (decided === 0) return { kind: 'next', state: st, pc: fall };
  const r = refineBranch(dst.v, src.v, op, !is64, useReg && i.src === i.dst);
  const taken = cloneState(st);
  setReg(taken, i.dst, { ...dst, v: r.taken.dst });
  setReg(st, i.dst, { ...dst, v: r.fallthrough.dst });
  if (useReg && i.src !== i.dst) {
    setReg(taken, i.src, { ...src, v: r.taken.src });
    setReg(st, i.src, { ...src, v: r.fallthrough.src });
  }
  return { kind: 'branch', fallthrough: st, fallthroughPc: fall, taken, takenPc: target };
}

/** On one side of a null check, every copy of the pointer (same id) becomes NULL or non-NULL. */
function markNull(st: VState, id: number, isNull: boolean): void {
  if (!id) return;
  for (const f of st.frames) {
    const fix = (r: Reg): Reg => {
      if (!r.maybeNull || r.id !== id) return r;
      if (isNull) return constReg(0n);
      return r.innerMap ? ptrReg('map_ptr', { map: r.map }) : { ...r, maybeNull: false };
    };
    f.regs = f.regs.map(fix);
    for (const sl of f.slots) if (sl.spilled) sl.spilled = fix(sl.spilled);
  }
  if (isNull) st.refs = st.refs.filter((r) => r.id !== id);
}

function pktCompare(st: VState, i: Insn, op: JmpOp, dst: Reg, src: Reg, fall: number, target: number): StepOut {
  const taken = cloneState(st);
  const pktIsDst = (dst.kind === 'pkt' && src.kind === 'pkt_end') || (dst.kind === 'pkt_meta' && src.kind === 'pkt');
  const pkt = pktIsDst ? dst : src;
  // Which side proves `pkt <= end` (off bytes are in the packet) or `pkt < end` (off + 1)?
  // Mirrors find_good_pkt_pointers() and its range_right_open case.
  const taken_: { le?: boolean; lt?: boolean } = {}, fall_: { le?: boolean; lt?: boolean } = {};
  if (pktIsDst) {
    if (op === 'jle') taken_.le = true; else if (op === 'jlt') taken_.lt = true;
    else if (op === 'jgt') fall_.le = true; else if (op === 'jge') fall_.lt = true;
  } else {
    if (op === 'jge') taken_.le = true; else if (op === 'jgt') taken_.lt = true;
    else if (op === 'jlt') fall_.le = true; else if (op === 'jle') fall_.lt = true;
  }
  // No range is learnt for a pointer that may lie past MAX_PACKET_OFF (0xffff) from data.
  if (pkt.v.umax + BigInt(pkt.off) <= 0xffffn && (tnumIsConst(pkt.v.varOff) || pkt.id)) {
    if (taken_.le || taken_.lt) setRange(taken, pkt, pkt.off + (taken_.lt ? 1 : 0));
    if (fall_.le || fall_.lt) setRange(st, pkt, pkt.off + (fall_.lt ? 1 : 0));
  }
  return { kind: 'branch', fallthrough: st, fallthroughPc: fall, taken, takenPc: target };
}

/** Every packet pointer with the same id learns the range (only ever grows). */
function setRange(st: VState, pkt: Reg, range: number): void {
  if (range < 0) return;
  for (const f of st.frames) {
    const fix = (r: Reg): Reg => (r.kind === pkt.kind && r.id === pkt.id && r.range < range ? { ...r, range } : r);
    f.regs = f.regs.map(fix);
    for (const sl of f.slots) if (sl.spilled) sl.spilled = fix(sl.spilled);
  }
}

// --- 64-bit immediates and legacy packet loads --------------------------------------------------

function checkLdImm(ctx: Ctx, st: VState, i: Insn, pc: number): StepOut {
  if (i.off !== 0) fail('invalid BPF_LD_IMM insn');
  checkWritable(i.dst);
  const ref = ctx.mapRefs.get(pc);
  const next: StepOut = { kind: 'next', state: st, pc: pc + 2 };
  if (ref) {
    const map = ctx.maps.find((m) => m.name === ref.map);
    if (ref.kind === 'map') setReg(st, i.dst, ptrReg('map_ptr', { map }));
    else {
      // BPF_PSEUDO_MAP_VALUE: only single-element arrays give a value address (map_direct_value_addr()).
      if (!map || map.type !== 'array') fail('no direct value access support for this map type');
      if (map.maxEntries !== 1 || ref.offset >= map.valueSize) fail(`invalid access to map value pointer, value_size=${map.valueSize} off=${ref.offset}`);
      setReg(st, i.dst, ptrReg('map_value', { map, off: ref.offset }));
    }
    return next;
  }
  // A callback's address needs the program's BTF function info, which assembly has not.
  if (i.src === 4) fail('missing btf func_info');
  if (i.src !== 0) fail(`fd ${i.imm} is not pointing to valid bpf_map`);
  const hi = ctx.insns[pc + 1].imm;
  setReg(st, i.dst, constReg((BigInt(hi >>> 0) << 32n) | BigInt(i.imm >>> 0)));
  return next;
}

const LD_ABS_TYPES = new Set(['socket_filter', 'sched_cls', 'sched_act', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb']);

function checkLdAbs(ctx: Ctx, st: VState, i: Insn, pc: number): StepOut {
  if (!LD_ABS_TYPES.has(ctx.progType)) fail('BPF_LD_[ABS|IND] instructions not allowed for this program type');
  const mode = i.code & 0xe0;
  if (i.dst !== 0 || i.off !== 0 || (i.code & 0x18) === 0x18 || (mode === 0x20 && i.src !== 0)) fail('BPF_LD_[ABS|IND] uses reserved fields');
  if (st.frames.length > 1) fail('LD_ABS is not allowed in subprogs without BTF');
  if (st.refs.length) failLeak(st, 'BPF_LD_[ABS|IND]');
  const r6 = curFrame(st).regs[6];
  if (r6.kind === 'not_init') fail('R6 !read_ok');
  if (r6.kind !== 'ctx') fail('at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  if (mode === 0x40) readReg(st, i.src);
  const f = curFrame(st);
  for (let r = 1; r <= 5; r++) f.regs[r] = NOT_INIT;
  f.regs[0] = scalarReg(scalarUnknownOfSize(SIZE[i.code & 0x18]));
  return { kind: 'next', state: st, pc: pc + 1 };
}

function scalarUnknownOfSize(size: number): Scalar {
  const max = (1n << BigInt(size * 8)) - 1n;
  return boundsSync({ ...scalarUnknown(), umin: 0n, umax: max, smin: 0n, smax: max });
}

export { constValueIn, isConstIn };
