/**
 * Random programs for the JIT-versus-interpreter fuzz test (test/jit/fuzz.test.ts) and
 * scripts/jit-fuzz.mjs. They are not meant to pass a verifier: most fault somewhere, and
 * the fault must be the same both ways. They lean towards what the JIT treats specially:
 * loops (counted, and not), 32-bit and narrow values the range analysis tracks, memory
 * through r1 (the `raw` memory) and r10 near the edges of their regions, calls to the
 * `raw` helpers and to a subprogram, atomics, lddw, and now and then any opcode at all.
 */

import { Insn } from '../../core/isa/insn';
import { randInt, randomInsn, randomRow } from '../gen';
import { Drive } from './harness';

export interface FuzzCase {
  insns: Insn[];
  mem: Uint8Array;
  budget: number;
  drive: Drive;
}

const ALU_CODES = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0];
const COND_CODES = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const EDGES = [0, 1, -1, 2, 7, 8, 31, 32, 63, 64, 255, 256, 0xffff, 0x10000, 0x7fffffff, -0x80000000, 1500, 100, -2, 3];

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

function imm32(r: () => number): number {
  const p = r();
  if (p < 0.5) return EDGES[randInt(r, 0, EDGES.length - 1)];
  if (p < 0.8) return randInt(r, -300, 300);
  return Math.floor(r() * 2 ** 32) | 0;
}

/** Pairs that compilers emit back to back and the interpreter runs as one superinstruction (core/vm/loop.ts, fusedOp). */
function idiomPair(r: () => number, reg: () => number, memLen: number): Insn[] {
  const d = reg(), s = reg(), k = randInt(r, 0, 7);
  const jump = r() < 0.3 ? -randInt(r, 1, 6) : randInt(r, 0, 5);
  switch (k) {
    case 0: return [ins(0xbf, d, s), ins([0x07, 0x77, 0x67, 0x57][randInt(r, 0, 3)], d, 0, 0, r() < 0.5 ? randInt(r, 0, 63) : imm32(r))];
    case 1: return [ins(0xbf, d, s), ins(0x0f, d, r() < 0.2 ? d : reg())];
    case 2: return [ins(0x67, d, 0, 0, 32), ins(r() < 0.5 ? 0x77 : 0xc7, d, 0, 0, 32)];
    case 3: return [ins(0x07, d, 0, 0, imm32(r)), ins(0xa5, d, 0, jump, imm32(r))];
    case 4: return [ins(0x04, d, 0, 0, imm32(r)), ins(0xa6, d, 0, jump, imm32(r))];
    case 5: return [ins(0xbc, d, s), ins([0x04, 0x54, 0x74, 0x64][randInt(r, 0, 3)], d, 0, 0, r() < 0.5 ? randInt(r, 0, 40) : imm32(r))];
    default: return [ins(r() < 0.5 ? 0x69 : 0x71, d, r() < 0.8 ? 1 : 10, randInt(r, -2, memLen + 1)), ins(0x0f, r() < 0.2 ? d : reg(), d)];
  }
}

export function fuzzCase(r: () => number): FuzzCase {
  const memLen = r() < 0.15 ? 0 : randInt(r, 1, 64);
  const mem = Uint8Array.from({ length: memLen }, () => randInt(r, 0, 255));
  const insns: Insn[] = [];
  const reg = () => randInt(r, 0, 9);
  const anyReg = () => (r() < 0.05 ? 10 : reg());
  // A prologue that sets most registers (r1 and r2 keep the memory and its length, mostly).
  for (const k of [0, 3, 4, 5, 6, 7, 8, 9]) {
    if (r() < 0.25) continue;
    if (r() < 0.2) insns.push(ins(0x18, k, 0, 0, imm32(r)), ins(0, 0, 0, 0, imm32(r)));
    else insns.push(ins(r() < 0.5 ? 0xb7 : 0xb4, k, 0, 0, imm32(r)));
  }
  const body = randInt(r, 3, 45);
  const loops: { start: number; counter: number }[] = [];
  let sub = false;
  for (let n = 0; n < body; n++) {
    const p = r();
    if (p < 0.3 && r() < 0.2) insns.push(...idiomPair(r, reg, memLen)); // a pair the interpreter fuses
    else if (p < 0.3) { // ALU
      const is64 = r() < 0.6, x = r() < 0.4, code = ALU_CODES[randInt(r, 0, ALU_CODES.length - 1)];
      const op = (code | (is64 ? 0x07 : 0x04) | (x ? 0x08 : 0)) & 0xff;
      let off = 0, imm = imm32(r);
      if (code === 0x30 || code === 0x90) off = r() < 0.3 ? 1 : 0;
      if (code === 0xb0 && r() < 0.2) off = [8, 16, 32][randInt(r, 0, 2)];
      if (code === 0xd0) imm = [16, 32, 64][randInt(r, 0, 2)];
      if ((code === 0x60 || code === 0x70 || code === 0xc0) && !x && r() < 0.8) imm = randInt(r, 0, is64 ? 63 : 31);
      insns.push(ins(op, reg(), x ? anyReg() : 0, off, imm));
    } else if (p < 0.5) { // memory, near the edges of the memory and the stack
      const sizes = [0x00, 0x08, 0x10, 0x18];
      const size = sizes[randInt(r, 0, 3)];
      const q = r();
      const base = q < 0.55 ? 10 : q < 0.9 ? 1 : reg();
      const off = base === 10 ? randInt(r, -520, 8) : base === 1 ? randInt(r, -8, memLen + 8) : randInt(r, -16, 16);
      const kind = r();
      if (kind < 0.45) insns.push(ins(0x61 | size | (r() < 0.15 && size !== 0x18 ? 0x20 : 0), reg(), base, off)); // ldx, ldxs
      else if (kind < 0.75) insns.push(ins(0x63 | size, base, anyReg(), off));
      else if (kind < 0.92) insns.push(ins(0x62 | size, base, 0, off, imm32(r)));
      else insns.push(ins(r() < 0.5 ? 0xc3 : 0xdb, base, reg(), off & ~7, [0x00, 0x01, 0x40, 0x41, 0x50, 0xa0, 0xe1, 0xf1][randInt(r, 0, 7)]));
    } else if (p < 0.68) { // conditional jumps: mostly forward, some back (loops)
      const is64 = r() < 0.6, x = r() < 0.4, code = COND_CODES[randInt(r, 0, COND_CODES.length - 1)];
      const op = code | (is64 ? 0x05 : 0x06) | (x ? 0x08 : 0);
      const off = r() < 0.2 ? -randInt(r, 1, 8) : randInt(r, 0, 6);
      insns.push(ins(op, reg(), x ? reg() : 0, off, imm32(r)));
    } else if (p < 0.74) { // a counted loop around what came last
      const counter = randInt(r, 6, 9);
      if (loops.length < 2) { insns.push(ins(0xb7, counter, 0, 0, 0)); loops.push({ start: insns.length, counter }); }
      else {
        const l = loops.pop()!;
        insns.push(ins(0x07, l.counter, 0, 0, randInt(r, 1, 3)));
        insns.push(ins(r() < 0.5 ? 0xa5 : 0xa6, l.counter, 0, l.start - insns.length - 1, randInt(r, 1, 40)));
      }
    } else if (p < 0.78) { // ja
      insns.push(ins(r() < 0.5 ? 0x05 : 0x06, 0, 0, r() < 0.2 ? -randInt(r, 1, 6) : randInt(r, 0, 4), r() < 0.5 ? randInt(r, -3, 3) : 0));
    } else if (p < 0.84) { // calls: the raw helpers, callx, a subprogram
      const q = r();
      if (q < 0.7) insns.push(ins(0x85, 0, 0, 0, randInt(r, 0, 6)));
      else if (q < 0.8) insns.push(ins(0x8d, reg()));
      else { insns.push(ins(0x85, 0, 1, 0, 0)); sub = true; } // patched below to the subprogram
    } else if (p < 0.88) { // lddw: a constant, or a function's address
      const s = r() < 0.8 ? 0 : 4;
      insns.push(ins(0x18, reg(), s, 0, s === 4 ? randInt(r, -2, 60) : imm32(r)), ins(0, 0, 0, 0, imm32(r)));
    } else if (p < 0.895) insns.push(ins(0x95));
    else if (p < 0.9) insns.push(ins([0x20, 0x28, 0x30, 0x40, 0x48, 0x50][randInt(r, 0, 5)], 0, reg(), 0, randInt(r, -8, 64)));
    else if (p < 0.95) { // narrow values: bytes and halves of the memory, then 64-bit work on them
      insns.push(ins(r() < 0.5 ? 0x71 : 0x69, reg(), 1, randInt(r, 0, Math.max(0, memLen - 2))));
      const code = ALU_CODES[randInt(r, 0, ALU_CODES.length - 1)];
      insns.push(ins(code | 0x07 | (r() < 0.5 ? 0x08 : 0), reg(), reg(), 0, code === 0xd0 ? 16 : randInt(r, 0, 70)));
    } else if (p < 0.99) insns.push(...randomInsn(randomRow(r), r));
    else insns.push(ins(randInt(r, 0, 255), randInt(r, 0, 15), randInt(r, 0, 15), randInt(r, -4, 4), imm32(r)));
  }
  for (const l of loops) {
    insns.push(ins(0x07, l.counter, 0, 0, 1));
    insns.push(ins(0xa5, l.counter, 0, l.start - insns.length - 1, randInt(r, 1, 30)));
  }
  insns.push(ins(0x95));
  if (sub) {
    const at = insns.length;
    insns.push(ins(0xb7, 0, 0, 0, randInt(r, 0, 9)), ins(0x0f, 0, 6), ins(0x7b, 10, 0, -8), ins(0x95));
    insns.forEach((i, k) => { if (i.code === 0x85 && i.src === 1) i.imm = at - k - 1; });
  }
  const budget = [40, 300, 3000, 100_000][randInt(r, 0, 3)];
  const q = r();
  const drive: Drive = q < 0.7 ? {} : q < 0.85 ? { maxSteps: randInt(r, 1, 25) }
    : { breakpoints: new Set(Array.from({ length: randInt(r, 1, 3) }, () => randInt(r, 0, insns.length))) };
  return { insns, mem, budget, drive };
}
