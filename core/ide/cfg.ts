/**
 * The control-flow graph of a program, for the editor's graph view: basic blocks (runs of
 * instructions entered only at the top and left only at the bottom), the edges between
 * them (fall-through, jump taken, bpf-to-bpf call), each block's source lines, how often the
 * verifier entered each block, and the block holding the instruction the verifier rejects
 * with the path that reached it (core/ide/cfgPath.ts).
 */

import { Analysis, isOwnLine } from './analysis';
import { lookupRow } from '../isa/opcodes';
import { printInsn } from '../asm/print';
import { rejectedPath } from './cfgPath';

export interface CfgBlock {
  id: number;
  /** Slots [startPc, endPc] of the linked program, inclusive. */
  startPc: number;
  endPc: number;
  /** Document lines (0-based) of its first and last instruction on one (absent when all its lines are in other files). */
  startLine?: number;
  endLine?: number;
  /** Each instruction, printed in LLVM syntax, with its slot. */
  insns: { pc: number; text: string; line?: number }[];
  /** The verifier rejects the program at an instruction of this block. */
  rejected?: boolean;
  /** The block ends with an exit (of the program, or of a bpf-to-bpf function). */
  exit?: boolean;
  /** Times the verifier processed the block's first instruction (0 where no path went); absent when nothing was verified. */
  visits?: number;
  /** On the path that reached the instruction the verifier rejects. */
  onPath?: boolean;
}

export interface CfgEdge {
  from: number;
  to: number;
  kind: 'fallthrough' | 'taken' | 'call';
  /** Followed by the path that reached the instruction the verifier rejects. */
  onPath?: boolean;
}

export interface Cfg {
  program: { section: string; name: string; progType: string };
  blocks: CfgBlock[];
  edges: CfgEdge[];
  /** The verifier's message when it rejects the program. */
  message?: string;
}

/** The graph of program `index` of the analysis (its first by default); undefined when there is none. */
export function controlFlowGraph(a: Analysis, index = 0): Cfg | undefined {
  const p = a.programs[index];
  if (!p) return undefined;
  const insns = p.program.insns;
  const n = insns.length;
  const targets = (pc: number): { next: boolean; to?: number; call?: number } => {
    const i = insns[pc];
    const row = lookupRow(i);
    if (!row) return { next: true };
    const rel = (off: number) => pc + 1 + off;
    switch (row.kind) {
      case 'exit': return { next: false };
      case 'ja': return { next: false, to: rel(row.id === 'gotol' ? i.imm : i.off) };
      case 'jcond': case 'may_goto': return { next: true, to: rel(i.off) };
      case 'call_local': return { next: true, call: rel(i.imm) };
      default: return { next: true };
    }
  };
  // Leaders: the first slot, jump and call targets, and the slot after a jump, call or exit.
  const leader = new Uint8Array(n + 1);
  leader[0] = 1;
  for (let pc = 0; pc < n; pc++) {
    const t = targets(pc);
    const width = insns[pc].code === 0x18 ? 2 : 1;
    if (t.to !== undefined && t.to >= 0 && t.to < n) leader[t.to] = 1;
    if (t.call !== undefined && t.call >= 0 && t.call < n) leader[t.call] = 1;
    if (t.to !== undefined || t.call !== undefined || !t.next) leader[pc + width] = 1;
    if (width === 2) pc++;
  }
  const blocks: CfgBlock[] = [];
  const blockOf = new Int32Array(n).fill(-1);
  // Only the document's own lines: a C instruction inlined from a header has none.
  const lineOf = (pc: number) => { const l = p.program.lines[pc]; return isOwnLine(a, l) ? l.line : undefined; };
  for (let pc = 0; pc < n;) {
    const b: CfgBlock = { id: blocks.length, startPc: pc, endPc: pc, insns: [] };
    do {
      b.insns.push({ pc, text: printInsn(insns, pc, { dialect: 'llvm' }), line: lineOf(pc) });
      blockOf[pc] = b.id;
      b.endPc = pc;
      pc += insns[pc].code === 0x18 && pc + 1 < n ? 2 : 1;
      if (pc - 1 < n && insns[pc - 1]?.code === 0x18) blockOf[pc - 1] = b.id;
    } while (pc < n && !leader[pc]);
    b.startLine = b.insns.find((x) => x.line !== undefined)?.line;
    b.endLine = [...b.insns].reverse().find((x) => x.line !== undefined)?.line;
    blocks.push(b);
  }
  const edges: CfgEdge[] = [];
  for (const b of blocks) {
    const t = targets(b.endPc);
    const after = b.endPc + (insns[b.endPc].code === 0x18 ? 2 : 1);
    if (t.next && after < n) edges.push({ from: b.id, to: blockOf[after], kind: 'fallthrough' });
    if (t.to !== undefined && t.to >= 0 && t.to < n) edges.push({ from: b.id, to: blockOf[t.to], kind: 'taken' });
    if (t.call !== undefined && t.call >= 0 && t.call < n) edges.push({ from: b.id, to: blockOf[t.call], kind: 'call' });
    if (!t.next && t.to === undefined) b.exit = true;
  }
  const r = p.result;
  if (r) for (const b of blocks) b.visits = r.visits(b.startPc);
  if (r && !r.accepted && r.insnIdx !== undefined && r.insnIdx >= 0 && r.insnIdx < n) {
    blocks[blockOf[r.insnIdx]].rejected = true;
    const marks = rejectedPath(blocks, edges, blockOf, r.path, r.insnIdx);
    for (const b of marks.blocks) blocks[b].onPath = true;
    for (const k of marks.edges) edges[k].onPath = true;
  }
  return { program: { section: p.ref.section, name: p.ref.name, progType: p.progType }, blocks, edges, message: r?.accepted ? undefined : r?.message };
}
