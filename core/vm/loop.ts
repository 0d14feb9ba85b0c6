/**
 * The interpreter's hot loop: one flat `switch` on the opcode byte per instruction, as ubpf's
 * loop does. No BigInt and no allocation on the way through ALU, JMP, loads and stores:
 * registers are the machine's int32 halves in one array (`regs`: the low half of rN at N, the
 * high half at N | 16; core/vm/int64.ts), the program is one array of four int32 per slot
 * (`code`: the packed instruction, its imm, and its segment, see below), and an address finds
 * its region in O(1) from its high half (core/vm/memory.ts).
 *
 * What is rare stays out of the loop (`runFast`), so that V8 keeps its state in registers:
 * exits, calls, atomics, legacy packet loads, 64-bit division, lddw of a map or a function,
 * any access whose check fails, and anything the loop does not know (a context's pointer
 * fields are the one call it makes). For those it returns the instruction to `interpret`,
 * which runs it with `Machine.slowExec`, the one implementation of them; the JIT (core/jit)
 * calls the same paths, so both give the same faults in the same words.
 *
 * Accounting: `left` is what the loop may still run, the smaller of the budget and the steps
 * asked for (at most MAX_LEFT at a time). It is taken a segment at a time (the instructions up
 * to the next jump, exit or handover: `segmentLengths`), so that the pc and the budget are
 * checked once per segment rather than per instruction; what did not run goes back when the
 * loop returns in the middle of one, and near the end of the budget or the steps the loop goes
 * one instruction at a time, so every count and fault is exactly the one-at-a-time answer.
 */

import * as I from './int64';

// The 64-bit arithmetic as module constants, so that the loop calls known functions (V8 inlines them).
const { res, arsh64, bswap16, bswap32, lsh64, mul64, rsh64, sdiv32, smod32, sub64, udiv32, umod32 } = I;
import { HI_BASE, LO_BASE } from './memory';
import type { Machine, Stop } from './machine';
import type { Region } from './memory';

/** The opcode a slot gets when a register field is over 10: the slow path reports it. */
export const BAD_REGISTER_OP = 0x100;
/** Return address of a frame that a helper's callback opened: the callback returns to the helper. */
export const CALLBACK_RETURN = -2;
/** Offset of a register's high half in the machine's `regs` (the loop writes it as `| 16`). */
export const HI_REG = 16;

/** mov with a nonzero offset: movsx8/16/32 sign-extend; any other offset moves as mov does. */
function mov64(R: Int32Array, d: number, b: number, bh: number, off: number): void {
  if (off === 8) { R[d] = (b << 24) >> 24; R[d | 16] = R[d] >> 31; }
  else if (off === 16) { R[d] = (b << 16) >> 16; R[d | 16] = R[d] >> 31; }
  else if (off === 32) { R[d] = b; R[d | 16] = b >> 31; }
  else { R[d] = b; R[d | 16] = bh; }
}

/**
 * How the loop (and the JIT) treats an opcode: ALU, loads, stores, lddw and may_goto run in
 * line; jumps and exits end a segment; everything else is a `handover` to Machine.slowExec
 * (calls, atomics, legacy packet loads, unknown opcodes, and BAD_REGISTER_OP).
 */
export type Kind = 'alu' | 'load' | 'store' | 'lddw' | 'cond' | 'ja' | 'exit' | 'nop' | 'handover';

const ALU_OPS = new Set<number>();
for (const base of [0x07, 0x0f, 0x04, 0x0c]) for (let code = 0x00; code <= 0xd0; code += 0x10) ALU_OPS.add(base | code);
const LOAD_OPS = new Set([0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91]);
const STORE_OPS = new Set([0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b]);
const COND_CODES = new Set([0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]);

export function kindOf(op: number): Kind {
  if (ALU_OPS.has(op)) return 'alu';
  if (LOAD_OPS.has(op)) return 'load';
  if (STORE_OPS.has(op)) return 'store';
  if (op === 0x18) return 'lddw';
  const cls = op & 7, code = op & 0xf0;
  if (cls === 0x05 || cls === 0x06) {
    if (code === 0x00) return 'ja';
    if (COND_CODES.has(code)) return 'cond';
    if (cls === 0x05 && code === 0x90) return 'exit';
    if (cls === 0x05 && code === 0xe0) return 'nop'; // may_goto
  }
  return 'handover';
}

/**
 * The loop's segments: from each slot, how many instructions run in a row before one that
 * may jump, exit or hand over (that one included), and the slot after the last of them. The
 * loop takes a segment's length from the budget at once, and checks the pc and the budget
 * only where a segment starts; a fault inside gives back what did not run.
 */
export function segmentLengths(ops: Uint16Array): { lens: Int32Array; ends: Int32Array } {
  const n = ops.length;
  const lens = new Int32Array(n), ends = new Int32Array(n);
  for (let pc = n - 1; pc >= 0; pc--) {
    const k = kindOf(ops[pc]);
    const next = pc + (k === 'lddw' ? 2 : 1);
    const last = k === 'cond' || k === 'ja' || k === 'exit' || k === 'handover' || next >= n;
    lens[pc] = last ? 1 : 1 + lens[next];
    ends[pc] = last ? next : ends[next];
  }
  return { lens, ends };
}

/**
 * Superinstructions: a pair of slots that compiled programs often hold back to back runs in
 * one dispatch. The pair's first slot gets one of these opcodes in the loop's `code` (bytes no
 * instruction the loop runs has); the second slot keeps its own, for jumps that land on it.
 * The fused case runs the first instruction, and the second only when the segment goes on
 * (not when the loop runs one instruction at a time, near the end of the budget or the steps,
 * or for a debugger): each instruction still counts, stops and faults as itself.
 */
const F_MOV_ADD_K = 0xe7; // rd = rs; rd += imm
const F_MOV_ADD_X = 0xef; // rd = rs; rd += rt
const F_MOV_RSH_K = 0xf7; // rd = rs; rd >>= imm
const F_MOV_LSH_K = 0xff; // rd = rs; rd <<= imm
const F_MOV_AND_K = 0xe4; // rd = rs; rd &= imm
const F_ZEXT = 0xec; // rd <<= 32; rd >>= 32
const F_SEXT = 0xf4; // rd <<= 32; rd s>>= 32
const F_ADD_JLT_K = 0xfc; // rd += imm; if rd < imm2 goto (unsigned, 64-bit)
const F_ADD32_JLT32_K = 0xe6; // wd += imm; if wd < imm2 goto (unsigned, 32-bit)
const F_LDXH_ADD_X = 0xee; // rd = *(u16 *)(rs + off); rt += rd
const F_LDXB_ADD_X = 0xf6; // rd = *(u8 *)(rs + off); rt += rd
const F_MOV32_ADD_K = 0xfe; // wd = ws; wd += imm
const F_MOV32_AND_K = 0xf5; // wd = ws; wd &= imm
const F_MOV32_RSH_K = 0xfd; // wd = ws; wd >>= imm
const F_MOV32_LSH_K = 0x01; // wd = ws; wd <<= imm

/** The superinstruction that slots k and k + 1 make, or 0 (columns as DecodedProgram's). */
export function fusedOp(ops: Uint16Array, dsts: Uint8Array, srcs: Uint8Array, offs: Int16Array, imms: Int32Array, k: number): number {
  if (k + 1 >= ops.length) return 0;
  const a = ops[k], b = ops[k + 1], d = dsts[k];
  if (a === 0xbf && offs[k] === 0 && dsts[k + 1] === d) {
    if (b === 0x07) return F_MOV_ADD_K;
    if (b === 0x0f) return F_MOV_ADD_X;
    if (b === 0x77) return F_MOV_RSH_K;
    if (b === 0x67) return F_MOV_LSH_K;
    if (b === 0x57) return F_MOV_AND_K;
  }
  if (a === 0xbc && offs[k] === 0 && dsts[k + 1] === d) {
    if (b === 0x04) return F_MOV32_ADD_K;
    if (b === 0x54) return F_MOV32_AND_K;
    if (b === 0x74) return F_MOV32_RSH_K;
    if (b === 0x64) return F_MOV32_LSH_K;
  }
  if (a === 0x67 && (imms[k] & 63) === 32 && dsts[k + 1] === d && (imms[k + 1] & 63) === 32) {
    if (b === 0x77) return F_ZEXT;
    if (b === 0xc7) return F_SEXT;
  }
  if (a === 0x07 && b === 0xa5 && dsts[k + 1] === d) return F_ADD_JLT_K;
  if (a === 0x04 && b === 0xa6 && dsts[k + 1] === d) return F_ADD32_JLT32_K;
  if ((a === 0x69 || a === 0x71) && b === 0x0f && srcs[k + 1] === d) return a === 0x69 ? F_LDXH_ADD_X : F_LDXB_ADD_X;
  return 0;
}

/** Unsigned and signed 64-bit a > b and a >= b on halves. */
function gtU(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi !== bhi ? (ahi >>> 0) > (bhi >>> 0) : (alo >>> 0) > (blo >>> 0);
}
function geU(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi !== bhi ? (ahi >>> 0) > (bhi >>> 0) : (alo >>> 0) >= (blo >>> 0);
}
function gtS(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi !== bhi ? ahi > bhi : (alo >>> 0) > (blo >>> 0);
}
function geS(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi !== bhi ? ahi > bhi : (alo >>> 0) >= (blo >>> 0);
}

/**
 * The most the loop runs in one call (`interpret` calls it again for more). Returning now and
 * then keeps the count a small integer for V8 even when the steps are Infinity, and makes
 * `runFast` a function V8 optimises as a whole: a loop that never returns runs in on-stack
 * replacement code, 10-15% slower, in some processes and not others.
 */
const MAX_LEFT = 1 << 16;

/** Why `runFast` returned: at a segment's start with nothing left or the pc outside the program; or for the slow path. */
const AT_END = 0, SLOW = 1;
/** What `runFast` hands back, in place of an object: the pc, what is left, and the instruction run last. */
const out = new Int32Array(3);

/**
 * Runs from `vm.pc` until the program ends (a Stop with reason exit or fault) or `steps`
 * instructions have run (reason `step`). With `callbackDepth` >= 0, returns undefined when
 * the callback frame at that depth returns. Breakpoints are the caller's (Machine.run).
 */
export function interpret(vm: Machine, steps: number, callbackDepth = -1): Stop | undefined {
  let stepsLeft = steps;
  for (;;) {
    // When the budget and the steps run out together, the steps win: the run stops with `step`.
    const byBudget = vm.budgetLeft < stepsLeft;
    const want = byBudget ? vm.budgetLeft : stepsLeft;
    const granted = want > MAX_LEFT ? MAX_LEFT : want > 0 ? want | 0 : 0;
    const n = vm.code.length >> 2;
    // A pc outside the program (a debugger's, or the end of a callback) never reaches the loop.
    const inside = vm.pc >= 0 && vm.pc < n;
    const why = inside ? runFast(vm.regs, vm.code, vm.memory.slots, vm.pc, granted, vm.prevPc) : AT_END;
    const used = inside ? granted - out[1] : 0, last = inside ? out[2] : vm.prevPc;
    let pc = inside ? out[0] : vm.pc;
    // The loop wraps a gotol's target to int32: outside the program, take the real one.
    if (inside && (pc >>> 0) >= n && (vm.ops[last] & 0xf7) === 0x06) pc = last + 1 + vm.imms[last];
    stepsLeft -= used;
    settle(vm, pc, used, last);
    if (why === AT_END) {
      if (used === granted && want > MAX_LEFT) continue; // take the next part of a long run
      if (used === granted && !byBudget) return { reason: 'step', pc };
      if (!(pc >= 0 && pc < n)) return vm.faultAt(last, `jump out of the program: target ${pc} is not in 0-${n - 1}`);
      vm.budgetLeft--;
      return vm.faultAt(pc, `instruction budget of ${vm.opts.budget} exceeded`);
    }
    // The instruction at pc, in the slow path: it was granted, and counts now.
    settle(vm, pc + 1, 1, pc);
    stepsLeft--;
    // A helper may run callbacks (budget spent), and a tail call loads another program: all read again above.
    const stop = vm.slowExec(pc);
    if (stop) return stop;
    if (vm.pc === CALLBACK_RETURN && vm.frames.length === callbackDepth) return undefined;
  }
}

/** Hands the machine the pc and the instructions run since the last handover. */
function settle(vm: Machine, pc: number, used: number, prevPc: number): void {
  vm.pc = pc;
  vm.prevPc = prevPc;
  vm.budgetLeft -= used;
  vm.insnCount += used;
}

/**
 * The loop proper: runs segments from `pc` while `left` allows, and returns AT_END at the
 * start of a segment when nothing is left or the pc is outside the program, or SLOW with the pc
 * of an instruction for the slow path (not run, and given back). `out` holds the pc, what is
 * left, and the instruction run last (`cur`, which names a jump that left the program).
 */
function runFast(R: Int32Array, code: Int32Array, slots: readonly (Region | undefined)[], pcIn: number, leftIn: number, curIn: number): number {
  // Plain int32 from here on (V8 keeps tagged numbers otherwise).
  let pc = pcIn | 0, left = leftIn | 0, cur = curIn | 0;
  const n = code.length >> 2;
  outer: for (;;) {
    if (left === 0 || (pc >>> 0) >= n) { out[0] = pc; out[1] = left; out[2] = cur; return AT_END; }
    // Take the whole segment from `left` now; near the end of the budget or the steps, one instruction.
    const seg = pc;
    let segLen = code[(pc << 2) + 2], end: number;
    if (segLen <= left) end = code[(pc << 2) + 3];
    else { segLen = 1; end = pc + ((code[pc << 2] & 0xff) === 0x18 ? 2 : 1); }
    left -= segLen;

    for (;;) {
      cur = pc;
      pc = cur + 1;
      const at = cur << 2, w = code[at], op = w & 0xff, d = (w >>> 8) & 15;
      slow: {
        switch (op) {
          // --- ALU64, K then X ------------------------------------------------------------------
          // add: the carry out of the low half is there when the sum is below an addend (unsigned)
          case 0x07: { const b = code[at + 1], a = R[d], r = (a + b) | 0; R[d] = r; R[d | 16] = (R[d | 16] + (b >> 31) + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; break; }
          case 0x0f: { const s = (w >>> 12) & 15, a = R[d], r = (a + R[s]) | 0; R[d] = r; R[d | 16] = (R[d | 16] + R[s | 16] + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; break; }
          // sub: a borrow from the high half when a < b (unsigned)
          case 0x17: { const b = code[at + 1], a = R[d]; R[d] = (a - b) | 0; R[d | 16] = (R[d | 16] - (b >> 31) - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; break; }
          case 0x1f: { const s = (w >>> 12) & 15, a = R[d], b = R[s]; R[d] = (a - b) | 0; R[d | 16] = (R[d | 16] - R[s | 16] - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; break; }
          case 0x27: { const b = code[at + 1]; mul64(R[d], R[d | 16], b, b >> 31); R[d] = res.lo; R[d | 16] = res.hi; break; }
          case 0x2f: { const s = ((w >>> 12) & 15); mul64(R[d], R[d | 16], R[s], R[s | 16]); R[d] = res.lo; R[d | 16] = res.hi; break; }
          case 0x37: case 0x3f: case 0x97: case 0x9f: break slow; // 64-bit division: BigInt for wide operands
          case 0x47: { const b = code[at + 1]; R[d] |= b; R[d | 16] |= b >> 31; break; }
          case 0x4f: { const s = ((w >>> 12) & 15); R[d] |= R[s]; R[d | 16] |= R[s | 16]; break; }
          case 0x57: { const b = code[at + 1]; R[d] &= b; R[d | 16] &= b >> 31; break; }
          case 0x5f: { const s = ((w >>> 12) & 15); R[d] &= R[s]; R[d | 16] &= R[s | 16]; break; }
          case 0xa7: { const b = code[at + 1]; R[d] ^= b; R[d | 16] ^= b >> 31; break; }
          case 0xaf: { const s = ((w >>> 12) & 15); R[d] ^= R[s]; R[d | 16] ^= R[s | 16]; break; }
          case 0x67: case 0x6f: {
            const k = (op === 0x6f ? R[(w >>> 12) & 15] : code[at + 1]) & 63;
            if (k > 0 && k < 32) { R[d | 16] = (R[d | 16] << k) | (R[d] >>> (32 - k)); R[d] <<= k; } else { lsh64(R[d], R[d | 16], k); R[d] = res.lo; R[d | 16] = res.hi; }
            break;
          }
          case 0x77: case 0x7f: {
            const k = (op === 0x7f ? R[(w >>> 12) & 15] : code[at + 1]) & 63;
            if (k > 0 && k < 32) { R[d] = (R[d] >>> k) | (R[d | 16] << (32 - k)); R[d | 16] = (R[d | 16] >>> k) | 0; } else { rsh64(R[d], R[d | 16], k); R[d] = res.lo; R[d | 16] = res.hi; }
            break;
          }
          case 0xc7: case 0xcf: { arsh64(R[d], R[d | 16], (op === 0xcf ? R[((w >>> 12) & 15)] : code[at + 1]) & 63); R[d] = res.lo; R[d | 16] = res.hi; break; }
          case 0x87: case 0x8f: { sub64(0, 0, R[d], R[d | 16]); R[d] = res.lo; R[d | 16] = res.hi; break; }
          case 0xbf: { // mov; movsx (off 8/16/32); addr_space_cast (an identity here)
            const s = (w >>> 12) & 15;
            if ((w >> 16) === 0) { R[d] = R[s]; R[d | 16] = R[s | 16]; } else mov64(R, d, R[s], R[s | 16], w >> 16);
            break;
          }
          case 0xb7: {
            const b = code[at + 1];
            if ((w >> 16) === 0) { R[d] = b; R[d | 16] = b >> 31; } else mov64(R, d, b, b >> 31, w >> 16);
            break;
          }
          case 0xd7: case 0xdf: { // bswap16/32/64
            const width = code[at + 1], lo = R[d], hi = R[d | 16];
            if (width === 16) { R[d] = bswap16(lo); R[d | 16] = 0; }
            else if (width === 32) { R[d] = bswap32(lo) | 0; R[d | 16] = 0; }
            else { R[d] = bswap32(hi) | 0; R[d | 16] = bswap32(lo) | 0; }
            break;
          }

          // --- ALU32: the result is zero-extended --------------------------------------------------
          case 0x04: R[d] = (R[d] + code[at + 1]) | 0; R[d | 16] = 0; break;
          case 0x0c: R[d] = (R[d] + R[((w >>> 12) & 15)]) | 0; R[d | 16] = 0; break;
          case 0x14: R[d] = (R[d] - code[at + 1]) | 0; R[d | 16] = 0; break;
          case 0x1c: R[d] = (R[d] - R[((w >>> 12) & 15)]) | 0; R[d | 16] = 0; break;
          case 0x24: R[d] = Math.imul(R[d], code[at + 1]); R[d | 16] = 0; break;
          case 0x2c: R[d] = Math.imul(R[d], R[((w >>> 12) & 15)]); R[d | 16] = 0; break;
          case 0x34: case 0x3c: { const b = op === 0x3c ? R[((w >>> 12) & 15)] : code[at + 1]; R[d] = (w >> 16) === 1 ? sdiv32(R[d], b) : udiv32(R[d], b); R[d | 16] = 0; break; }
          case 0x94: case 0x9c: { const b = op === 0x9c ? R[((w >>> 12) & 15)] : code[at + 1]; R[d] = (w >> 16) === 1 ? smod32(R[d], b) : umod32(R[d], b); R[d | 16] = 0; break; }
          case 0x44: R[d] |= code[at + 1]; R[d | 16] = 0; break;
          case 0x4c: R[d] |= R[((w >>> 12) & 15)]; R[d | 16] = 0; break;
          case 0x54: R[d] &= code[at + 1]; R[d | 16] = 0; break;
          case 0x5c: R[d] &= R[((w >>> 12) & 15)]; R[d | 16] = 0; break;
          case 0xa4: R[d] ^= code[at + 1]; R[d | 16] = 0; break;
          case 0xac: R[d] ^= R[((w >>> 12) & 15)]; R[d | 16] = 0; break;
          case 0x64: R[d] <<= code[at + 1] & 31; R[d | 16] = 0; break;
          case 0x6c: R[d] <<= R[((w >>> 12) & 15)] & 31; R[d | 16] = 0; break;
          case 0x74: R[d] = R[d] >>> (code[at + 1] & 31); R[d | 16] = 0; break;
          case 0x7c: R[d] = R[d] >>> (R[((w >>> 12) & 15)] & 31); R[d | 16] = 0; break;
          case 0xc4: R[d] >>= code[at + 1] & 31; R[d | 16] = 0; break;
          case 0xcc: R[d] >>= R[((w >>> 12) & 15)] & 31; R[d | 16] = 0; break;
          case 0x84: case 0x8c: R[d] = -R[d] | 0; R[d | 16] = 0; break;
          case 0xb4: case 0xbc: { // mov32, movsx32 (off 8/16)
            const b = op === 0xbc ? R[((w >>> 12) & 15)] : code[at + 1], off = (w >> 16);
            R[d] = off === 8 ? (b << 24) >> 24 : off === 16 ? (b << 16) >> 16 : b; R[d | 16] = 0; break;
          }
          case 0xd4: { // le16/32/64: truncate (le64 is a no-op on this little-endian machine)
            const w = code[at + 1];
            if (w === 16) { R[d] &= 0xffff; R[d | 16] = 0; } else if (w === 32) R[d | 16] = 0;
            break;
          }
          case 0xdc: { // be16/32/64: swap
            const width = code[at + 1], lo = R[d], hi = R[d | 16];
            if (width === 16) { R[d] = bswap16(lo); R[d | 16] = 0; }
            else if (width === 32) { R[d] = bswap32(lo) | 0; R[d | 16] = 0; }
            else { R[d] = bswap32(hi) | 0; R[d | 16] = bswap32(lo) | 0; }
            break;
          }

          // --- JMP: 64-bit comparisons, K then X ---------------------------------------------------
          case 0x05: case 0x0d: pc = cur + 1 + (w >> 16); continue outer;
          case 0xe5: case 0xed: break; // may_goto: the VM grants no loop budget beyond its own, so fall through
          case 0x15: { const b = code[at + 1]; if (R[d] === b && R[d | 16] === b >> 31) pc += (w >> 16); continue outer; }
          case 0x1d: { const s = ((w >>> 12) & 15); if (R[d] === R[s] && R[d | 16] === R[s | 16]) pc += (w >> 16); continue outer; }
          case 0x55: { const b = code[at + 1]; if (R[d] !== b || R[d | 16] !== b >> 31) pc += (w >> 16); continue outer; }
          case 0x5d: { const s = ((w >>> 12) & 15); if (R[d] !== R[s] || R[d | 16] !== R[s | 16]) pc += (w >> 16); continue outer; }
          case 0x45: { const b = code[at + 1]; if ((R[d] & b) !== 0 || (R[d | 16] & (b >> 31)) !== 0) pc += (w >> 16); continue outer; }
          case 0x4d: { const s = ((w >>> 12) & 15); if ((R[d] & R[s]) !== 0 || (R[d | 16] & R[s | 16]) !== 0) pc += (w >> 16); continue outer; }
          case 0x25: { const b = code[at + 1]; if (gtU(R[d], R[d | 16], b, b >> 31)) pc += (w >> 16); continue outer; }
          case 0x2d: { const s = ((w >>> 12) & 15); if (gtU(R[d], R[d | 16], R[s], R[s | 16])) pc += (w >> 16); continue outer; }
          case 0x35: { const b = code[at + 1]; if (geU(R[d], R[d | 16], b, b >> 31)) pc += (w >> 16); continue outer; }
          case 0x3d: { const s = ((w >>> 12) & 15); if (geU(R[d], R[d | 16], R[s], R[s | 16])) pc += (w >> 16); continue outer; }
          case 0xa5: { const b = code[at + 1]; if (gtU(b, b >> 31, R[d], R[d | 16])) pc += (w >> 16); continue outer; }
          case 0xad: { const s = ((w >>> 12) & 15); if (gtU(R[s], R[s | 16], R[d], R[d | 16])) pc += (w >> 16); continue outer; }
          case 0xb5: { const b = code[at + 1]; if (geU(b, b >> 31, R[d], R[d | 16])) pc += (w >> 16); continue outer; }
          case 0xbd: { const s = ((w >>> 12) & 15); if (geU(R[s], R[s | 16], R[d], R[d | 16])) pc += (w >> 16); continue outer; }
          case 0x65: { const b = code[at + 1]; if (gtS(R[d], R[d | 16], b, b >> 31)) pc += (w >> 16); continue outer; }
          case 0x6d: { const s = ((w >>> 12) & 15); if (gtS(R[d], R[d | 16], R[s], R[s | 16])) pc += (w >> 16); continue outer; }
          case 0x75: { const b = code[at + 1]; if (geS(R[d], R[d | 16], b, b >> 31)) pc += (w >> 16); continue outer; }
          case 0x7d: { const s = ((w >>> 12) & 15); if (geS(R[d], R[d | 16], R[s], R[s | 16])) pc += (w >> 16); continue outer; }
          case 0xc5: { const b = code[at + 1]; if (gtS(b, b >> 31, R[d], R[d | 16])) pc += (w >> 16); continue outer; }
          case 0xcd: { const s = ((w >>> 12) & 15); if (gtS(R[s], R[s | 16], R[d], R[d | 16])) pc += (w >> 16); continue outer; }
          case 0xd5: { const b = code[at + 1]; if (geS(b, b >> 31, R[d], R[d | 16])) pc += (w >> 16); continue outer; }
          case 0xdd: { const s = ((w >>> 12) & 15); if (geS(R[s], R[s | 16], R[d], R[d | 16])) pc += (w >> 16); continue outer; }
          case 0x95: case 0x9d: break slow; // exit: the end, or the return from a bpf-to-bpf call

          // --- JMP32: 32-bit comparisons, K then X --------------------------------------------------
          case 0x06: case 0x0e: pc = (cur + 1 + code[at + 1]) | 0; continue outer; // gotol (see interpret)
          case 0x16: if (R[d] === code[at + 1]) pc += (w >> 16); continue outer;
          case 0x1e: if (R[d] === R[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
          case 0x56: if (R[d] !== code[at + 1]) pc += (w >> 16); continue outer;
          case 0x5e: if (R[d] !== R[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
          case 0x46: if ((R[d] & code[at + 1]) !== 0) pc += (w >> 16); continue outer;
          case 0x4e: if ((R[d] & R[((w >>> 12) & 15)]) !== 0) pc += (w >> 16); continue outer;
          case 0x26: if ((R[d] >>> 0) > (code[at + 1] >>> 0)) pc += (w >> 16); continue outer;
          case 0x2e: if ((R[d] >>> 0) > (R[((w >>> 12) & 15)] >>> 0)) pc += (w >> 16); continue outer;
          case 0x36: if ((R[d] >>> 0) >= (code[at + 1] >>> 0)) pc += (w >> 16); continue outer;
          case 0x3e: if ((R[d] >>> 0) >= (R[((w >>> 12) & 15)] >>> 0)) pc += (w >> 16); continue outer;
          case 0xa6: if ((R[d] >>> 0) < (code[at + 1] >>> 0)) pc += (w >> 16); continue outer;
          case 0xae: if ((R[d] >>> 0) < (R[((w >>> 12) & 15)] >>> 0)) pc += (w >> 16); continue outer;
          case 0xb6: if ((R[d] >>> 0) <= (code[at + 1] >>> 0)) pc += (w >> 16); continue outer;
          case 0xbe: if ((R[d] >>> 0) <= (R[((w >>> 12) & 15)] >>> 0)) pc += (w >> 16); continue outer;
          case 0x66: if (R[d] > code[at + 1]) pc += (w >> 16); continue outer;
          case 0x6e: if (R[d] > R[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
          case 0x76: if (R[d] >= code[at + 1]) pc += (w >> 16); continue outer;
          case 0x7e: if (R[d] >= R[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
          case 0xc6: if (R[d] < code[at + 1]) pc += (w >> 16); continue outer;
          case 0xce: if (R[d] < R[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
          case 0xd6: if (R[d] <= code[at + 1]) pc += (w >> 16); continue outer;
          case 0xde: if (R[d] <= R[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;


          // --- lddw of an immediate (a map's or a function's address is the slow path's) ---------
          case 0x18: R[d] = code[at + 1]; R[d | 16] = code[at + 5]; pc = cur + 2; break;

          // --- LDX: dst = *(size *)(src + off), with the region found from the address's high half ---
          // The offset in the region is the low half less LO_BASE, wrapped: an address below the region
          // or 2 GiB past it gives a negative one. Adding `off` may carry into (or borrow from) the high
          // half; then the low half is below LO_BASE or 2 GiB past it, so the check fails whichever
          // region the high half names, and the slow path names the real address.
          // Words and double words of a context may be pointer fields (data, data_end...): a load gives the pointer.
          case 0x61: {
            const s = (w >>> 12) & 15, o = (R[s] + (w >> 16) - LO_BASE) | 0, r = slots[R[s | 16] - HI_BASE];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 4) {
              const f = r.pointerFields === undefined ? undefined : r.pointerFields.get(o);
              if (f === undefined) { R[d] = r.view.getInt32(o, true); R[d | 16] = 0; } else { const p = f(); R[d] = p.lo; R[d | 16] = p.hi; }
              break;
            }
            break slow;
          }
          case 0x81: {
            const s = (w >>> 12) & 15, o = (R[s] + (w >> 16) - LO_BASE) | 0, r = slots[R[s | 16] - HI_BASE];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 4) {
              const f = r.pointerFields === undefined ? undefined : r.pointerFields.get(o);
              if (f === undefined) { R[d] = r.view.getInt32(o, true); R[d | 16] = R[d] >> 31; } else { const p = f(); R[d] = p.lo; R[d | 16] = p.hi; }
              break;
            }
            break slow;
          }
          case 0x69: {
            const s = (w >>> 12) & 15, o = (R[s] + (w >> 16) - LO_BASE) | 0, r = slots[R[s | 16] - HI_BASE];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 2) { R[d] = r.view.getUint16(o, true); R[d | 16] = 0; break; }
            break slow;
          }
          case 0x89: {
            const s = (w >>> 12) & 15, o = (R[s] + (w >> 16) - LO_BASE) | 0, r = slots[R[s | 16] - HI_BASE];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 2) { R[d] = r.view.getInt16(o, true); R[d | 16] = R[d] >> 31; break; }
            break slow;
          }
          case 0x71: {
            const s = (w >>> 12) & 15, o = (R[s] + (w >> 16) - LO_BASE) | 0, r = slots[R[s | 16] - HI_BASE];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 1) { R[d] = r.bytes[o]; R[d | 16] = 0; break; }
            break slow;
          }
          case 0x91: {
            const s = (w >>> 12) & 15, o = (R[s] + (w >> 16) - LO_BASE) | 0, r = slots[R[s | 16] - HI_BASE];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 1) { R[d] = (r.bytes[o] << 24) >> 24; R[d | 16] = R[d] >> 31; break; }
            break slow;
          }
          case 0x79: {
            const s = (w >>> 12) & 15, o = (R[s] + (w >> 16) - LO_BASE) | 0, r = slots[R[s | 16] - HI_BASE];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 8) {
              const f = r.pointerFields === undefined ? undefined : r.pointerFields.get(o);
              if (f === undefined) { R[d] = r.view.getInt32(o, true); R[d | 16] = r.view.getInt32(o + 4, true); } else { const p = f(); R[d] = p.lo; R[d | 16] = p.hi; }
              break;
            }
            break slow;
          }

          // --- ST / STX: *(size *)(dst + off) = imm or src ------------------------------------------
          case 0x62: {
            const o = (R[d] + (w >> 16) - LO_BASE) | 0, r = slots[R[d | 16] - HI_BASE];
            const v = code[at + 1];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 4 && r.writable) { r.view.setInt32(o, v, true); break; }
            break slow;
          }
          case 0x63: {
            const o = (R[d] + (w >> 16) - LO_BASE) | 0, r = slots[R[d | 16] - HI_BASE];
            const v = R[(w >>> 12) & 15];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 4 && r.writable) { r.view.setInt32(o, v, true); break; }
            break slow;
          }
          case 0x6a: {
            const o = (R[d] + (w >> 16) - LO_BASE) | 0, r = slots[R[d | 16] - HI_BASE];
            const v = code[at + 1];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 2 && r.writable) { r.view.setUint16(o, v & 0xffff, true); break; }
            break slow;
          }
          case 0x6b: {
            const o = (R[d] + (w >> 16) - LO_BASE) | 0, r = slots[R[d | 16] - HI_BASE];
            const v = R[(w >>> 12) & 15];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 2 && r.writable) { r.view.setUint16(o, v & 0xffff, true); break; }
            break slow;
          }
          case 0x72: {
            const o = (R[d] + (w >> 16) - LO_BASE) | 0, r = slots[R[d | 16] - HI_BASE];
            const v = code[at + 1];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 1 && r.writable) { r.bytes[o] = v; break; }
            break slow;
          }
          case 0x73: {
            const o = (R[d] + (w >> 16) - LO_BASE) | 0, r = slots[R[d | 16] - HI_BASE];
            const v = R[(w >>> 12) & 15];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 1 && r.writable) { r.bytes[o] = v; break; }
            break slow;
          }
          case 0x7a: {
            const o = (R[d] + (w >> 16) - LO_BASE) | 0, r = slots[R[d | 16] - HI_BASE];
            const v = code[at + 1], vh = v >> 31;
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 8 && r.writable) { r.view.setInt32(o, v, true); r.view.setInt32(o + 4, vh, true); break; }
            break slow;
          }
          case 0x7b: {
            const o = (R[d] + (w >> 16) - LO_BASE) | 0, r = slots[R[d | 16] - HI_BASE];
            const v = R[(w >>> 12) & 15], vh = R[((w >>> 12) & 15) | 16];
            if (r !== undefined && o >= r.lowOff && o <= r.highOff - 8 && r.writable) { r.view.setInt32(o, v, true); r.view.setInt32(o + 4, vh, true); break; }
            break slow;
          }

          // --- superinstructions (see fusedOp): the second half only when the segment goes on --------
          case F_MOV_ADD_K: {
            const s = (w >>> 12) & 15; R[d] = R[s]; R[d | 16] = R[s | 16];
            if (pc === end) continue outer;
            cur = pc; pc = cur + 1;
            const b = code[at + 5], a = R[d], r = (a + b) | 0; R[d] = r; R[d | 16] = (R[d | 16] + (b >> 31) + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; break;
          }
          case F_MOV_ADD_X: {
            const s = (w >>> 12) & 15; R[d] = R[s]; R[d | 16] = R[s | 16];
            if (pc === end) continue outer;
            cur = pc; pc = cur + 1;
            const t = (code[at + 4] >>> 12) & 15, a = R[d], r = (a + R[t]) | 0; R[d] = r; R[d | 16] = (R[d | 16] + R[t | 16] + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; break;
          }
          case F_MOV_RSH_K: case F_MOV_LSH_K: case F_MOV_AND_K: {
            const s = (w >>> 12) & 15; R[d] = R[s]; R[d | 16] = R[s | 16];
            if (pc === end) continue outer;
            cur = pc; pc = cur + 1;
            const b = code[at + 5], k = b & 63;
            if (op === F_MOV_AND_K) { R[d] &= b; R[d | 16] &= b >> 31; }
            else if (op === F_MOV_RSH_K) {
              if (k > 0 && k < 32) { R[d] = (R[d] >>> k) | (R[d | 16] << (32 - k)); R[d | 16] = (R[d | 16] >>> k) | 0; } else { rsh64(R[d], R[d | 16], k); R[d] = res.lo; R[d | 16] = res.hi; }
            } else if (k > 0 && k < 32) { R[d | 16] = (R[d | 16] << k) | (R[d] >>> (32 - k)); R[d] <<= k; } else { lsh64(R[d], R[d | 16], k); R[d] = res.lo; R[d | 16] = res.hi; }
            break;
          }
          case F_MOV32_ADD_K: case F_MOV32_AND_K: case F_MOV32_RSH_K: case F_MOV32_LSH_K: {
            R[d] = R[(w >>> 12) & 15]; R[d | 16] = 0;
            if (pc === end) continue outer;
            cur = pc; pc = cur + 1;
            const b = code[at + 5];
            R[d] = op === F_MOV32_ADD_K ? (R[d] + b) | 0 : op === F_MOV32_AND_K ? R[d] & b : op === F_MOV32_RSH_K ? R[d] >>> (b & 31) : R[d] << (b & 31);
            break;
          }
          case F_ZEXT: case F_SEXT: {
            R[d | 16] = R[d]; R[d] = 0;
            if (pc === end) continue outer;
            cur = pc; pc = cur + 1;
            R[d] = R[d | 16]; R[d | 16] = op === F_ZEXT ? 0 : R[d] >> 31; break;
          }
          case F_ADD_JLT_K: {
            const b = code[at + 1], a = R[d], r = (a + b) | 0; R[d] = r; R[d | 16] = (R[d | 16] + (b >> 31) + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            if (pc === end) continue outer;
            cur = pc; pc = cur + 1;
            const c = code[at + 5];
            if (gtU(c, c >> 31, R[d], R[d | 16])) pc += (code[at + 4] >> 16);
            continue outer;
          }
          case F_ADD32_JLT32_K: {
            R[d] = (R[d] + code[at + 1]) | 0; R[d | 16] = 0;
            if (pc === end) continue outer;
            cur = pc; pc = cur + 1;
            if ((R[d] >>> 0) < (code[at + 5] >>> 0)) pc += (code[at + 4] >> 16);
            continue outer;
          }
          case F_LDXH_ADD_X: case F_LDXB_ADD_X: {
            const s = (w >>> 12) & 15, o = (R[s] + (w >> 16) - LO_BASE) | 0, r = slots[R[s | 16] - HI_BASE];
            if (r === undefined || o < r.lowOff || o > r.highOff - (op === F_LDXH_ADD_X ? 2 : 1)) break slow;
            R[d] = op === F_LDXH_ADD_X ? r.view.getUint16(o, true) : r.bytes[o]; R[d | 16] = 0;
            if (pc === end) continue outer;
            cur = pc; pc = cur + 1;
            const t = (code[at + 4] >>> 8) & 15, a = R[t], v = (a + R[d]) | 0; R[t] = v; R[t | 16] = (R[t | 16] + ((v >>> 0) < (a >>> 0) ? 1 : 0)) | 0; break;
          }

          // --- everything else: calls, atomics, legacy packet loads, unknown opcodes ----------------
          default: break slow;
        }
        if (pc === end) continue outer;
        continue;
      }
      // The slow path: give back this instruction and the rest of the segment.
      out[0] = cur; out[1] = left + segLen - code[(seg << 2) + 2] + code[at + 2]; out[2] = cur;
      return SLOW;
    }
  }
}

