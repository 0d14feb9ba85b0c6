/**
 * Generated XDP programs the verifier accepts, shaped like a hand-written header parser.
 * Used by the language server's robustness test and its latency benchmark.
 */

import { randInt } from '../gen';

/**
 * An unrolled XDP header parser of about `nInsns` instructions that the verifier accepts:
 * bounds-checked loads of the headers at random offsets, compares that skip a block or
 * drop, counters in an array map, and stubs for `out` and `drop` every few hundred
 * instructions so that every jump fits a 16-bit offset. Blocks only widen the registers
 * their skipped path joins, so that states prune and verification stays linear.
 */
export function xdpParserProgram(r: () => number, nInsns: number): string {
  const out = ['# an unrolled XDP header parser', '\t.map counters, type=array, key=4, value=8, max_entries=16', '\t.license "GPL"', '',
    '\t.section xdp', '\t.globl parse', 'parse:'];
  let n = 0;
  let label = 0;
  let chunk = 0;
  let chunkStart = 0;
  const emit = (s: string) => { out.push(`\t${s}`); n++; };
  emit('r6 = r1'); emit('r2 = *(u32 *)(r6 + 0)'); emit('r3 = *(u32 *)(r6 + 4)'); emit('r7 = 0'); emit('r8 = 0');
  while (n < nInsns - 4) {
    if (n - chunkStart > 400) {
      emit(`goto chunk${chunk + 1}`);
      out.push(`out${chunk}:`); emit('r0 = 2'); emit('exit');
      out.push(`drop${chunk}:`); emit('r0 = 1'); emit('exit');
      out.push(`chunk${++chunk}:`);
      chunkStart = n;
    }
    const c = r();
    const off = randInt(r, 0, 120) * 2;
    if (c < 0.6) {
      const l = `hdr${label++}`;
      out.push(`# the header at ${off}`);
      emit('r4 = r2'); emit(`r4 += ${off + 8}`); emit(`if r4 > r3 goto out${chunk}`);
      emit(`r5 = *(u16 *)(r2 + ${off})`);
      emit(`if r5 != ${randInt(r, 1, 65534)} goto ${l}`);
      emit(`r5 = *(u8 *)(r2 + ${off + 2})`); emit('r5 &= 15'); emit('r7 += r5');
      emit(`r5 = *(u16 *)(r2 + ${off})`);
      out.push(`${l}:`);
    } else if (c < 0.8) {
      emit('r4 = r2'); emit(`r4 += ${off + 4}`); emit(`if r4 > r3 goto out${chunk}`);
      emit(`r5 = *(u32 *)(r2 + ${off})`); emit('r8 ^= r5'); emit(`if r5 == ${randInt(r, 1, 1 << 30)} goto drop${chunk}`);
    } else if (c < 0.9) {
      const l = `cnt${label++}`;
      emit(`*(u32 *)(r10 - 4) = ${randInt(r, 0, 15)}`); emit('r2 = r10'); emit('r2 += -4'); emit('r1 = counters ll'); n++;
      emit('call bpf_map_lookup_elem'); emit(`if r0 == 0 goto ${l}`); emit('r1 = 1'); emit('lock *(u64 *)(r0 + 0) += r1');
      out.push(`${l}:`);
      emit('r0 = 0'); emit('r2 = *(u32 *)(r6 + 0)'); emit('r3 = *(u32 *)(r6 + 4)');
    } else {
      emit('r9 = r7'); emit(`r9 *= ${randInt(r, 3, 97)}`); emit('r9 >>= 3');
    }
  }
  emit(`goto out${chunk}`);
  out.push(`out${chunk}:`); emit('r0 = 2'); emit('exit');
  out.push(`drop${chunk}:`); emit('r0 = 1'); emit('exit');
  return out.join('\n') + '\n';
}

