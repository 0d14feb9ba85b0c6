/** Random valid instructions drawn from the opcode table's field rules, for round-trip and fuzz tests. */

import { Insn } from '../core/isa/insn';
import { FieldRule, OPCODES, OpcodeSpec } from '../core/isa/opcodes';

/** A small deterministic PRNG (mulberry32), so that a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** Interesting values first: boundaries are where encoders break. */
function field(r: () => number, rule: FieldRule, bits: 16 | 32): number {
  switch (rule) {
    case 'zero': return 0;
    case 'reg': return randInt(r, 0, 10);
    default: {
      const edge = bits === 16 ? [0, 1, -1, 0x7fff, -0x8000] : [0, 1, -1, 0x7fffffff, -0x80000000];
      if (r() < 0.3) return edge[randInt(r, 0, edge.length - 1)];
      return bits === 16 ? randInt(r, -0x8000, 0x7fff) : (Math.floor(r() * 2 ** 32) | 0);
    }
  }
}

/** One random instruction of this row: one slot, or two for lddw. */
export function randomInsn(row: OpcodeSpec, r: () => number): Insn[] {
  const i: Insn = {
    code: row.code,
    dst: field(r, row.dst, 16),
    src: field(r, row.src === 'any' ? 'zero' : row.src, 16),
    off: field(r, row.off, 16),
    imm: field(r, row.imm, 32),
  };
  if (row.match?.src !== undefined) i.src = row.match.src;
  if (row.match?.off !== undefined) i.off = row.match.off;
  if (row.match?.imm !== undefined) i.imm = row.match.imm;
  if (row.immOneOf) i.imm = row.immOneOf[randInt(r, 0, row.immOneOf.length - 1)];
  if (row.kind === 'lddw') return [i, { code: 0, dst: 0, src: 0, off: 0, imm: field(r, 's32', 32) }];
  return [i];
}

export function randomRow(r: () => number): OpcodeSpec {
  return OPCODES[randInt(r, 0, OPCODES.length - 1)];
}
