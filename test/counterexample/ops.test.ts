/**
 * The counterexample search's ALU and jump terms (core/counterexample/ops.ts) against the VM:
 * each operation, 64- and 32-bit, on random and edge-case operands, must give the value (and
 * each jump the direction) the VM gives running the instruction. A term that disagrees would
 * make the search solve for the wrong program.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { runProgram } from '../../core/vm/run';
import { aluTerm, jumpTerm } from '../../core/counterexample/ops';
import * as T from '../../core/counterexample/term';
import { rng } from '../gen';

const EDGES = [0n, 1n, 2n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn];
const ALU = [['add', '+='], ['sub', '-='], ['mul', '*='], ['or', '|='], ['and', '&='], ['xor', '^='], ['lsh', '<<='], ['rsh', '>>='], ['arsh', 's>>='], ['div', '/='], ['sdiv', 's/='], ['mod', '%='], ['smod', 's%=']] as const;
const JMP = [['jeq', '=='], ['jne', '!='], ['jgt', '>'], ['jge', '>='], ['jlt', '<'], ['jle', '<='], ['jsgt', 's>'], ['jsge', 's>='], ['jslt', 's<'], ['jsle', 's<='], ['jset', '&']] as const;

function operands(): [bigint, bigint][] {
  const r = rng(91);
  const rand = () => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  const out: [bigint, bigint][] = [];
  for (const a of EDGES) for (const b of EDGES) out.push([a, b]);
  for (let k = 0; k < 60; k++) out.push([rand(), r() < 0.3 ? BigInt(Math.floor(r() * 70)) : rand()]);
  return out;
}

/** r0 after running `body` with r0 = a and r1 = b (xdp, no packet needed beyond the header). */
function vm(body: string, a: bigint, b: bigint): bigint {
  const { object, diagnostics } = assemble(`.section xdp\nr0 = ${a} ll\nr1 = ${b} ll\n${body}\nexit\n`);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), [], body);
  const { result } = runProgram(object, listPrograms(object)[0], { progType: 'xdp', input: { packet: new Uint8Array(14) } });
  assert.equal(result?.stop.reason, 'exit', body);
  return result!.r0!;
}

for (const w of [64, 32] as const) {
  test(`ALU terms give the VM's ${w}-bit results`, () => {
    const reg = (n: number) => (w === 64 ? `r${n}` : `w${n}`);
    for (const [op, sym] of ALU) {
      for (const [a, b] of operands()) {
        const ta = w === 64 ? T.cnst(a) : T.extract(T.cnst(a), 0, 32);
        const tb = w === 64 ? T.cnst(b) : T.extract(T.cnst(b), 0, 32);
        const term = aluTerm(op, ta, tb, w)!;
        const ours = T.evalTerm(w === 64 ? term : T.zext(term, 64), new Map());
        assert.equal(ours, vm(`${reg(0)} ${sym} ${reg(1)}`, a, b), `${op}${w} ${a} ${b}`);
      }
    }
  });

  test(`jump terms take the VM's ${w}-bit branches`, () => {
    const reg = (n: number) => (w === 64 ? `r${n}` : `w${n}`);
    for (const [op, sym] of JMP) {
      for (const [a, b] of operands()) {
        const ta = w === 64 ? T.cnst(a) : T.extract(T.cnst(a), 0, 32);
        const tb = w === 64 ? T.cnst(b) : T.extract(T.cnst(b), 0, 32);
        const taken = T.evalCond(jumpTerm(op, ta, tb, w)!, new Map());
        const r0 = vm(`if ${reg(0)} ${sym} ${reg(1)} goto yes\nr0 = 0\nexit\nyes:\nr0 = 1`, a, b);
        assert.equal(taken, r0 === 1n, `${op}${w} ${a} ${b}`);
      }
    }
  });
}
