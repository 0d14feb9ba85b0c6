/**
 * The differential check of core/verifier/scalar*.ts against the running kernel's verifier:
 * random straight-line programs of ALU operations and conditional jumps on unknown inputs,
 * loaded as socket filters at log_level 2, whose log prints each register's state after
 * every instruction and, for each branch explored later, the state at its target. Our model
 * simulates the same path and must print every r6-r9 state the kernel prints.
 *
 * Program shape (instruction slots are built directly, not assembled, so that every
 * encoding — sdiv, movsx, bswap, jmp32 — is exactly the one meant):
 *
 *   r7 = *(u8|u16|u32 *)(r1 + 0)     __sk_buff.len, narrowed: a 8/16/32-bit unknown
 *   r9 = *(u8|u16|u32 *)(r1 + 4)     __sk_buff.pkt_type, likewise
 *   call bpf_ktime_get_ns            r0: a 64-bit unknown
 *   r6 = r0 ; r0 = 0                 (r0 cleared so r6's link id is singular)
 *   r8 = constant
 *   ... random body on r6-r9 ...
 *   r0 = 0 ; exit
 *   r0 = 0 ; exit                    one target block per conditional jump
 *
 * A register copy (`r7 = r6`, `w7 = w6`, movsx) links the two registers through an id in
 * the kernel (sync_linked_regs() then refines both on a branch), which the scalar model
 * does not track; each copy is therefore followed by `dst *= 1`, which clears the copy's id
 * and changes nothing else.
 *
 * What is compared: every r6-r9 value printed on the first path (the fall-through of every
 * branch), and every `from X to Y:` state the kernel pops afterwards (the jump side of each
 * undecided branch, last first), up to the first path forked by maybe_fork_scalars(), after
 * which the kernel re-runs the rest of the program on another path.
 */

import { Insn } from '../../core/isa/insn';
import { loadProgram } from '../../core/kernel';
import { Scalar, scalarConst, scalarFromImm, scalarString, scalarUnknown } from '../../core/verifier/scalar';
import {
  AluOp, EndOp, coerceRegToSize, maybeForkScalars, scalarAlu, scalarEnd, scalarMov, scalarMovImm, scalarNeg,
} from '../../core/verifier/scalarAlu';
import { JmpOp, isBranchTaken, refineBranch } from '../../core/verifier/scalarBranch';

/** A small deterministic generator (mulberry32), so a failing seed can be replayed. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  chance(p: number): boolean { return this.next() < p; }
}

const ALU_CODE: Record<AluOp, [number, number]> = {
  add: [0x00, 0], sub: [0x10, 0], mul: [0x20, 0], div: [0x30, 0], sdiv: [0x30, 1], or: [0x40, 0], and: [0x50, 0],
  lsh: [0x60, 0], rsh: [0x70, 0], mod: [0x90, 0], smod: [0x90, 1], xor: [0xa0, 0], arsh: [0xc0, 0],
};
const JMP_CODE: Record<JmpOp, number> = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
};
const ALU_OPS = Object.keys(ALU_CODE) as AluOp[];
const JMP_OPS = Object.keys(JMP_CODE) as JmpOp[];
const WORK_REGS = [6, 7, 8, 9];

const INTERESTING_IMMS = [
  0, 1, 2, 3, 4, 5, 7, 8, 10, 15, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000,
  0x7fffffff, -1, -2, -5, -16, -128, -256, -0x8000, -0x80000000, 0x12345678, 0x40000000,
];

function randImm(rng: Rng): number {
  if (rng.chance(0.7)) return rng.pick(INTERESTING_IMMS);
  return rng.chance(0.5) ? rng.int(1 << 16) - (1 << 15) : (rng.int(2 ** 32) | 0);
}

function randConst64(rng: Rng): bigint {
  const hi = BigInt(rng.int(2 ** 32)), lo = BigInt(rng.int(2 ** 32));
  return rng.pick([hi << 32n | lo, lo, BigInt(rng.pick(INTERESTING_IMMS)), (1n << 63n) | lo, 0xffffffff00000000n | lo]);
}

/** One register state the kernel printed, against ours. */
export interface Check {
  where: string;
  reg: number;
  kernel: string;
  ours: string;
}

export interface CaseResult {
  seed: number;
  program: string[];
  checks: Check[];
  mismatches: Check[];
  /** The load failed or the log could not be followed: a broken case, not a verdict. */
  error?: string;
  log?: string;
}

interface Push { from: number; to: number; regs: Map<number, Scalar>; fork: boolean }

/** A generated program with the model's expectations along its first path. */
interface Generated {
  insns: Insn[];
  text: string[];
  /** insn index -> our state of r6-r9 after it, on the first path. */
  after: Map<number, Map<number, Scalar>>;
  pushes: Push[];
}

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });

/** Builds a random program and simulates it with the scalar model. */
export function generate(seed: number, bodyLen: number): Generated {
  const rng = new Rng(seed);
  const insns: Insn[] = [];
  const text: string[] = [];
  const regs = new Map<number, Scalar>();
  const after = new Map<number, Map<number, Scalar>>();
  const pushes: Push[] = [];
  const branchFixups: { at: number; block: number }[] = [];
  let alive = true; // false once our model says the path jumped away

  const emit = (i: Insn, t: string) => { insns.push(i); text.push(t); };
  const record = () => { after.set(insns.length - 1, new Map(regs)); };

  // Prologue.
  const widths = [1, 2, 4] as const;
  const szCode = { 1: 0x71, 2: 0x69, 4: 0x61 } as const;
  for (const [reg, off] of [[7, 0], [9, 4]] as const) {
    const w = rng.pick(widths);
    emit(ins(szCode[w], reg, 1, off, 0), `r${reg} = *(u${w * 8} *)(r1 + ${off})`);
    regs.set(reg, coerceRegToSize(scalarUnknown(), w));
    record();
  }
  emit(ins(0x85, 0, 0, 0, 5), 'call bpf_ktime_get_ns');
  emit(ins(0xbf, 6, 0), 'r6 = r0');
  regs.set(6, scalarUnknown());
  record();
  emit(ins(0xb7, 0, 0, 0, 0), 'r0 = 0');
  if (rng.chance(0.3)) {
    const v = randConst64(rng);
    const lo = Number(BigInt.asIntN(32, v)), hi = Number(BigInt.asIntN(32, v >> 32n));
    emit(ins(0x18, 8, 0, 0, lo), `r8 = 0x${BigInt.asUintN(64, v).toString(16)} ll`);
    emit(ins(0, 0, 0, 0, hi), '');
    regs.set(8, scalarConst(v));
    after.set(insns.length - 2, new Map(regs));
  } else {
    const imm = randImm(rng);
    emit(ins(0xb7, 8, 0, 0, imm), `r8 = ${imm}`);
    regs.set(8, scalarMovImm(imm, false));
    record();
  }

  const breakLink = (d: number) => {
    emit(ins(0x27, d, 0, 0, 1), `r${d} *= 1`);
    if (alive) { regs.set(d, scalarAlu('mul', regs.get(d)!, scalarFromImm(1), false)); record(); }
  };

  for (let n = 0; n < bodyLen; n++) {
    const d = rng.pick(WORK_REGS);
    const kind = rng.next();
    const is32 = rng.chance(0.4);
    const dv = regs.get(d)!;
    if (kind < 0.5) {
      // Binary ALU operation.
      const op = rng.pick(ALU_OPS);
      const [opc, off] = ALU_CODE[op];
      const useReg = rng.chance(0.4);
      const W = is32 ? 32 : 64;
      let src: Scalar;
      let srcText: string;
      let insn: Insn;
      if (useReg) {
        const s = rng.pick(WORK_REGS);
        src = regs.get(s)!;
        srcText = is32 ? `w${s}` : `r${s}`;
        insn = ins((is32 ? 0x04 : 0x07) | opc | 0x08, d, s, off, 0);
      } else {
        let imm = randImm(rng);
        if ((op === 'lsh' || op === 'rsh' || op === 'arsh')) imm = rng.int(W);
        if ((op === 'div' || op === 'sdiv' || op === 'mod' || op === 'smod') && imm === 0) imm = rng.pick([3, 7, -3, 16]);
        src = scalarFromImm(imm);
        srcText = String(imm);
        insn = ins((is32 ? 0x04 : 0x07) | opc, d, 0, off, imm);
      }
      const sym = { add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', mod: '%=', smod: 's%=', and: '&=', or: '|=', xor: '^=', lsh: '<<=', rsh: '>>=', arsh: 's>>=' }[op];
      emit(insn, `${is32 ? 'w' : 'r'}${d} ${sym} ${srcText}`);
      if (alive) {
        const fork = maybeForkScalars(op, dv, src);
        if (fork) {
          const pushedRegs = new Map(regs);
          pushedRegs.set(d, fork.pushed);
          pushes.push({ from: insns.length - 1, to: insns.length - 1, regs: pushedRegs, fork: true });
          regs.set(d, scalarAlu(op, fork.current, src, is32));
        } else {
          regs.set(d, scalarAlu(op, dv, src, is32));
        }
        record();
      }
    } else if (kind < 0.6) {
      // Moves.
      const m = rng.int(4);
      if (m === 0) {
        const imm = randImm(rng);
        emit(ins(is32 ? 0xb4 : 0xb7, d, 0, 0, imm), `${is32 ? 'w' : 'r'}${d} = ${imm}`);
        if (alive) { regs.set(d, scalarMovImm(imm, is32)); record(); }
      } else {
        const s = rng.pick(WORK_REGS.filter((r) => r !== d));
        const sx: 0 | 8 | 16 | 32 = m === 1 ? 0 : is32 ? rng.pick([8, 16] as const) : rng.pick([8, 16, 32] as const);
        const name = is32 ? 'w' : 'r';
        emit(ins(is32 ? 0xbc : 0xbf, d, s, sx, 0), `${name}${d} = ${sx ? `(s${sx})` : ''}${name}${s}`);
        if (alive) { regs.set(d, scalarMov(regs.get(s)!, is32, sx)); record(); }
        breakLink(d);
      }
    } else if (kind < 0.65) {
      emit(ins(is32 ? 0x84 : 0x87, d), `${is32 ? 'w' : 'r'}${d} = -${is32 ? 'w' : 'r'}${d}`);
      if (alive) { regs.set(d, scalarNeg(dv, is32)); record(); }
    } else if (kind < 0.72) {
      const end: EndOp = rng.pick(['bswap', 'be', 'le'] as const);
      const bits = rng.pick([16, 32, 64] as const);
      const code = end === 'bswap' ? 0xd7 : end === 'be' ? 0xdc : 0xd4;
      emit(ins(code, d, 0, 0, bits), `r${d} = ${end}${bits} r${d}`);
      if (alive) { regs.set(d, scalarEnd(dv, end, bits)); record(); }
    } else {
      // Conditional jump to a block of its own.
      let op: JmpOp = rng.pick(JMP_OPS);
      let useReg = rng.chance(0.4);
      let s = rng.pick(WORK_REGS);
      let imm = randImm(rng);
      for (let tries = 0; tries < 6 && alive; tries++) {
        const sv = useReg ? regs.get(s)! : scalarFromImm(imm);
        if (isBranchTaken(dv, sv, op, is32) !== 1) break;
        op = rng.pick(JMP_OPS); useReg = rng.chance(0.4); s = rng.pick(WORK_REGS); imm = randImm(rng);
      }
      const at = insns.length;
      emit(ins((is32 ? 0x06 : 0x05) | JMP_CODE[op] | (useReg ? 0x08 : 0), d, useReg ? s : 0, 0, useReg ? 0 : imm),
        `if ${is32 ? 'w' : 'r'}${d} ${op} ${useReg ? `${is32 ? 'w' : 'r'}${s}` : imm} goto <block>`);
      branchFixups.push({ at, block: branchFixups.length });
      if (alive) {
        const sv = useReg ? regs.get(s)! : scalarFromImm(imm);
        const same = useReg && s === d;
        const pred = isBranchTaken(dv, sv, op, is32);
        if (pred === 1) {
          record(); // the kernel prints the state, then follows the jump only
          alive = false;
        } else if (pred === -1) {
          const r = refineBranch(dv, sv, op, is32, same);
          const taken = new Map(regs);
          taken.set(d, r.taken.dst);
          if (useReg && !same) taken.set(s, r.taken.src);
          pushes.push({ from: at, to: -1, regs: taken, fork: false });
          regs.set(d, r.fallthrough.dst);
          if (useReg && !same) regs.set(s, r.fallthrough.src);
        }
        if (alive) record();
      }
    }
  }
  emit(ins(0xb7, 0, 0, 0, 0), 'r0 = 0');
  emit(ins(0x95), 'exit');
  for (const f of branchFixups) {
    const target = insns.length;
    insns[f.at].off = target - (f.at + 1);
    text[f.at] = text[f.at].replace('<block>', `+${insns[f.at].off}`);
    for (const p of pushes) if (p.from === f.at && !p.fork) p.to = target;
    emit(ins(0xb7, 0, 0, 0, 0), 'r0 = 0');
    emit(ins(0x95), 'exit');
  }
  return { insns, text, after, pushes };
}

/** `R6=scalar(...) R7=5` into register -> value, values with their parentheses whole. */
export function parseRegs(state: string): Map<number, string> {
  const out = new Map<number, string>();
  let i = 0;
  while (i < state.length) {
    const m = /R(\d+)=/y;
    m.lastIndex = i;
    const hit = m.exec(state);
    if (!hit || (i > 0 && state[i - 1] !== ' ')) { i++; continue; }
    let j = m.lastIndex, depth = 0;
    while (j < state.length && !(depth === 0 && state[j] === ' ')) {
      if (state[j] === '(') depth++;
      else if (state[j] === ')') depth--;
      j++;
    }
    out.set(Number(hit[1]), state.slice(m.lastIndex, j));
    i = j;
  }
  return out;
}

/** The kernel's value with what the scalar model does not track removed: precision mark, link id. */
export function normalize(v: string): string {
  return v.replace(/^P/, '').replace(/\(id=\d+(?:[+-]\d+)?,?/, '(');
}

/** Loads one generated program and compares the kernel's printed states with ours. */
export function runCase(seed: number, bodyLen = 10): CaseResult {
  const g = generate(seed, bodyLen);
  const res: CaseResult = { seed, program: g.text, checks: [], mismatches: [] };
  const loaded = loadProgram({ progType: 'socket_filter', insns: g.insns, license: 'GPL', logLevel: 2 });
  if ('unavailable' in loaded) return { ...res, error: loaded.unavailable };
  const log = loaded.log;
  res.log = log;
  if (!('fd' in loaded)) return { ...res, error: `rejected: ${loaded.message}` };
  const lines = log.split('\n');
  const compare = (where: string, state: string, ours: Map<number, Scalar> | undefined) => {
    for (const [reg, val] of parseRegs(state)) {
      if (reg < 6 || reg > 9) continue;
      const mine = ours?.get(reg);
      const c: Check = { where, reg, kernel: normalize(val), ours: mine ? scalarString(mine) : '(not on our path)' };
      res.checks.push(c);
      if (c.kernel !== c.ours) res.mismatches.push(c);
    }
  };
  let li = 0;
  let sawInitial = false;
  // The first path: instruction lines up to the first popped state.
  for (; li < lines.length; li++) {
    const line = lines[li];
    if (/^from \d+ to \d+/.test(line) || /^processed \d+ insns/.test(line)) break;
    const a = /^(\d+): \([0-9a-f]{2}\) .*?; (R\d.*)$/.exec(line);
    if (a) { compare(`insn ${a[1]}`, ' ' + a[2], g.after.get(Number(a[1]))); continue; }
    const b = /^(\d+):( R\d.*)$/.exec(line);
    if (b) {
      if (!sawInitial && b[1] === '0') { sawInitial = true; continue; }
      compare(`insn ${b[1]}`, b[2], g.after.get(Number(b[1])));
    }
  }
  // The popped states, last pushed first, up to the first fork.
  const pending = [...g.pushes].reverse();
  for (; li < lines.length && pending.length; li++) {
    const h = /^from (\d+) to (\d+)(.*?):(.*)$/.exec(lines[li]);
    if (!h) continue;
    const p = pending.shift()!;
    if (Number(h[1]) !== p.from || Number(h[2]) !== p.to) {
      const c: Check = { where: `popped state ${h[1]} -> ${h[2]}`, reg: -1, kernel: lines[li], ours: `expected from ${p.from} to ${p.to}` };
      res.checks.push(c);
      res.mismatches.push(c);
      break;
    }
    if (/safe\s*$/.test(h[4])) continue;
    compare(`from ${p.from} to ${p.to}`, h[4], p.regs);
    if (p.fork) break;
  }
  if (pending.length === g.pushes.length && g.pushes.length && !res.mismatches.length) {
    // Every push should have been popped with a header.
    const c: Check = { where: 'popped states', reg: -1, kernel: '(none seen)', ours: `${g.pushes.length} pushed` };
    res.checks.push(c);
    res.mismatches.push(c);
  }
  return res;
}
