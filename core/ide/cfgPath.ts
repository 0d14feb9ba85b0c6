/**
 * The verifier's rejected path on the control-flow graph: the blocks and edges from the entry
 * to the failing instruction through the branch decisions the verifier recorded.
 *
 * The verifier records only the branches it forked at (those its bounds did not decide), in
 * order. Between two recorded decisions the route is the shortest one in the graph, where a
 * call enters its callee and an exit of a callee returns after any call of it: the blocks the
 * walk must have crossed when the graph leaves no choice, and a plausible route when it does.
 */

import { CfgBlock, CfgEdge } from './cfg';

export interface PathMarks {
  blocks: Set<number>;
  /** Indexes into the edge list. */
  edges: Set<number>;
}

/** Beyond this much routing work (decisions times blocks), only the decisions' own blocks and edges are marked. */
const ROUTING_LIMIT = 5_000_000;

/**
 * Marks the route from block 0 through each decision (`taken`: the jump; otherwise the
 * fall-through) to the block holding `failPc`. `blockOf` maps a slot to its block.
 */
export function rejectedPath(blocks: readonly CfgBlock[], edges: readonly CfgEdge[], blockOf: ArrayLike<number>, decisions: readonly { insnIdx: number; taken: boolean }[], failPc: number): PathMarks {
  const marks: PathMarks = { blocks: new Set(), edges: new Set() };
  if (blocks.length === 0) return marks;
  const next = successors(blocks, edges);
  const route = decisions.length * blocks.length <= ROUTING_LIMIT;
  let cur = 0;
  marks.blocks.add(cur);
  const go = (to: number) => {
    if (route) for (const e of shortestRoute(next, cur, to) ?? []) { if (e.edge >= 0) marks.edges.add(e.edge); marks.blocks.add(e.to); }
    marks.blocks.add(to);
    cur = to;
  };
  for (const d of decisions) {
    const from = blockOf[d.insnIdx];
    if (from === undefined || from < 0) continue;
    go(from);
    const k = edges.findIndex((e) => e.from === from && e.kind === (d.taken ? 'taken' : 'fallthrough'));
    if (k < 0) continue;
    marks.edges.add(k);
    marks.blocks.add(edges[k].to);
    cur = edges[k].to;
  }
  const last = blockOf[failPc];
  if (last !== undefined && last >= 0) go(last);
  return marks;
}

interface Step { to: number; edge: number }

/** Each block's successors: its edges, and for an exit of a called function, the blocks after each call of it. */
function successors(blocks: readonly CfgBlock[], edges: readonly CfgEdge[]): Step[][] {
  const next: Step[][] = blocks.map(() => []);
  edges.forEach((e, k) => next[e.from].push({ to: e.to, edge: k }));
  const entries = [...new Set([0, ...edges.filter((e) => e.kind === 'call').map((e) => e.to)])].sort((a, b) => a - b);
  const functionOf = (b: number) => entries.filter((x) => x <= b).pop() ?? 0;
  for (const call of edges.filter((e) => e.kind === 'call')) {
    const back = edges.find((e) => e.from === call.from && e.kind === 'fallthrough')?.to;
    if (back === undefined) continue;
    for (const b of blocks) if (b.exit && functionOf(b.id) === call.to) next[b.id].push({ to: back, edge: -1 });
  }
  return next;
}

/** Breadth first from `from` to `to`: the steps taken, or undefined when `to` is out of reach. */
function shortestRoute(next: Step[][], from: number, to: number): Step[] | undefined {
  if (from === to) return [];
  const via = new Map<number, { prev: number; step: Step }>();
  const queue = [from];
  const seen = new Set([from]);
  for (let q = 0; q < queue.length; q++) {
    const b = queue[q];
    for (const s of next[b]) {
      if (seen.has(s.to)) continue;
      seen.add(s.to);
      via.set(s.to, { prev: b, step: s });
      if (s.to === to) {
        const out: Step[] = [];
        for (let x = to; x !== from; x = via.get(x)!.prev) out.push(via.get(x)!.step);
        return out.reverse();
      }
      queue.push(s.to);
    }
  }
  return undefined;
}
