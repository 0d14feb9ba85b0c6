/**
 * A generator of random eBPF programs that the Linux verifier accepts by construction, for
 * the VM-versus-kernel differential test: straight-line and looping ALU/ALU32, JMP/JMP32
 * forward branches, bounded loops, stack traffic and atomics, packet reads and writes behind
 * a bounds check, array and hash map operations, and helper calls.
 *
 * Construction rules that keep the verifier happy: every scalar register is set in the
 * prologue and again after anything that clobbers it (calls clobber r1-r5; a map lookup
 * leaves a pointer in r0, which is overwritten right after its block); branches only go
 * forward, except the one back edge of a counted loop on r9; no division by a constant 0;
 * shift counts by constant stay below the width; the stack is zeroed before use; packet
 * accesses stay below offset 64, checked once against data_end.
 *
 * Nothing nondeterministic: no time, no random numbers, no CPU id, no LRU maps.
 */

import { randInt } from '../gen';

export type DiffProgType = 'xdp' | 'sched_cls' | 'socket_filter';

export interface GeneratedProgram {
  progType: DiffProgType;
  text: string;
  packet: Uint8Array;
}

const SCALARS = [0, 1, 2, 3, 4, 5, 9];
const ALU_OPS = ['+=', '-=', '*=', '|=', '&=', '^=', '/=', '%=', 's/=', 's%=', '<<=', '>>=', 's>>=', '='];
const JMP_OPS = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&'];
const PKT_LIMIT = 64;

export interface GenOptions {
  /** Map operations and helper calls (default on). */
  calls?: boolean;
}

export function generateProgram(r: () => number, progType: DiffProgType, opts: GenOptions = {}): GeneratedProgram {
  const g = new Gen(r, progType, opts.calls ?? true);
  return { progType, text: g.program(), packet: g.packet() };
}

class Gen {
  private lines: string[] = [];
  private label = 0;
  /** Registers an op may write: r9 is reserved while a loop counts with it. */
  private writable = SCALARS;
  private readonly direct: boolean;

  constructor(private r: () => number, private progType: DiffProgType, private calls: boolean) {
    this.direct = progType !== 'socket_filter';
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[randInt(this.r, 0, xs.length - 1)];
  }

  private emit(s: string): void {
    this.lines.push(`\t${s}`);
  }

  private imm(): string {
    const edge = [0, 1, -1, 2, 7, 0x7fffffff, -0x80000000, 255, 65535, 0x12345678];
    return String(this.r() < 0.4 ? this.pick(edge) : randInt(this.r, -100000, 100000));
  }

  packet(): Uint8Array {
    const len = randInt(this.r, PKT_LIMIT, 128);
    const p = Uint8Array.from({ length: len }, () => randInt(this.r, 0, 255));
    // A plausible Ethernet/IPv4 header keeps the kernel's skb setup on its common path.
    p.set([0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45], 0);
    return p;
  }

  program(): string {
    this.lines.push('.map arr, type=array, key=4, value=16, max_entries=8');
    this.lines.push('.map tbl, type=hash, key=8, value=8, max_entries=64');
    this.lines.push(`.section ${this.progType === 'xdp' ? 'xdp' : this.progType === 'sched_cls' ? 'tc' : 'socket'}`);
    this.lines.push('prog:');
    this.emit('r6 = r1');
    this.emit('r0 = 0'); // `out` is reached from the bounds check too: r0 must be set on every path
    for (let k = 8; k <= 64; k += 8) this.emit(`*(u64 *)(r10 - ${k}) = 0`);
    if (this.direct) {
      const [dataOff, endOff] = this.progType === 'xdp' ? [0, 4] : [76, 80];
      this.emit(`r7 = *(u32 *)(r6 + ${dataOff})`);
      this.emit(`r8 = *(u32 *)(r6 + ${endOff})`);
      this.emit('r2 = r7');
      this.emit(`r2 += ${PKT_LIMIT}`);
      this.emit('if r2 > r8 goto out');
    }
    this.initScalars(SCALARS);
    const n = randInt(this.r, 5, 40);
    for (let k = 0; k < n; k++) this.block(0);
    this.emit(`r0 = r${this.pick(SCALARS)}`);
    this.lines.push('out:');
    this.emit('exit');
    return this.lines.join('\n') + '\n';
  }

  private initScalars(regs: readonly number[]): void {
    for (const reg of regs) {
      if (!this.writable.includes(reg)) continue;
      const c = randInt(this.r, 0, 2);
      if (c === 0) this.emit(`r${reg} = ${this.imm()}`);
      else if (c === 1) this.emit(`w${reg} = ${this.imm()}`);
      else this.emit(`r${reg} = 0x${randInt(this.r, 0, 0xffffffff).toString(16)}${randInt(this.r, 0, 0xffffffff).toString(16).padStart(8, '0')} ll`);
    }
  }

  private block(depth: number): void {
    const c = this.r();
    if (c < 0.35) this.alu();
    else if (c < 0.45) this.unary();
    else if (c < 0.55 && depth < 2) this.branch(depth);
    else if (c < 0.62) this.stack();
    else if (c < 0.67) this.atomic();
    else if (c < 0.77) this.packetAccess();
    else if (c < 0.85 && this.calls) this.mapOp();
    else if (c < 0.9 && depth === 0 && this.writable.includes(9)) this.loop();
    else if (c < 0.95 && this.calls) this.helper();
    else this.alu();
  }

  private dst(): number {
    return this.pick(this.writable);
  }

  private alu(): void {
    const wide = this.r() < 0.6;
    const p = wide ? 'r' : 'w';
    const op = this.pick(ALU_OPS);
    const d = this.dst();
    if (this.r() < 0.5) {
      this.emit(`${p}${d} ${op} ${p}${this.pick(SCALARS)}`);
      return;
    }
    let v = this.imm();
    if (/[/%]/.test(op) && Number(v) === 0) v = '3'; // the verifier refuses division by constant zero
    if (/<<|>>/.test(op)) v = String(randInt(this.r, 0, wide ? 63 : 31));
    this.emit(`${p}${d} ${op} ${v}`);
  }

  private unary(): void {
    const d = this.dst();
    const s = this.pick(SCALARS);
    const forms = [`r${d} = -r${d}`, `w${d} = -w${d}`, `r${d} = be16 r${d}`, `r${d} = be32 r${d}`, `r${d} = be64 r${d}`,
      `r${d} = le16 r${d}`, `r${d} = le32 r${d}`, `r${d} = bswap16 r${d}`, `r${d} = bswap32 r${d}`, `r${d} = bswap64 r${d}`,
      `r${d} = (s8)r${s}`, `r${d} = (s16)r${s}`, `r${d} = (s32)r${s}`, `w${d} = (s8)w${s}`, `w${d} = (s16)w${s}`];
    this.emit(this.pick(forms));
  }

  private branch(depth: number): void {
    const l = `L${this.label++}`;
    const wide = this.r() < 0.6;
    const p = wide ? 'r' : 'w';
    const rhs = this.r() < 0.5 ? `${p}${this.pick(SCALARS)}` : this.imm();
    this.emit(`if ${p}${this.pick(SCALARS)} ${this.pick(JMP_OPS)} ${rhs} goto ${l}`);
    const n = randInt(this.r, 1, 4);
    for (let k = 0; k < n; k++) this.block(depth + 1);
    this.lines.push(`${l}:`);
  }

  private stack(): void {
    const size = this.pick([1, 2, 4, 8]);
    const slot = randInt(this.r, 1, 8) * 8;
    const off = slot - randInt(this.r, 0, 8 / size - 1) * size;
    const ty = `u${size * 8}`;
    const rr = size === 8 ? 'r' : 'w';
    if (this.r() < 0.5) this.emit(`*(${ty} *)(r10 - ${off}) = ${rr}${this.pick(SCALARS)}`);
    else if (this.r() < 0.5) this.emit(`*(${ty} *)(r10 - ${off}) = ${this.imm()}`);
    else this.emit(`${rr}${this.dst()} = *(${ty} *)(r10 - ${off})`);
  }

  private atomic(): void {
    const slot = randInt(this.r, 1, 8) * 8;
    const s = this.dst();
    const forms = [`lock *(u64 *)(r10 - ${slot}) += r${s}`, `lock *(u32 *)(r10 - ${slot}) |= w${s}`,
      `r${s} = atomic_fetch_xor((u64 *)(r10 - ${slot}), r${s})`, `r${s} = xchg_64(r10 - ${slot}, r${s})`,
      `w${s} = atomic_fetch_add((u32 *)(r10 - ${slot}), w${s})`];
    if (this.writable.includes(0)) forms.push(`r0 = cmpxchg_64(r10 - ${slot}, r0, r${this.pick(SCALARS)})`);
    this.emit(this.pick(forms));
  }

  private packetAccess(): void {
    if (!this.direct) {
      // socket filters have no direct packet access: the legacy loads (which clobber r1-r5 as a call does).
      if (!this.writable.includes(0)) return;
      const size = this.pick([1, 2, 4]);
      this.emit(`r0 = *(u${size * 8} *)skb[${randInt(this.r, 0, PKT_LIMIT - size)}]`);
      this.initScalars([1, 2, 3, 4, 5]);
      return;
    }
    const size = this.pick([1, 2, 4, 8]);
    const off = randInt(this.r, 0, PKT_LIMIT - size);
    const ty = `u${size * 8}`;
    const rr = size === 8 ? 'r' : 'w';
    if (this.r() < 0.6) this.emit(`${rr}${this.dst()} = *(${ty} *)(r7 + ${off})`);
    else this.emit(`*(${ty} *)(r7 + ${off}) = ${rr}${this.pick(SCALARS)}`);
  }

  private mapOp(): void {
    if (!this.writable.includes(0)) return;
    const l = `M${this.label++}`;
    if (this.r() < 0.6) {
      this.emit(`*(u32 *)(r10 - 68) = ${randInt(this.r, 0, 9)}`); // indexes 8 and 9 miss: lookup returns NULL
      this.emit('r2 = r10');
      this.emit('r2 += -68');
      this.emit('r1 = arr ll');
      this.emit('call bpf_map_lookup_elem');
      this.emit(`if r0 == 0 goto ${l}`);
      const off = this.pick([0, 8]);
      // After the call only r0 and r6-r9 hold values (r1-r5 are clobbered); r9 is the scalar among them.
      if (this.r() < 0.5) this.emit(`r9 = *(u64 *)(r0 + ${off})`);
      else this.emit(`*(u64 *)(r0 + ${off}) = r9`);
      this.emit(`r1 = ${randInt(this.r, 1, 9)}`);
      this.emit(`lock *(u64 *)(r0 + ${8 - off}) += r1`);
    } else {
      this.emit(`*(u64 *)(r10 - 72) = ${randInt(this.r, 0, 5)}`);
      this.emit(`*(u64 *)(r10 - 80) = r${this.pick(SCALARS)}`);
      this.emit('r2 = r10');
      this.emit('r2 += -72');
      this.emit('r3 = r10');
      this.emit('r3 += -80');
      this.emit('r1 = tbl ll');
      this.emit(`r4 = ${this.pick([0, 0, 1, 2])}`); // BPF_ANY, BPF_NOEXIST, BPF_EXIST
      this.emit('call bpf_map_update_elem');
    }
    this.lines.push(`${l}:`);
    this.initScalars([0, 1, 2, 3, 4, 5]);
  }

  private loop(): void {
    const l = `R${this.label++}`;
    this.emit(`r9 = ${randInt(this.r, 1, 6)}`);
    this.lines.push(`${l}:`);
    const saved = this.writable;
    this.writable = SCALARS.filter((x) => x !== 9);
    const n = randInt(this.r, 1, 4);
    for (let k = 0; k < n; k++) {
      const c = this.r();
      if (c < 0.6) this.alu();
      else if (c < 0.8) this.stack();
      else this.packetAccess();
    }
    this.writable = saved;
    this.emit('r9 += -1');
    this.emit(`if r9 != 0 goto ${l}`);
  }

  private helper(): void {
    if (!this.writable.includes(0)) return;
    if (this.progType !== 'socket_filter' && (this.progType === 'xdp' || this.r() < 0.5)) {
      // csum_diff over two stack buffers: deterministic, and checks r1-r5 passing.
      this.emit('r1 = r10');
      this.emit('r1 += -16');
      this.emit('r2 = 8');
      this.emit('r3 = r10');
      this.emit('r3 += -32');
      this.emit('r4 = 16');
      this.emit(`r5 = ${randInt(this.r, 0, 0xffff)}`);
      this.emit('call bpf_csum_diff');
    } else {
      this.emit('r1 = r6');
      this.emit(`r2 = ${randInt(this.r, 0, 40)}`);
      this.emit('r3 = r10');
      this.emit('r3 += -24');
      this.emit(`r4 = ${this.pick([1, 2, 4, 8])}`);
      this.emit('call bpf_skb_load_bytes');
    }
    this.initScalars([1, 2, 3, 4, 5]);
  }
}
