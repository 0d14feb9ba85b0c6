/**
 * The verifier: a path-sensitive abstract interpreter in the manner of Linux 6.18's
 * kernel/bpf/verifier.c (privileged), whose verdict and message it aims to match.
 *
 * It walks every path from the first instruction, depth first, as do_check() does: a
 * conditional jump whose outcome the scalar bounds do not decide forks the state (the jump
 * is explored last, as push_stack() leaves it); a state already covered by one seen at the
 * same instruction is pruned; the walk stops at the first error, or after 1,000,000
 * processed instructions. Instruction semantics live in the modules beside this one
 * (alu.ts, mem.ts, calls.ts, branch.ts); this file is the walk.
 */

import { Diagnostic } from '../diag';
import { Insn, LDDW_CODE } from '../isa/insn';
import { lookupRow } from '../isa/opcodes';
import { LinkedProgram } from '../link';
import { MapDef } from '../object';
import { checkCfg } from './cfg';
import { VerifyError, Ctx, stepInsn } from './step';
import { cloneState, curFrame, newFrame, NOT_INIT, ptrReg, Reg, regString, StackSlot, VState } from './state';
import { Scalar } from './scalar';
import { tnumUnion } from './tnum';
import { FramesLive, statesCovered } from './prune';
import { ALL_LIVE, computeLiveness, LiveSet, Liveness } from './liveness';
import { callGraphCheck } from './calls';
import { explainMessage } from './explain';

export const COMPLEXITY_LIMIT = 1_000_000;
/**
 * Unfinished checkpoints kept per instruction (a loop nests one per pass; each may prune the
 * paths its pass left waiting once it finishes), and how many of the newest the loop check
 * compares. Finished checkpoints that keep failing to prune are dropped instead (the
 * kernel's miss_cnt heuristic).
 */
const MAX_OPEN_PER_INSN = 4096;
const MAX_LOOP_CHECKS = 64;

/** Program types whose expected attach type the kernel checks at load, and the ones it accepts. */
const ATTACH_REQUIRED: Record<string, RegExp> = {
  cgroup_sock_addr: /^cgroup_(inet[46]_(bind|connect|getpeername|getsockname|post_bind)|udp[46]_(sendmsg|recvmsg)|unix_\w+)$/,
};

export interface VerifyOptions {
  progType: string;
  attachType?: string;
  license?: string;
  maps?: readonly MapDef[];
  /** Asked every few thousand instructions; true stops the walk with `cancelled` (an editor's newer edit). */
  isCancelled?: () => boolean;
  /** Also join each instruction's stack slots (for the debugger's Verifier scope; the editor does without). */
  recordStack?: boolean;
}

/** A stack slot of the current frame before an instruction, joined over paths: a spilled register, or its bytes' types. */
export type JoinedSlot = { spilled: Reg } | { types: string };

/** Each register (R0..R10) in the kernel's notation, or undefined when it is not readable. */
export type RegStrings = (string | undefined)[];

export interface VerifyResult {
  accepted: boolean;
  /** The kernel's message (the last log line before the statistics). */
  message?: string;
  /** Detail lines the kernel prints before the message. */
  detail?: string[];
  insnIdx?: number;
  /**
   * The conditional jumps on the path that reached the error and which way each went;
   * `decided` where the bounds allowed only that way. `step` counts the instructions the path
   * ran before the jump (a loop's jump comes back at other steps). `errorStep` is the step of
   * the failing instruction.
   */
  path: PathStep[];
  errorStep?: number;
  stats: { processedInsns: number; states: number };
  /**
   * The registers before an instruction, joined over every path that reached it, as one line
   * (`R1=ctx() R10=fp0`); undefined where no path went. Printed when asked for, not during the walk.
   */
  insnState(pc: number): string | undefined;
  /** The same per register (R0..R10), before and after the instruction (after: joined over the paths that went on). */
  regsBefore(pc: number): RegStrings | undefined;
  regsAfter(pc: number): RegStrings | undefined;
  /** The registers before an instruction as the verifier's abstract values, joined over paths (NOT_INIT where paths disagree on a kind). */
  statesBefore(pc: number): readonly Reg[] | undefined;
  /** With `recordStack`: the current frame's stack slots before an instruction, by slot (fp-8 is 0). */
  slotsBefore(pc: number): ReadonlyMap<number, JoinedSlot> | undefined;
  /**
   * What is live before `pc` in the frame that runs it: the registers and stack bytes some
   * path onward may read. Pruning ignored the rest, so a pruned path's dead values are not in
   * the joined states. Undefined where the program failed the structural checks.
   */
  liveBefore(pc: number): LiveSet | undefined;
  /** How many times the walk processed the instruction at `pc` (over every path; 0 where none went). */
  visits(pc: number): number;
  /** Set when isCancelled stopped the walk: the verdict is unknown. */
  cancelled?: boolean;
  diagnostics: Diagnostic[];
}

export interface PathStep {
  insnIdx: number;
  taken: boolean;
  step: number;
  decided?: boolean;
}

/** The branch decisions of a path, newest first, shared between paths (a persistent list). */
interface PathNode extends PathStep {
  prev?: PathNode;
}

function pathArray(p: PathNode | undefined): PathStep[] {
  const out: PathStep[] = [];
  for (let n = p; n; n = n.prev) out.push(n.decided ? { insnIdx: n.insnIdx, taken: n.taken, step: n.step, decided: true } : { insnIdx: n.insnIdx, taken: n.taken, step: n.step });
  return out.reverse();
}

interface Pending {
  state: VState;
  pc: number;
  path?: PathNode;
  /** Instructions the path ran before `pc`. */
  steps?: number;
  parent?: Checkpoint;
}

/**
 * A state saved at a prune point. `branches` counts the paths still being explored below
 * it (the kernel's bpf_verifier_state.branches): only a finished checkpoint (0) may prune
 * another path, while an unfinished one that the current path reaches again unchanged is
 * a loop that makes no progress.
 */
interface Checkpoint {
  state: VState;
  pc: number;
  branches: number;
  parent?: Checkpoint;
  /** Still in its instruction's list of unfinished checkpoints (not pushed out by newer ones). */
  listed: boolean;
  /** Paths this finished checkpoint pruned, and paths it was compared with and did not. */
  hits: number;
  misses: number;
}

export function verifyProgram(program: LinkedProgram, opts: VerifyOptions): VerifyResult {
  const insns = program.insns;
  let processed = 0;
  let states = 0;
  const joined: (Reg[] | undefined)[] = new Array(insns.length);
  const joinedAfter: (Reg[] | undefined)[] = new Array(insns.length);
  // Where every path goes on to the next instruction and nothing else enters it, the state
  // after an instruction is the state before the next one: marked here rather than joined twice.
  const afterIsNext = new Uint8Array(insns.length);
  const visitCounts = new Uint32Array(insns.length);
  const joinedSlots: (Map<number, JoinedSlot> | undefined)[] | undefined = opts.recordStack ? new Array(insns.length) : undefined;
  let liveness: Liveness | undefined;
  const result = (accepted: boolean, extra: Partial<VerifyResult> = {}): VerifyResult => {
    const r: VerifyResult = {
      accepted, path: [], stats: { processedInsns: processed, states }, diagnostics: [],
      insnState: (pc) => (joined[pc] ? regsString(joined[pc]!) : undefined),
      regsBefore: (pc) => regStrings(joined[pc]),
      regsAfter: (pc) => regStrings(afterIsNext[pc] ? joined[pc + 1] : joinedAfter[pc]),
      visits: (pc) => visitCounts[pc] ?? 0,
      statesBefore: (pc) => joined[pc],
      slotsBefore: (pc) => joinedSlots?.[pc],
      liveBefore: (pc) => liveness?.before(pc),
      ...extra,
    };
    if (!accepted && r.message) {
      // Our explanation, from the detail line when it says more (it carries offsets), else from the message.
      const why = (r.detail ?? []).map(explainMessage).find((e) => e) ?? explainMessage(r.message);
      r.diagnostics.push({
        code: 'verifier', severity: 'error', message: r.message, insnIdx: r.insnIdx, detail: r.detail,
        explain: why?.explain, fix: why?.fix,
        related: r.path.filter((p) => !p.decided).map((p) => ({ message: `branch at insn ${p.insnIdx} ${p.taken ? 'taken' : 'not taken'}`, insnIdx: p.insnIdx })),
      });
    }
    return r;
  };

  // bpf_prog_load_check_attach(): some program types need a matching expected attach type;
  // the kernel refuses the load before the verifier writes any log.
  const needs = ATTACH_REQUIRED[opts.progType];
  if (needs && !needs.test(opts.attachType ?? '')) return result(false, { message: 'BPF_PROG_LOAD: EINVAL', insnIdx: 0 });
  const cfg = checkCfg(insns);
  if (cfg.error) return result(false, { message: cfg.error.message, insnIdx: cfg.error.insnIdx });
  liveness = computeLiveness(insns, cfg.subprogs);
  const lv = liveness;

  const ctx: Ctx = {
    insns, progType: opts.progType, attachType: opts.attachType, license: opts.license ?? 'GPL', maps: opts.maps ?? [], program,
    subprogs: cfg.subprogs, mapRefs: program.mapRefs, stackDepth: new Map(),
  };
  const start: VState = { frames: [newFrame(0, -1, 0)], refs: [], nextId: 1 };
  start.frames[0].regs[1] = ptrReg('ctx');

  // Per prune point: the checkpoints still being explored (oldest first), and the finished ones.
  const open = new Map<number, Checkpoint[]>();
  const done = new Map<number, Checkpoint[]>();
  const stack: Pending[] = [{ state: start, pc: 0 }];
  const isPrunePoint = prunePoints(insns);
  const isCondJump = Uint8Array.from(insns, (i) => (lookupRow(i)?.kind === 'jcond' ? 1 : 0));
  // A path that ends (exit, or pruned) finishes its checkpoints up the chain (update_branch_counts()).
  const finish = (cp: Checkpoint | undefined) => {
    for (let c = cp; c; c = c.parent) {
      if (--c.branches > 0) break;
      if (c.listed) {
        // Usually the newest of its list: the walk finishes the deepest checkpoints first.
        const list = open.get(c.pc)!;
        list.splice(list.lastIndexOf(c), 1);
        c.listed = false;
      }
      listAt(done, c.pc).push(c);
    }
  };

  while (stack.length) {
    const p = stack.pop()!;
    let state = p.state;
    let pc = p.pc;
    let parent = p.parent;
    let path = p.path;
    let steps = p.steps ?? 0;
    for (;;) {
      if ((processed & 0xfff) === 0 && opts.isCancelled?.()) return result(false, { cancelled: true });
      if (++processed > COMPLEXITY_LIMIT) {
        return result(false, { message: `BPF program is too large. Processed ${processed} insn`, insnIdx: pc, path: pathArray(path), errorStep: steps });
      }
      if (isPrunePoint[pc]) {
        const live = framesLive(lv, state, pc);
        const finished = done.get(pc) ?? [];
        let pruned = false;
        // Newest first, as the kernel's lists: the latest states are the likeliest to match.
        for (let j = finished.length - 1; j >= 0; j--) {
          const old = finished[j];
          if (statesCovered(old.state, state, live)) { old.hits++; pruned = true; break; }
          if (++old.misses > old.hits * 3 + 3) finished.splice(j, 1);
        }
        if (pruned) break;
        const unfinished = listAt(open, pc);
        const mayGoto = insns[pc].code === 0xe5;
        for (let j = unfinished.length - 1; j >= Math.max(0, unfinished.length - MAX_LOOP_CHECKS); j--) {
          const old = unfinished[j];
          // At may_goto the kernel bounds the loop at run time: a state covered by one still
          // being explored is pruned rather than reported as an infinite loop.
          if (mayGoto && statesCovered(old.state, state, live)) { pruned = true; break; }
          if ((old.state.mayGotoDepth ?? 0) === (state.mayGotoDepth ?? 0) && statesCovered(old.state, state) && statesCovered(state, old.state)) {
            return result(false, { message: `infinite loop detected at insn ${pc}`, insnIdx: pc, path: pathArray(path), errorStep: steps });
          }
        }
        if (pruned) break;
        if (unfinished.length >= MAX_OPEN_PER_INSN) unfinished.shift()!.listed = false;
        const cp: Checkpoint = { state: cloneState(state), pc, branches: 1, parent, listed: true, hits: 0, misses: 0 };
        unfinished.push(cp);
        parent = cp;
        states++;
      }
      joinInto(joined, pc, state.frames[state.frames.length - 1].regs);
      visitCounts[pc]++;
      if (joinedSlots) joinSlotsInto(joinedSlots, pc, state.frames[state.frames.length - 1].slots);
      let out;
      try {
        out = stepInsn(ctx, state, pc);
      } catch (e) {
        if (e instanceof VerifyError) return result(false, { message: e.message, detail: e.detail, insnIdx: pc, path: pathArray(path), errorStep: steps });
        // Our own bug: say so on the instruction rather than crash the caller (an editor, the CLI).
        return result(false, { message: `internal verifier error: ${(e as Error).message}`, insnIdx: pc, path: pathArray(path), errorStep: steps });
      }
      if (out.kind === 'exit') break;
      if (out.kind === 'next') {
        if (out.pc === pc + 1 && !isPrunePoint[pc + 1] && out.state.frames.length === state.frames.length) afterIsNext[pc] = 1;
        else joinInto(joinedAfter, pc, curFrame(out.state).regs);
        if (isCondJump[pc]) path = { insnIdx: pc, taken: out.pc !== pc + 1, step: steps, decided: true, prev: path };
        state = out.state; pc = out.pc; steps++;
        continue;
      }
      joinInto(joinedAfter, pc, curFrame(out.fallthrough).regs);
      joinInto(joinedAfter, pc, curFrame(out.taken).regs);
      // A branch the bounds do not decide: the fall-through goes on now, the jump waits.
      if (parent) parent.branches++;
      stack.push({ state: out.taken, pc: out.takenPc, path: { insnIdx: pc, taken: true, step: steps, prev: path }, steps: steps + 1, parent });
      path = { insnIdx: pc, taken: false, step: steps, prev: path };
      steps++;
      state = out.fallthrough;
      pc = out.fallthroughPc;
    }
    finish(parent);
  }
  const graph = callGraphCheck(ctx, ctx.stackDepth);
  if (graph) return result(false, { message: graph });
  return result(true);
}

/**
 * Liveness per frame of a state at `pc`: the running frame's before `pc`, each caller's
 * before its call (states_equal()'s frame_insn_idx()).
 */
function framesLive(liveness: Liveness, st: VState, pc: number): FramesLive {
  const top = st.frames.length - 1;
  return (k) => liveness.before(k === top ? pc : st.frames[k + 1].callsite) ?? ALL_LIVE;
}

function listAt(lists: Map<number, Checkpoint[]>, pc: number): Checkpoint[] {
  let list = lists.get(pc);
  if (!list) lists.set(pc, (list = []));
  return list;
}

/** Where states are saved for pruning: jump targets and the instructions after jumps and calls. */
function prunePoints(insns: readonly Insn[]): Uint8Array {
  const p = new Uint8Array(insns.length + 1);
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc];
    const cls = i.code & 7;
    if (cls === 5 || cls === 6) {
      const op = i.code & 0xf0;
      if (op === 0x90) continue;
      if (op === 0x80) { p[pc + 1] = 1; if (i.src === 1) p[pc + 1 + i.imm] = 1; continue; }
      const t = pc + 1 + (i.code === 0x06 ? i.imm : i.off);
      if (t >= 0 && t < insns.length) p[t] = 1;
      p[pc + 1] = 1;
    }
    if (i.code === LDDW_CODE) pc++;
  }
  return p;
}

/**
 * The registers at an instruction, joined over every path that reached it: what hover and
 * the debugger show. Scalars join to the range covering both; pointers of one kind and
 * offset keep it; anything else becomes unknown (shown as not readable).
 */
function joinInto(joined: (Reg[] | undefined)[], pc: number, regs: readonly Reg[]): void {
  const cur = joined[pc];
  if (!cur) { joined[pc] = regs.slice(); return; }
  for (let k = 0; k < cur.length; k++) cur[k] = joinReg(cur[k], regs[k]);
}

const SLOT_TYPE_CHARS: Record<string, string> = { misc: 'm', zero: '0', spill: 'r', invalid: '?' };

function slotOf(sl: StackSlot): JoinedSlot | undefined {
  if (sl.types.every((t) => t === 'invalid')) return undefined;
  if (sl.spilled && sl.types.every((t) => t === 'spill')) return { spilled: sl.spilled };
  return { types: sl.types.map((t) => SLOT_TYPE_CHARS[t] ?? '?').join('') };
}

/** Joins a frame's slots into what is known before `pc`: slots every path has alike stay; others become mixed. */
function joinSlotsInto(joined: (Map<number, JoinedSlot> | undefined)[], pc: number, slots: readonly StackSlot[]): void {
  const cur = joined[pc];
  if (!cur) {
    const m = new Map<number, JoinedSlot>();
    slots.forEach((sl, k) => { const j = slotOf(sl); if (j) m.set(k, j); });
    joined[pc] = m;
    return;
  }
  for (const [k, was] of cur) {
    const now = slots[k] ? slotOf(slots[k]) : undefined;
    if (!now) { cur.delete(k); continue; }
    if ('spilled' in was && 'spilled' in now) {
      const r = joinReg(was.spilled, now.spilled);
      if (r.kind === 'not_init') cur.delete(k); else cur.set(k, { spilled: r });
    } else if (!('types' in was && 'types' in now && was.types === now.types)) {
      cur.delete(k);
    }
  }
}

function joinReg(a: Reg, b: Reg): Reg {
  if (a === b) return a;
  if (a.kind !== b.kind || a.off !== b.off || a.map !== b.map || a.maybeNull !== b.maybeNull) return NOT_INIT;
  // Most joins meet what is already there: keep it rather than build an equal object.
  if (a.range <= b.range && a.id === b.id && scalarContains(a.v, b.v)) return a;
  return { ...a, v: joinScalar(a.v, b.v), range: Math.min(a.range, b.range), id: a.id === b.id ? a.id : 0 };
}

/** Whether `outer` already holds every value of `inner` with the same known bits (so their join is `outer`). */
function scalarContains(outer: Scalar, inner: Scalar): boolean {
  return outer === inner || (
    outer.varOff.value === inner.varOff.value && outer.varOff.mask === inner.varOff.mask &&
    outer.smin <= inner.smin && outer.smax >= inner.smax && outer.umin <= inner.umin && outer.umax >= inner.umax &&
    outer.s32min <= inner.s32min && outer.s32max >= inner.s32max && outer.u32min <= inner.u32min && outer.u32max >= inner.u32max);
}

function joinScalar(a: Scalar, b: Scalar): Scalar {
  const lo = (x: bigint, y: bigint) => (x < y ? x : y);
  const hi = (x: bigint, y: bigint) => (x > y ? x : y);
  return {
    varOff: tnumUnion(a.varOff, b.varOff),
    smin: lo(a.smin, b.smin), smax: hi(a.smax, b.smax), umin: lo(a.umin, b.umin), umax: hi(a.umax, b.umax),
    s32min: lo(a.s32min, b.s32min), s32max: hi(a.s32max, b.s32max), u32min: lo(a.u32min, b.u32min), u32max: hi(a.u32max, b.u32max),
  };
}

/** `R1=ctx() R2=pkt(off=14,r=34) R10=fp0`: the readable registers in the kernel's notation. */
function regStrings(regs: readonly Reg[] | undefined): RegStrings | undefined {
  return regs?.map((r) => (r.kind === 'not_init' ? undefined : regString(r)));
}

function regsString(regs: readonly Reg[]): string {
  return regs.map((r, k) => (r.kind === 'not_init' ? '' : `R${k}=${regString(r)}`)).filter(Boolean).join(' ');
}
