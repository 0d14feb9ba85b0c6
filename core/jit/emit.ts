/**
 * JavaScript source for one chunk of blocks (core/jit/cfg.ts): a function
 * `chunk(vm, limit, bp)` that runs compiled blocks from `vm.pc` until the program ends, the
 * code leaves the chunk, or something must be run by the interpreter.
 *
 * - Registers live in local variables, `l0..l10` and `h0..h10` (the int32 halves, as in
 *   core/vm/int64.ts): loaded from `vm.lo`/`vm.hi` on entry (those the chunk mentions) and
 *   stored back on the way out (those it writes). Where the range analysis
 *   (core/jit/ranges.ts) shows a register is below 2^32, its high half is the constant 0 and
 *   64-bit operations on it are 32-bit ones; each entry first checks those assumptions
 *   (`guard`), since the driver may come in with a state no edge of the program produces.
 * - Dispatch is a `switch (pc)` over the chunk's leaders inside the `out` loop. A loop (a run
 *   of blocks whose last one jumps back to the first) and the code after an entry become one
 *   structured region: forward jumps inside it are `break`s out of labelled blocks, the jump
 *   back to a loop's head is `continue`, and only other jumps go through the dispatch.
 * - `left` counts the instructions still allowed (the budget, or a debugger's steps). A region
 *   checks once, on the way in and each time round, that the longest way through it fits;
 *   each block takes its length, and gives back what it did not run when it leaves early.
 * - Memory goes through the regions' DataViews with the interpreter's checks in line, and
 *   r10-relative accesses at constant offsets in the stack need none, when the program never
 *   writes r10. An access whose check fails calls the machine's slow path (`vm.load`,
 *   `vm.store`), so faults read exactly as the interpreter's.
 * - Every way out sets `res` (a Stop, or the driver's INTERP / LEAVE marks), `npc` (the pc to
 *   hand back) and `pp` (the machine's `prevPc`), then `break out` to the one epilogue that
 *   stores the registers and the counts.
 */

import { LinkedProgram } from '../link';
import { HI_BASE, LO_BASE } from '../vm/memory';
import { STACK_SIZE } from '../vm/machine';
import { Block, Cfg } from './cfg';
import { emitLddw, emitMem, writesR10 } from './emitMem';
import { aluResult, narrow, RegState, stepState, U32 } from './ranges';

const REGS = Array.from({ length: 11 }, (_, k) => k);

interface Ctx {
  cfg: Cfg;
  program: LinkedProgram;
  /** Leaders compiled in this chunk. */
  inChunk: Set<number>;
  /**
   * The program never writes r10, so r10 stays the top of the current frame's stack (calls,
   * which change frames, leave compiled code): r10-relative accesses in the stack need no checks.
   */
  fixedFp: boolean;
}

/** What the JIT compiles one chunk from: its blocks, and the leaders the driver may enter it at. */
export interface ChunkPlan {
  blocks: Block[];
  /** The leaders with a `case` of their own (the others run only inside a region): the driver's entries. */
  entries: number[];
  /** For each block, the last one that jumps back to it (a loop's latch), or -1. */
  latch: Int32Array;
}

/** The body of `new Function('I', 'INTERP', 'LEAVE', 'GUARD', body)`, which returns the chunk function. */
export function emitChunk(cfg: Cfg, program: LinkedProgram, plan: ChunkPlan, ranges: Map<number, RegState>): string {
  const { blocks } = plan;
  const ctx: Ctx = { cfg, program, inChunk: new Set(plan.entries), fixedFp: !writesR10(cfg) };
  const out: string[] = [];
  out.push('"use strict";');
  out.push('const R = I.res, udiv64 = I.udiv64, umod64 = I.umod64, sdiv64 = I.sdiv64, smod64 = I.smod64, udiv32 = I.udiv32, umod32 = I.umod32, sdiv32 = I.sdiv32, smod32 = I.smod32, lsh64 = I.lsh64, rsh64 = I.rsh64, arsh64 = I.arsh64;');
  out.push('return function chunk(vm, limit, bp) {');
  out.push('const L = vm.lo, H = vm.hi, slots = vm.memory.slots, MA = vm.opts.mapAddress;');
  // Only the registers the chunk mentions live in locals; only the ones it writes go back.
  const { used, written } = registersOf(cfg, blocks);
  const live = REGS.filter((k) => used.has(k));
  if (live.length) out.push(`let ${live.map((k) => `l${k} = L[${k}], h${k} = H[${k}]`).join(', ')};`);
  out.push('let left = limit | 0, pc = vm.pc | 0, st, res = LEAVE, npc = pc, pp = vm.prevPc;');
  // The current frame's stack, where r10 points when a call leaves it; a debugger may have moved
  // r10, and then this chunk leaves the work to the interpreter.
  if (ctx.fixedFp && used.has(10)) {
    out.push(`const fp = slots[h10 - ${HI_BASE}];`);
    out.push(`if (fp === undefined || fp.kind !== 'stack' || l10 !== ${(LO_BASE + STACK_SIZE) | 0} || fp.lowOff !== 0 || fp.highOff !== ${STACK_SIZE} || !fp.writable || fp.bytes.length !== ${STACK_SIZE}) return GUARD;`);
  }
  // Entry guards: compiled code assumes its leader's intervals; a state from elsewhere goes to the interpreter.
  const guards: string[] = [];
  for (const e of plan.entries) {
    const g = guard(ranges.get(e)?.map((r, k) => (used.has(k) ? r : null)));
    if (g) guards.push(`case ${e}: if (!(${g})) return GUARD; break;`);
  }
  if (guards.length) out.push(`switch (pc) { ${guards.join(' ')} }`);
  out.push('out: for (;;) {');
  out.push('switch (pc) {');
  const index = new Map(blocks.map((b, k) => [b.leader, k]));
  const cases = new Set(plan.entries);
  plan.entries.forEach((e, k) => {
    const { region, loop } = regionOf(index.get(e)!, blocks, plan.latch, cases);
    out.push(emitRegion(ctx, region, loop, plan.entries[k + 1], ranges));
  });
  out.push('default: res = LEAVE; npc = pc; break out;');
  out.push('}');
  out.push('}');
  out.push(`${REGS.filter((k) => written.has(k)).map((k) => `L[${k}] = l${k}; H[${k}] = h${k};`).join(' ')}`);
  out.push('vm.budgetLeft -= limit - left; vm.insnCount += limit - left; vm.pc = npc; vm.prevPc = pp;');
  out.push('return res;');
  out.push('};');
  return out.join('\n');
}

/**
 * Which leaders of a chunk get a case: those the driver comes in at other than by a jump (the
 * start, functions, after a handover), loop heads, and every target of a jump that is not
 * structured (made through the dispatch, or from another chunk). A block reached only inside
 * regions has no case of its own: should the driver stop there, the interpreter goes on to
 * the next leader that has one.
 */
export function planChunk(cfg: Cfg, blocks: Block[], forced: ReadonlySet<number>): ChunkPlan {
  const ctx: Ctx = { cfg, program: undefined as unknown as LinkedProgram, inChunk: new Set(blocks.map((b) => b.leader)), fixedFp: false };
  const index = new Map(blocks.map((b, k) => [b.leader, k]));
  const latch = latches(blocks, index);
  const cases = new Set<number>();
  if (blocks.length) cases.add(blocks[0].leader);
  blocks.forEach((b, k) => { if (forced.has(b.leader) || latch[k] >= 0) cases.add(b.leader); });
  // Regions stop before other cases, so that each block is emitted about once; a jump that is
  // then not structured makes its target a case too, until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const pc of [...cases]) {
      const { region, loop } = regionOf(index.get(pc)!, blocks, latch, cases);
      for (const t of dispatchTargets(ctx, region, loop)) {
        if (index.has(t) && !cases.has(t)) { cases.add(t); changed = true; }
      }
    }
  }
  return { blocks, entries: [...cases].sort((x, y) => x - y), latch };
}

/**
 * The leaders a chunk must have a case for whatever it holds: the roots, where the driver
 * comes back after a handover, and the targets of jumps from other chunks.
 */
export function forcedEntries(cfg: Cfg, chunkOf: Map<number, number>): Set<number> {
  const forced = new Set<number>([...cfg.roots, ...cfg.handoverNext.values()]);
  for (const b of cfg.blocks) {
    for (const t of [b.target, b.next]) if (t !== undefined && chunkOf.get(t) !== chunkOf.get(b.leader)) forced.add(t);
  }
  return forced;
}

/** For each block of a chunk, the last block (within MAX_REGION_BLOCKS) that jumps back to it, or -1. */
function latches(blocks: Block[], index: Map<number, number>): Int32Array {
  const latch = new Int32Array(blocks.length).fill(-1);
  blocks.forEach((b, i) => {
    const j = b.target === undefined ? undefined : index.get(b.target);
    if (j !== undefined && j <= i && i < j + MAX_REGION_BLOCKS) latch[j] = Math.max(latch[j], i);
  });
  return latch;
}

/** The registers a chunk reads or writes, and the ones it writes. */
function registersOf(cfg: Cfg, blocks: Block[]): { used: Set<number>; written: Set<number> } {
  const used = new Set<number>(), written = new Set<number>();
  for (const b of blocks) {
    for (const pc of b.pcs) {
      const d = cfg.dsts[pc], s = cfg.srcs[pc], x = (cfg.ops[pc] & 8) !== 0;
      switch (cfg.kinds[pc]) {
        case 'alu': used.add(d); written.add(d); if (x) used.add(s); break;
        case 'load': used.add(d); written.add(d); used.add(s); break;
        case 'lddw': used.add(d); written.add(d); break;
        case 'store': used.add(d); if ((cfg.ops[pc] & 7) === 0x03) used.add(s); break;
        case 'cond': used.add(d); if (x) used.add(s); break;
        default: break;
      }
    }
  }
  return { used, written };
}

/** The condition a state must meet to enter at a leader, or '' when the leader assumes nothing. */
function guard(st: (RegState[number])[] | undefined): string {
  if (!st) return 'false';
  const parts: string[] = [];
  st.forEach((r, k) => {
    if (!r) return;
    if (r.max <= U32) {
      parts.push(`h${k} === 0`);
      if (r.min > 0) parts.push(`(l${k} >>> 0) >= ${r.min}`);
      if (r.max < U32) parts.push(`(l${k} >>> 0) <= ${r.max}`);
    } else {
      parts.push(`h${k} >= 0 && h${k} * 4294967296 + (l${k} >>> 0) >= ${r.min} && h${k} * 4294967296 + (l${k} >>> 0) <= ${r.max}`);
    }
  });
  return parts.join(' && ');
}

/** Blocks at most in one region (a loop, or straight-line code from an entry). */
const MAX_REGION_BLOCKS = 48;

/**
 * The region a case starts: the blocks from `head` on, in slot order, that are emitted as one
 * piece of structured code. A loop head's region runs to the last block that jumps back to it;
 * an entry's (the program's, a function's, after a handover) runs while its blocks are reached
 * by forward edges from the head. Inside a region, a forward jump is a `break` out of a labelled
 * block and the jump back to a loop's head is `continue`; any other jump goes through the
 * dispatch. Every block also keeps a case of its own, for the other ways in.
 */
function regionOf(idx: number, blocks: Block[], latch: Int32Array, cases: ReadonlySet<number>): { region: Block[]; loop: boolean } {
  const head = blocks[idx];
  if (latch[idx] >= 0) return { region: blocks.slice(idx, latch[idx] + 1), loop: true };
  // Straight-line code: the blocks reached by forward edges, up to the next block with a case.
  const reached = new Set([head.leader]);
  let end = idx;
  for (let j = idx; j < blocks.length && j < idx + MAX_REGION_BLOCKS; j++) {
    const b = blocks[j];
    if (j > idx && cases.has(b.leader)) break;
    if (!reached.has(b.leader)) continue;
    end = j;
    for (const t of [b.next, b.target]) if (t !== undefined && t > b.leader) reached.add(t);
  }
  return { region: blocks.slice(idx, end + 1), loop: false };
}

/** The jumps of a region that go through the dispatch (their targets need a case). */
function dispatchTargets(ctx: Ctx, region: Block[], loop: boolean): number[] {
  const index = new Map(region.map((b, k) => [b.leader, k]));
  const out: number[] = [];
  region.forEach((b, k) => {
    const kind = ctx.cfg.kinds[b.pcs[b.pcs.length - 1]];
    const targets = [b.target, kind === 'exit' || kind === 'ja' ? undefined : b.next];
    for (const t of targets) {
      if (t === undefined) continue;
      if (loop && t === region[0].leader) continue;
      const j = index.get(t);
      if (j !== undefined && j > k) continue;
      out.push(t);
    }
  });
  return out;
}

function emitRegion(ctx: Ctx, region: Block[], loop: boolean, following: number | undefined, ranges: Map<number, RegState>): string {
  const head = region[0];
  const index = new Map(region.map((b, k) => [b.leader, k]));
  // Forward targets inside the region get a labelled block that ends just before them.
  // Whether a block goes on into the next block of the region when it does not jump.
  const sequential = region.map((b, k) => {
    const kind = ctx.cfg.kinds[b.pcs[b.pcs.length - 1]];
    return kind !== 'exit' && kind !== 'ja' && k + 1 < region.length && b.next === region[k + 1].leader;
  });
  const targets = new Set<number>();
  region.forEach((b, k) => {
    for (const t of [b.target, b.next]) {
      const j = t === undefined ? undefined : index.get(t);
      if (j !== undefined && (j > k + 1 || (j === k + 1 && !sequential[k]))) targets.add(t!);
    }
  });
  // One check on the way in (and each time round a loop): room for the longest way through.
  const longest = new Array<number>(region.length).fill(0);
  for (let k = region.length - 1; k >= 0; k--) {
    const b = region[k];
    let most = 0;
    for (const t of [b.target, sequential[k] ? b.next : undefined, b.next]) {
      const j = t === undefined ? undefined : index.get(t);
      if (j !== undefined && j > k) most = Math.max(most, longest[j]);
    }
    longest[k] = b.pcs.length + most;
  }
  const lines: string[] = [];
  lines.push(`case ${head.leader}: ${loop ? 'for (;;) ' : ''}{`);
  const marks = region.map((b) => `bp[${b.leader}] === 1`).join(' || ');
  lines.push(`if (left < ${longest[0]} || (bp !== null && (${marks}))) { res = INTERP; npc = ${head.leader}; break out; }`);
  for (const t of [...targets].sort((x, y) => y - x)) lines.push(`b${t}: {`);
  let ended = false;
  region.forEach((b, k) => {
    if (k > 0 && targets.has(b.leader)) lines.push(`} // b${b.leader}`);
    lines.push(`left -= ${b.pcs.length};`);
    const jump = (target: number, from: number): string => {
      if (loop && target === head.leader) return 'continue;';
      const j = index.get(target);
      if (j === k + 1 && sequential[k]) return '{}'; // the next block here: where the code goes on anyway
      if (j !== undefined && j > k) return `break b${target};`;
      if (ctx.inChunk.has(target)) return `{ pc = ${target}; continue out; }`;
      return `{ res = LEAVE; npc = ${target}; pp = ${from}; break out; }`;
    };
    ended = emitBody(ctx, b, ranges.get(b.leader), 0, jump, lines);
    const last = b.pcs[b.pcs.length - 1];
    const kind = ctx.cfg.kinds[last];
    if (k < region.length - 1 && kind !== 'exit' && kind !== 'ja' && b.next !== undefined && !sequential[k]) {
      lines.push(jump(b.next, last)); // the next slot is not the next block here (a handover, say)
    }
  });
  if (loop) lines.push('break;');
  lines.push('}');
  const lastBlock = region[region.length - 1];
  const last = lastBlock.pcs[lastBlock.pcs.length - 1];
  const kind = ctx.cfg.kinds[last];
  if (kind !== 'exit' && kind !== 'ja' && lastBlock.next !== undefined) {
    // Go on to the next slot: fall through into the next case when that is where it goes.
    const next = lastBlock.next;
    if (!(region.length === 1 && !loop && next === following && ctx.inChunk.has(next))) {
      lines.push(ctx.inChunk.has(next) ? `pc = ${next}; continue out;` : `res = LEAVE; npc = ${next}; pp = ${last}; break out;`);
    }
  } else if (!ended && lastBlock.next === undefined) {
    lines.push(`res = LEAVE; npc = ${last + 1}; pp = ${last}; break out;`);
  }
  return lines.join('\n');
}

/**
 * The code of one block's slots, its terminating jump included (`jump` says how to go to a
 * target), into `lines`; `extra` slots beyond this block were taken from `left` and go back
 * on any early way out. Returns whether the block ends in a jump or exit.
 */
function emitBody(ctx: Ctx, b: Block, entry: RegState | undefined, extra: number, jump: (target: number, from: number) => string, lines: string[]): boolean {
  const { cfg, program } = ctx;
  const len = b.pcs.length;
  let st: RegState = entry ?? new Array(11).fill(null);
  let ended = false;
  b.pcs.forEach((pc, j) => {
    const kind = cfg.kinds[pc];
    const giveBack = len - j + extra; // this slot and the ones after it
    if (kind === 'alu') lines.push(emitAlu(cfg, st, pc));
    else if (kind === 'load' || kind === 'store') lines.push(emitMem(cfg, st, pc, giveBack - 1, ctx.fixedFp));
    else if (kind === 'lddw') lines.push(emitLddw(cfg, program, pc, giveBack));
    else if (kind === 'cond') {
      lines.push(`if (${condition(cfg, st, pc)}) ${jump(b.target!, pc)}`);
      ended = true;
    } else if (kind === 'ja') {
      lines.push(jump(b.target!, pc));
      ended = true;
    } else if (kind === 'exit') {
      lines.push(`if (vm.frames.length === 0) { ${extra ? `left += ${extra}; ` : ''}res = { reason: 'exit', pc: ${pc} }; npc = ${pc + 1}; pp = ${pc}; break out; }`);
      lines.push(`left += ${1 + extra}; res = INTERP; npc = ${pc}; pp = ${pc}; break out;`);
      ended = true;
    }
    if (kind !== 'cond' && kind !== 'ja' && kind !== 'exit') st = stepState(cfg, program, st, pc);
  });
  return ended;
}

// --- ALU ----------------------------------------------------------------------------------

function bswap16(v: string): string {
  return `((((${v}) & 0xff) << 8) | (((${v}) >>> 8) & 0xff))`;
}
function bswap32(v: string): string {
  return `(((((${v}) & 0xff) << 24) | (((${v}) & 0xff00) << 8) | (((${v}) >>> 8) & 0xff00) | ((${v}) >>> 24)) | 0)`;
}

function emitAlu(cfg: Cfg, st: RegState, pc: number): string {
  const op = cfg.ops[pc], d = cfg.dsts[pc], s = cfg.srcs[pc], off = cfg.offs[pc], imm = cfg.imms[pc];
  const x = (op & 8) !== 0, code = op & 0xf0;
  const ld = `l${d}`, hd = `h${d}`;
  const HD = narrow(st[d]) ? '0' : hd;
  const blo = x ? `l${s}` : `${imm}`;
  const bhi = x ? (narrow(st[s]) ? '0' : `h${s}`) : `${imm >> 31}`;
  const bu = x ? `(l${s} >>> 0)` : `${imm >>> 0}`;
  const bNarrow = x ? narrow(st[s]) : imm >= 0;

  if ((op & 7) === 0x04) { // ALU32
    const b = blo;
    switch (code) {
      case 0x00: return `${ld} = (${ld} + ${b}) | 0; ${hd} = 0;`;
      case 0x10: return `${ld} = (${ld} - ${b}) | 0; ${hd} = 0;`;
      case 0x20: return `${ld} = Math.imul(${ld}, ${b}); ${hd} = 0;`;
      case 0x30: return `${ld} = ${off === 1 ? 'sdiv32' : 'udiv32'}(${ld}, ${b}); ${hd} = 0;`;
      case 0x90: return `${ld} = ${off === 1 ? 'smod32' : 'umod32'}(${ld}, ${b}); ${hd} = 0;`;
      case 0x40: return `${ld} = ${ld} | ${b}; ${hd} = 0;`;
      case 0x50: return `${ld} = ${ld} & ${b}; ${hd} = 0;`;
      case 0xa0: return `${ld} = ${ld} ^ ${b}; ${hd} = 0;`;
      case 0x60: return `${ld} = ${ld} << (${b} & 31); ${hd} = 0;`;
      case 0x70: return `${ld} = (${ld} >>> (${b} & 31)) | 0; ${hd} = 0;`;
      case 0xc0: return `${ld} = ${ld} >> (${b} & 31); ${hd} = 0;`;
      case 0x80: return `${ld} = -${ld} | 0; ${hd} = 0;`;
      case 0xb0: {
        if (!x) { const v = off === 8 ? (imm << 24) >> 24 : off === 16 ? (imm << 16) >> 16 : imm; return `${ld} = ${v}; ${hd} = 0;`; }
        if (off === 8) return `${ld} = (${b} << 24) >> 24; ${hd} = 0;`;
        if (off === 16) return `${ld} = (${b} << 16) >> 16; ${hd} = 0;`;
        return `${ld} = ${b}; ${hd} = 0;`;
      }
      case 0xd0:
        if (x) { // be16/32/64
          if (imm === 16) return `${ld} = ${bswap16(ld)}; ${hd} = 0;`;
          if (imm === 32) return `${ld} = ${bswap32(ld)}; ${hd} = 0;`;
          return `{ const a = ${ld}; ${ld} = ${bswap32(hd)}; ${hd} = ${bswap32('a')}; }`;
        }
        if (imm === 16) return `${ld} = ${ld} & 0xffff; ${hd} = 0;`;
        if (imm === 32) return `${hd} = 0;`;
        return '';
      default: throw new Error(`internal error: ALU32 opcode 0x${op.toString(16)} in the JIT`);
    }
  }

  // ALU64. When the result is known to be below 2^32, its low half is all there is to compute.
  const res = aluResult(st, op, d, s, off, imm);
  if (narrow(res)) {
    switch (code) {
      case 0x00: return `${ld} = (${ld} + ${blo}) | 0; ${hd} = 0;`;
      case 0x10: return `${ld} = (${ld} - ${blo}) | 0; ${hd} = 0;`;
      case 0x20: return `${ld} = Math.imul(${ld}, ${blo}); ${hd} = 0;`;
      case 0x40: return `${ld} = ${ld} | ${blo}; ${hd} = 0;`;
      case 0x50: return `${ld} = ${ld} & ${blo}; ${hd} = 0;`;
      case 0xa0: return `${ld} = ${ld} ^ ${blo}; ${hd} = 0;`;
      case 0x80: return `${ld} = 0; ${hd} = 0;`;
      case 0x60:
        if (!x) return (imm & 63) < 32 ? `${ld} = ${ld} << ${imm & 63}; ${hd} = 0;` : `${ld} = 0; ${hd} = 0;`;
        return `{ const n = ${blo} & 63; ${ld} = n < 32 ? ${ld} << n : 0; ${hd} = 0; }`;
      case 0x70: case 0xc0:
        if (!narrow(st[d])) break;
        if (!x) return (imm & 63) < 32 ? `${ld} = (${ld} >>> ${imm & 63}) | 0; ${hd} = 0;` : `${ld} = 0; ${hd} = 0;`;
        return `{ const n = ${blo} & 63; ${ld} = n < 32 ? (${ld} >>> n) | 0 : 0; ${hd} = 0; }`;
      case 0x30: case 0x90:
        if (!narrow(st[d]) || !bNarrow) break;
        return `${ld} = ${code === 0x30 ? 'udiv32' : 'umod32'}(${ld}, ${blo}); ${hd} = 0;`;
      case 0xb0:
        if (!x) break;
        return `${ld} = l${s}; ${hd} = 0;`; // a narrow result: the source was narrow and not negative
      default: break;
    }
  }
  switch (code) {
    // The carry out of the low half: the sum is below an addend (unsigned); the borrow: a < b (unsigned).
    case 0x00: return `{ const a = ${ld}; ${ld} = (a + ${blo}) | 0; ${hd} = (${HD} + ${bhi} + ((${ld} >>> 0) < (a >>> 0) ? 1 : 0)) | 0; }`;
    case 0x10: return `{ const a = ${ld}, b = ${blo}; ${ld} = (a - b) | 0; ${hd} = (${HD} - ${bhi} - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; }`;
    case 0x20:
      if (res && narrow(st[d]) && bNarrow) return `{ const m = (${ld} >>> 0) * ${bu}; ${ld} = m | 0; ${hd} = (m / 4294967296) | 0; }`;
      return `{ const a = ${ld}, b = ${blo}, a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;` +
        ` const mid = a0 * b1 + a1 * b0, low = a0 * b0 + (mid % 65536) * 65536;` +
        ` ${hd} = (a1 * b1 + Math.floor(mid / 65536) + Math.floor(low / 4294967296) + Math.imul(a, ${bhi}) + Math.imul(${HD}, b)) | 0; ${ld} = low | 0; }`;
    case 0x30: return `${off === 1 ? 'sdiv64' : 'udiv64'}(${ld}, ${HD}, ${blo}, ${bhi}); ${ld} = R.lo; ${hd} = R.hi;`;
    case 0x90: return `${off === 1 ? 'smod64' : 'umod64'}(${ld}, ${HD}, ${blo}, ${bhi}); ${ld} = R.lo; ${hd} = R.hi;`;
    case 0x40: return `${ld} = ${ld} | ${blo}; ${hd} = ${HD} | ${bhi};`;
    case 0x50: return `${ld} = ${ld} & ${blo}; ${hd} = ${HD} & ${bhi};`;
    case 0xa0: return `${ld} = ${ld} ^ ${blo}; ${hd} = ${HD} ^ ${bhi};`;
    case 0x60: case 0x70: case 0xc0: {
      if (x) return `${code === 0x60 ? 'lsh64' : code === 0x70 ? 'rsh64' : 'arsh64'}(${ld}, ${HD}, ${blo} & 63); ${ld} = R.lo; ${hd} = R.hi;`;
      const n = imm & 63;
      if (n === 0) return `${hd} = ${HD};`;
      if (code === 0x60) return n < 32 ? `${hd} = (${HD} << ${n}) | (${ld} >>> ${32 - n}); ${ld} = ${ld} << ${n};` : `${hd} = ${ld} << ${n - 32}; ${ld} = 0;`;
      if (code === 0x70) return n < 32 ? `${ld} = (${ld} >>> ${n}) | (${HD} << ${32 - n}); ${hd} = (${HD} >>> ${n}) | 0;` : `${ld} = (${HD} >>> ${n - 32}) | 0; ${hd} = 0;`;
      return n < 32 ? `${ld} = (${ld} >>> ${n}) | (${HD} << ${32 - n}); ${hd} = ${HD} >> ${n};` : `${ld} = ${HD} >> ${n - 32}; ${hd} = ${HD} >> 31;`;
    }
    case 0x80: return `{ const a = ${ld}; ${ld} = -a | 0; ${hd} = (-${HD} - (a !== 0 ? 1 : 0)) | 0; }`;
    case 0xb0: {
      if (!x) {
        const v = off === 8 ? (imm << 24) >> 24 : off === 16 ? (imm << 16) >> 16 : imm;
        return `${ld} = ${v}; ${hd} = ${v >> 31};`;
      }
      if (off === 8) return `${ld} = (l${s} << 24) >> 24; ${hd} = ${ld} >> 31;`;
      if (off === 16) return `${ld} = (l${s} << 16) >> 16; ${hd} = ${ld} >> 31;`;
      if (off === 32) return `${ld} = l${s}; ${hd} = ${ld} >> 31;`;
      return `${ld} = l${s}; ${hd} = ${bhi};`;
    }
    case 0xd0:
      if (imm === 16) return `${ld} = ${bswap16(ld)}; ${hd} = 0;`;
      if (imm === 32) return `${ld} = ${bswap32(ld)}; ${hd} = 0;`;
      return `{ const a = ${ld}; ${ld} = ${bswap32(HD)}; ${hd} = ${bswap32('a')}; }`;
    default: throw new Error(`internal error: ALU64 opcode 0x${op.toString(16)} in the JIT`);
  }
}

// --- jumps --------------------------------------------------------------------------------

function condition(cfg: Cfg, st: RegState, pc: number): string {
  const op = cfg.ops[pc], d = cfg.dsts[pc], s = cfg.srcs[pc], imm = cfg.imms[pc];
  const x = (op & 8) !== 0, code = op & 0xf0;
  const ld = `l${d}`;
  if ((op & 7) === 0x06) { // JMP32
    const b = x ? `l${s}` : `${imm}`;
    const bu = x ? `(l${s} >>> 0)` : `${imm >>> 0}`;
    switch (code) {
      case 0x10: return `${ld} === ${b}`;
      case 0x50: return `${ld} !== ${b}`;
      case 0x40: return `(${ld} & ${b}) !== 0`;
      case 0x20: return `(${ld} >>> 0) > ${bu}`;
      case 0x30: return `(${ld} >>> 0) >= ${bu}`;
      case 0xa0: return `(${ld} >>> 0) < ${bu}`;
      case 0xb0: return `(${ld} >>> 0) <= ${bu}`;
      case 0x60: return `${ld} > ${b}`;
      case 0x70: return `${ld} >= ${b}`;
      case 0xc0: return `${ld} < ${b}`;
      case 0xd0: return `${ld} <= ${b}`;
      default: throw new Error(`internal error: JMP32 opcode 0x${op.toString(16)} in the JIT`);
    }
  }
  const A = st[d], B = x ? st[s] : imm >= 0 ? { min: imm, max: imm } : null;
  const blo = x ? `l${s}` : `${imm}`;
  const bu = x ? `(l${s} >>> 0)` : `${imm >>> 0}`;
  if (narrow(A) && narrow(B)) {
    // Both below 2^32: the high halves are 0, and signed and unsigned order agree.
    const small = A.max < 2 ** 31 && B.max < 2 ** 31;
    const a = small ? ld : `(${ld} >>> 0)`, b = small ? blo : bu;
    switch (code) {
      case 0x10: return `${ld} === ${blo}`;
      case 0x50: return `${ld} !== ${blo}`;
      case 0x40: return `(${ld} & ${blo}) !== 0`;
      case 0x20: case 0x60: return `${a} > ${b}`;
      case 0x30: case 0x70: return `${a} >= ${b}`;
      case 0xa0: case 0xc0: return `${a} < ${b}`;
      case 0xb0: case 0xd0: return `${a} <= ${b}`;
      default: break;
    }
  }
  const HD = narrow(A) ? '0' : `h${d}`;
  const bhi = x ? (narrow(B) ? '0' : `h${s}`) : `${imm >> 31}`;
  const uhd = HD === '0' ? '0' : `(${HD} >>> 0)`, ubh = x ? (bhi === '0' ? '0' : `(${bhi} >>> 0)`) : `${(imm >> 31) >>> 0}`;
  const cmp = (opU: string, hiA: string, hiB: string) => `(${HD} !== ${bhi} ? ${hiA} ${opU[0]} ${hiB} : (${ld} >>> 0) ${opU} ${bu})`;
  switch (code) {
    case 0x10: return `(${ld} === ${blo} && ${HD} === ${bhi})`;
    case 0x50: return `(${ld} !== ${blo} || ${HD} !== ${bhi})`;
    case 0x40: return `((${ld} & ${blo}) | (${HD} & ${bhi})) !== 0`;
    case 0x20: return cmp('>', uhd, ubh);
    case 0x30: return cmp('>=', uhd, ubh);
    case 0xa0: return cmp('<', uhd, ubh);
    case 0xb0: return cmp('<=', uhd, ubh);
    case 0x60: return cmp('>', HD, bhi);
    case 0x70: return cmp('>=', HD, bhi);
    case 0xc0: return cmp('<', HD, bhi);
    case 0xd0: return cmp('<=', HD, bhi);
    default: throw new Error(`internal error: JMP opcode 0x${op.toString(16)} in the JIT`);
  }
}
