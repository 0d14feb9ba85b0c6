/**
 * core/ide/cfg.ts and cfgPath.ts: the blocks and edges of a program, the verifier's visits per
 * block, and the rejected path: through the decision the verifier recorded (taken or not), into
 * a called function and back out of it, and across blocks the graph leaves no choice about.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../core/ide/analysis';
import { Cfg, controlFlowGraph } from '../../core/ide/cfg';
import { rejectedPath } from '../../core/ide/cfgPath';

const lines = (...xs: string[]) => `${xs.join('\n')}\n`;
const graph = (text: string): Cfg => {
  const cfg = controlFlowGraph(analyzeDocument(text));
  assert.ok(cfg);
  return cfg;
};
/** Each block by its first instruction's text, and whether it is on the path. */
const onPath = (cfg: Cfg) => cfg.blocks.map((b) => [b.insns[0].text, !!b.onPath]);
const pathEdges = (cfg: Cfg) => cfg.edges.filter((e) => e.onPath).map((e) => `${e.from}->${e.to} ${e.kind}`);

const HEAD = ['.section xdp', 'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', 'r4 += 14'];

test('an error on the fall-through of a bounds check: the check\'s block and the fall-through, not the jump', () => {
  const cfg = graph(lines(...HEAD, 'if r4 > r3 goto out', 'r5 = *(u8 *)(r2 + 20)', 'out:', 'r0 = 2', 'exit'));
  assert.match(cfg.message ?? '', /outside of the packet|invalid access to packet/);
  assert.deepEqual(cfg.blocks.map((b) => !!b.rejected), [false, true, false]);
  assert.deepEqual(cfg.blocks.map((b) => !!b.onPath), [true, true, false]);
  assert.deepEqual(pathEdges(cfg), ['0->1 fallthrough']);
});

test('an error where the jump is taken: the taken edge is marked, the fall-through is not', () => {
  const cfg = graph(lines(...HEAD, 'if r4 > r3 goto bad', 'r0 = 2', 'exit', 'bad:', 'r5 = *(u8 *)(r2 + 0)', 'r0 = 1', 'exit'));
  assert.deepEqual(cfg.blocks.map((b) => !!b.rejected), [false, false, true]);
  assert.deepEqual(cfg.blocks.map((b) => !!b.onPath), [true, false, true]);
  assert.deepEqual(pathEdges(cfg), ['0->2 taken']);
});

test('blocks the path must cross between decisions are marked (a goto after the check)', () => {
  const cfg = graph(lines(...HEAD, 'if r4 > r3 goto out', 'r0 = 1', 'goto next', 'out:', 'r0 = 2', 'exit', 'next:', 'r5 = *(u8 *)(r2 + 30)', 'exit'));
  assert.deepEqual(onPath(cfg).filter(([, on]) => on).map(([t]) => t), [cfg.blocks[0].insns[0].text, 'r0 = 0x1', 'w5 = *(u8 *)(r2 + 0x1e)']);
  assert.deepEqual(pathEdges(cfg), ['0->1 fallthrough', '1->3 taken']);
  assert.ok(cfg.blocks[3].rejected);
});

test('into a called function and back: a decision inside it, the error after the call', () => {
  const cfg = graph(lines(
    '.section xdp', 'r6 = r1', 'call f', 'r2 = *(u32 *)(r6 + 0)', 'r0 = *(u8 *)(r2 + 0)', 'exit',
    'f:', 'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r2 += 1', 'if r2 > r3 goto skip', 'r0 = 1', 'exit', 'skip:', 'r0 = 0', 'exit',
  ));
  // Blocks: main to the call, main after it (rejected), f's check, f's fall-through, f's jump target.
  assert.deepEqual(cfg.blocks.map((b) => [b.startPc, !!b.rejected, !!b.onPath]), [[0, false, true], [2, true, true], [5, false, true], [9, false, true], [11, false, false]]);
  assert.deepEqual(pathEdges(cfg), ['0->2 call', '2->3 fallthrough']);
});

test('a call ends its block: the call edge and the fall-through to the instruction after it', () => {
  const cfg = graph(lines('.section xdp', 'r1 = 0', 'call f', 'r0 = 1', 'exit', 'f:', 'r0 = 0', 'exit'));
  assert.deepEqual(cfg.blocks.map((b) => [b.startPc, b.endPc]), [[0, 1], [2, 3], [4, 5]]);
  assert.deepEqual(cfg.edges.map((e) => `${e.from}->${e.to} ${e.kind}`), ['0->1 fallthrough', '0->2 call']);
  assert.ok(!cfg.blocks.some((b) => b.onPath), 'an accepted program has no rejected path');
});

test('the verifier\'s visits per block: a loop body once per iteration, the entry once', () => {
  const cfg = graph(lines('.section xdp', 'r1 = 0', 'loop:', 'r1 += 1', 'if r1 < 10 goto loop', 'r0 = 2', 'exit'));
  assert.deepEqual(cfg.blocks.map((b) => b.visits), [1, 10, 1]);
});

test('rejectedPath on a graph with no route: the decision and failing blocks are still marked', () => {
  const block = (id: number, startPc: number) => ({ id, startPc, endPc: startPc, insns: [{ pc: startPc, text: '' }] });
  const blocks = [block(0, 0), block(1, 1), block(2, 2)];
  // Block 2 is not reachable from 0 in this made-up graph.
  const edges = [{ from: 0, to: 1, kind: 'taken' as const }];
  const marks = rejectedPath(blocks, edges, [0, 1, 2], [{ insnIdx: 0, taken: true }], 2);
  assert.deepEqual([...marks.blocks].sort(), [0, 1, 2]);
  assert.deepEqual([...marks.edges], [0]);
});
