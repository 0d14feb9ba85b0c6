/**
 * The JIT's view of a program: each slot's kind, the leaders (where compiled code may be
 * entered), the straight-line blocks that start at them, and the chunks (one JavaScript
 * function each) the blocks are grouped into.
 *
 * A block runs from a leader to the first terminator (a jump or exit), or to the slot before
 * the next leader or the next instruction the JIT leaves to the interpreter (`handover`:
 * calls, atomics, legacy packet loads, unknown opcodes, bad registers). Handover slots get no
 * block: the driver (core/jit/index.ts) runs them with the interpreter and comes back at the
 * next leader. Every slot is classified as if execution could start there, since a jump may
 * land in the second slot of an lddw: that slot then runs as the opcode 0 it holds.
 */

import { LinkedProgram } from '../link';
import { Kind, kindOf } from '../vm/loop';

export { Kind, kindOf };

export interface Block {
  leader: number;
  /** The slots executed, in order (an lddw counts once, at its first slot). */
  pcs: number[];
  /** Where control goes after the last slot when no jump is taken; undefined after ja and exit. */
  next?: number;
  /** The target of the terminating jump (cond or ja). */
  target?: number;
}

export interface Cfg {
  n: number;
  /** The program's slots as the machine decodes them (core/vm/machine.ts, `loadProgram`). */
  ops: Uint16Array;
  dsts: Uint8Array;
  srcs: Uint8Array;
  offs: Int16Array;
  imms: Int32Array;
  kinds: Kind[];
  /** Blocks by leader, in slot order. */
  blocks: Block[];
  blockAt: Map<number, Block>;
  /** Leaders the analysis must assume anything about: the entry, callees, callbacks, unreachable code. */
  roots: Set<number>;
  /** Successors of each handover slot (where the interpreter goes on after it, when it does). */
  handoverNext: Map<number, number>;
}

/** Slots per chunk: a function much longer than this is not optimised by V8 (its bytecode limit). */
export const CHUNK_SLOTS = 600;

export function buildCfg(program: LinkedProgram, decoded: { ops: Uint16Array; dsts: Uint8Array; srcs: Uint8Array; offs: Int16Array; imms: Int32Array }): Cfg {
  const { ops, dsts, srcs, offs, imms } = decoded;
  const n = ops.length;
  const kinds = Array.from(ops, (op) => kindOf(op));
  const leader = new Uint8Array(n + 1);
  const roots = new Set<number>([0]);
  const handoverNext = new Map<number, number>();
  const mark = (pc: number) => { if (pc >= 0 && pc < n) leader[pc] = 1; };
  mark(0);
  for (let pc = 0; pc < n; pc++) {
    const k = kinds[pc];
    if (k === 'cond') { mark(pc + 1 + offs[pc]); mark(pc + 1); }
    else if (k === 'ja') { mark(pc + 1 + ((ops[pc] & 7) === 0x06 ? imms[pc] : offs[pc])); mark(pc + 1); }
    else if (k === 'exit') mark(pc + 1);
    else if (k === 'handover') {
      mark(pc + 1);
      handoverNext.set(pc, pc + 1);
      if (ops[pc] === 0x85 && srcs[pc] === 1) { mark(pc + 1 + imms[pc]); roots.add(pc + 1 + imms[pc]); } // a bpf-to-bpf callee
    } else if (k === 'lddw') {
      if (srcs[pc] === 4) { mark(pc + 1 + imms[pc]); roots.add(pc + 1 + imms[pc]); } // a callback's entry
    }
  }
  for (const f of program.functions) { mark(f.slot); roots.add(f.slot); }

  const blocks: Block[] = [];
  const blockAt = new Map<number, Block>();
  for (let start = 0; start < n; start++) {
    if (!leader[start] || kinds[start] === 'handover') continue;
    const b: Block = { leader: start, pcs: [] };
    let pc = start;
    for (;;) {
      const k = kinds[pc];
      if (k === 'handover') { b.next = pc; break; }
      b.pcs.push(pc);
      if (k === 'cond') { b.target = pc + 1 + offs[pc]; b.next = pc + 1; break; }
      if (k === 'ja') { b.target = pc + 1 + ((ops[pc] & 7) === 0x06 ? imms[pc] : offs[pc]); break; }
      if (k === 'exit') break;
      pc += k === 'lddw' ? 2 : 1;
      if (pc >= n || leader[pc]) { b.next = pc; break; }
    }
    blocks.push(b);
    blockAt.set(start, b);
  }
  // Code no edge reaches (after an exit, say) is still entered by the driver: assume nothing there.
  const reached = new Set<number>();
  const work = [...roots].filter((pc) => blockAt.has(pc) || handoverNext.has(pc));
  for (const pc of work) reached.add(pc);
  while (work.length) {
    const pc = work.pop()!;
    const succ = blockAt.has(pc) ? [blockAt.get(pc)!.next, blockAt.get(pc)!.target] : [handoverNext.get(pc)];
    for (const s of succ) if (s !== undefined && s >= 0 && s < n && !reached.has(s)) { reached.add(s); work.push(s); }
  }
  for (const b of blocks) if (!reached.has(b.leader)) roots.add(b.leader);
  return { n, ops, dsts, srcs, offs, imms, kinds, blocks, blockAt, roots, handoverNext };
}

/** Groups blocks into chunks of about CHUNK_SLOTS slots, in slot order. */
export function chunksOf(cfg: Cfg): Block[][] {
  const out: Block[][] = [];
  let cur: Block[] = [];
  let size = 0;
  for (const b of cfg.blocks) {
    if (size > 0 && size + b.pcs.length > CHUNK_SLOTS) { out.push(cur); cur = []; size = 0; }
    cur.push(b);
    size += b.pcs.length;
  }
  if (cur.length) out.push(cur);
  return out;
}
