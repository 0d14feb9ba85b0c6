/**
 * A generator of small eBPF programs (LLVM-syntax assembly, 5–40 instructions) that sit near
 * the verifier's boundaries, for the verifier-versus-kernel differential fuzzer
 * (test/verifier/fuzz.test.ts, scripts/verifier-fuzz.mjs). Unlike test/gen/programs.ts, whose
 * programs the kernel accepts by construction, these are meant to be accepted about half the
 * time: each family builds one pattern the verifier has a rule for, and draws its parameters
 * from both sides of the rule's edge (a bounds check against data + N with accesses at N-1, N
 * and N+1; a mask of 7 or 8 on a map value index; a stack offset of -512 or -513).
 *
 * The generator does not know the verdict; the kernel gives it. It only keeps each program
 * well formed: it assembles, every label exists, branches go forward except a loop's one back
 * edge, and loops stay under about 1,000 iterations (our verifier is too slow near the
 * complexity limit today). Registers by convention: r6 holds the context throughout, r9 an
 * unknown scalar read from the context in the prologue (the packet families leave it unset),
 * r8 is scratch; a failed check jumps to `out`, which sets r0 and exits.
 */

import { randInt } from '../gen';

export type VerifierFuzzProgType = 'xdp' | 'socket_filter' | 'sched_cls' | 'kprobe';

/** The patterns the generator builds, one per program; a program's family names its pattern. */
export const VERIFIER_FAMILIES = ['pkt', 'pktvar', 'null', 'ptr', 'stack', 'mapval', 'loop', 'uninit', 'ctx', 'helper', 'jmp32'] as const;
export type VerifierFamily = (typeof VERIFIER_FAMILIES)[number];

export interface VerifierFuzzProgram {
  family: VerifierFamily;
  progType: VerifierFuzzProgType;
  text: string;
}

/** One program of a random family (or of the family given). */
export function generateVerifierProgram(r: () => number, family?: VerifierFamily): VerifierFuzzProgram {
  const fam = family ?? VERIFIER_FAMILIES[randInt(r, 0, VERIFIER_FAMILIES.length - 1)];
  const g = new Gen(r, pickProgType(r, fam));
  FAMILY_BODIES[fam](g);
  return { family: fam, progType: g.progType, text: g.finish() };
}

/**
 * Inputs for running a program in the VM (the soundness check): three random packets of 64 to
 * 128 bytes, starting with a plausible Ethernet/IPv4 header, or for kprobe three random
 * register files (pt_regs, 168 bytes).
 */
export function soundnessInputs(r: () => number, progType: VerifierFuzzProgType): { packet?: Uint8Array; ctxBytes?: Uint8Array }[] {
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => randInt(r, 0, 255));
  return [0, 1, 2].map(() => {
    if (progType === 'kprobe') return { ctxBytes: bytes(168) };
    const p = bytes(randInt(r, 64, 128));
    p.set([0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45], 0);
    return { packet: p };
  });
}

const ALL_TYPES: readonly VerifierFuzzProgType[] = ['xdp', 'socket_filter', 'sched_cls', 'kprobe'];
const SECTION: Record<VerifierFuzzProgType, string> = { xdp: 'xdp', socket_filter: 'socket', sched_cls: 'tc', kprobe: 'kprobe' };

/** Program types per family: direct packet access wants xdp or sched_cls, with socket_filter (no direct access) now and then. */
function pickProgType(r: () => number, fam: VerifierFamily): VerifierFuzzProgType {
  const pick = (xs: readonly VerifierFuzzProgType[]) => xs[randInt(r, 0, xs.length - 1)];
  switch (fam) {
    case 'pkt':
    case 'pktvar':
      return r() < 0.06 ? 'socket_filter' : pick(['xdp', 'sched_cls']);
    default:
      return pick(ALL_TYPES);
  }
}

/** Context offsets of `data` and `data_end`: xdp_md and __sk_buff. */
function pktFields(t: VerifierFuzzProgType): [number, number] {
  return t === 'xdp' ? [0, 4] : [76, 80];
}

const SIZES = [1, 2, 4, 8] as const;

class Gen {
  readonly lines: string[] = [];
  private label = 0;
  /** The maps' shapes (value sizes, the array's length), drawn once per program. */
  readonly arrValue: number;
  readonly tblValue: number;
  readonly arrEntries: number;

  constructor(private r: () => number, readonly progType: VerifierFuzzProgType) {
    this.arrValue = this.pick([8, 16]);
    this.tblValue = this.pick([8, 16]);
    this.arrEntries = this.pick([1, 4, 8]);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[randInt(this.r, 0, xs.length - 1)];
  }

  int(lo: number, hi: number): number {
    return randInt(this.r, lo, hi);
  }

  chance(p: number): boolean {
    return this.r() < p;
  }

  /** n, or one either side of it: the three values an off-by-one check separates (n itself half the time). */
  near(n: number): number {
    return n + this.pick([-1, 0, 0, 0, 0, 1]);
  }

  emit(s: string): void {
    this.lines.push(`\t${s}`);
  }

  newLabel(prefix = 'L'): string {
    return `${prefix}${this.label++}`;
  }

  place(l: string): void {
    this.lines.push(`${l}:`);
  }

  /** `(r2 + 4)`, `(r2 - 4)`, `(r2 + 0)`: the assembler's spelling of a memory operand. */
  mem(reg: string, off: number): string {
    return off < 0 ? `(${reg} - ${-off})` : `(${reg} + ${off})`;
  }

  load(dst: string, size: number, base: string, off: number): void {
    this.emit(`${size === 8 ? 'r' : 'w'}${dst} = *(u${size * 8} *)${this.mem(base, off)}`);
  }

  /** A store of a register or (sometimes) an immediate: BPF_STX or BPF_ST. */
  store(size: number, base: string, off: number, src: string, allowImm = true): void {
    const value = allowImm && this.chance(0.35) ? String(this.pick([0, 1, -1, 255])) : `${size === 8 ? 'r' : 'w'}${src}`;
    this.emit(`*(u${size * 8} *)${this.mem(base, off)} = ${value}`);
  }

  /** An unknown scalar from the context into r9 (the register families use as "some input"). */
  unknownInput(reg = 9): void {
    switch (this.progType) {
      case 'xdp': this.emit(`r${reg} = *(u32 *)(r6 + ${this.pick([12, 16])})`); break; // ingress_ifindex, rx_queue_index
      case 'kprobe': this.emit(`r${reg} = *(u64 *)(r6 + ${8 * this.int(0, 20)})`); break; // a pt_regs register
      default: this.emit(`r${reg} = *(u32 *)(r6 + ${this.pick([0, 8, 16, 32])})`); // len, mark, protocol, priority
    }
  }

  /**
   * A few unrelated scalar instructions on r8, so that programs differ in length, paths and
   * prune points: sometimes a branch around one of them (on r9 when it holds the input).
   */
  filler(haveInput: boolean): void {
    const n = this.pick([0, 0, 1, 2, 3, 4]);
    if (n === 0) return;
    this.emit(`r8 = ${this.int(-4, 100)}`);
    for (let k = 1; k < n; k++) {
      const op = `r8 ${this.pick(['+=', '^=', '|=', '*=', '<<='])} ${this.int(1, 7)}`;
      if (!this.chance(0.3)) { this.emit(op); continue; }
      const skip = this.newLabel('F');
      this.emit(`if ${haveInput ? 'r9' : 'r8'} ${this.pick(['>', '==', 's<'])} ${this.int(0, 9)} goto ${skip}`);
      this.emit(op);
      this.place(skip);
    }
  }

  /** Data and data_end into r2 and r3. */
  pktPointers(): void {
    const [d, e] = pktFields(this.progType);
    this.emit(`r2 = *(u32 *)(r6 + ${d})`);
    this.emit(`r3 = *(u32 *)(r6 + ${e})`);
  }

  /**
   * A map lookup leaving a map_value_or_null in r0, with its key at fp-4: the given key, or
   * one near the array's last index (the kernel knows an array lookup with a constant key
   * below max_entries cannot fail). The key is written through a register (a known constant),
   * by BPF_ST, or from r9 (unknown).
   */
  lookup(map: 'arr' | 'tbl', key?: number): void {
    const k = key ?? (map === 'arr' ? this.near(this.arrEntries - 1) : this.int(0, 3));
    const how = this.pick(['const', 'const', 'imm', 'unknown']);
    if (how === 'const') {
      this.emit(`r1 = ${k}`);
      this.emit('*(u32 *)(r10 - 4) = r1');
    } else if (how === 'imm') this.emit(`*(u32 *)(r10 - 4) = ${k}`);
    else this.emit('*(u32 *)(r10 - 4) = r9');
    this.emit('r2 = r10');
    this.emit('r2 += -4');
    this.emit(`r1 = ${map} ll`);
    this.emit('call bpf_map_lookup_elem');
  }

  /**
   * The whole program: the maps, the section, the body, and its ends. A body that does not end
   * in `exit` falls through to `r0 = 0; exit`; the `out` label is placed only when a branch
   * goes there (the kernel refuses unreachable instructions).
   */
  finish(): string {
    const head = [
      `.map arr, type=array, key=4, value=${this.arrValue}, max_entries=${this.arrEntries}`,
      `.map tbl, type=hash, key=4, value=${this.tblValue}, max_entries=16`,
      `.section ${SECTION[this.progType]}`,
      'prog:',
    ];
    const tail: string[] = [];
    const endsInExit = this.lines[this.lines.length - 1] === '\texit';
    if (this.lines.some((l) => /\bgoto out$/.test(l))) tail.push('out:');
    if (tail.length || !endsInExit) tail.push('\tr0 = 0', '\texit');
    return [...head, ...this.lines, ...tail].join('\n') + '\n';
  }
}

/** The prologue most families share: the context kept in r6, an unknown input in r9. */
function prologue(g: Gen, input = true): void {
  g.emit('r6 = r1');
  if (input) g.unknownInput();
  g.filler(input);
}

/**
 * The check that `ptr <= end` in one of its spellings, jumping to `out` when it fails. Some
 * teach nothing (jmp32, ==, none); the strict ones (`ptr >= end`, `end <= ptr` failing) teach
 * one byte more than the others, since then ptr < end.
 */
function pktCheck(g: Gen, ptr: string, end: string): void {
  const form = g.pick(['gt', 'gt', 'gt', 'gt', 'ge', 'lt', 'lt', 'le', 'in', 'in', 'jmp32', 'eq', 'none']);
  switch (form) {
    case 'gt': g.emit(`if ${ptr} > ${end} goto out`); break;
    case 'ge': g.emit(`if ${ptr} >= ${end} goto out`); break;
    case 'lt': g.emit(`if ${end} < ${ptr} goto out`); break;
    case 'le': g.emit(`if ${end} <= ${ptr} goto out`); break;
    case 'in': {
      const ok = g.newLabel();
      g.emit(`if ${ptr} <= ${end} goto ${ok}`);
      g.emit('goto out');
      g.place(ok);
      break;
    }
    case 'jmp32': g.emit(`if w${ptr.slice(1)} > w${end.slice(1)} goto out`); break;
    case 'eq': g.emit(`if ${ptr} == ${end} goto out`); break;
    case 'none': break;
  }
}

/** One packet access of `size` bytes at base + off: a load, or a store of r8 or an immediate. */
function pktAccess(g: Gen, base: string, off: number, size: number): void {
  if (g.chance(0.65)) g.load('0', size, base, off);
  else {
    g.emit('r8 = 7');
    g.store(size, base, off, '8');
  }
}

/** A null check of reg in one of its forms; some are not null checks at all, or cover one path only. */
function nullCheck(g: Gen, reg: string): void {
  const form = g.pick(['eq', 'eq', 'eq', 'ne', 'ne', 'onepath', 'eq1', 'arith']);
  if (form === 'eq') g.emit(`if ${reg} == 0 goto out`);
  else if (form === 'ne') {
    const ok = g.newLabel();
    g.emit(`if ${reg} != 0 goto ${ok}`);
    g.emit('goto out');
    g.place(ok);
  } else if (form === 'onepath') {
    const skip = g.newLabel();
    g.emit(`if r9 > ${g.int(0, 8)} goto ${skip}`);
    g.emit(`if ${reg} == 0 goto out`);
    g.place(skip);
  } else if (form === 'eq1') g.emit(`if ${reg} == 1 goto out`);
  else {
    g.emit(`${reg} += ${g.pick([0, 8])}`); // arithmetic on a maybe-null pointer
    g.emit(`if ${reg} == 0 goto out`);
  }
}

const FAMILY_BODIES: Record<VerifierFamily, (g: Gen) => void> = {
  /** A constant bounds check against data + N, then an access that ends near N. */
  pkt(g) {
    prologue(g, false);
    g.pktPointers();
    const n = g.pick([1, 2, 4, 8, 14, 20, 34, 54, 64]);
    const size = g.chance(0.9) ? g.pick(SIZES.filter((z) => z <= n)) : g.pick(SIZES);
    const early = g.chance(0.05);
    const off = g.chance(0.92) ? Math.max(0, g.near(n - size)) : g.pick([-1, n, -size]);
    if (early) pktAccess(g, 'r2', off, size);
    g.emit('r4 = r2');
    if (g.chance(0.2)) {
      const k = g.int(1, n);
      g.emit(`r4 += ${k}`);
      g.emit(`r4 += ${n - k}`);
    } else g.emit(`r4 += ${n}`);
    pktCheck(g, 'r4', 'r3');
    if (g.chance(0.25)) {
      // Through a copy moved part of the way: the range follows the copy, offset by k.
      const k = g.int(0, n);
      g.emit('r5 = r2');
      g.emit(`r5 += ${k}`);
      pktAccess(g, 'r5', off - k, size);
    } else if (!early || g.chance(0.5)) {
      // The same bytes through data or through the checked pointer (data + n).
      if (g.chance(0.15)) pktAccess(g, 'r4', off - n, size);
      else pktAccess(g, 'r2', off, size);
    }
    if (g.chance(0.1)) pktAccess(g, 'r2', g.near(n - g.pick(SIZES)), g.pick(SIZES));
  },

  /** A variable offset into the packet: read from it, bounded (or not), added to data, checked again. */
  pktvar(g) {
    prologue(g, false);
    g.pktPointers();
    const first = g.pick([1, 2, 4]);
    g.emit('r4 = r2');
    g.emit(`r4 += ${first}`);
    g.emit('if r4 > r3 goto out');
    g.load('5', first === 4 ? g.pick([1, 2, 4]) : first, 'r2', 0);
    const bound = g.pick(['mask', 'mask', 'mask', 'mask', 'jgt', 'jgt', 'jge', 'jmp32', 'jsgt', 'none']);
    const m = g.pick([7, 8, 15, 15, 63, 255, 255, 0xffff, 0x1ffff]);
    switch (bound) {
      case 'mask': g.emit(`r5 &= ${m}`); break;
      case 'jgt': g.emit(`if r5 > ${m} goto out`); break;
      case 'jge': g.emit(`if r5 >= ${m} goto out`); break;
      case 'jsgt': g.emit(`if r5 s> ${m} goto out`); break;
      case 'jmp32': g.emit(`if w5 > ${m} goto out`); break;
      case 'none': break;
    }
    if (g.chance(0.15)) g.emit(`r5 <<= ${g.int(1, 3)}`);
    const n = g.pick([1, 2, 4, 8, 14]);
    const size = g.chance(0.9) ? g.pick(SIZES.filter((z) => z <= n)) : g.pick(SIZES);
    g.emit('r7 = r2');
    const late = g.chance(0.1); // the variable part added after the check: the range does not cover it
    if (!late && g.chance(0.15)) {
      g.emit('r5 += r7'); // scalar += pointer: r5 becomes the packet pointer
      g.emit('r7 = r5');
    } else if (!late) g.emit('r7 += r5');
    g.emit('r8 = r7');
    g.emit(`r8 += ${n}`);
    pktCheck(g, 'r8', 'r3');
    if (late) g.emit('r7 += r5');
    pktAccess(g, 'r7', g.chance(0.9) ? Math.max(0, g.near(n - size)) : g.pick([-1, n]), size);
  },

  /** A map lookup with the null check somewhere (before the use, after it, on one path, on a copy or a spilled copy). */
  null(g) {
    prologue(g);
    const map = g.pick(['arr', 'tbl'] as const);
    const vsize = map === 'arr' ? g.arrValue : g.tblValue;
    g.lookup(map);
    const alias = g.pick(['none', 'none', 'copy', 'spill']);
    const checkReg = alias !== 'none' && g.chance(0.5) ? 'r7' : 'r0';
    const useReg = alias !== 'none' && g.chance(0.5) ? 'r7' : 'r0';
    const ops: string[] = g.chance(0.15) ? ['use', 'check'] : ['check', 'use']; // reversed: the use before the check
    // The copy into r7 goes anywhere before the first op that reads r7.
    const firstR7 = ops.findIndex((o) => (o === 'check' ? checkReg : useReg) === 'r7');
    const last = firstR7 < 0 ? ops.length : firstR7;
    if (alias === 'copy') ops.splice(g.int(0, last), 0, 'copy');
    if (alias === 'spill') {
      ops.splice(g.int(0, last), 0, 'fill');
      ops.unshift('spill');
    }
    for (const op of ops) {
      if (op === 'copy') g.emit('r7 = r0');
      else if (op === 'spill') g.emit('*(u64 *)(r10 - 16) = r0');
      else if (op === 'fill') g.emit('r7 = *(u64 *)(r10 - 16)');
      else if (op === 'check') nullCheck(g, checkReg);
      else {
        const size = g.pick([4, 8]);
        const off = g.chance(0.85) ? g.pick([0, vsize - size]) : g.pick([vsize - size + 1, -size]);
        if (g.chance(0.6)) g.load('1', size, useReg, off);
        else {
          g.emit('r8 = 3');
          g.store(size, useReg, off, '8');
        }
      }
    }
  },

  /** One operation on a pointer of some kind (allowed or not), then a use of the result. */
  ptr(g) {
    prologue(g);
    const kinds = ['ctx', 'stack', 'stack', 'stack', 'map_value', 'map_value', 'map_ptr'];
    if (g.progType === 'xdp' || g.progType === 'sched_cls') kinds.push('pkt', 'pkt', 'pkt', 'pkt_end');
    const kind = g.pick(kinds);
    let size = 8;
    if (kind === 'map_value') {
      g.lookup('arr');
      g.emit('if r0 == 0 goto out');
      g.emit('r2 = r0');
    } else if (kind === 'pkt' || kind === 'pkt_end') {
      g.pktPointers();
      g.emit('r4 = r2');
      g.emit('r4 += 16');
      g.emit('if r4 > r3 goto out');
      if (kind === 'pkt_end') g.emit('r2 = r3');
    } else if (kind === 'stack') {
      g.emit('*(u64 *)(r10 - 8) = r9');
      g.emit('*(u64 *)(r10 - 16) = r9');
      g.emit('r2 = r10');
      g.emit('r2 += -16');
    } else if (kind === 'ctx') {
      g.emit('r2 = r6');
      size = g.progType === 'kprobe' ? 8 : 4;
    } else g.emit('r2 = arr ll');
    // Half the time an operation the kernel allows on some pointer kinds, half one it never allows.
    const op = g.chance(0.6) ? g.pick(['addk', 'addk', 'subk', 'addconst', 'addbounded', 'scalarplusptr', 'subptr'])
      : g.pick(['addunknown', 'mul', 'or', 'and', 'xor', 'lsh', 'rsh', 'alu32', 'mov32', 'neg', 'scalarminusptr', 'addptr']);
    let p = 'r2';
    switch (op) {
      case 'addk': g.emit(`r2 += ${g.pick([-8, -8, 8, 8, -1, 1, 4, 16])}`); break;
      case 'subk': g.emit(`r2 -= ${g.pick([-8, 1, 8])}`); break;
      case 'addconst': g.emit(`r7 = ${g.pick([0, 4, 8])}`); g.emit('r2 += r7'); break;
      case 'addbounded': g.emit('r7 = r9'); g.emit(`r7 &= ${g.pick([0, 8, 4, 7])}`); g.emit('r2 += r7'); break;
      case 'addunknown': g.emit('r2 += r9'); break;
      case 'mul': g.emit(`r2 *= ${g.pick([1, 2])}`); break;
      case 'or': g.emit('r2 |= 0'); break;
      case 'and': g.emit(`r2 &= ${g.pick([-8, -1])}`); break;
      case 'xor': g.emit('r2 ^= 0'); break;
      case 'lsh': g.emit(`r2 <<= ${g.pick([0, 1])}`); break;
      case 'rsh': g.emit(`r2 >>= ${g.pick([0, 1])}`); break;
      case 'alu32': g.emit(`w2 += ${g.pick([0, 8])}`); break;
      case 'mov32': g.emit('w2 = w2'); break;
      case 'neg': g.emit('r2 = -r2'); break;
      case 'subptr': {
        // pointer - pointer: same kind (stack - stack, pkt - pkt) or another.
        const other = g.pick(['r10', 'r6', 'r2']);
        g.emit(`r7 = ${other}`);
        g.emit('r2 -= r7');
        break;
      }
      case 'scalarminusptr': g.emit('r7 = 64'); g.emit('r7 -= r2'); p = 'r7'; break;
      case 'scalarplusptr': g.emit(`r7 = ${g.pick([0, 8])}`); g.emit('r7 += r2'); p = 'r7'; break;
      case 'addptr': g.emit('r7 = r10'); g.emit('r2 += r7'); break;
    }
    const use = g.pick(['load', 'load', 'store', 'ret', 'helper']);
    if (use === 'load') g.load('0', size, p, 0);
    else if (use === 'store') {
      g.emit('r8 = 1');
      g.store(size, p, 0, '8', false);
    } else if (use === 'ret') {
      g.emit(`r0 = ${p}`);
      g.emit('exit');
    } else {
      // As a map key: the helper reads 4 bytes through it.
      g.emit(`r2 = ${p}`);
      g.emit('r1 = tbl ll');
      g.emit('call bpf_map_lookup_elem');
    }
  },

  /** Stack accesses near the frame's ends (-512 and 0), misaligned, partly initialised, or at a variable offset. */
  stack(g) {
    prologue(g);
    if (g.chance(0.25)) {
      // A variable offset: base + (r9 & mask), base and mask near each other.
      const base = g.pick([8, 16, 32, 64, 512]);
      const mask = g.pick([7, 8, 15, 31, 63]);
      if (g.chance(0.5)) for (let k = 8; k <= Math.min(base, 64); k += 8) g.emit(`*(u64 *)(r10 - ${k}) = 0`);
      g.emit('r7 = r9');
      if (g.chance(0.85)) g.emit(`r7 &= ${mask}`);
      g.emit('r2 = r10');
      g.emit(`r2 += -${base}`);
      g.emit('r2 += r7');
      const size = g.pick([1, 1, 2, 8]);
      if (g.chance(0.5)) g.load('0', size, 'r2', 0);
      else g.store(size, 'r2', 0, '9');
      return;
    }
    const n = g.int(1, 4);
    const written: number[] = [];
    for (let k = 0; k < n; k++) {
      const size = g.pick(SIZES);
      const off = g.chance(0.4) ? g.pick([-512 - 1, -512, -512 + 1, -512 + size, -size - 1, -size, -size + 1, -1, 0, 8])
        : -size * g.int(1, 8) + (g.chance(0.15) ? g.pick([-1, 1, 2]) : 0);
      const viaReg = g.chance(0.3);
      let base = 'r10';
      let at = off;
      if (viaReg) {
        const b = g.pick([-8, -16, -256, -504, -512]);
        g.emit('r2 = r10');
        g.emit(`r2 += ${b}`);
        base = 'r2';
        at = off - b;
      }
      const what = written.length && g.chance(0.4) ? 'readback' : g.pick(['store', 'store', 'load', 'atomic']);
      if (what === 'store') {
        g.store(size, base, at, '9');
        written.push(off);
      } else if (what === 'readback') {
        // Read a slot written before, maybe with another size (a partial or over-wide read).
        g.load('0', g.pick(SIZES), 'r10', written[g.int(0, written.length - 1)]);
      } else if (what === 'load') g.load('0', size, base, at);
      else {
        const w = size === 8 ? 8 : 4;
        g.emit(`r1 = 1`);
        g.emit(`lock *(u${w * 8} *)${g.mem(base, at)} += ${w === 8 ? 'r1' : 'w1'}`);
      }
    }
  },

  /** Map value accesses near value_size, at a constant offset or a bounded variable one. */
  mapval(g) {
    prologue(g);
    const map = g.pick(['arr', 'arr', 'tbl'] as const);
    const v = map === 'arr' ? g.arrValue : g.tblValue;
    g.lookup(map, map === 'arr' ? 0 : undefined);
    g.emit('if r0 == 0 goto out');
    const size = g.pick(SIZES);
    if (g.chance(0.35)) {
      const off = g.chance(0.8) ? g.near(v - size) : g.pick([-1, v]);
      if (g.chance(0.6)) g.load('1', size, 'r0', off);
      else g.store(size, 'r0', off, '9');
      return;
    }
    const src = g.pick(['u32', 'u64', 'input']);
    if (src === 'input') g.emit('r1 = r9');
    else g.load('1', src === 'u32' ? 4 : 8, 'r0', 0);
    const edge = v - size;
    const k = g.near(edge);
    const bound = g.pick(['mask', 'jgt', 'jge', 'jsgt', 'jsgt2', 'jmp32', 'jlt', 'none']);
    switch (bound) {
      case 'mask': g.emit(`r1 &= ${g.pick([k, 3, 7, 8, 15])}`); break;
      case 'jgt': g.emit(`if r1 > ${k} goto out`); break;
      case 'jge': g.emit(`if r1 >= ${k} goto out`); break;
      case 'jsgt': g.emit(`if r1 s> ${k} goto out`); break; // no lower bound: negative indexes remain
      case 'jsgt2': g.emit(`if r1 s> ${k} goto out`); g.emit('if r1 s< 0 goto out'); break;
      case 'jmp32': g.emit(`if w1 > ${k} goto out`); break;
      case 'jlt': {
        // The bound through a register on the right: `if rK < r1`.
        g.emit(`r2 = ${k}`);
        g.emit('if r2 < r1 goto out');
        break;
      }
      case 'none': break;
    }
    if (g.chance(0.1)) g.emit('r1 <<= 1');
    g.emit('r0 += r1');
    const off = g.pick([0, 0, 1]);
    if (g.chance(0.6)) g.load('2', size, 'r0', off);
    else g.store(size, 'r0', off, '9');
  },

  /** Loops: counted with small and large trip counts, indexing the stack, or making no progress. */
  loop(g) {
    prologue(g);
    const kind = g.pick(['counted', 'index', 'index', 'masked', 'stuck', 'stuck']);
    const top = g.newLabel('R');
    if (kind === 'counted') {
      const trips = g.chance(0.6) ? g.int(1, 16) : g.int(100, 900);
      const step = g.pick([1, 1, 2]);
      const limit = trips * step;
      g.emit('r7 = 0');
      g.emit('r8 = 0');
      g.place(top);
      g.emit(`r8 ${g.pick(['+=', '^=', '|='])} r7`);
      g.emit(`r7 += ${step}`);
      const cond = g.pick(['<', '<', '<=', '!=', 's<', 'w<']);
      if (cond === 'w<') g.emit(`if w7 < ${limit} goto ${top}`);
      else g.emit(`if r7 ${cond} ${limit} goto ${top}`);
      g.emit('r0 = r8');
      g.emit('exit');
    } else if (kind === 'index') {
      // for (i = 0; i < n; i++) buf[i] = 0 with buf at fp-base: n = base is the edge.
      const base = g.pick([8, 16, 32, 64]);
      const trips = g.near(base);
      g.emit('r7 = 0');
      g.place(top);
      g.emit('r2 = r10');
      g.emit(`r2 += -${base}`);
      g.emit('r2 += r7');
      g.emit('*(u8 *)(r2 + 0) = 0');
      g.emit('r7 += 1');
      g.emit(`if r7 ${g.pick(['<', '<', '<='])} ${trips} goto ${top}`);
      g.emit(`r0 = *(u${g.pick([8, 64])} *)(r10 - ${base})`);
      g.emit('exit');
    } else if (kind === 'masked') {
      g.emit('r7 = r9');
      g.emit(`r7 &= ${g.pick([7, 15, 63])}`);
      g.emit('r7 += 1'); // at least one trip, so that `!= 0` and `> 0` end
      g.emit('r0 = 0');
      g.place(top);
      g.emit('r0 += 1');
      g.emit('r7 -= 1');
      g.emit(`if r7 ${g.pick(['s>', '>', '!='])} 0 goto ${top}`);
      g.emit('exit');
    } else {
      // No progress: the same state comes back (an infinite loop), or the counter is never changed.
      g.emit(`r7 = ${g.int(0, 3)}`);
      g.place(top);
      g.emit(`r7 += ${g.pick([0, 0, 1])}`);
      g.emit(`if r7 < ${g.pick([2, 5])} goto ${top}`);
    }
  },

  /** A register set on one path only, then read where the paths meet. */
  uninit(g) {
    prologue(g);
    const form = g.pick(['onepath', 'bothpaths', 'bothpaths', 'deadpath', 'deadpath', 'aftercall', 'r0exit', 'ptr']);
    const skip = g.newLabel();
    const reg = g.pick([7, 8]);
    // For the unknown branch condition, r9; for a decided one, a constant near the bound.
    const cond = () => (g.chance(0.7) ? `if r9 > ${g.int(0, 9)} goto ${skip}` : `if w9 ${g.pick(['==', '!='])} 0 goto ${skip}`);
    if (form === 'onepath' || form === 'ptr') {
      g.emit(cond());
      if (form === 'ptr') g.emit(`r${reg} = r10`);
      else g.emit(`${g.pick(['r', 'w'])}${reg} = ${g.int(0, 5)}`);
      g.place(skip);
      if (form === 'ptr') g.emit(`r0 = *(u64 *)(r${reg} - 8)`);
      else if (g.chance(0.5)) g.emit(`r0 = r${reg}`);
      else {
        g.emit(`*(u64 *)(r10 - 8) = r${reg}`);
        g.emit('r0 = 0');
      }
    } else if (form === 'bothpaths') {
      const join = g.newLabel();
      g.emit(cond());
      g.emit(`r${reg} = 1`);
      g.emit(`goto ${join}`);
      g.place(skip);
      g.emit(`r${reg} = 2`);
      g.place(join);
      g.emit(`r0 = r${reg}`);
    } else if (form === 'deadpath') {
      const c = g.int(0, 9);
      const k = g.near(c);
      g.emit(`r${reg} = ${c}`);
      g.emit(`if r${reg} ${g.pick(['>', '>=', '<', '<=', '==', 's>'])} ${k} goto ${skip}`);
      g.emit(`r${reg === 7 ? 8 : 7} = 1`);
      g.place(skip);
      g.emit(`r0 = r${reg === 7 ? 8 : 7}`);
    } else if (form === 'aftercall') {
      g.emit(`r${g.pick([1, 2, 5])} = 1`);
      g.emit('call bpf_get_prandom_u32');
      g.emit(`r0 ${g.pick(['=', '+='])} r${g.pick([0, 6, 6, 1, 3, 5, 7])}`);
    } else {
      // r0 set on one path only before exit.
      g.emit(cond());
      g.emit('r0 = 1');
      g.place(skip);
    }
    g.emit('exit');
  },

  /** Context field loads and stores, valid and invalid for the program type. */
  ctx(g) {
    prologue(g);
    const n = g.pick([1, 1, 1, 2]);
    for (let k = 0; k < n; k++) ctxAccess(g);
  },

  /** Helper arguments near their rules: key pointers, buffer sizes, wrong kinds. */
  helper(g) {
    prologue(g);
    const form = g.pick(['key', 'key', 'value', 'size', 'size', 'mapArg']);
    if (form === 'key' || form === 'mapArg') {
      const key = form === 'mapArg' ? 'fp' : g.pick(['fp', 'fp', 'fpEdge', 'fpDeep', 'scalar', 'ctx', 'mapValue', 'pkt']);
      if (key === 'mapValue') {
        g.lookup('arr', 0);
        g.emit('if r0 == 0 goto out');
        g.emit('r2 = r0');
        if (g.chance(0.3)) g.emit(`r2 += ${g.near(g.arrValue - 4)}`);
      } else if (key === 'pkt' && (g.progType === 'xdp' || g.progType === 'sched_cls')) {
        g.pktPointers();
        g.emit('r4 = r2');
        g.emit(`r4 += ${g.near(4)}`);
        g.emit('if r4 > r3 goto out');
      } else if (key === 'scalar' || key === 'pkt') g.emit(`r2 = ${g.pick([0, 8])}`);
      else if (key === 'ctx') g.emit('r2 = r6');
      else {
        const off = key === 'fp' ? g.pick([4, 8]) : key === 'fpEdge' ? g.pick([1, 2, 3]) : g.pick([509, 512, 513]);
        if (g.chance(0.7)) g.emit(`*(u32 *)(r10 - ${off}) = ${g.int(0, 3)}`); // unwritten otherwise
        g.emit('r2 = r10');
        g.emit(`r2 += -${off}`);
      }
      g.emit(form === 'mapArg' ? `r1 = ${g.pick(['r10', 'r6', 'r9', '0'])}` : `r1 = ${g.pick(['arr', 'tbl'])} ll`);
      g.emit(`call bpf_map_${g.pick(['lookup', 'lookup', 'delete'])}_elem`);
    } else if (form === 'value') {
      const v = g.tblValue;
      const at = g.pick([v, v, v - 1, v + 1, 512, 4]);
      g.emit('*(u32 *)(r10 - 4) = 1');
      if (g.chance(0.7)) for (let k = 8; k <= v + 8 && k <= 512; k += 8) g.emit(`*(u64 *)(r10 - ${k}) = 0`);
      g.emit('r2 = r10');
      g.emit('r2 += -4');
      g.emit('r3 = r10');
      g.emit(`r3 += -${at}`);
      g.emit(`r4 = ${g.pick([0, 0, 1, 2])}`);
      g.emit('r1 = tbl ll');
      g.emit('call bpf_map_update_elem');
    } else {
      // A buffer of `buf` bytes at fp-buf and a size near it: constant, masked, bounded, unknown.
      const buf = g.pick([8, 16, 32]);
      const sz = g.pick(['const', 'const', 'mask', 'jgt', 'jmp32', 'unknown', 'zero', 'neg']);
      let size = 'r7';
      switch (sz) {
        case 'const': size = String(g.near(buf)); break;
        case 'mask': g.emit('r7 = r9'); g.emit(`r7 &= ${g.pick([buf - 1, buf, buf * 2 - 1])}`); break;
        case 'jgt': g.emit('r7 = r9'); g.emit(`if r7 > ${g.near(buf)} goto out`); break;
        case 'jmp32': g.emit('r7 = r9'); g.emit(`if w7 > ${g.near(buf)} goto out`); break;
        case 'unknown': g.emit('r7 = r9'); break;
        case 'zero': size = '0'; break;
        case 'neg': size = '-1'; break;
      }
      const helper = g.progType === 'kprobe' ? 'probe' : g.progType === 'xdp' ? 'xdp' : 'skb';
      if (helper === 'probe') {
        g.emit('r1 = r10');
        g.emit(`r1 += -${buf}`);
        g.emit(`r2 = ${size}`);
        g.emit('r3 = r9');
        g.emit('call bpf_probe_read_kernel');
      } else {
        g.emit('r1 = r6');
        g.emit(`r2 = ${g.int(0, 20)}`);
        g.emit('r3 = r10');
        g.emit(`r3 += -${buf}`);
        g.emit(`r4 = ${size}`);
        g.emit(`call bpf_${helper}_load_bytes`);
      }
    }
  },

  /** 32-bit jumps bounding a subregister, then the full register used as an index. */
  jmp32(g) {
    prologue(g);
    const arr = g.arrValue;
    g.lookup('arr', 0);
    g.emit('if r0 == 0 goto out');
    const src = g.pick(['u32', 'u64', 'input']);
    if (src === 'input') g.emit('r7 = r9');
    else g.load('7', src === 'u32' ? 4 : 8, 'r0', 0);
    const k = g.near(arr - 1);
    const n = g.int(1, 2);
    for (let i = 0; i < n; i++) {
      const form = g.pick(['w>', 'w>', 'w>=', 'ws>', 'ws<0', 'w<', 'r>', 'zext', 'wand']);
      switch (form) {
        case 'w>': g.emit(`if w7 > ${k} goto out`); break;
        case 'w>=': g.emit(`if w7 >= ${k + 1} goto out`); break;
        case 'ws>': g.emit(`if w7 s> ${k} goto out`); break;
        case 'ws<0': g.emit('if w7 s< 0 goto out'); break;
        case 'w<': g.emit(`if w7 < ${g.int(0, 2)} goto out`); break;
        case 'r>': g.emit(`if r7 > ${k} goto out`); break;
        case 'zext': g.emit('w7 = w7'); break;
        case 'wand': g.emit(`w7 &= ${g.pick([k, 7, 15])}`); break;
      }
    }
    g.emit('r0 += r7');
    g.load('1', 1, 'r0', 0);
  },
};

/** Context layouts near their edges: field starts, sizes and ends per context type. */
const SKB_FIELDS = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 76, 80, 84, 88, 92, 96, 100,
  116, 132, 136, 140, 144, 152, 160, 164, 168, 176, 180, 184, 188, 192];
const XDP_FIELDS = [0, 4, 8, 12, 16, 20, 24];
/** __sk_buff fields some program types may write: mark, queue_mapping, priority, tc_index, cb[0..4], tc_classid, tstamp. */
const SKB_WRITABLE = [8, 12, 32, 44, 48, 52, 56, 60, 64, 72, 152];

function ctxAccess(g: Gen): void {
  let off: number;
  let size: number;
  if (g.progType === 'kprobe') {
    size = g.pick([8, 8, 4, 2, 1]);
    off = g.chance(0.8) ? 8 * g.int(0, 21) : g.pick([-8, 164, 168, 176, 3, 4]);
    if (g.chance(0.1)) off += g.pick([1, 4]);
  } else {
    const fields = g.progType === 'xdp' ? XDP_FIELDS : SKB_FIELDS;
    size = g.chance(0.7) ? 4 : g.pick([1, 2, 8]);
    off = g.pick(fields);
    if (g.chance(0.15)) off += g.pick([1, 2, 3, -4]);
  }
  if (g.chance(0.08)) {
    // Through a moved or variable-offset copy of the context pointer.
    g.emit('r2 = r6');
    if (g.chance(0.5)) g.emit(`r2 += ${off}`);
    else {
      g.unknownInput(7);
      g.emit('r7 &= 4');
      g.emit('r2 += r7');
    }
    g.load('0', size, 'r2', 0);
    return;
  }
  if (g.chance(0.8)) {
    g.load('0', size, 'r6', off);
    return;
  }
  // Stores: most fields are read-only, a few of __sk_buff's are writable (mark, priority, cb[]...).
  if (g.progType !== 'kprobe' && g.progType !== 'xdp' && g.chance(0.6)) off = g.pick(SKB_WRITABLE);
  g.emit('r7 = 1');
  g.store(size, 'r6', off, '7');
}
