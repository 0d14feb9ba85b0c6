/**
 * A symbolic run along the path on which the verifier rejected a program: every input the
 * program reads (packet bytes and length, context fields, map contents) is a variable, every
 * value a term over them (term.ts), and every conditional jump on the verifier's path adds
 * the condition for going the way the verifier went. At the failing instruction it adds the
 * condition for the state the verifier objected to (an access past the packet's end, a NULL
 * map value, an offset outside a map value). A model of all of them is an input that drives
 * the VM there; no model is a proof that no run gets there.
 *
 * The run is concolic in one respect: it keeps a model of the conditions so far, and where a
 * term must be a number to go on (a pointer offset into memory it cannot index by a term,
 * the size of a copy) it takes the model's value and records that as an assumption. An
 * "unsat" reached after such an assumption proves nothing, and is not reported as one.
 *
 * What it does not follow (a tail call, a callback helper, a kfunc) ends the search with a
 * reason. Helpers that read the run's environment (pid and tgid, uid and gid, the time, the
 * CPU) read input variables, which the answer gives as `env` (`run --env`). Others whose
 * results depend on the machine (random numbers) return free variables: that never makes the
 * path look infeasible, and the VM run that checks the input (index.ts) says when it made the
 * input wrong.
 */

import { Insn, lddwValue } from '../isa/insn';
import { lookupRow, OpcodeSpec } from '../isa/opcodes';
import { LinkedProgram } from '../link';
import { MapDef } from '../object';
import { helperById } from '../helpers/table';
import { ctxFieldAt, ctxStruct, CtxStruct } from '../progtypes/contexts';
import { runKind, SKB_MAX_PACKET } from '../vm/context';
import { DEFAULT_ENV } from '../vm/host';
import { ETH_HLEN } from '../net';
import { PathStep } from '../verifier/verify';
import * as T from './term';
import { Cond, Term } from './term';
import { Labelled, Solver } from './z3';
import { aluTerm, jumpTerm } from './ops';

/** Where a pointer points. */
type Base =
  | { kind: 'pkt' }
  | { kind: 'ctx' }
  | { kind: 'stack'; frame: number }
  | { kind: 'mapval'; lookup: number }
  | { kind: 'map'; name: string }
  | { kind: 'mem'; id: number; size: number };

type Value =
  | { k: 'scalar'; t: Term }
  /** `present`: for a pointer a helper may return as NULL, the condition that it is not. */
  | { k: 'ptr'; base: Base; off: Term; present?: Cond };

/** A map lookup the path made: its key, whether it found the key, and its value's bytes. */
export interface Lookup {
  id: number;
  map: MapDef;
  key: Term[];
  present: Cond;
  /** The value's bytes as the program found them (variables), by offset. */
  initial: Term[];
}

export interface SymbolicPath {
  constraints: Labelled[];
  /** The state the verifier objected to; absent where reaching the instruction is the objection. */
  objection?: Labelled;
  vars: Map<string, number | 'bool'>;
  /** Values taken from a model rather than kept symbolic: an unsat after these proves nothing. */
  assumptions: string[];
  /** The model of the constraints so far (each added constraint holds in it). */
  model: Map<string, bigint | boolean>;
  lookups: Lookup[];
  /** The environment fields the path read (`run --env`), by name, as variables `env_NAME`. */
  env: Set<EnvField>;
  /** Packet programs: the packet length variable's name and where `data` starts in the frame. */
  packet?: { dataStart: number };
  /**
   * The context struct. Packet-less programs: its bytes are the input. Packet programs: the
   * fields the path read whole, other than those the packet decides, are (`run --ctx` sets them).
   */
  ctx?: CtxStruct;
  /** Set when the search stopped before the failing instruction (unsupported, or the path cannot be followed). */
  stopped?: string;
  /** Set when a jump cannot go the verifier's way after the conditions before it: the labels of those it conflicts with. */
  infeasibleAt?: { insnIdx: number; taken: boolean; after: string[] };
}

export interface SymbolicSetup {
  program: LinkedProgram;
  progType: string;
  maps: readonly MapDef[];
  path: readonly PathStep[];
  errorStep: number;
  failPc: number;
  message: string;
}

export const PACKET_LEN = 'len';
export const pktByte = (i: number) => `p${i}`;
export const ctxByte = (i: number) => `c${i}`;
export type EnvField = 'pid' | 'tgid' | 'uid' | 'gid' | 'timeNs' | 'bootTimeNs' | 'jiffies' | 'cpu';
export const envVarName = (name: EnvField) => `env_${name}`;
const MAX_FRAME = 1514;
const STACK_SIZE = 512;

interface Frame {
  regs: Value[];
  stack: Map<number, Cell>;
  returnPc: number;
}

/** A byte of memory: a term, or byte k of a pointer spilled there. */
type Cell = { t: Term } | { ptr: Value & { k: 'ptr' }; k: number };

const ZERO = T.cnst(0);
const scalar = (t: Term): Value => ({ k: 'scalar', t });

class Unsupported extends Error {}

export async function runSymbolic(setup: SymbolicSetup, solver: Solver): Promise<SymbolicPath> {
  const ex = new Executor(setup, solver);
  try {
    await ex.run();
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    ex.out.stopped = e.message;
  }
  return ex.out;
}

class Executor {
  out: SymbolicPath;
  private frames: Frame[] = [];
  private pktCells = new Map<number, Term>();
  private ctxCells = new Map<number, Term>();
  private mapCells = new Map<number, Map<number, Cell>>();
  private memCells = new Map<number, Map<number, Cell>>();
  private fresh = 0;
  private readonly kind: NonNullable<ReturnType<typeof runKind>>;
  private readonly ctxType?: CtxStruct;
  private readonly len: Term;

  constructor(private readonly s: SymbolicSetup, private readonly solver: Solver) {
    const kind = runKind(s.progType);
    if (!kind) throw new Unsupported(`programs of type ${s.progType} cannot be run`);
    this.kind = kind;
    this.ctxType = this.kind.ctx ? ctxStruct(this.kind.ctx) : undefined;
    this.len = T.bv(PACKET_LEN, 64);
    this.out = {
      constraints: [], vars: new Map(), assumptions: [], model: new Map(), lookups: [], env: new Set(),
      packet: this.kind.packet ? { dataStart: this.kind.packet === 'l3' ? ETH_HLEN : 0 } : undefined,
      ctx: this.ctxType,
    };
  }

  // --- variables and constraints -------------------------------------------------------------

  private variable(name: string, w: number): Term {
    this.out.vars.set(name, w);
    return T.bv(name, w);
  }

  /** An environment field as an input; the CPU must be one of the default count's (DEFAULT_ENV.nCpus). */
  private envVar(name: EnvField, w: number): Term {
    const v = this.variable(envVarName(name), w);
    if (!this.out.env.has(name)) {
      this.out.env.add(name);
      if (name === 'cpu') this.assumeInput(T.cmp('ult', v, T.cnst(DEFAULT_ENV.nCpus, 32)), `a CPU of the ${DEFAULT_ENV.nCpus} the run has`);
      // Pids, tgids, uids and gids are a kernel's non-negative int32 (RunEnv takes them as such).
      if (['pid', 'tgid', 'uid', 'gid'].includes(name)) this.assumeInput(T.cmp('sge', v, T.cnst(0, 32)), `a ${name} is not negative`);
    }
    return v;
  }

  private boolVariable(name: string): Cond {
    this.out.vars.set(name, 'bool');
    return T.bvar(name);
  }

  /** Adds a condition that holds in the current model (no solving needed). */
  private assumeHolding(cond: Cond, label: string): void {
    if (cond.op !== 'true') this.out.constraints.push({ cond, label });
  }

  /** Adds a condition; where the model breaks it, solves again. Returns false when nothing satisfies it. */
  private async require(cond: Cond, label: string, insnIdx: number): Promise<boolean> {
    if (cond.op === 'true') return true;
    this.out.constraints.push({ cond, label });
    if (T.evalCond(cond, this.out.model)) return true;
    const r = await this.solver.solve(this.out.constraints, this.out.vars);
    if (r.sat === true) { this.out.model = r.model; return true; }
    if (r.sat === false) this.out.infeasibleAt = { insnIdx, taken: /is taken$/.test(label), after: r.core.filter((l) => l !== label) };
    else this.out.stopped = `the solver gave up: ${r.reason}`;
    return false;
  }

  /** The model's value of a term the run needs as a number, recorded as an assumption. */
  private concrete(t: Term, what: string): number {
    if (T.isConst(t)) return Number(BigInt.asIntN(64, t.v));
    const v = T.evalTerm(t, this.out.model);
    this.out.constraints.push({ cond: T.cmp('eq', t, T.cnst(v, t.w)), label: `assumed ${what} = ${BigInt.asIntN(64, v)}` });
    this.out.assumptions.push(`${what} taken as ${BigInt.asIntN(64, v)}`);
    return Number(BigInt.asIntN(64, v));
  }

  private line(pc: number): string {
    const pos = this.s.program.lines[pc];
    return pos ? `line ${pos.line + 1}` : `insn ${pc}`;
  }

  // --- the run ---------------------------------------------------------------------------------

  async run(): Promise<void> {
    const regs: Value[] = Array.from({ length: 11 }, () => scalar(ZERO));
    regs[1] = { k: 'ptr', base: { kind: 'ctx' }, off: ZERO };
    regs[10] = { k: 'ptr', base: { kind: 'stack', frame: 0 }, off: ZERO };
    this.frames.push({ regs, stack: new Map(), returnPc: -1 });
    if (this.kind.packet) {
      this.out.vars.set(PACKET_LEN, 64);
      // BPF_PROG_TEST_RUN's limits (core/vm/context.ts): a whole Ethernet header, and an IPv4
      // or IPv6 EtherType followed by its whole network header in skb programs.
      this.assumeInput(T.cmp('uge', this.len, T.cnst(ETH_HLEN)), 'a frame holds an Ethernet header');
      this.assumeInput(T.cmp('ule', this.len, T.cnst(this.kind.packet === 'xdp' ? MAX_FRAME : Math.min(MAX_FRAME, SKB_MAX_PACKET))), 'a frame of at most 1514 bytes');
      if (this.kind.packet !== 'xdp') {
        const ethType = T.fromBytes([this.pkt(12), this.pkt(13)], true);
        this.assumeInput(T.or(T.cmp('ne', ethType, T.cnst(0x0800, 16)), T.cmp('uge', this.len, T.cnst(ETH_HLEN + 20))), 'an IPv4 frame holds its header');
        this.assumeInput(T.or(T.cmp('ne', ethType, T.cnst(0x86dd, 16)), T.cmp('uge', this.len, T.cnst(ETH_HLEN + 40))), 'an IPv6 frame holds its header');
      }
      this.out.model.set(PACKET_LEN, 64n);
    }
    const decisions = new Map(this.s.path.map((p) => [p.step, p]));
    let pc = 0;
    for (let step = 0; step < this.s.errorStep; step++) {
      const insn = this.s.program.insns[pc];
      const row = insn && lookupRow(insn);
      if (!row) throw new Unsupported(`no instruction at ${pc}`);
      if (row.kind === 'jcond') {
        const d = decisions.get(step);
        if (!d || d.insnIdx !== pc) throw new Unsupported(`the run left the verifier's path at insn ${pc} (step ${step})`);
        const cond = this.jumpCond(insn, row);
        const want = d.taken ? cond : T.not(cond);
        const label = `${this.line(pc)}: the jump is ${d.taken ? '' : 'not '}taken`;
        if (d.decided) this.assumeHolding(want, label);
        if (!d.decided || !T.evalCond(want, this.out.model)) {
          if (!(await this.require(want, label, pc))) return;
        }
        pc = d.taken ? pc + 1 + insn.off : pc + 1;
        continue;
      }
      const next = await this.exec(pc, insn, row);
      if (next === 'stop') return;
      if (next === undefined) throw new Unsupported(`the path ends at insn ${pc} before the failing instruction`);
      pc = next;
    }
    if (pc !== this.s.failPc) throw new Unsupported(`the run reached insn ${pc}, not the failing insn ${this.s.failPc}`);
    this.out.objection = this.objection(pc);
  }

  private assumeInput(cond: Cond, label: string): void {
    this.out.constraints.push({ cond, label });
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1];
  }

  private reg(r: number): Value {
    return this.frame.regs[r];
  }

  private set(r: number, v: Value): void {
    this.frame.regs[r] = v;
  }

  private scalarOf(v: Value, pc: number): Term {
    if (v.k === 'scalar') return v.t;
    throw new Unsupported(`arithmetic on a pointer that is not an offset, at insn ${pc}`);
  }

  /** Executes one instruction that is not a conditional jump; returns the next pc, or undefined at the program's exit. */
  private async exec(pc: number, i: Insn, row: OpcodeSpec): Promise<number | 'stop' | undefined> {
    const w = row.width ?? 64;
    const srcVal = (): Value => (row.src === 'reg' ? this.reg(i.src) : scalar(T.cnst(BigInt(i.imm), 64)));
    switch (row.kind) {
      case 'alu': this.alu(pc, i, row, w, srcVal()); return pc + 1;
      case 'neg': {
        const d = this.scalarOf(this.reg(i.dst), pc);
        this.set(i.dst, scalar(w === 64 ? T.bin('sub', ZERO, d) : T.zext(T.bin('sub', T.cnst(0, 32), T.extract(d, 0, 32)), 64)));
        return pc + 1;
      }
      case 'mov': {
        const v = srcVal();
        if (w === 64) this.set(i.dst, v);
        else this.set(i.dst, scalar(T.zext(T.extract(this.scalarOf(v, pc), 0, 32), 64)));
        return pc + 1;
      }
      case 'movsx': {
        const s = this.scalarOf(this.reg(i.src), pc);
        const ext = T.sext(T.extract(s, 0, i.off), w);
        this.set(i.dst, scalar(w === 64 ? ext : T.zext(ext, 64)));
        return pc + 1;
      }
      case 'end': {
        const d = this.scalarOf(this.reg(i.dst), pc);
        const bytes = T.toBytes(d, i.imm / 8);
        const swap = row.op === 'bswap' || row.op === 'be';
        this.set(i.dst, scalar(T.zext(swap ? T.fromBytes(bytes, true) : T.fromBytes(bytes), 64)));
        return pc + 1;
      }
      case 'lddw': {
        const ref = this.s.program.mapRefs.get(pc);
        if (ref?.kind === 'map') this.set(i.dst, { k: 'ptr', base: { kind: 'map', name: ref.map }, off: ZERO });
        else if (ref) throw new Unsupported(`a map value address (global data) at insn ${pc}`);
        else if (i.src !== 0) throw new Unsupported(`lddw with pseudo source ${i.src} at insn ${pc}`);
        else this.set(i.dst, scalar(T.cnst(lddwValue(i, this.s.program.insns[pc + 1]))));
        return pc + 2;
      }
      case 'ldx': case 'ldsx': {
        const v = await this.load(this.reg(i.src), i.off, row.size!, pc);
        this.set(i.dst, v.k === 'ptr' ? v : scalar(row.kind === 'ldsx' ? T.sext(v.t, 64) : T.zext(v.t, 64)));
        return pc + 1;
      }
      case 'st': this.store(this.reg(i.dst), i.off, row.size!, scalar(T.cnst(BigInt(i.imm), 64)), pc); return pc + 1;
      case 'stx': this.store(this.reg(i.dst), i.off, row.size!, this.reg(i.src), pc); return pc + 1;
      case 'atomic': await this.atomic(pc, i, row); return pc + 1;
      // gotol (JMP32 | JA) keeps its target in imm.
      case 'ja': return pc + 1 + (i.code === 0x06 ? i.imm : i.off);
      case 'ld_abs': case 'ld_ind': {
        const base = this.out.packet?.dataStart;
        if (base === undefined) throw new Unsupported(`a legacy packet load without a packet at insn ${pc}`);
        const off = row.kind === 'ld_abs' ? T.cnst(BigInt(i.imm)) : T.bin('add', T.zext(T.extract(this.scalarOf(this.reg(i.src), pc), 0, 32), 64), T.cnst(BigInt(i.imm)));
        // Out of bounds, the program returns 0 at once: being here means the load was in bounds.
        const at = T.bin('add', off, T.cnst(base));
        if (!(await this.require(T.cmp('ule', T.bin('add', at, T.cnst(row.size!)), this.len), `${this.line(pc)}: the legacy load is inside the packet`, pc))) return 'stop';
        const k = this.concrete(at, `the legacy load's offset at ${this.line(pc)}`);
        const bytes = Array.from({ length: row.size! }, (_, j) => this.pkt(k + j));
        this.set(0, scalar(T.zext(T.fromBytes(bytes, true), 64)));
        for (let r = 1; r <= 5; r++) this.set(r, scalar(ZERO));
        return pc + 1;
      }
      case 'call': await this.helperCall(pc, i); return pc + 1;
      case 'call_local': {
        if (this.frames.length >= 8) throw new Unsupported('calls nested too deep');
        const regs: Value[] = this.frame.regs.slice();
        regs[10] = { k: 'ptr', base: { kind: 'stack', frame: this.frames.length }, off: ZERO };
        this.frames.push({ regs, stack: new Map(), returnPc: pc + 1 });
        return pc + 1 + i.imm;
      }
      case 'exit': {
        if (this.frames.length === 1) return undefined;
        const callee = this.frames.pop()!;
        this.set(0, callee.regs[0]);
        for (let r = 1; r <= 5; r++) this.set(r, scalar(ZERO));
        return callee.returnPc;
      }
      default: throw new Unsupported(`${row.id} at insn ${pc} is not followed by counterexample search`);
    }
  }

  private alu(pc: number, i: Insn, row: OpcodeSpec, w: number, src: Value): void {
    const dst = this.reg(i.dst);
    // Pointer arithmetic: an offset that moves (add, sub of a scalar), or the distance between two pointers.
    if (dst.k === 'ptr' || src.k === 'ptr') {
      if (w !== 64) throw new Unsupported(`32-bit arithmetic on a pointer at insn ${pc}`);
      if (row.op === 'add' && dst.k === 'ptr' && src.k === 'scalar') return this.set(i.dst, { ...dst, off: T.bin('add', dst.off, src.t) });
      if (row.op === 'add' && dst.k === 'scalar' && src.k === 'ptr') return this.set(i.dst, { ...src, off: T.bin('add', src.off, dst.t) });
      if (row.op === 'sub' && dst.k === 'ptr' && src.k === 'scalar') return this.set(i.dst, { ...dst, off: T.bin('sub', dst.off, src.t) });
      if (row.op === 'sub' && dst.k === 'ptr' && src.k === 'ptr' && sameBase(dst.base, src.base)) return this.set(i.dst, scalar(T.bin('sub', dst.off, src.off)));
      throw new Unsupported(`${row.op} on a pointer at insn ${pc}`);
    }
    const a = w === 64 ? dst.t : T.extract(dst.t, 0, 32);
    const b = w === 64 ? src.t : T.extract(src.t, 0, 32);
    const r = aluTerm(row.op!, a, b, w);
    if (!r) throw new Unsupported(`alu ${row.op} at insn ${pc}`);
    this.set(i.dst, scalar(w === 64 ? r : T.zext(r, 64)));
  }

  private jumpCond(i: Insn, row: OpcodeSpec): Cond {
    const w = row.width ?? 64;
    const dst = this.reg(i.dst);
    const src: Value = row.src === 'reg' ? this.reg(i.src) : scalar(T.cnst(BigInt(i.imm), 64));
    const op = row.op!;
    // A pointer a helper may return as NULL, compared with 0: the test is whether it was found.
    const nullTest = (p: Value, other: Value): Cond | undefined => {
      if (p.k !== 'ptr' || other.k !== 'scalar' || !T.isConst(other.t) || other.t.v !== 0n) return undefined;
      const present = p.present ?? T.TRUE;
      if (op === 'jeq') return T.not(present);
      if (op === 'jne' || op === 'jgt' || op === 'jset') return present;
      return undefined;
    };
    const nt = nullTest(dst, src) ?? nullTest(src, dst);
    if (nt) return nt;
    let a: Term, b: Term;
    if (dst.k === 'ptr' && src.k === 'ptr') {
      if (!sameBase(dst.base, src.base)) throw new Unsupported('a comparison of pointers into different memory');
      a = dst.off; b = src.off;
    } else if (dst.k === 'scalar' && src.k === 'scalar') {
      a = dst.t; b = src.t;
    } else {
      throw new Unsupported('a comparison of a pointer with a number');
    }
    if (w === 32) { a = T.extract(a, 0, 32); b = T.extract(b, 0, 32); }
    const cond = jumpTerm(op, a, b, w);
    if (!cond) throw new Unsupported(`jump ${op}`);
    return cond;
  }

  // --- memory ----------------------------------------------------------------------------------

  private pkt(i: number): Term {
    const written = this.pktCells.get(i);
    if (written) return written;
    return this.variable(pktByte(i), 8);
  }

  /** The cells of a pointer's memory (stack, map value, helper memory), or undefined for packet and context. */
  private cellsOf(base: Base): Map<number, Cell> | undefined {
    switch (base.kind) {
      case 'stack': return this.frames[base.frame]?.stack;
      case 'mapval': return this.mapCells.get(base.lookup);
      case 'mem': {
        let c = this.memCells.get(base.id);
        if (!c) this.memCells.set(base.id, (c = new Map()));
        return c;
      }
      default: return undefined;
    }
  }

  private async load(p: Value, insnOff: number, size: number, pc: number): Promise<Value> {
    if (p.k !== 'ptr') throw new Unsupported(`a load through a number at insn ${pc}`);
    const off = T.bin('add', p.off, T.cnst(BigInt(insnOff)));
    const where = `the offset of the load at ${this.line(pc)}`;
    switch (p.base.kind) {
      case 'pkt': {
        const at = this.concrete(off, where) + (this.out.packet?.dataStart ?? 0);
        return scalar(T.fromBytes(Array.from({ length: size }, (_, j) => this.pkt(at + j))));
      }
      case 'ctx': return this.ctxLoad(this.concrete(off, where), size, pc);
      case 'map': throw new Unsupported(`a load from a map pointer at insn ${pc}`);
      default: {
        const at = this.concrete(off, where);
        const cells = this.cellsOf(p.base)!;
        const first = cells.get(at);
        // A spilled pointer comes back whole from an aligned 8-byte load.
        if (size === 8 && first && 'ptr' in first && first.k === 0) {
          const same = Array.from({ length: 8 }, (_, j) => cells.get(at + j)).every((c, j) => c && 'ptr' in c && c.ptr === first.ptr && c.k === j);
          if (same) return first.ptr;
        }
        const bytes = Array.from({ length: size }, (_, j) => {
          const c = cells.get(at + j);
          if (!c) return this.initialByte(p.base, at + j);
          if ('ptr' in c) throw new Unsupported(`part of a spilled pointer read at insn ${pc}`);
          return c.t;
        });
        return scalar(T.fromBytes(bytes));
      }
    }
  }

  /** A byte never written: a map value's content (an input), else zero (the VM's fresh memory). */
  private initialByte(base: Base, at: number): Term {
    if (base.kind === 'mapval') {
      const l = this.out.lookups[base.lookup];
      return l.initial[at] ?? T.cnst(0, 8);
    }
    return T.cnst(0, 8);
  }

  private store(p: Value, insnOff: number, size: number, v: Value, pc: number): void {
    if (p.k !== 'ptr') throw new Unsupported(`a store through a number at insn ${pc}`);
    const at = this.concrete(T.bin('add', p.off, T.cnst(BigInt(insnOff))), `the offset of the store at ${this.line(pc)}`);
    if (p.base.kind === 'pkt') {
      if (v.k === 'ptr') throw new Unsupported(`a pointer stored into the packet at insn ${pc}`);
      const base = at + (this.out.packet?.dataStart ?? 0);
      T.toBytes(v.t, size).forEach((b, j) => this.pktCells.set(base + j, b));
      return;
    }
    if (p.base.kind === 'ctx') {
      if (v.k === 'ptr') throw new Unsupported(`a pointer stored into the context at insn ${pc}`);
      T.toBytes(v.t, size).forEach((b, j) => this.ctxCells.set(at + j, b));
      return;
    }
    const cells = this.cellsOf(p.base);
    if (!cells) throw new Unsupported(`a store into a map pointer at insn ${pc}`);
    if (v.k === 'ptr') {
      if (size !== 8) throw new Unsupported(`part of a pointer stored at insn ${pc}`);
      for (let j = 0; j < 8; j++) cells.set(at + j, { ptr: v, k: j });
      return;
    }
    T.toBytes(v.t, size).forEach((b, j) => cells.set(at + j, { t: b }));
  }

  private ctxLoad(off: number, size: number, pc: number): Value {
    const st = this.ctxType;
    if (!st) throw new Unsupported(`a context load for ${this.s.progType} at insn ${pc}`);
    const field = ctxFieldAt(st, off);
    if (field?.field.pointer && this.out.packet) {
      const start = T.cnst(BigInt(this.out.packet.dataStart));
      return { k: 'ptr', base: { kind: 'pkt' }, off: field.field.pointer === 'data_end' ? T.bin('sub', this.len, start) : ZERO };
    }
    const written = Array.from({ length: size }, (_, j) => this.ctxCells.get(off + j));
    if (written.every((b) => b)) return scalar(T.fromBytes(written as Term[]));
    if (!this.out.packet) {
      // Packet-less types: the context bytes are the input.
      return scalar(T.fromBytes(Array.from({ length: size }, (_, j) => this.variable(ctxByte(off + j), 8))));
    }
    const name = field?.field.name;
    const pull = BigInt(this.out.packet.dataStart);
    const value = (t: Term) => scalar(T.extract(T.zext(t, 64), 0, size * 8));
    // The fields BPF_PROG_TEST_RUN derives from the frame (core/vm/context.ts).
    if (st.name === '__sk_buff' && size === 4 && off === field?.field.off) {
      if (name === 'len') return value(T.bin('sub', this.len, T.cnst(pull)));
      if (name === 'wire_len') return value(this.len);
      if (name === 'protocol') return value(T.fromBytes([this.pkt(12), this.pkt(13)]));
    }
    // Any other field read whole is the input's (`run --ctx` sets it over the test run's default).
    if (field && !field.field.pointer && size === field.field.size && off === field.field.off + (field.index ?? 0) * size) {
      return scalar(T.fromBytes(Array.from({ length: size }, (_, j) => this.variable(ctxByte(off + j), 8))));
    }
    // Part of a field: taken as unknown, a free variable the input does not set.
    return scalar(this.variable(`ctx_${off}_${size}_${this.fresh++}`, size * 8));
  }

  private async atomic(pc: number, i: Insn, row: OpcodeSpec): Promise<void> {
    const size = row.size!;
    const old = await this.load(this.reg(i.dst), i.off, size, pc);
    if (old.k !== 'scalar') throw new Unsupported(`an atomic operation on a pointer at insn ${pc}`);
    const src = T.extract(this.scalarOf(this.reg(i.src), pc), 0, size * 8);
    const op = row.op!.replace(/^fetch_/, '');
    let next: Term;
    switch (op) {
      case 'add': next = T.bin('add', old.t, src); break;
      case 'or': next = T.bin('or', old.t, src); break;
      case 'and': next = T.bin('and', old.t, src); break;
      case 'xor': next = T.bin('xor', old.t, src); break;
      case 'xchg': next = src; break;
      case 'cmpxchg': {
        const r0 = T.extract(this.scalarOf(this.reg(0), pc), 0, size * 8);
        next = T.ite(T.cmp('eq', old.t, r0), src, old.t);
        this.set(0, scalar(T.zext(old.t, 64)));
        break;
      }
      default: throw new Unsupported(`atomic ${row.op} at insn ${pc}`);
    }
    this.store(this.reg(i.dst), i.off, size, scalar(next), pc);
    if (row.op!.startsWith('fetch_') || op === 'xchg') this.set(i.src, scalar(T.zext(old.t, 64)));
  }

  // --- helpers ---------------------------------------------------------------------------------

  private async readBytes(p: Value, size: number, pc: number): Promise<Term[]> {
    const out: Term[] = [];
    for (let j = 0; j < size; j++) {
      const v = await this.load(p, j, 1, pc);
      out.push(T.extract((v as { t: Term }).t, 0, 8));
    }
    return out;
  }

  private mapOf(v: Value, pc: number): MapDef {
    if (v.k !== 'ptr' || v.base.kind !== 'map') throw new Unsupported(`a map argument that is not a map at insn ${pc}`);
    const name = v.base.name;
    const def = this.s.maps.find((m) => m.name === name);
    if (!def) throw new Unsupported(`map ${name} is not defined`);
    return def;
  }

  private async helperCall(pc: number, i: Insn): Promise<void> {
    const helper = i.src === 0 ? helperById(i.imm) : undefined;
    if (!helper) throw new Unsupported(`call at insn ${pc} (a kfunc or an unknown helper)`);
    const ret = (v: Value) => {
      this.set(0, v);
      for (let r = 1; r <= 5; r++) this.set(r, scalar(ZERO));
    };
    const freeResult = () => scalar(this.variable(`ret_${helper.name}_${pc}_${this.fresh++}`, 64));
    switch (helper.name) {
      case 'map_lookup_elem': {
        const map = this.mapOf(this.reg(1), pc);
        const key = await this.readBytes(this.reg(2), map.keySize, pc);
        const id = this.out.lookups.length;
        const isArray = /^(percpu_)?array$/.test(map.type);
        const present = isArray
          ? T.cmp('ult', T.fromBytes(key), T.cnst(map.maxEntries, 32))
          : this.boolVariable(`found_${map.name}_${id}`);
        const initial = Array.from({ length: map.valueSize }, (_, j) => this.variable(`v${id}_${j}`, 8));
        this.out.lookups.push({ id, map, key, present, initial });
        this.mapCells.set(id, new Map());
        return ret({ k: 'ptr', base: { kind: 'mapval', lookup: id }, off: ZERO, present });
      }
      case 'ringbuf_reserve': {
        const size = this.concrete(this.scalarOf(this.reg(2), pc), `the reserved size at ${this.line(pc)}`);
        const id = this.fresh++;
        return ret({ k: 'ptr', base: { kind: 'mem', id, size }, off: ZERO, present: this.boolVariable(`reserved_${id}`) });
      }
      case 'skb_load_bytes': {
        const off = this.concrete(this.scalarOf(this.reg(2), pc), `the offset of skb_load_bytes at ${this.line(pc)}`);
        const len = this.concrete(this.scalarOf(this.reg(4), pc), `the length of skb_load_bytes at ${this.line(pc)}`);
        const to = this.reg(3);
        const start = this.out.packet?.dataStart ?? 0;
        for (let j = 0; j < len; j++) this.store(to, j, 1, scalar(T.zext(this.pkt(start + off + j), 64)), pc);
        // -EFAULT where the bytes run past the packet.
        const inside = T.cmp('ule', T.cnst(BigInt(start + off + len)), this.len);
        return ret(scalar(T.ite(inside, ZERO, T.cnst(-14n))));
      }
      case 'map_update_elem': case 'ringbuf_submit': case 'ringbuf_discard': case 'ringbuf_output':
        return ret(scalar(ZERO));
      // What the run's environment decides (`run --env`): inputs too (core/vm/host.ts RunEnv, core/helpers/impl).
      case 'get_current_pid_tgid': return ret(scalar(T.concat(this.envVar('tgid', 32), this.envVar('pid', 32))));
      case 'get_current_uid_gid': return ret(scalar(T.concat(this.envVar('gid', 32), this.envVar('uid', 32))));
      case 'ktime_get_ns': case 'ktime_get_coarse_ns': case 'ktime_get_tai_ns': return ret(scalar(this.envVar('timeNs', 64)));
      case 'ktime_get_boot_ns': return ret(scalar(this.envVar('bootTimeNs', 64)));
      case 'jiffies64': return ret(scalar(this.envVar('jiffies', 64)));
      case 'get_smp_processor_id': return ret(scalar(T.zext(this.envVar('cpu', 32), 64)));
      case 'tail_call': case 'loop': case 'for_each_map_elem': case 'find_vma': case 'user_ringbuf_drain': case 'timer_set_callback':
        throw new Unsupported(`${helper.name} at insn ${pc}: calls and callbacks beyond the program are not followed`);
      default:
        if (helper.proto?.ret && /or_null/.test(helper.proto.ret)) throw new Unsupported(`${helper.name} at insn ${pc} returns a pointer this search does not model`);
        return ret(freeResult());
    }
  }

  // --- the objection ---------------------------------------------------------------------------

  /** The condition for the state the verifier refused at the failing instruction, where it is one of a value's. */
  private objection(pc: number): Labelled | undefined {
    const i = this.s.program.insns[pc];
    const row = lookupRow(i);
    if (!row) return undefined;
    const m = this.s.message;
    const access = row.kind === 'ldx' || row.kind === 'ldsx' ? { p: this.reg(i.src), off: i.off }
      : row.kind === 'st' || row.kind === 'stx' || row.kind === 'atomic' ? { p: this.reg(i.dst), off: i.off } : undefined;
    if (!access || access.p.k !== 'ptr') return undefined;
    const p = access.p;
    const size = BigInt(row.size ?? 1);
    const start = T.bin('add', p.off, T.cnst(BigInt(access.off)));
    const end = T.bin('add', start, T.cnst(size));
    const where = this.line(pc);
    if (/invalid mem access '.*or_null'/.test(m) && p.present) {
      return { cond: T.not(p.present), label: `${where}: the pointer is NULL` };
    }
    if (p.base.kind === 'pkt' && /packet/.test(m)) {
      const dataEnd = T.bin('sub', this.len, T.cnst(BigInt(this.out.packet?.dataStart ?? 0)));
      return { cond: T.or(T.cmp('slt', start, ZERO), T.cmp('sgt', end, dataEnd)), label: `${where}: the access runs past the packet's end` };
    }
    if (p.base.kind === 'mapval' && /map value|memory range|unbounded memory access/.test(m)) {
      const valueSize = BigInt(this.out.lookups[p.base.lookup].map.valueSize);
      return { cond: T.or(T.cmp('slt', start, ZERO), T.cmp('sgt', end, T.cnst(valueSize))), label: `${where}: the access leaves the map value` };
    }
    if (p.base.kind === 'stack' && /stack/.test(m)) {
      // A frame's offsets run from -512 up to its frame pointer (offset 0).
      return { cond: T.or(T.cmp('slt', start, T.cnst(-STACK_SIZE)), T.cmp('sgt', end, ZERO)), label: `${where}: the access leaves the stack frame` };
    }
    if (p.base.kind === 'mem' && /mem|range/.test(m)) {
      return { cond: T.or(T.cmp('slt', start, ZERO), T.cmp('sgt', end, T.cnst(BigInt(p.base.size)))), label: `${where}: the access leaves the reserved record` };
    }
    return undefined;
  }
}

function sameBase(a: Base, b: Base): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'stack': return a.frame === (b as typeof a).frame;
    case 'mapval': return a.lookup === (b as typeof a).lookup;
    case 'mem': return a.id === (b as typeof a).id;
    case 'map': return a.name === (b as typeof a).name;
    default: return true;
  }
}

