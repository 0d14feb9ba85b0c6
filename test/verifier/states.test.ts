/** The per-instruction states kept for hover and the debugger: the kernel's notation, joined over paths. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { verifyObjectProgram } from '../../core/verifier';

function states(text: string, progType = 'xdp'): (string | undefined)[] {
  const { object } = assemble(text);
  const r = verifyObjectProgram(object, listPrograms(object)[0], { progType });
  return object.sections.flatMap((s) => s.insns).map((_, pc) => r.insnState(pc));
}

test('states print in the kernel\'s notation', () => {
  const s = states('.section xdp\nr2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 13)\nr0 = 2\nexit\n');
  assert.equal(s[0], 'R1=ctx() R10=fp0');
  assert.equal(s[4], 'R1=ctx() R2=pkt(r=0) R3=pkt_end() R4=pkt(off=14,r=0) R10=fp0');
  assert.equal(s[5], 'R1=ctx() R2=pkt(r=14) R3=pkt_end() R4=pkt(off=14,r=14) R10=fp0');
});

test('a state reached by two paths is the join of both', () => {
  // r0 is 1 (0b001) on one path and 5 (0b101) on the other: at the join it is in [1, 5]
  // with bit 0 known set and bit 2 unknown.
  const s = states('.section xdp\nr0 = *(u32 *)(r1 + 12)\nif r0 > 7 goto a\nr0 = 1\ngoto b\na:\nr0 = 5\nb:\nexit\n');
  assert.equal(s[5], 'R0=scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=5,var_off=(0x1; 0x4)) R1=ctx() R10=fp0');
});
