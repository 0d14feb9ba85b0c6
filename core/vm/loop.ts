/**
 * The interpreter's hot loop: one flat `switch` on the opcode byte per instruction, as ubpf's
 * loop does, with everything it touches in local variables. No BigInt and no allocation on
 * the way through ALU, JMP, loads and stores: registers are the machine's Int32Array halves
 * (core/vm/int64.ts), and an address finds its region in O(1) from its high half
 * (core/vm/memory.ts).
 *
 * What is rare stays out of the loop: calls, exits from bpf-to-bpf frames, atomics, legacy
 * packet loads, map references, the access checks that fail (pointer fields of a context,
 * read-only regions, faults) and anything the loop does not know. For those the loop hands
 * the machine its pc and counts and calls `Machine.slowExec`, the one implementation of them;
 * the JIT (core/jit) calls the same paths, so both give the same faults in the same words.
 *
 * Accounting: `left` is what this call may still run, the smaller of the budget and the
 * steps asked for. It is taken a segment at a time (the instructions up to the next jump,
 * exit or handover: `segmentLengths`), so that the pc and the budget are checked once per
 * segment rather than per instruction; a fault inside a segment gives back what did not run,
 * and near the end of the budget or the steps the loop goes one instruction at a time, so
 * every count and fault is exactly the one-at-a-time answer. The budget and the instruction
 * count are written back whenever the machine is handed over (`settle`) and on the way out.
 */

import * as I from './int64';

// The 64-bit arithmetic as module constants, so that the loop calls known functions.
const { res, arsh64, bswap16, bswap32, lsh64, mul64, rsh64, sdiv32, sdiv64, smod32, smod64, sub64, udiv32, udiv64, umod32, umod64 } = I;
import { HI_BASE, LO_BASE } from './memory';
import type { Machine, Stop } from './machine';

/** The opcode a slot gets when a register field is over 10: the slow path reports it. */
export const BAD_REGISTER_OP = 0x100;
/** Return address of a frame that a helper's callback opened: the callback returns to the helper. */
export const CALLBACK_RETURN = -2;

/** mov with a nonzero offset: movsx8/16/32 sign-extend; any other offset moves as mov does. */
function mov64(L: Int32Array, H: Int32Array, d: number, b: number, bh: number, off: number): void {
  if (off === 8) { L[d] = (b << 24) >> 24; H[d] = L[d] >> 31; }
  else if (off === 16) { L[d] = (b << 16) >> 16; H[d] = L[d] >> 31; }
  else if (off === 32) { L[d] = b; H[d] = b >> 31; }
  else { L[d] = b; H[d] = bh; }
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

/** What adding the offset carried into (1) or borrowed from (-1) the high half, for the last `offsetOf`. */
let gCarry = 0;

/**
 * The byte offset of (lo + off) in a region, in int32 arithmetic: the low half less LO_BASE,
 * wrapped, so that an address below a region or 2 GiB past it is negative and fails the
 * bounds check. Sets `gCarry` for the high half (a module variable: nothing is allocated).
 */
function offsetOf(lo: number, off: number): number {
  const a = (lo + off) | 0;
  gCarry = off >= 0 ? ((a >>> 0) < (lo >>> 0) ? 1 : 0) : ((a >>> 0) > (lo >>> 0) ? -1 : 0);
  return (a - LO_BASE) | 0;
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

/** What `interpretSome` returns when a tail call loaded another program: go on with its columns. */
const RELOAD: Stop = Object.freeze({ reason: 'step', pc: -1 }) as Stop;
/** Steps left when `interpretSome` returned (a module variable, so nothing is allocated). */
let gSteps = 0;

/**
 * Runs from `vm.pc` until the program ends (a Stop with reason exit or fault) or `steps`
 * instructions have run (reason `step`). With `callbackDepth` >= 0, returns undefined when
 * the callback frame at that depth returns. Breakpoints are the caller's (Machine.run).
 */
export function interpret(vm: Machine, steps: number, callbackDepth = -1): Stop | undefined {
  let stop = interpretSome(vm, steps, callbackDepth);
  while (stop === RELOAD) stop = interpretSome(vm, gSteps, callbackDepth);
  return stop;
}

function interpretSome(vm: Machine, steps: number, callbackDepth: number): Stop | undefined {
  const L = vm.lo, H = vm.hi;
  const slots = vm.memory.slots;
  const mapAddress = vm.opts.mapAddress;
  const words = vm.words, imms = vm.imms, lens = vm.lens, ends = vm.ends, n = words.length;
  let pc = vm.pc;
  // The instruction run last (the machine's prevPc until one runs here), to name a jump that left the program.
  let cur = vm.prevPc;
  let stepsLeft = steps;
  // When the budget and the steps run out together, the steps win: the run stops with `step`.
  let byBudget = vm.budgetLeft < stepsLeft;
  let left = Math.max(0, byBudget ? vm.budgetLeft : stepsLeft);
  let start = left;
  // The segment being run: from `seg`, `segLen` instructions, up to the slot `end` (see segmentLengths).
  let seg = pc, segLen = 0, end = 0;

  outer: for (;;) {
    if (left === 0 || (pc >>> 0) >= n) {
      if (left === 0 && !byBudget) { settle(vm, pc, start - left, cur); return { reason: 'step', pc }; }
      if ((pc >>> 0) >= n) {
        settle(vm, pc, start - left, cur);
        return vm.faultAt(cur, `jump out of the program: target ${pc} is not in 0-${n - 1}`);
      }
      settle(vm, pc, start - left, cur);
      vm.budgetLeft--;
      return vm.faultAt(pc, `instruction budget of ${vm.opts.budget} exceeded`);
    }
    // Take the whole segment from `left` now; near the end of the budget or the steps, one instruction.
    seg = pc;
    segLen = lens[pc];
    if (segLen <= left) end = ends[pc];
    else { segLen = 1; end = pc + ((words[pc] & 0xff) === 0x18 ? 2 : 1); }
    left -= segLen;

    for (;;) {
      cur = pc;
      pc = cur + 1;
      const w = words[cur], op = w & 0xff, d = (w >>> 8) & 15;

      switch (op) {
        // --- ALU64, K then X ------------------------------------------------------------------
        // add: the carry out of the low half is there when the sum is below an addend (unsigned)
        case 0x07: { const b = imms[cur], a = L[d], r = (a + b) | 0; L[d] = r; H[d] = (H[d] + (b >> 31) + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; break; }
        case 0x0f: { const s = (w >>> 12) & 15, a = L[d], r = (a + L[s]) | 0; L[d] = r; H[d] = (H[d] + H[s] + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; break; }
        // sub: a borrow from the high half when a < b (unsigned)
        case 0x17: { const b = imms[cur], a = L[d]; L[d] = (a - b) | 0; H[d] = (H[d] - (b >> 31) - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; break; }
        case 0x1f: { const s = (w >>> 12) & 15, a = L[d], b = L[s]; L[d] = (a - b) | 0; H[d] = (H[d] - H[s] - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; break; }
        case 0x27: { const b = imms[cur]; mul64(L[d], H[d], b, b >> 31); L[d] = res.lo; H[d] = res.hi; break; }
        case 0x2f: { const s = ((w >>> 12) & 15); mul64(L[d], H[d], L[s], H[s]); L[d] = res.lo; H[d] = res.hi; break; }
        case 0x37: case 0x3f: {
          const x = op === 0x3f, s = ((w >>> 12) & 15), b = x ? L[s] : imms[cur], bh = x ? H[s] : b >> 31;
          if ((w >> 16) === 1) sdiv64(L[d], H[d], b, bh); else udiv64(L[d], H[d], b, bh);
          L[d] = res.lo; H[d] = res.hi; break;
        }
        case 0x97: case 0x9f: {
          const x = op === 0x9f, s = ((w >>> 12) & 15), b = x ? L[s] : imms[cur], bh = x ? H[s] : b >> 31;
          if ((w >> 16) === 1) smod64(L[d], H[d], b, bh); else umod64(L[d], H[d], b, bh);
          L[d] = res.lo; H[d] = res.hi; break;
        }
        case 0x47: { const b = imms[cur]; L[d] |= b; H[d] |= b >> 31; break; }
        case 0x4f: { const s = ((w >>> 12) & 15); L[d] |= L[s]; H[d] |= H[s]; break; }
        case 0x57: { const b = imms[cur]; L[d] &= b; H[d] &= b >> 31; break; }
        case 0x5f: { const s = ((w >>> 12) & 15); L[d] &= L[s]; H[d] &= H[s]; break; }
        case 0xa7: { const b = imms[cur]; L[d] ^= b; H[d] ^= b >> 31; break; }
        case 0xaf: { const s = ((w >>> 12) & 15); L[d] ^= L[s]; H[d] ^= H[s]; break; }
        case 0x67: case 0x6f: {
          const k = (op === 0x6f ? L[(w >>> 12) & 15] : imms[cur]) & 63;
          if (k > 0 && k < 32) { H[d] = (H[d] << k) | (L[d] >>> (32 - k)); L[d] <<= k; } else { lsh64(L[d], H[d], k); L[d] = res.lo; H[d] = res.hi; }
          break;
        }
        case 0x77: case 0x7f: {
          const k = (op === 0x7f ? L[(w >>> 12) & 15] : imms[cur]) & 63;
          if (k > 0 && k < 32) { L[d] = (L[d] >>> k) | (H[d] << (32 - k)); H[d] = (H[d] >>> k) | 0; } else { rsh64(L[d], H[d], k); L[d] = res.lo; H[d] = res.hi; }
          break;
        }
        case 0xc7: case 0xcf: { arsh64(L[d], H[d], (op === 0xcf ? L[((w >>> 12) & 15)] : imms[cur]) & 63); L[d] = res.lo; H[d] = res.hi; break; }
        case 0x87: case 0x8f: { sub64(0, 0, L[d], H[d]); L[d] = res.lo; H[d] = res.hi; break; }
        case 0xbf: { // mov; movsx (off 8/16/32); addr_space_cast (an identity here)
          const s = (w >>> 12) & 15;
          if ((w >> 16) === 0) { L[d] = L[s]; H[d] = H[s]; } else mov64(L, H, d, L[s], H[s], w >> 16);
          break;
        }
        case 0xb7: {
          const b = imms[cur];
          if ((w >> 16) === 0) { L[d] = b; H[d] = b >> 31; } else mov64(L, H, d, b, b >> 31, w >> 16);
          break;
        }
        case 0xd7: case 0xdf: { // bswap16/32/64
          const width = imms[cur], lo = L[d], hi = H[d];
          if (width === 16) { L[d] = bswap16(lo); H[d] = 0; }
          else if (width === 32) { L[d] = bswap32(lo) | 0; H[d] = 0; }
          else { L[d] = bswap32(hi) | 0; H[d] = bswap32(lo) | 0; }
          break;
        }

        // --- ALU32: the result is zero-extended --------------------------------------------------
        case 0x04: L[d] = (L[d] + imms[cur]) | 0; H[d] = 0; break;
        case 0x0c: L[d] = (L[d] + L[((w >>> 12) & 15)]) | 0; H[d] = 0; break;
        case 0x14: L[d] = (L[d] - imms[cur]) | 0; H[d] = 0; break;
        case 0x1c: L[d] = (L[d] - L[((w >>> 12) & 15)]) | 0; H[d] = 0; break;
        case 0x24: L[d] = Math.imul(L[d], imms[cur]); H[d] = 0; break;
        case 0x2c: L[d] = Math.imul(L[d], L[((w >>> 12) & 15)]); H[d] = 0; break;
        case 0x34: case 0x3c: { const b = op === 0x3c ? L[((w >>> 12) & 15)] : imms[cur]; L[d] = (w >> 16) === 1 ? sdiv32(L[d], b) : udiv32(L[d], b); H[d] = 0; break; }
        case 0x94: case 0x9c: { const b = op === 0x9c ? L[((w >>> 12) & 15)] : imms[cur]; L[d] = (w >> 16) === 1 ? smod32(L[d], b) : umod32(L[d], b); H[d] = 0; break; }
        case 0x44: L[d] |= imms[cur]; H[d] = 0; break;
        case 0x4c: L[d] |= L[((w >>> 12) & 15)]; H[d] = 0; break;
        case 0x54: L[d] &= imms[cur]; H[d] = 0; break;
        case 0x5c: L[d] &= L[((w >>> 12) & 15)]; H[d] = 0; break;
        case 0xa4: L[d] ^= imms[cur]; H[d] = 0; break;
        case 0xac: L[d] ^= L[((w >>> 12) & 15)]; H[d] = 0; break;
        case 0x64: L[d] <<= imms[cur] & 31; H[d] = 0; break;
        case 0x6c: L[d] <<= L[((w >>> 12) & 15)] & 31; H[d] = 0; break;
        case 0x74: L[d] = L[d] >>> (imms[cur] & 31); H[d] = 0; break;
        case 0x7c: L[d] = L[d] >>> (L[((w >>> 12) & 15)] & 31); H[d] = 0; break;
        case 0xc4: L[d] >>= imms[cur] & 31; H[d] = 0; break;
        case 0xcc: L[d] >>= L[((w >>> 12) & 15)] & 31; H[d] = 0; break;
        case 0x84: case 0x8c: L[d] = -L[d] | 0; H[d] = 0; break;
        case 0xb4: case 0xbc: { // mov32, movsx32 (off 8/16)
          const b = op === 0xbc ? L[((w >>> 12) & 15)] : imms[cur], off = (w >> 16);
          L[d] = off === 8 ? (b << 24) >> 24 : off === 16 ? (b << 16) >> 16 : b; H[d] = 0; break;
        }
        case 0xd4: { // le16/32/64: truncate (le64 is a no-op on this little-endian machine)
          const w = imms[cur];
          if (w === 16) { L[d] &= 0xffff; H[d] = 0; } else if (w === 32) H[d] = 0;
          break;
        }
        case 0xdc: { // be16/32/64: swap
          const width = imms[cur], lo = L[d], hi = H[d];
          if (width === 16) { L[d] = bswap16(lo); H[d] = 0; }
          else if (width === 32) { L[d] = bswap32(lo) | 0; H[d] = 0; }
          else { L[d] = bswap32(hi) | 0; H[d] = bswap32(lo) | 0; }
          break;
        }

        // --- JMP: 64-bit comparisons, K then X ---------------------------------------------------
        case 0x05: case 0x0d: pc = cur + 1 + (w >> 16); continue outer;
        case 0xe5: case 0xed: break; // may_goto: the VM grants no loop budget beyond its own, so fall through
        case 0x15: { const b = imms[cur]; if (L[d] === b && H[d] === b >> 31) pc += (w >> 16); continue outer; }
        case 0x1d: { const s = ((w >>> 12) & 15); if (L[d] === L[s] && H[d] === H[s]) pc += (w >> 16); continue outer; }
        case 0x55: { const b = imms[cur]; if (L[d] !== b || H[d] !== b >> 31) pc += (w >> 16); continue outer; }
        case 0x5d: { const s = ((w >>> 12) & 15); if (L[d] !== L[s] || H[d] !== H[s]) pc += (w >> 16); continue outer; }
        case 0x45: { const b = imms[cur]; if ((L[d] & b) !== 0 || (H[d] & (b >> 31)) !== 0) pc += (w >> 16); continue outer; }
        case 0x4d: { const s = ((w >>> 12) & 15); if ((L[d] & L[s]) !== 0 || (H[d] & H[s]) !== 0) pc += (w >> 16); continue outer; }
        case 0x25: { const b = imms[cur]; if (gtU(L[d], H[d], b, b >> 31)) pc += (w >> 16); continue outer; }
        case 0x2d: { const s = ((w >>> 12) & 15); if (gtU(L[d], H[d], L[s], H[s])) pc += (w >> 16); continue outer; }
        case 0x35: { const b = imms[cur]; if (geU(L[d], H[d], b, b >> 31)) pc += (w >> 16); continue outer; }
        case 0x3d: { const s = ((w >>> 12) & 15); if (geU(L[d], H[d], L[s], H[s])) pc += (w >> 16); continue outer; }
        case 0xa5: { const b = imms[cur]; if (gtU(b, b >> 31, L[d], H[d])) pc += (w >> 16); continue outer; }
        case 0xad: { const s = ((w >>> 12) & 15); if (gtU(L[s], H[s], L[d], H[d])) pc += (w >> 16); continue outer; }
        case 0xb5: { const b = imms[cur]; if (geU(b, b >> 31, L[d], H[d])) pc += (w >> 16); continue outer; }
        case 0xbd: { const s = ((w >>> 12) & 15); if (geU(L[s], H[s], L[d], H[d])) pc += (w >> 16); continue outer; }
        case 0x65: { const b = imms[cur]; if (gtS(L[d], H[d], b, b >> 31)) pc += (w >> 16); continue outer; }
        case 0x6d: { const s = ((w >>> 12) & 15); if (gtS(L[d], H[d], L[s], H[s])) pc += (w >> 16); continue outer; }
        case 0x75: { const b = imms[cur]; if (geS(L[d], H[d], b, b >> 31)) pc += (w >> 16); continue outer; }
        case 0x7d: { const s = ((w >>> 12) & 15); if (geS(L[d], H[d], L[s], H[s])) pc += (w >> 16); continue outer; }
        case 0xc5: { const b = imms[cur]; if (gtS(b, b >> 31, L[d], H[d])) pc += (w >> 16); continue outer; }
        case 0xcd: { const s = ((w >>> 12) & 15); if (gtS(L[s], H[s], L[d], H[d])) pc += (w >> 16); continue outer; }
        case 0xd5: { const b = imms[cur]; if (geS(b, b >> 31, L[d], H[d])) pc += (w >> 16); continue outer; }
        case 0xdd: { const s = ((w >>> 12) & 15); if (geS(L[s], H[s], L[d], H[d])) pc += (w >> 16); continue outer; }
        case 0x95: case 0x9d: {
          settle(vm, pc, start - left, cur);
          if (vm.frames.length === 0) return { reason: 'exit', pc: cur };
          vm.slowExec(cur); // the return from a bpf-to-bpf call, or from a callback
          pc = vm.pc;
          if (pc === CALLBACK_RETURN && vm.frames.length === callbackDepth) return undefined;
          stepsLeft -= start - left; start = left;
          continue outer;
        }

        // --- JMP32: 32-bit comparisons, K then X --------------------------------------------------
        case 0x06: case 0x0e: pc = cur + 1 + imms[cur]; continue outer; // gotol
        case 0x16: if (L[d] === imms[cur]) pc += (w >> 16); continue outer;
        case 0x1e: if (L[d] === L[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
        case 0x56: if (L[d] !== imms[cur]) pc += (w >> 16); continue outer;
        case 0x5e: if (L[d] !== L[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
        case 0x46: if ((L[d] & imms[cur]) !== 0) pc += (w >> 16); continue outer;
        case 0x4e: if ((L[d] & L[((w >>> 12) & 15)]) !== 0) pc += (w >> 16); continue outer;
        case 0x26: if ((L[d] >>> 0) > (imms[cur] >>> 0)) pc += (w >> 16); continue outer;
        case 0x2e: if ((L[d] >>> 0) > (L[((w >>> 12) & 15)] >>> 0)) pc += (w >> 16); continue outer;
        case 0x36: if ((L[d] >>> 0) >= (imms[cur] >>> 0)) pc += (w >> 16); continue outer;
        case 0x3e: if ((L[d] >>> 0) >= (L[((w >>> 12) & 15)] >>> 0)) pc += (w >> 16); continue outer;
        case 0xa6: if ((L[d] >>> 0) < (imms[cur] >>> 0)) pc += (w >> 16); continue outer;
        case 0xae: if ((L[d] >>> 0) < (L[((w >>> 12) & 15)] >>> 0)) pc += (w >> 16); continue outer;
        case 0xb6: if ((L[d] >>> 0) <= (imms[cur] >>> 0)) pc += (w >> 16); continue outer;
        case 0xbe: if ((L[d] >>> 0) <= (L[((w >>> 12) & 15)] >>> 0)) pc += (w >> 16); continue outer;
        case 0x66: if (L[d] > imms[cur]) pc += (w >> 16); continue outer;
        case 0x6e: if (L[d] > L[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
        case 0x76: if (L[d] >= imms[cur]) pc += (w >> 16); continue outer;
        case 0x7e: if (L[d] >= L[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
        case 0xc6: if (L[d] < imms[cur]) pc += (w >> 16); continue outer;
        case 0xce: if (L[d] < L[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;
        case 0xd6: if (L[d] <= imms[cur]) pc += (w >> 16); continue outer;
        case 0xde: if (L[d] <= L[((w >>> 12) & 15)]) pc += (w >> 16); continue outer;

        // --- lddw: an immediate, a map reference, or a function's address ------------------------
        case 0x18: {
          const ref = mapAddress === undefined ? undefined : mapAddress(cur);
          const s = ((w >>> 12) & 15);
          if (ref) { L[d] = ref.lo; H[d] = ref.hi; pc = cur + 2; }
          else if (s === 0) { L[d] = imms[cur]; H[d] = imms[cur + 1]; pc = cur + 2; }
          else { // a function's address, or a reference that cannot run here (a fault)
            left += segLen - lens[seg] + lens[cur] - 1;
            settle(vm, pc, start - left, cur);
            const stop = vm.slowExec(cur);
            if (stop) return stop;
            pc = vm.pc;
            stepsLeft -= start - left; start = left;
            continue outer;
          }
          break;
        }

        // --- LDX: dst = *(size *)(src + off), with the region found from the address's high half ---
        case 0x61: {
          const s = (w >>> 12) & 15;
          const o = offsetOf(L[s], w >> 16), r = slots[H[s] + gCarry - HI_BASE];
          if (r !== undefined && o >= r.lowOff && o + 4 <= r.highOff) {
            const f = r.pointerFields === undefined ? undefined : r.pointerFields.get(o);
            if (f === undefined) { L[d] = r.view.getInt32(o, true); H[d] = 0; } else { const p = f(); L[d] = p.lo; H[d] = p.hi; }
            break;
          }
          const stop = vm.load(op, d, L[s], H[s], w >> 16, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x81: {
          const s = (w >>> 12) & 15;
          const o = offsetOf(L[s], w >> 16), r = slots[H[s] + gCarry - HI_BASE];
          if (r !== undefined && o >= r.lowOff && o + 4 <= r.highOff) {
            const f = r.pointerFields === undefined ? undefined : r.pointerFields.get(o);
            if (f === undefined) { L[d] = r.view.getInt32(o, true); H[d] = L[d] >> 31; } else { const p = f(); L[d] = p.lo; H[d] = p.hi; }
            break;
          }
          const stop = vm.load(op, d, L[s], H[s], w >> 16, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x69: {
          const s = (w >>> 12) & 15;
          const o = offsetOf(L[s], w >> 16), r = slots[H[s] + gCarry - HI_BASE];
          if (r !== undefined && o >= r.lowOff && o + 2 <= r.highOff) { L[d] = r.view.getUint16(o, true); H[d] = 0; break; }
          const stop = vm.load(op, d, L[s], H[s], w >> 16, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x89: {
          const s = (w >>> 12) & 15;
          const o = offsetOf(L[s], w >> 16), r = slots[H[s] + gCarry - HI_BASE];
          if (r !== undefined && o >= r.lowOff && o + 2 <= r.highOff) { L[d] = r.view.getInt16(o, true); H[d] = L[d] >> 31; break; }
          const stop = vm.load(op, d, L[s], H[s], w >> 16, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x71: {
          const s = (w >>> 12) & 15;
          const o = offsetOf(L[s], w >> 16), r = slots[H[s] + gCarry - HI_BASE];
          if (r !== undefined && o >= r.lowOff && o + 1 <= r.highOff) { L[d] = r.bytes[o]; H[d] = 0; break; }
          const stop = vm.load(op, d, L[s], H[s], w >> 16, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x91: {
          const s = (w >>> 12) & 15;
          const o = offsetOf(L[s], w >> 16), r = slots[H[s] + gCarry - HI_BASE];
          if (r !== undefined && o >= r.lowOff && o + 1 <= r.highOff) { L[d] = (r.bytes[o] << 24) >> 24; H[d] = L[d] >> 31; break; }
          const stop = vm.load(op, d, L[s], H[s], w >> 16, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x79: {
          const s = (w >>> 12) & 15;
          const o = offsetOf(L[s], w >> 16), r = slots[H[s] + gCarry - HI_BASE];
          if (r !== undefined && o >= r.lowOff && o + 8 <= r.highOff) {
            const f = r.pointerFields === undefined ? undefined : r.pointerFields.get(o);
            if (f === undefined) { L[d] = r.view.getInt32(o, true); H[d] = r.view.getInt32(o + 4, true); } else { const p = f(); L[d] = p.lo; H[d] = p.hi; }
            break;
          }
          const stop = vm.load(op, d, L[s], H[s], w >> 16, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }

        // --- ST / STX: *(size *)(dst + off) = imm or src ------------------------------------------
        case 0x62: {
          const o = offsetOf(L[d], w >> 16), r = slots[H[d] + gCarry - HI_BASE];
          const v = imms[cur], vh = 0;
          if (r !== undefined && o >= r.lowOff && o + 4 <= r.highOff && r.writable) { r.view.setInt32(o, v, true); break; }
          const stop = vm.store(op, L[d], H[d], w >> 16, v, vh, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x63: {
          const o = offsetOf(L[d], w >> 16), r = slots[H[d] + gCarry - HI_BASE];
          const v = L[(w >>> 12) & 15], vh = 0;
          if (r !== undefined && o >= r.lowOff && o + 4 <= r.highOff && r.writable) { r.view.setInt32(o, v, true); break; }
          const stop = vm.store(op, L[d], H[d], w >> 16, v, vh, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x6a: {
          const o = offsetOf(L[d], w >> 16), r = slots[H[d] + gCarry - HI_BASE];
          const v = imms[cur], vh = 0;
          if (r !== undefined && o >= r.lowOff && o + 2 <= r.highOff && r.writable) { r.view.setUint16(o, v & 0xffff, true); break; }
          const stop = vm.store(op, L[d], H[d], w >> 16, v, vh, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x6b: {
          const o = offsetOf(L[d], w >> 16), r = slots[H[d] + gCarry - HI_BASE];
          const v = L[(w >>> 12) & 15], vh = 0;
          if (r !== undefined && o >= r.lowOff && o + 2 <= r.highOff && r.writable) { r.view.setUint16(o, v & 0xffff, true); break; }
          const stop = vm.store(op, L[d], H[d], w >> 16, v, vh, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x72: {
          const o = offsetOf(L[d], w >> 16), r = slots[H[d] + gCarry - HI_BASE];
          const v = imms[cur], vh = 0;
          if (r !== undefined && o >= r.lowOff && o + 1 <= r.highOff && r.writable) { r.bytes[o] = v; break; }
          const stop = vm.store(op, L[d], H[d], w >> 16, v, vh, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x73: {
          const o = offsetOf(L[d], w >> 16), r = slots[H[d] + gCarry - HI_BASE];
          const v = L[(w >>> 12) & 15], vh = 0;
          if (r !== undefined && o >= r.lowOff && o + 1 <= r.highOff && r.writable) { r.bytes[o] = v; break; }
          const stop = vm.store(op, L[d], H[d], w >> 16, v, vh, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x7a: {
          const o = offsetOf(L[d], w >> 16), r = slots[H[d] + gCarry - HI_BASE];
          const v = imms[cur], vh = v >> 31;
          if (r !== undefined && o >= r.lowOff && o + 8 <= r.highOff && r.writable) { r.view.setInt32(o, v, true); r.view.setInt32(o + 4, vh, true); break; }
          const stop = vm.store(op, L[d], H[d], w >> 16, v, vh, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }
        case 0x7b: {
          const o = offsetOf(L[d], w >> 16), r = slots[H[d] + gCarry - HI_BASE];
          const v = L[(w >>> 12) & 15], vh = H[(w >>> 12) & 15];
          if (r !== undefined && o >= r.lowOff && o + 8 <= r.highOff && r.writable) { r.view.setInt32(o, v, true); r.view.setInt32(o + 4, vh, true); break; }
          const stop = vm.store(op, L[d], H[d], w >> 16, v, vh, cur);
          if (stop) { left += segLen - lens[seg] + lens[cur] - 1; settle(vm, pc, start - left, cur); return stop; }
          break;
        }

        // --- everything else: calls, atomics, legacy packet loads, unknown opcodes ------------------
        default: {
          left += segLen - lens[seg] + lens[cur] - 1;
          settle(vm, pc, start - left, cur);
          const stop = vm.slowExec(cur);
          if (stop) return stop;
          // A helper may have run callbacks (budget spent), or a tail call may have loaded another program.
          pc = vm.pc;
          stepsLeft -= start - left;
          if (vm.words !== words) { gSteps = stepsLeft; return RELOAD; }
          byBudget = vm.budgetLeft < stepsLeft;
          start = left = Math.max(0, byBudget ? vm.budgetLeft : stepsLeft);
          continue outer;
        }
      }
      if (pc === end) continue outer;
    }
  }
}

/** Hands the machine the pc and the instructions run since the last handover. */
function settle(vm: Machine, pc: number, used: number, prevPc: number): void {
  vm.pc = pc;
  vm.prevPc = prevPc;
  vm.budgetLeft -= used;
  vm.insnCount += used;
}
