/**
 * Our verifier on random programs (random bytes, and random valid instructions with short
 * jumps, for every program type it knows): it always answers, and never with an internal
 * error (a JavaScript exception inside it, reported as "internal verifier error").
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSlots } from '../../core/isa/insn';
import { emptyObject } from '../../core/object';
import { linkProgram, listPrograms } from '../../core/link';
import { verifyProgram } from '../../core/verifier';
import { randInt, randomInsn, randomRow, rng } from '../gen';

const TYPES = ['xdp', 'socket_filter', 'sched_cls', 'kprobe', 'tracepoint', 'raw_tracepoint', 'cgroup_skb', 'perf_event'];
const MAPS = [
  { name: 'arr', type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
  { name: 'rb', type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 },
];

function verifyInsns(insns: ReturnType<typeof decodeSlots>, progType: string): string | undefined {
  const obj = emptyObject();
  obj.maps = MAPS;
  obj.sections.push({ name: '.text', kind: 'code', insns, data: new Uint8Array(0), relocs: [], lines: [] });
  const { program } = linkProgram(obj, listPrograms(obj)[0]);
  return verifyProgram(program, { progType, maps: obj.maps }).message;
}

test('random programs never make the verifier fail internally', () => {
  const r = rng(31);
  const internal: string[] = [];
  for (let n = 0; n < 6000; n++) {
    const progType = TYPES[n % TYPES.length];
    let insns;
    if (n % 3 === 0) {
      insns = decodeSlots(Uint8Array.from({ length: 8 * randInt(r, 1, 20) }, () => randInt(r, 0, 255)));
    } else {
      insns = [];
      const len = randInt(r, 1, 25);
      for (let k = 0; k < len; k++) insns.push(...randomInsn(randomRow(r), r));
      for (const i of insns) {
        if ((i.code & 7) === 5 || (i.code & 7) === 6) { i.off = randInt(r, 0, 3); if (i.code === 0x06) i.imm = i.off; }
        if (i.code === 0x85 && i.src === 1) i.imm = randInt(r, 0, 3);
        if (i.code === 0x85 && i.src === 0) i.imm = randInt(r, 1, 40);
        if (i.code === 0x18 && (i.src === 1 || i.src === 2)) i.imm = randInt(r, 0, 1);
      }
      insns.push({ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
    }
    const msg = verifyInsns(insns, progType);
    if (msg?.startsWith('internal verifier error')) internal.push(`${progType}: ${msg}\n${insns.map((i) => JSON.stringify(i)).join('\n')}`);
    if (internal.length >= 3) break;
  }
  assert.deepEqual(internal, []);
});
