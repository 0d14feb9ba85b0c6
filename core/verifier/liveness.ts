/**
 * Static liveness: before each instruction, the registers and the bytes of its own frame's
 * stack that some path onward may read before writing them. Pruning ignores the rest when
 * it compares states (the kernel's compute_live_registers() and its stack liveness), so
 * paths that differ only in values no one will read again are merged.
 *
 * It is conservative: a value counts as live wherever the verifier might look at it. It works
 * per function, as a frame sees its code: a call reads r1-r5 and clobbers r0-r5, r6-r9 and
 * the caller's stack persist across it, and an exit reads r0 and ends the frame. The stack is
 * reached only through pointers, so a forward pass first finds which registers may point
 * into the frame's own stack and at which constant offset:
 * - an access through a known offset reads (or, for a store, overwrites) exactly its bytes;
 * - an access through a pointer whose offset is not known reads the whole frame and
 *   overwrites nothing;
 * - a helper, kfunc or bpf-to-bpf call given a pointer into the frame reads all of it;
 * - once a pointer into the frame is stored anywhere (or handed to a bpf-to-bpf callee,
 *   which may store it), every 8-byte load may bring it back, at an unknown offset;
 * - a tail call reads everything.
 *
 * Pure: instructions in, bit sets out. Registers are bits 0-10 of `regs` (r10 is always
 * live); stack byte fp-(b+1) is bit b of `stack` (so fp-1 is bit 0 and fp-512 bit 511).
 */

import { Insn, LDDW_CODE } from '../isa/insn';
import { helperById } from '../helpers/table';

export const STACK_BYTES = 512;
const WORDS = STACK_BYTES / 32;
const R10 = 1 << 10;
/** r0-r5: what a call or a legacy packet load clobbers. */
const CALLER_SAVED = 0x3f;
const ALL_REGS = 0x7ff;

/** What is live before one instruction. */
export interface LiveSet {
  /** Bit r: register r may be read (r0-r10). */
  regs: number;
  /** Bit b (word b >> 5): the stack byte at fp-(b+1) may be read. */
  stack: Uint32Array;
}

export interface Liveness {
  /** Live before `pc` in the frame that runs it; undefined outside the program. */
  before(pc: number): LiveSet | undefined;
}

export function regLive(set: LiveSet, r: number): boolean {
  return (set.regs & (1 << r)) !== 0;
}

/** Whether the byte at `off` from the frame pointer (-512..-1) is live. */
export function stackByteLive(set: LiveSet, off: number): boolean {
  const b = -off - 1;
  if (b < 0 || b >= STACK_BYTES) return false;
  return (set.stack[b >> 5] & (1 << (b & 31))) !== 0;
}

/** Everything live: what pruning assumes where it knows nothing. */
export const ALL_LIVE: LiveSet = { regs: ALL_REGS, stack: new Uint32Array(WORDS).fill(0xffffffff) };

/** `subprogs`: the function entry slots, 0 first (checkCfg()); the program must have passed checkCfg(). */
export function computeLiveness(insns: readonly Insn[], subprogs: readonly number[]): Liveness {
  const ptrs = stackPointers(insns, subprogs);
  const n = insns.length;
  const regs = new Uint16Array(n);
  const stack = new Uint32Array(n * WORDS);
  const after = new Uint32Array(WORDS);
  const effects: (Effect | undefined)[] = new Array(n);
  for (let pc = 0; pc < n; pc++) if (ptrs[pc]) effects[pc] = effectOf(insns, pc, ptrs[pc]!);
  // Round-robin from the end until nothing changes: loops need a few passes, straight code one.
  for (let changed = true; changed;) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      const e = effects[pc];
      if (!e) continue;
      let liveRegs = 0;
      after.fill(0);
      for (const s of e.succ) {
        liveRegs |= regs[s];
        for (let w = 0; w < WORDS; w++) after[w] |= stack[s * WORDS + w];
      }
      liveRegs = ((liveRegs & ~e.def) | e.use | R10) & ALL_REGS;
      if (e.readAll) after.fill(0xffffffff);
      else {
        if (e.kill) setBits(after, e.kill[0], e.kill[1], false);
        if (e.read) setBits(after, e.read[0], e.read[1], true);
      }
      if (liveRegs !== regs[pc]) { regs[pc] = liveRegs; changed = true; }
      for (let w = 0; w < WORDS; w++) {
        if (stack[pc * WORDS + w] !== after[w]) { stack[pc * WORDS + w] = after[w]; changed = true; }
      }
    }
  }
  return {
    before: (pc) => (effects[pc] ? { regs: regs[pc], stack: stack.subarray(pc * WORDS, (pc + 1) * WORDS) } : undefined),
  };
}

// --- which registers point into the frame's own stack (a forward pass) ------------------------

/**
 * A register's pointer value: NONE (not into this frame's stack), ANY (may be, at an offset
 * not known), or the constant offset from the frame pointer.
 */
const NONE = 0x7fffffff;
const ANY = -0x7fffffff;
/** Index of the "a pointer into the frame was stored somewhere" flag after the eleven registers. */
const ESCAPED = 11;
const MAX_OFF = 1 << 29;

type Ptrs = Int32Array;

function stackPointers(insns: readonly Insn[], subprogs: readonly number[]): (Ptrs | undefined)[] {
  const n = insns.length;
  const at: (Ptrs | undefined)[] = new Array(n);
  const work: number[] = [];
  for (const entry of subprogs) {
    const s = new Int32Array(12).fill(NONE);
    s[10] = 0;
    s[ESCAPED] = 0;
    at[entry] = s;
    work.push(entry);
  }
  while (work.length) {
    const pc = work.pop()!;
    const i = insns[pc];
    const out = ptrStep(i, at[pc]!);
    for (const s of successors(insns, pc)) {
      const cur = at[s];
      if (!cur) { at[s] = out.slice(); work.push(s); continue; }
      let changed = false;
      for (let r = 0; r < 11; r++) {
        if (cur[r] !== out[r] && cur[r] !== ANY) { cur[r] = ANY; changed = true; }
      }
      if (out[ESCAPED] && !cur[ESCAPED]) { cur[ESCAPED] = 1; changed = true; }
      if (changed) work.push(s);
    }
  }
  return at;
}

/** The pointer values after `i`, given those before it. */
function ptrStep(i: Insn, before: Ptrs): Ptrs {
  const s = before.slice();
  const cls = i.code & 7;
  const op = i.code & 0xf0;
  const useReg = (i.code & 0x08) !== 0;
  const mayPoint = (r: number) => r < 11 && s[r] !== NONE;
  switch (cls) {
    case 0x04: // ALU32: a 32-bit result is never a pointer
      if (i.dst < 11) s[i.dst] = NONE;
      break;
    case 0x07: {
      if (i.dst >= 11) break;
      const d = s[i.dst];
      if (op === 0xb0) s[i.dst] = useReg && i.off === 0 && i.src < 11 ? s[i.src] : NONE;
      else if (op === 0x00 || op === 0x10) {
        if (useReg) s[i.dst] = mayPoint(i.dst) || mayPoint(i.src) ? ANY : NONE;
        else if (d !== NONE && d !== ANY) {
          const off = d + (op === 0x00 ? i.imm : -i.imm);
          s[i.dst] = Math.abs(off) < MAX_OFF ? off : ANY;
        }
      } else s[i.dst] = NONE; // other arithmetic makes a pointer a scalar, or fails
      break;
    }
    case 0x01: // LDX: only an 8-byte fill brings a pointer back, and only once one was stored
      if (i.dst < 11) s[i.dst] = s[ESCAPED] && (i.code & 0xe0) === 0x60 && (i.code & 0x18) === 0x18 ? ANY : NONE;
      break;
    case 0x03:
      if ((i.code & 0xe0) === 0xc0) {
        if (i.imm === 0x100) { if (i.dst < 11) s[i.dst] = s[ESCAPED] && (i.code & 0x18) === 0x18 ? ANY : NONE; }
        else if (i.imm === 0x110) { if (mayPoint(i.src)) s[ESCAPED] = 1; }
        else if (i.imm === 0xf1) s[0] = NONE;
        else if (i.imm & 1 && i.src < 11) s[i.src] = NONE;
      } else if (mayPoint(i.src)) s[ESCAPED] = 1;
      break;
    case 0x00:
      if (i.code === LDDW_CODE) { if (i.dst < 11) s[i.dst] = NONE; }
      else for (let r = 0; r <= 5; r++) s[r] = NONE; // LD_ABS / LD_IND
      break;
    case 0x05:
      if (op === 0x80) {
        if (i.src === 1) {
          // A callee may store a pointer it was given, or return it.
          let passed = false;
          for (let r = 1; r <= 5; r++) passed ||= mayPoint(r);
          if (passed) s[ESCAPED] = 1;
          for (let r = 1; r <= 5; r++) s[r] = NONE;
          s[0] = passed ? ANY : NONE;
        } else for (let r = 0; r <= 5; r++) s[r] = NONE;
      }
      break;
  }
  return s;
}

// --- what each instruction reads and writes ---------------------------------------------------

interface Effect {
  succ: number[];
  use: number;
  def: number;
  /** Stack byte bits [from, to) read, or overwritten whole; readAll: every byte of the frame. */
  read?: [number, number];
  kill?: [number, number];
  readAll?: boolean;
}

function effectOf(insns: readonly Insn[], pc: number, ptrs: Ptrs): Effect {
  const i = insns[pc];
  const e: Effect = { succ: successors(insns, pc), use: 0, def: 0 };
  const cls = i.code & 7;
  const op = i.code & 0xf0;
  const useReg = (i.code & 0x08) !== 0;
  const bit = (r: number) => (r < 11 ? 1 << r : 0);
  const size = ({ 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 } as Record<number, number>)[i.code & 0x18];
  /** An access of `bytes` at `base` + off: its stack bits when the offset is known; 'all' when it may be anywhere. */
  const access = (base: number, bytes: number): [number, number] | 'all' | undefined => {
    const p = base < 11 ? ptrs[base] : NONE;
    if (p === NONE) return undefined;
    if (p === ANY) return 'all';
    const start = p + i.off;
    // Bits run from fp-1 (0) down the stack: bytes [start, start + bytes) are bits [-start-bytes, -start).
    return [Math.max(0, -start - bytes), Math.min(STACK_BYTES, -start)];
  };
  const read = (base: number, bytes: number) => {
    const a = access(base, bytes);
    if (a === 'all') e.readAll = true;
    else if (a) e.read = a;
  };
  const write = (base: number, bytes: number) => {
    const a = access(base, bytes);
    if (a && a !== 'all') e.kill = a;
  };
  switch (cls) {
    case 0x04: case 0x07:
      if (op === 0xb0) e.use = useReg ? bit(i.src) : 0; // mov
      else if (op === 0x80 || op === 0xd0) e.use = bit(i.dst); // neg, byte swap: the X bit is not a source
      else e.use = bit(i.dst) | (useReg ? bit(i.src) : 0);
      e.def = bit(i.dst);
      break;
    case 0x01:
      e.use = bit(i.src);
      e.def = bit(i.dst);
      read(i.src, size);
      break;
    case 0x02:
      e.use = bit(i.dst);
      write(i.dst, size);
      break;
    case 0x03:
      e.use = bit(i.src) | bit(i.dst);
      if ((i.code & 0xe0) !== 0xc0) { write(i.dst, size); break; }
      if (i.imm === 0x100) { e.use = bit(i.src); e.def = bit(i.dst); read(i.src, size); break; }
      if (i.imm === 0x110) { write(i.dst, size); break; }
      // A read-modify-write: the location is read; what is written is not known, so nothing is killed.
      if (i.imm === 0xf1) { e.use |= 1; e.def = 1; } else if (i.imm & 1) e.def = bit(i.src);
      read(i.dst, size);
      break;
    case 0x00:
      if (i.code === LDDW_CODE) { e.def = bit(i.dst); break; }
      e.use = (1 << 6) | ((i.code & 0xe0) === 0x40 ? bit(i.src) : 0);
      e.def = CALLER_SAVED;
      break;
    case 0x05: case 0x06:
      if (cls === 0x05 && op === 0x90) { e.use = 1; break; } // exit: r0 goes to the caller or out
      if (cls === 0x05 && op === 0x80) { callEffect(i, ptrs, e); break; }
      if (op !== 0x00 && op !== 0xe0) e.use = bit(i.dst) | (useReg ? bit(i.src) : 0);
      break;
  }
  return e;
}

function callEffect(i: Insn, ptrs: Ptrs, e: Effect): void {
  const helper = i.src === 0 ? helperById(i.imm) : undefined;
  if (i.src === 2 || helper?.name === 'tail_call') {
    // A kfunc we do not model, or a tail call: everything may be looked at.
    e.use = ALL_REGS;
    e.readAll = true;
    return;
  }
  const nArgs = i.src === 1 ? 5 : helper?.proto ? helper.proto.args.length : 5;
  for (let r = 1; r <= nArgs; r++) {
    e.use |= 1 << r;
    if (ptrs[r] !== NONE) e.readAll = true;
  }
  e.def = CALLER_SAVED;
}

/** Where control goes after the instruction at `pc`, inside its function (a call returns to the next slot). */
function successors(insns: readonly Insn[], pc: number): number[] {
  const i = insns[pc];
  const cls = i.code & 7;
  const op = i.code & 0xf0;
  if (i.code === LDDW_CODE) return [pc + 2];
  if (cls !== 0x05 && cls !== 0x06) return [pc + 1];
  if (op === 0x90 && cls === 0x05) return [];
  if (op === 0x80) return [pc + 1];
  if (op === 0x00) return [pc + 1 + (cls === 0x06 ? i.imm : i.off)];
  return [pc + 1, pc + 1 + i.off];
}

function setBits(words: Uint32Array, from: number, to: number, on: boolean): void {
  for (let b = from; b < to; b++) {
    if (on) words[b >> 5] |= 1 << (b & 31);
    else words[b >> 5] &= ~(1 << (b & 31));
  }
}
