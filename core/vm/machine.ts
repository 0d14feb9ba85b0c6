/**
 * The interpreter: one machine runs one linked program over checked memory, with the
 * stepping API the debugger drives. It knows no protocol and does no I/O (our MockRuntime).
 *
 * Registers are pairs of int32 halves (core/vm/int64.ts): no BigInt and no allocation per
 * instruction. The loop itself is core/vm/loop.ts (one switch on the opcode byte, as ubpf's
 * loop); this file holds the machine's state, the debugger's API and the rare paths the loop
 * and the JIT (core/jit) hand over to: calls, exits from frames, atomics, legacy packet loads,
 * and the memory accesses whose fast check failed.
 *
 * Linux semantics where RFC 9669 leaves a choice: division by zero gives 0, modulo by
 * zero leaves dst, shift counts are masked, 32-bit results are zero-extended. A bad access
 * stops the run with a fault naming the instruction, address, size and nearest region.
 */

import { Insn } from '../isa/insn';
import { LinkedProgram } from '../link';
import * as I from './int64';
import { Memory, MemFault, Region } from './memory';
import { Host } from './host';
import { ETH_HLEN } from '../net';
import { SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF } from '../cbpf/opcodes';
import { BAD_REGISTER_OP, CALLBACK_RETURN, HI_REG, fusedOp, interpret, kindOf, segmentLengths } from './loop';

export const MAX_CALL_DEPTH = 8; // the kernel's MAX_CALL_FRAMES
export const STACK_SIZE = 512; // MAX_BPF_STACK
export const TAIL_CALL_LIMIT = 33; // MAX_TAIL_CALL_CNT
/** High half of a BPF function's "address" (lddw with BPF_PSEUDO_FUNC): the low half is its slot. */
export const FUNC_HI = 0x7e01;

export type StopReason = 'step' | 'breakpoint' | 'fault' | 'exit' | 'budget';

export interface Stop {
  reason: StopReason;
  /** The instruction about to run (breakpoint, step) or that faulted. */
  pc: number;
  message?: string;
  fault?: MemFault;
}

/** What a helper returns: a 64-bit result, or a fault that stops the run. */
export type HelperResult = bigint | { fault: string } | { exit: bigint };
export type HelperImpl = (vm: Machine) => HelperResult;

export interface MachineOptions {
  program: LinkedProgram;
  memory: Memory;
  /** The helper implementation for an id, or undefined for an unknown helper. */
  helper: (id: number) => HelperImpl | undefined;
  /**
   * The address an lddw of a map reference yields (set up by the run). It answers only for
   * the slots in `program.mapRefs`: the JIT takes every other lddw as the constant it holds.
   */
  mapAddress?: (slot: number) => { lo: number; hi: number } | undefined;
  /** Instructions allowed before the run stops with a fault. */
  budget: number;
  /** The run around the machine, for helpers; absent for bare machines in tests. */
  host?: Host;
}

export interface Frame {
  returnPc: number;
  saved: Int32Array; // r6-r9 and r10, lo then hi
  stack: Region;
  program: LinkedProgram;
}

/** A program's slots in columns, as the loop and the JIT read them. */
export interface DecodedProgram {
  /** The opcode, or BAD_REGISTER_OP when a register field is over 10. */
  ops: Uint16Array;
  /**
   * The loop's form, four int32 per slot: op | dst << 8 | src << 12 | off << 16 (op 0 where the
   * loop must hand over: a bad register, an lddw of a map or a function), the imm, and the
   * slot's segment (core/vm/loop.ts, segmentLengths): its length and the slot after it.
   */
  code: Int32Array;
  dsts: Uint8Array;
  srcs: Uint8Array;
  offs: Int16Array;
  imms: Int32Array;
}

/** The columns of a program, decoded once (they are only read): the runs of one program share them. */
export function decodeProgram(p: LinkedProgram): DecodedProgram {
  let d = decoded.get(p);
  if (!d || d.ops.length !== p.insns.length) { d = decode(p); decoded.set(p, d); }
  return d;
}

const decoded = new WeakMap<LinkedProgram, DecodedProgram>();

function decode(p: LinkedProgram): DecodedProgram {
  const n = p.insns.length;
  const out: DecodedProgram = { ops: new Uint16Array(n), code: new Int32Array(4 * n), dsts: new Uint8Array(n), srcs: new Uint8Array(n), offs: new Int16Array(n), imms: new Int32Array(n) };
  p.insns.forEach((i: Insn, k) => {
    // Only r0-r10 exist; the load check refuses other numbers, but the VM runs unchecked programs too.
    out.ops[k] = i.dst > 10 || i.src > 10 ? BAD_REGISTER_OP : i.code;
    out.dsts[k] = i.dst; out.srcs[k] = i.src; out.offs[k] = i.off; out.imms[k] = i.imm;
    // Opcode 0 goes to slowExec: a bad register (it says why), an lddw of a map or a function,
    // and every other handover (so that no opcode byte in `code` reads as a superinstruction).
    const handover = kindOf(out.ops[k]) === 'handover' || (i.code === 0x18 && (i.src !== 0 || p.mapRefs.has(k)));
    out.code[4 * k] = (handover ? 0 : i.code) | ((i.dst & 15) << 8) | ((i.src & 15) << 12) | (i.off << 16);
    out.code[4 * k + 1] = i.imm;
  });
  const { lens, ends } = segmentLengths(out.ops);
  for (let k = 0; k < n; k++) {
    out.code[4 * k + 2] = lens[k]; out.code[4 * k + 3] = ends[k];
    const f = fusedOp(out.ops, out.dsts, out.srcs, out.offs, out.imms, k);
    if (f !== 0) out.code[4 * k] = (out.code[4 * k] & ~0xff) | f;
  }
  return out;
}

export class Machine {
  /** @internal The registers' halves in one array, as the loop reads them: rN's low half at N, its high half at N + HI_REG. */
  readonly regs = new Int32Array(2 * HI_REG);
  /** The registers' low and high halves (views of `regs`). */
  readonly lo = this.regs.subarray(0, 11);
  readonly hi = this.regs.subarray(HI_REG, HI_REG + 11);
  pc = 0;
  /** Instructions executed so far. */
  insnCount = 0;
  readonly memory: Memory;
  readonly host?: Host;
  program: LinkedProgram;
  // The fields below are the loop's and the JIT's (core/vm/loop.ts, core/jit): not for other callers.
  /** @internal bpf-to-bpf frames, innermost last. */
  frames: Frame[] = [];
  /** @internal The current frame's stack. */
  stack: Region;
  /** @internal Instructions the budget still allows. */
  budgetLeft: number;
  /** @internal The instruction run last, to name the jump that left the program. */
  prevPc = 0;
  /** @internal The program decoded into columns: opcode (BAD_REGISTER_OP for a register over 10), dst, src, off, imm. */
  ops!: Uint16Array;
  /** @internal */ code!: Int32Array;
  /** @internal */ dsts!: Uint8Array;
  /** @internal */ srcs!: Uint8Array;
  /** @internal */ offs!: Int16Array;
  /** @internal */ imms!: Int32Array;
  /** @internal The JIT's compiled form of `jitFor` (core/jit keeps it here, to find it without a lookup). */
  jitCode?: unknown;
  /** @internal */ jitFor?: LinkedProgram;
  private tailCalls = 0;
  private finished?: Stop;

  constructor(readonly opts: MachineOptions) {
    this.memory = opts.memory;
    this.host = opts.host;
    this.program = opts.program;
    this.budgetLeft = opts.budget;
    this.loadProgram(opts.program);
    this.stack = this.memory.add('stack frame 0', 'stack', new Uint8Array(STACK_SIZE), true);
    this.setFramePointer();
  }

  private loadProgram(p: LinkedProgram): void {
    ({ ops: this.ops, code: this.code, dsts: this.dsts, srcs: this.srcs, offs: this.offs, imms: this.imms } = decodeProgram(p));
    this.program = p;
  }

  private setFramePointer(): void {
    const top = Memory.address(this.stack, STACK_SIZE);
    this.lo[10] = top.lo;
    this.hi[10] = top.hi;
  }

  setReg(r: number, v: bigint): void {
    I.fromBig(v);
    this.lo[r] = I.res.lo;
    this.hi[r] = I.res.hi;
  }

  reg(r: number): bigint {
    return I.toBig(this.lo[r], this.hi[r]);
  }

  /**
   * Back to the first instruction of the program it was made for, with these registers, the
   * whole budget and a count of 0: frames are dropped and the run is no longer finished.
   * Memory (stack, context, packet, map values) is left as it is.
   */
  restart(lo: Int32Array, hi: Int32Array): void {
    while (this.frames.length) { const f = this.frames.pop()!; this.memory.remove(this.stack); this.stack = f.stack; }
    if (this.program !== this.opts.program) this.loadProgram(this.opts.program);
    const L = this.lo, H = this.hi;
    L[0] = lo[0]; L[1] = lo[1]; L[2] = lo[2]; L[3] = lo[3]; L[4] = lo[4]; L[5] = lo[5]; L[6] = lo[6]; L[7] = lo[7]; L[8] = lo[8]; L[9] = lo[9]; L[10] = lo[10];
    H[0] = hi[0]; H[1] = hi[1]; H[2] = hi[2]; H[3] = hi[3]; H[4] = hi[4]; H[5] = hi[5]; H[6] = hi[6]; H[7] = hi[7]; H[8] = hi[8]; H[9] = hi[9]; H[10] = hi[10];
    this.pc = 0; this.prevPc = 0; this.insnCount = 0; this.tailCalls = 0;
    this.budgetLeft = this.opts.budget;
    this.finished = undefined;
  }

  /** bpf-to-bpf frames, innermost last: the pc to return to and the frame's stack. */
  callStack(): { pc: number; returnPc?: number; stack: Region; depth: number }[] {
    const out = this.frames.map((f, d) => ({ pc: f.returnPc - 1, stack: f.stack, depth: d }));
    out.push({ pc: this.pc, stack: this.stack, depth: this.frames.length });
    return out;
  }

  get done(): Stop | undefined {
    return this.finished;
  }

  /** Runs one instruction. */
  step(): Stop {
    return this.run({ maxSteps: 1 });
  }

  /**
   * Runs until exit, fault, budget, a breakpoint (other than the one at the starting pc),
   * or `maxSteps` instructions (then reason `step`, so a caller can yield and resume).
   */
  run(opts: { breakpoints?: ReadonlySet<number>; maxSteps?: number } = {}): Stop {
    if (this.finished) return this.finished;
    const bps = opts.breakpoints && opts.breakpoints.size > 0 ? opts.breakpoints : undefined;
    if (!bps) return this.finish(interpret(this, opts.maxSteps ?? Infinity)!);
    // With breakpoints, one instruction at a time (a debugger's pace).
    let steps = opts.maxSteps ?? Infinity;
    for (let first = true; steps > 0; first = false, steps--) {
      if (!first && bps.has(this.pc)) return { reason: 'breakpoint', pc: this.pc };
      const stop = interpret(this, 1)!;
      if (stop.reason !== 'step') return this.finish(stop);
    }
    return { reason: 'step', pc: this.pc };
  }

  /** @internal Ends the run with this stop (the JIT's exits). */
  finish(stop: Stop): Stop {
    if (stop.reason !== 'step' && stop.reason !== 'breakpoint') this.finished = stop;
    return stop;
  }

  /** @internal A fault at an instruction, in the words every fault uses. */
  faultAt(pc: number, message: string, fault?: MemFault): Stop {
    const line = this.program.lines[pc];
    const where = `insn ${pc}${line ? ` (line ${line.line + 1})` : ''}`;
    return { reason: 'fault', pc, message: `${message} at ${where}`, fault };
  }

  /**
   * @internal Executes the instruction at `pc` that the loop (or the JIT) does not: its
   * budget and count are already taken, `this.pc` is `pc + 1`. Returns a Stop when the run ends.
   */
  slowExec(pc: number): Stop | undefined {
    const L = this.lo, H = this.hi;
    const op = this.ops[pc];
    const d = this.dsts[pc], s = this.srcs[pc], off = this.offs[pc], imm = this.imms[pc];
    this.pc = pc + 1;
    if (op === BAD_REGISTER_OP) return this.faultAt(pc, `invalid register r${d > 10 ? d : s}`);
    const cls = op & 7;
    if (op === 0x37 || op === 0x3f || op === 0x97 || op === 0x9f) return this.divide64(op, d, s, off, imm);
    if (cls === 0x07 || cls === 0x04) return this.faultAt(pc, `unknown opcode 0x${op.toString(16)}`);
    if (cls === 0x05 || cls === 0x06) {
      const code = op & 0xf0;
      if (cls === 0x05 && code === 0x80) return (op & 0x08) ? this.callx(d, pc) : this.call(s, imm, pc);
      if (cls === 0x05 && code === 0x90) return this.exit(pc);
      return this.faultAt(pc, `unknown opcode 0x${op.toString(16)}`);
    }
    switch (op) {
      case 0x18: { // lddw
        const hiImm = this.imms[pc + 1];
        this.pc = pc + 2;
        const ref = this.program.insns[pc] && this.opts.mapAddress?.(pc);
        if (ref) { L[d] = ref.lo; H[d] = ref.hi; return undefined; }
        if (s === 4) { L[d] = pc + 1 + imm; H[d] = FUNC_HI; return undefined; }
        if (s !== 0) return this.faultAt(pc, `lddw with pseudo source ${s} cannot run here (no map or kernel object to refer to)`);
        L[d] = imm; H[d] = hiImm;
        return undefined;
      }
      // LDX: dst = *(size *)(src + off)
      case 0x61: case 0x69: case 0x71: case 0x79: case 0x81: case 0x89: case 0x91:
        return this.load(op, d, L[s], H[s], off, pc);
      // ST / STX
      case 0x62: case 0x6a: case 0x72: case 0x7a:
        return this.store(op, L[d], H[d], off, imm, imm >> 31, pc);
      case 0x63: case 0x6b: case 0x73: case 0x7b:
        return this.store(op, L[d], H[d], off, L[s], H[s], pc);
      case 0xc3: case 0xdb:
        return this.atomic(op, d, s, off, imm, pc);
      // Legacy packet loads: r0 = ntoh(*(size *)(skb->data + imm [+ src]))
      case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50:
        return this.ldPacket(op, s, imm, pc);
      default:
        return this.faultAt(pc, `unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  /** 64-bit div and mod, signed with offset 1 (BigInt where an operand is wider than 32 bits). */
  private divide64(op: number, d: number, s: number, off: number, imm: number): undefined {
    const L = this.lo, H = this.hi;
    const b = op & 0x08 ? L[s] : imm, bh = op & 0x08 ? H[s] : imm >> 31;
    if ((op & 0xf0) === 0x30) (off === 1 ? I.sdiv64 : I.udiv64)(L[d], H[d], b, bh);
    else (off === 1 ? I.smod64 : I.umod64)(L[d], H[d], b, bh);
    L[d] = I.res.lo; H[d] = I.res.hi;
    return undefined;
  }

  private call(src: number, imm: number, pc: number): Stop | undefined {
    if (src === 1) return this.callLocal(pc + 1 + imm, pc);
    if (src === 2) return this.faultAt(pc, `kfunc calls (BTF id ${imm}) cannot run in the VM`);
    return this.callHelper(imm, pc);
  }

  private callx(d: number, pc: number): Stop | undefined {
    // The register holds a helper id, as the conformance suite's callx test uses it.
    if (this.hi[d] !== 0) return this.faultAt(pc, `callx r${d}: 0x${this.reg(d).toString(16)} is not a helper id`);
    return this.callHelper(this.lo[d], pc);
  }

  private callHelper(id: number, pc: number): Stop | undefined {
    const impl = this.opts.helper(id);
    if (!impl) return this.faultAt(pc, `call to unknown helper ${id}`);
    this.host?.emit?.({ kind: 'helper', pc, helper: String(id) });
    const r = impl(this);
    if (typeof r === 'bigint') {
      this.setReg(0, r);
      // r1-r5 are clobbered by a call (caller-saved); the kernel leaves them unreadable.
      return undefined;
    }
    if ('exit' in r) {
      this.setReg(0, r.exit);
      return { reason: 'exit', pc };
    }
    return this.faultAt(pc, r.fault);
  }

  private callLocal(target: number, pc: number): Stop | undefined {
    if (this.frames.length + 1 >= MAX_CALL_DEPTH) return this.faultAt(pc, `call stack too deep: more than ${MAX_CALL_DEPTH} frames`);
    if (target < 0 || target >= this.ops.length) return this.faultAt(pc, `call to ${target}, outside the program`);
    const saved = new Int32Array(10);
    for (let k = 0; k < 5; k++) { saved[k] = this.lo[6 + k]; saved[5 + k] = this.hi[6 + k]; }
    this.frames.push({ returnPc: pc + 1, saved, stack: this.stack, program: this.program });
    this.stack = this.memory.add(`stack frame ${this.frames.length}`, 'stack', new Uint8Array(STACK_SIZE), true);
    this.setFramePointer();
    this.pc = target;
    return undefined;
  }

  private exit(pc: number): Stop | undefined {
    const f = this.frames.pop();
    if (!f) return { reason: 'exit', pc };
    this.memory.remove(this.stack);
    this.stack = f.stack;
    for (let k = 0; k < 5; k++) { this.lo[6 + k] = f.saved[k]; this.hi[6 + k] = f.saved[5 + k]; }
    this.pc = f.returnPc;
    return undefined;
  }

  /**
   * Calls a BPF function from a helper (bpf_loop, for_each_map_elem...) and runs it to its
   * return, in a frame of its own. Returns r0, or a fault message.
   */
  callback(fnLo: number, fnHi: number, args: bigint[]): bigint | { fault: string } {
    if (fnHi !== FUNC_HI || fnLo < 0 || fnLo >= this.ops.length) return { fault: 'callback is not the address of a BPF function' };
    const pc = this.pc;
    const saved = new Int32Array(22);
    saved.set(this.lo, 0); saved.set(this.hi, 11);
    const depth = this.frames.length;
    const stop = this.callLocal(fnLo, pc - 1);
    if (stop) return { fault: stop.message ?? 'callback failed' };
    this.frames[depth].returnPc = CALLBACK_RETURN;
    args.forEach((a, k) => this.setReg(k + 1, a));
    const s = interpret(this, Infinity, depth);
    if (s) {
      this.finished = s;
      return { fault: s.message ?? `the callback ended the program (${s.reason})` };
    }
    const r0 = this.reg(0);
    this.lo.set(saved.subarray(0, 11)); this.hi.set(saved.subarray(11, 22));
    this.pc = pc;
    return r0;
  }

  /** bpf_tail_call: jump to another program, keeping r1; on failure execution continues. */
  tailCall(target: LinkedProgram | undefined): boolean {
    if (!target || this.tailCalls >= TAIL_CALL_LIMIT) return false;
    this.tailCalls++;
    while (this.frames.length) this.exit(this.pc);
    this.loadProgram(target);
    this.stack.bytes.fill(0);
    this.pc = 0;
    return true;
  }

  // --- memory -----------------------------------------------------------------------------

  /** The region and byte offset of [addr, addr + size), or a fault. */
  resolve(lo: number, hi: number, size: number, write: boolean): { region: Region; off: number } | MemFault {
    const r = this.memory.find(lo, hi, size);
    if (!r) return this.memory.fault(write ? 'write' : 'read', lo, hi, size);
    const off = Memory.offset(r, lo);
    if (write && !r.writable && !(r.writableFields?.(off, size))) {
      return { kind: 'write', lo, hi, size, message: `invalid write of ${size} bytes to read-only ${r.name} at offset ${off}` };
    }
    return { region: r, off };
  }

  private addr(lo: number, hi: number, off: number): void {
    I.add64(lo, hi, off, off >> 31);
  }

  /** @internal LDX at `pc` from (blo, bhi) + off: every check, and the context's pointer fields. */
  load(op: number, d: number, blo: number, bhi: number, off: number, pc: number): Stop | undefined {
    const size = SIZE[op & 0x18];
    this.addr(blo, bhi, off);
    const alo = I.res.lo, ahi = I.res.hi;
    const at = this.resolve(alo, ahi, size, false);
    if ('message' in at) return this.faultAt(pc, at.message, at);
    const { region, off: o } = at;
    const ptr = region.pointerFields?.get(o);
    if (ptr && size >= 4) { const p = ptr(); this.lo[d] = p.lo; this.hi[d] = p.hi; return undefined; }
    const v = region.view;
    const signed = (op & 0xe0) === 0x80;
    switch (size) {
      case 1: this.lo[d] = signed ? v.getInt8(o) : v.getUint8(o); break;
      case 2: this.lo[d] = signed ? v.getInt16(o, true) : v.getUint16(o, true); break;
      case 4: this.lo[d] = v.getInt32(o, true); break;
      default: this.lo[d] = v.getInt32(o, true); this.hi[d] = v.getInt32(o + 4, true); return undefined;
    }
    this.hi[d] = signed ? this.lo[d] >> 31 : 0;
    return undefined;
  }

  /** @internal ST/STX at `pc` to (blo, bhi) + off: every check, and the context's writable fields. */
  store(op: number, blo: number, bhi: number, off: number, vlo: number, vhi: number, pc: number): Stop | undefined {
    const size = SIZE[op & 0x18];
    this.addr(blo, bhi, off);
    const at = this.resolve(I.res.lo, I.res.hi, size, true);
    if ('message' in at) return this.faultAt(pc, at.message, at);
    writeSized(at.region.view, at.off, size, vlo, vhi);
    return undefined;
  }

  private atomic(op: number, d: number, s: number, off: number, imm: number, pc: number): Stop | undefined {
    const size = op === 0xdb ? 8 : 4;
    this.addr(this.lo[d], this.hi[d], off);
    const at = this.resolve(I.res.lo, I.res.hi, size, true);
    if ('message' in at) return this.faultAt(pc, at.message, at);
    const v = at.region.view, o = at.off;
    const oldLo = v.getInt32(o, true), oldHi = size === 8 ? v.getInt32(o + 4, true) : 0;
    const slo = this.lo[s], shi = size === 8 ? this.hi[s] : 0;
    let nlo: number, nhi: number;
    switch (imm & ~1) {
      case 0x00: I.add64(oldLo, oldHi, slo, shi); nlo = I.res.lo; nhi = I.res.hi; break;
      case 0x40: nlo = oldLo | slo; nhi = oldHi | shi; break;
      case 0x50: nlo = oldLo & slo; nhi = oldHi & shi; break;
      case 0xa0: nlo = oldLo ^ slo; nhi = oldHi ^ shi; break;
      case 0xe0: nlo = slo; nhi = shi; break; // xchg
      case 0xf0: { // cmpxchg: compare with r0, store src if equal, r0 = old
        const eq = size === 8 ? this.lo[0] === oldLo && this.hi[0] === oldHi : this.lo[0] === oldLo;
        if (eq) writeSized(v, o, size, slo, shi);
        this.lo[0] = oldLo; this.hi[0] = oldHi;
        return undefined;
      }
      default: return this.faultAt(pc, `unknown atomic operation 0x${imm.toString(16)}`);
    }
    writeSized(v, o, size, nlo, nhi);
    if (imm & 1) { this.lo[s] = oldLo; this.hi[s] = oldHi; }
    return undefined;
  }

  /**
   * LD_ABS / LD_IND: r0 = the big-endian value at skb->data + imm (+ src). Negative offsets
   * reach the headers as classic BPF's do (bpf_internal_load_pointer_neg_helper):
   * SKF_NET_OFF + n is byte n of the network header, SKF_LL_OFF + n byte n of the mac header.
   */
  private ldPacket(op: number, s: number, imm: number, pc: number): Stop | undefined {
    const size = SIZE[op & 0x18];
    const pkt = this.host?.packet;
    if (!pkt) return this.faultAt(pc, 'legacy packet load in a program without a packet');
    const rel = ((op & 0xe0) === 0x40 ? (this.lo[s] + imm) | 0 : imm);
    let o = pkt.data + rel;
    if (rel < 0) {
      const mac = pkt.mac ?? NaN;
      if (rel >= SKF_NET_OFF && rel < SKF_AD_OFF) o = mac + ETH_HLEN + (rel - SKF_NET_OFF);
      else if (rel >= SKF_LL_OFF && rel < SKF_NET_OFF) o = mac + (rel - SKF_LL_OFF);
      else o = NaN;
    }
    // The kernel ends the program with r0 = 0 when a legacy load falls outside the packet.
    if (!(o >= 0 && o + size <= pkt.end)) { this.lo[0] = 0; this.hi[0] = 0; return { reason: 'exit', pc }; }
    const v = pkt.region.view;
    this.lo[0] = size === 1 ? v.getUint8(o) : size === 2 ? v.getUint16(o, false) : v.getInt32(o, false);
    this.hi[0] = 0;
    return undefined;
  }

  // --- the debugger's view ------------------------------------------------------------------

  /** `len` bytes at a 64-bit address (a copy), or a fault message. */
  readMemory(addr: bigint, len: number): Uint8Array | string {
    I.fromBig(addr);
    const b = this.bytesAt(I.res.lo, I.res.hi, len, false);
    return typeof b === 'string' ? b : b.slice();
  }

  /** Writes bytes at a 64-bit address (read-only regions too: the debugger may); a fault message on failure. */
  writeMemory(addr: bigint, bytes: Uint8Array): string | undefined {
    I.fromBig(addr);
    const r = this.memory.find(I.res.lo, I.res.hi, bytes.length);
    if (!r) return this.memory.fault('write', I.res.lo, I.res.hi, bytes.length).message;
    r.bytes.set(bytes, Memory.offset(r, I.res.lo));
    return undefined;
  }

  // --- helper argument access ---------------------------------------------------------------

  /** Argument k (1-5) of a helper call as an unsigned 64-bit value. */
  arg(k: number): bigint {
    return I.toBig(this.lo[k], this.hi[k]);
  }

  /** `len` bytes at the address in register k, or a fault message. */
  bytesAt(lo: number, hi: number, len: number, write: boolean): Uint8Array | string {
    if (len === 0) return new Uint8Array(0);
    const at = this.resolve(lo, hi, len, write);
    if ('message' in at) return at.message;
    return at.region.bytes.subarray(at.off, at.off + len);
  }
}

const SIZE: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

function writeSized(v: DataView, o: number, size: number, lo: number, hi: number): void {
  switch (size) {
    case 1: v.setUint8(o, lo & 0xff); break;
    case 2: v.setUint16(o, lo & 0xffff, true); break;
    case 4: v.setInt32(o, lo, true); break;
    default: v.setInt32(o, lo, true); v.setInt32(o + 4, hi, true);
  }
}
