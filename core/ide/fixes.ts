/**
 * Quick fixes for the verifier's commonest rejections, as plain text edits on the document
 * (0-based positions, no LSP types): a packet access without a bounds check, a
 * possibly-NULL pointer used without a check, R0 unset at exit, and a read of stack bytes
 * nothing wrote. The server turns each `QuickFix` into a code action.
 *
 * A fix is built from what the analysis already knows: the instruction the diagnostic names,
 * the registers before it (`regsBefore`, in the kernel's notation), and the program's
 * instructions. The inserted text uses the dialect of the line it lands near (LLVM or uBPF;
 * both assemble labels) and that line's indentation. A fix that needs a jump target reuses a
 * label whose code is `r0 = <safe verdict>; exit` in the same function, or appends one at the
 * function's end. Whatever a fix inserts assembles; the preferred fix removes the error it
 * was made for at that instruction (test/ide/fixes.test.ts checks both on the corpus).
 *
 * Where no fix is safe (the access goes through a helper, no register is free, the code
 * lies in an included file), no fix is offered: a wrong fix is worse than none.
 */

import { Diagnostic } from '../diag';
import { Insn, LDDW_CODE } from '../isa/insn';
import { OPCODES, OpcodeSpec, lookupRow } from '../isa/opcodes';
import { helperById } from '../helpers/table';
import { ctxStruct } from '../progtypes/contexts';
import { progTypeByName } from '../progtypes/table';
import { lex, Token } from '../asm/lexer';
import { Dialect } from '../asm/match';
import { Analysis, ProgramAnalysis } from './analysis';

export interface TextEdit {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  newText: string;
}

export interface QuickFix {
  title: string;
  edits: TextEdit[];
  preferred?: boolean;
}

/** The fixes for one diagnostic of `a` (none for diagnostics that are not the verifier's). */
export function quickFixes(a: Analysis, diagnostic: Diagnostic): QuickFix[] {
  if (a.language !== 'ebpf' || diagnostic.code !== 'verifier') return [];
  const site = locate(a, diagnostic);
  if (!site) return [];
  const messages = [diagnostic.message, ...(diagnostic.detail ?? [])];
  const fixes = [packetBoundsFix(site, messages), nullCheckFix(site, diagnostic.message), ...returnValueFixes(site, diagnostic.message), stackInitFix(site, messages)];
  return fixes.filter((f): f is QuickFix => f !== undefined);
}

/** Safe verdicts: let the packet through (XDP_PASS, TC_ACT_OK), allow (cgroup hooks), else 0. */
const SAFE_VERDICTS: Record<string, { value: number; name?: string }> = {
  xdp: { value: 2, name: 'XDP_PASS' }, sched_cls: { value: 0, name: 'TC_ACT_OK' }, sched_act: { value: 0, name: 'TC_ACT_OK' },
  cgroup_skb: { value: 1, name: 'allow' }, cgroup_sock: { value: 1, name: 'allow' }, cgroup_sock_addr: { value: 1, name: 'allow' },
  cgroup_device: { value: 1, name: 'allow' }, cgroup_sysctl: { value: 1, name: 'allow' }, cgroup_sockopt: { value: 1, name: 'allow' },
};

function safeVerdict(progType: string): { value: number; name?: string } {
  return SAFE_VERDICTS[progType] ?? { value: 0 };
}

// --- the four fixes ---------------------------------------------------------------------------

/**
 * `rT = rB; rT += off+size; if rT > rE goto L` before a load or store through a packet
 * pointer rB, with rE holding data_end (loaded from the context when no register holds it).
 * rT adds the instruction's own offset and size to rB (which already carries its fixed
 * offset), so the check proves exactly the bytes accessed; with nothing to add, rB itself is
 * compared. For data_meta pointers the end is data.
 */
function packetBoundsFix(site: Site, messages: string[]): QuickFix | undefined {
  if (!messages.some((m) => /^R\d+ offset is outside of the packet$|^invalid access to packet, off=/.test(m))) return undefined;
  const { p, insnIdx } = site;
  const insn = p.program.insns[insnIdx];
  const row = lookupRow(insn);
  if (!row?.size || !['ldx', 'ldsx', 'st', 'stx', 'atomic'].includes(row.kind)) return undefined;
  const regs = p.result?.regsBefore(insnIdx);
  const base = row.kind === 'ldx' || row.kind === 'ldsx' ? insn.src : insn.dst;
  const baseState = regs?.[base];
  if (!regs || !baseState || !/^pkt(_meta)?\(/.test(baseState) || (stateField(baseState, 'smin') ?? 0) < 0) return undefined;
  // The kernel learns no range for a pointer that may lie past 0xffff from data, variable part included.
  const varMax = stateField(baseState, 'umax') ?? 0;
  const accessOff = (stateField(baseState, 'off') ?? 0) + insn.off;
  if (accessOff < 0 || varMax + accessOff + row.size > 0xffff) return undefined;
  const meta = baseState.startsWith('pkt_meta(');
  const d = dialectAt(site, insnIdx);
  const taken = new Set([base]);
  const free = freeRegisters(site, regs, taken);
  const stmts: string[] = [];
  let end = regs.findIndex((r) => (meta ? /^pkt\(r=\d+\)$/ : /^pkt_end\(\)$/).test(r ?? ''));
  if (end < 0) {
    const ctxReg = regs[1] === 'ctx()' ? 1 : regs.findIndex((r) => r === 'ctx()');
    const field = ctxStruct(progTypeByName(p.progType)?.ctxType ?? '')?.fields.find((f) => f.pointer === (meta ? 'data' : 'data_end'));
    if (ctxReg < 0 || !field) return undefined;
    end = free.shift() ?? -1;
    if (end < 0) return undefined;
    stmts.push(EMIT[d].ldxw(end, ctxReg, field.off));
  }
  const add = insn.off + row.size;
  let compared = base;
  if (add !== 0) {
    compared = free.shift() ?? -1;
    if (compared < 0) return undefined;
    stmts.push(EMIT[d].mov(compared, base), EMIT[d].addImm(compared, add));
  }
  const target = exitLabel(site, 'out_of_bounds', insnIdx);
  if (!target) return undefined;
  stmts.push(EMIT[d].jgt(compared, end, target.name));
  const edit = insertBefore(site, insnIdx, stmts);
  if (!edit) return undefined;
  return { title: `Add a packet bounds check: ${stmts.join('; ')}`, edits: [edit, ...target.edits], preferred: true };
}

/**
 * `if r0 == 0 goto L` right after the call that returned the pointer (found by the id the
 * verifier gave it), so that every copy made later is checked too; `if rN == 0 goto L` just
 * before the access when no such call is found (a context field such as skb->sk, or paths
 * that joined different pointers).
 */
function nullCheckFix(site: Site, message: string): QuickFix | undefined {
  const m = /^R(\d+) invalid mem access '\w+_or_null'$/.exec(message);
  if (!m) return undefined;
  const { p, insnIdx, fn } = site;
  const reg = Number(m[1]);
  const id = stateField(p.result?.regsBefore(insnIdx)?.[reg] ?? '', 'id');
  let call = -1;
  for (let pc = insnIdx - 1; id && pc >= fn.start && call < 0; pc--) {
    const after = p.result?.regsAfter(pc)?.[0] ?? '';
    if (p.program.insns[pc].code === 0x85 && /_or_null\(/.test(after) && stateField(after, 'id') === id) call = pc;
  }
  const target = exitLabel(site, 'is_null', call >= 0 ? call : insnIdx);
  if (!target) return undefined;
  if (call >= 0) {
    const stmt = EMIT[dialectAt(site, call)].jeq(0, 0, target.name);
    const edit = insertAfter(site, call, [stmt]);
    if (edit) return { title: `Check r0 for NULL after the call: ${stmt}`, edits: [edit, ...target.edits], preferred: true };
  }
  const stmt = EMIT[dialectAt(site, insnIdx)].jeq(reg, 0, target.name);
  const edit = insertBefore(site, insnIdx, [stmt]);
  return edit ? { title: `Check r${reg} for NULL before the access: ${stmt}`, edits: [edit, ...target.edits], preferred: true } : undefined;
}

/**
 * `r0 = <verdict>` for `R0 !read_ok` at an exit: at the start of the function, so that the
 * paths that set R0 keep their value and only the others return the default; just before the
 * exit when the start is a loop head or a void helper (bpf_tail_call, bpf_spin_lock...) may
 * leave R0 unset again on the way. Both are offered; the first applicable is preferred.
 */
function returnValueFixes(site: Site, message: string): QuickFix[] {
  const { p, insnIdx, fn } = site;
  if (message !== 'R0 !read_ok' || p.program.insns[insnIdx].code !== 0x95) return [];
  const verdict = fn.start === 0 ? safeVerdict(p.progType) : { value: 0 };
  const what = `r0 = ${verdict.value}${verdict.name ? ` (${verdict.name})` : ''}`;
  const clearsR0 = slots(fn).some((pc) => {
    const i = p.program.insns[pc];
    return i.code === 0x85 && i.src === 0 && helperById(i.imm)?.proto?.ret === 'void';
  });
  const fixes: QuickFix[] = [];
  const startEdit = fn.start !== insnIdx && !isJumpTarget(p.program.insns, fn, fn.start)
    ? insertBefore(site, fn.start, [EMIT[dialectAt(site, fn.start)].movImm(0, verdict.value)]) : undefined;
  const exitEdit = insertBefore(site, insnIdx, [EMIT[dialectAt(site, insnIdx)].movImm(0, verdict.value)]);
  if (startEdit) fixes.push({ title: `Set ${what} at the start of ${functionName(site)}`, edits: [startEdit], preferred: !clearsR0 });
  if (exitEdit) fixes.push({ title: `Set ${what} before exit`, edits: [exitEdit], preferred: clearsR0 || !startEdit });
  return fixes;
}

/**
 * Zero stores covering a stack read of bytes nothing wrote (`invalid read from stack ...`,
 * `invalid indirect read from stack ...` for helper arguments: the kernel's unprivileged
 * check). They go at the start of the function: nothing is written there yet, so the zeros
 * cannot overwrite the program's own data, and every path then finds the slot initialised.
 * Before the read instead when the start is a loop head (the stores would run each pass).
 * Exact-width stores (8/4/2/1 bytes, each aligned) cover the read and nothing else.
 */
function stackInitFix(site: Site, messages: string[]): QuickFix | undefined {
  const read = messages.map(stackReadOf).find((r) => r !== undefined);
  if (!read || read.off < -512 || read.off + read.size > 0 || read.size <= 0) return undefined;
  const { p, insnIdx, fn } = site;
  const atStart = fn.start !== insnIdx && !isJumpTarget(p.program.insns, fn, fn.start);
  const at = atStart ? fn.start : insnIdx;
  const d = dialectAt(site, at);
  const end = read.off + read.size;
  const stores: string[] = [];
  for (let off = read.off; off < end;) {
    const width = [8, 4, 2, 1].find((w) => off % w === 0 && off + w <= end) ?? 1;
    stores.push(EMIT[d].stImm(width, off, 0));
    off += width;
  }
  const edit = insertBefore(site, at, stores);
  const where = atStart ? `at the start of ${functionName(site)}` : 'before the read';
  return edit ? { title: `Zero fp${read.off}..fp${end - 1} ${where}: ${stores.join('; ')}`, edits: [edit], preferred: true } : undefined;
}

/** The stack bytes [off, off + size) (from the frame pointer) of a kernel message about reading uninitialised stack, in either spelling. */
function stackReadOf(message: string): { off: number; size: number } | undefined {
  const m = /^invalid (?:indirect )?read from stack R\d+ off=(-?\d+) size=(\d+)$/.exec(message)
    ?? /^invalid (?:indirect )?read from stack (?:R\d+ )?off (-?\d+)\+\d+ size (\d+)$/.exec(message);
  return m ? { off: Number(m[1]), size: Number(m[2]) } : undefined;
}

/**
 * A field of a register printed in the kernel's notation, where equal bounds share one value:
 * `pkt(id=2,off=3,r=0,smin=smin32=0,smax=umax=smax32=umax32=0xffff,var_off=(0x0; 0xffff))`.
 */
function stateField(state: string, name: string): number | undefined {
  for (const part of state.replace(/^\w+\(|\)$/g, '').split(',')) {
    const names = part.split('=');
    const value = names.pop()!;
    if (names.includes(name) && /^-?(0x[0-9a-f]+|\d+)$/.test(value)) return value.startsWith('-') ? -Number(value.slice(1)) : Number(value);
  }
  return undefined;
}

// --- where a diagnostic is, and the function around it --------------------------------------

interface Site {
  a: Analysis;
  p: ProgramAnalysis;
  insnIdx: number;
  /** The function holding the instruction: linked slots [start, end). */
  fn: { start: number; end: number };
  eol: string;
}

/** The program and instruction a verifier diagnostic came from: by its line, else by its slot. */
function locate(a: Analysis, d: Diagnostic): Site | undefined {
  const same = (p: ProgramAnalysis, insnIdx: number) =>
    p.result?.diagnostics.some((x) => x.message === d.message && x.insnIdx === insnIdx) ?? false;
  let found: { p: ProgramAnalysis; insnIdx: number } | undefined;
  for (const at of (d.span ? a.insnsAtLine.get(d.span.line) : undefined) ?? []) {
    const p = a.programs[at.program];
    if (p && same(p, at.insnIdx) && (d.insnIdx === undefined || d.insnIdx === at.insnIdx)) { found = { p, insnIdx: at.insnIdx }; break; }
  }
  if (!found && d.insnIdx !== undefined) {
    const p = a.programs.find((q) => same(q, d.insnIdx!));
    if (p) found = { p, insnIdx: d.insnIdx };
  }
  if (!found || !found.p.result || found.insnIdx >= found.p.program.insns.length) return undefined;
  return { a, ...found, fn: functionAround(found.p.program.insns, found.p.program.functions, found.insnIdx), eol: a.text.includes('\r\n') ? '\r\n' : '\n' };
}

/** Functions start at slot 0, at each appended subprogram, and at every local call's target. */
function functionAround(insns: readonly Insn[], functions: readonly { slot: number }[], slot: number): { start: number; end: number } {
  const starts = new Set(functions.map((f) => f.slot));
  insns.forEach((i, pc) => {
    if ((i.code === 0x85 && i.src === 1) || (i.code === LDDW_CODE && i.src === 4)) starts.add(pc + 1 + i.imm);
  });
  const sorted = [...starts].filter((s) => s >= 0 && s < insns.length).sort((x, y) => x - y);
  const start = sorted.filter((s) => s <= slot).pop() ?? 0;
  return { start, end: sorted.find((s) => s > start) ?? insns.length };
}

function slots(fn: { start: number; end: number }): number[] {
  return Array.from({ length: fn.end - fn.start }, (_, k) => fn.start + k);
}

/** The function's slots by distance from `slot` (itself first, then the one before, the one after...). */
function* nearby(fn: { start: number; end: number }, slot: number): Generator<number> {
  for (let dist = 0; slot - dist >= fn.start || slot + dist < fn.end; dist++) {
    if (slot - dist >= fn.start && slot - dist < fn.end) yield slot - dist;
    if (dist > 0 && slot + dist < fn.end && slot + dist >= fn.start) yield slot + dist;
  }
}

function functionName(site: Site): string {
  return site.p.program.functions.find((f) => f.slot === site.fn.start)?.name ?? 'the function';
}

/** Whether a jump inside the function lands on `slot` (making it a loop head). */
function isJumpTarget(insns: readonly Insn[], fn: { start: number; end: number }, slot: number): boolean {
  return slots(fn).some((pc) => jumpTargets(insns, pc).includes(slot));
}

function jumpTargets(insns: readonly Insn[], pc: number): number[] {
  const row = lookupRow(insns[pc]);
  if (!row) return [];
  if (row.kind === 'ja') return [pc + 1 + (row.id === 'gotol' ? insns[pc].imm : insns[pc].off)];
  if (row.kind === 'jcond' || row.kind === 'may_goto') return [pc + 1 + insns[pc].off];
  return [];
}

// --- jump targets: an existing `r0 = verdict; exit`, or a new one at the function's end ---------

/**
 * A label in the same function whose next instructions are `r0 = <safe verdict>; exit`
 * (XDP_PASS for xdp, TC_ACT_OK for tc, allow for cgroup hooks, 0 otherwise); failing that,
 * a new label named `base` (made unique) with those two instructions, appended after the
 * function's last instruction, where only the new jump reaches it.
 */
function exitLabel(site: Site, base: string, near: number): { name: string; edits: TextEdit[] } | undefined {
  const { a, p, fn } = site;
  const verdict = fn.start === 0 ? safeVerdict(p.progType).value : 0;
  const insns = p.program.insns;
  for (const def of a.symbols.defs) {
    if (def.kind !== 'label') continue;
    const t = slotAfterLabel(site, def.span.line, def.span.endCol);
    if (t === undefined || t < fn.start || t + 1 >= fn.end) continue;
    const i = insns[t];
    if ((i.code === 0xb7 || i.code === 0xb4) && i.dst === 0 && i.imm === verdict && insns[t + 1].code === 0x95) return { name: def.name, edits: [] };
  }
  const last = p.program.lines[fn.end - 1];
  if (!last || last.file) return undefined;
  const names = new Set(a.symbols.defs.map((x) => x.name));
  let name = base;
  for (let k = 2; names.has(name); k++) name = `${base}_${k}`;
  const d = dialectAt(site, near);
  const indent = indentAt(site, fn.end - 1);
  const fnLabel = a.symbols.defs.find((x) => x.kind === 'function' && x.name === functionName(site));
  const labelIndent = fnLabel ? /^\s*/.exec(a.lines[fnLabel.span.line] ?? '')![0] : '';
  const text = [`${labelIndent}${name}:`, `${indent}${EMIT[d].movImm(0, verdict)}`, `${indent}exit`].map((l) => site.eol + l).join('');
  const col = a.lines[last.line]?.length ?? 0;
  return { name, edits: [{ line: last.line, col, endLine: last.line, endCol: col, newText: text }] };
}

/** The slot of this program that a label ending at (line, endCol) names: its next instruction, across blank and label lines. */
function slotAfterLabel(site: Site, line: number, endCol: number): number | undefined {
  const { a, p } = site;
  const programIdx = a.programs.indexOf(p);
  for (let ln = line; ln < a.lines.length && ln < line + 64; ln++) {
    const from = ln === line ? endCol : 0;
    const toks = tokensAfter(a.lines[ln], from);
    if (ln === line && toks[0]?.text === ':') toks.shift();
    const labelOnly = toks.length === 2 && toks[0].kind === 'ident' && toks[1].text === ':';
    if (!toks.length || labelOnly) continue;
    const here = (a.insnsAtLine.get(ln) ?? []).filter((x) => x.program === programIdx && (p.program.lines[x.insnIdx]?.col ?? 0) >= from);
    return here.length ? Math.min(...here.map((x) => x.insnIdx)) : undefined;
  }
  return undefined;
}

/** The tokens of a line from a column on (a leading `;` there separates statements, it does not start a comment). */
function tokensAfter(lineText: string, col: number): Token[] {
  return lex(`x ${lineText.slice(col)}`).flatMap((s) => s.tokens).slice(1);
}

// --- registers free for a temporary -----------------------------------------------------------

/**
 * Registers a fix may overwrite before instruction `insnIdx`: those no path reads again before
 * writing them (not live there, by a backward liveness pass over the program), other than
 * `taken`. Never-written registers come first, then scalars, then pointers; within each,
 * R1-R9 before R0. R10 is read-only.
 */
function freeRegisters(site: Site, regs: readonly (string | undefined)[], taken: Set<number>): number[] {
  const live = liveIn(site.p.program.insns)[site.insnIdx];
  const rank = (r: number) => (regs[r] === undefined ? 0 : /^(scalar\(|-?\d)/.test(regs[r]!) ? 1 : 2);
  return [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
    .filter((r) => !taken.has(r) && !(live & (1 << r)))
    .sort((x, y) => rank(x) - rank(y));
}

const ARGS = 0b111110;
const CALL_CLOBBERS = 0b111111;
const ALL_REGS = 0x7ff;

/** Registers (as bit masks) live on entry to each slot: read on some path before being written. */
function liveIn(insns: readonly Insn[]): Uint16Array {
  const live = new Uint16Array(insns.length + 1);
  const effects = insns.map((_, pc) => effectsOf(insns, pc));
  for (let changed = true; changed;) {
    changed = false;
    for (let pc = insns.length - 1; pc >= 0; pc--) {
      const e = effects[pc];
      if (!e) continue;
      let out = 0;
      for (const s of e.next) if (s >= 0 && s < insns.length) out |= live[s];
      const v = e.uses | (out & ~e.defs);
      if (v !== live[pc]) { live[pc] = v; changed = true; }
    }
  }
  return live;
}

/** What one instruction reads and writes, and where it goes on; undefined for an lddw's second slot. */
function effectsOf(insns: readonly Insn[], pc: number): { uses: number; defs: number; next: number[] } | undefined {
  if (pc > 0 && insns[pc - 1].code === LDDW_CODE) return undefined;
  const i = insns[pc];
  const row: OpcodeSpec | undefined = lookupRow(i);
  const bit = (r: number) => (r <= 10 ? 1 << r : 0);
  const regForm = (i.code & 0x08) !== 0;
  const next = [pc + 1];
  if (!row) return { uses: ALL_REGS, defs: 0, next };
  switch (row.kind) {
    case 'alu': return { uses: bit(i.dst) | (regForm ? bit(i.src) : 0), defs: bit(i.dst), next };
    case 'mov': return { uses: regForm ? bit(i.src) : 0, defs: bit(i.dst), next };
    case 'neg': case 'end': return { uses: bit(i.dst), defs: bit(i.dst), next };
    case 'movsx': case 'addr_space_cast': case 'ldx': case 'ldsx': return { uses: bit(i.src), defs: bit(i.dst), next };
    case 'lddw': return { uses: 0, defs: bit(i.dst), next: [pc + 2] };
    case 'ld_abs': return { uses: bit(6), defs: CALL_CLOBBERS, next };
    case 'ld_ind': return { uses: bit(6) | bit(i.src), defs: CALL_CLOBBERS, next };
    case 'st': return { uses: bit(i.dst), defs: 0, next };
    case 'stx': return { uses: bit(i.dst) | bit(i.src), defs: 0, next };
    case 'atomic': {
      if (row.op === 'cmpxchg') return { uses: bit(i.dst) | bit(i.src) | 1, defs: 1, next };
      const fetches = row.op?.startsWith('fetch_') || row.op === 'xchg';
      return { uses: bit(i.dst) | bit(i.src), defs: fetches ? bit(i.src) : 0, next };
    }
    case 'ja': return { uses: 0, defs: 0, next: jumpTargets(insns, pc) };
    case 'jcond': return { uses: bit(i.dst) | (regForm ? bit(i.src) : 0), defs: 0, next: [pc + 1, ...jumpTargets(insns, pc)] };
    case 'may_goto': return { uses: 0, defs: 0, next: [pc + 1, ...jumpTargets(insns, pc)] };
    case 'call': {
      // A helper reads only the arguments its prototype lists; R1-R5 are clobbered either way.
      const nArgs = helperById(i.imm)?.proto?.args.length ?? 5;
      return { uses: ARGS & ((1 << (nArgs + 1)) - 1), defs: CALL_CLOBBERS, next };
    }
    case 'call_local': case 'kfunc_call': return { uses: ARGS, defs: CALL_CLOBBERS, next };
    case 'callx': return { uses: ARGS | bit(i.dst), defs: CALL_CLOBBERS, next };
    case 'exit': return { uses: 1, defs: 0, next: [] };
    default: return { uses: ALL_REGS, defs: 0, next };
  }
}

// --- text: dialect, indentation, insertion ----------------------------------------------------

const SIZE_NAMES: Record<number, { u: string; sfx: string }> = { 1: { u: 'u8', sfx: 'b' }, 2: { u: 'u16', sfx: 'h' }, 4: { u: 'u32', sfx: 'w' }, 8: { u: 'u64', sfx: 'dw' } };

/** The few instruction shapes the fixes insert, in each dialect. */
const EMIT: Record<Dialect, {
  mov(dst: number, src: number): string;
  movImm(dst: number, imm: number): string;
  addImm(dst: number, imm: number): string;
  ldxw(dst: number, src: number, off: number): string;
  stImm(size: number, fpOff: number, imm: number): string;
  jgt(dst: number, src: number, label: string): string;
  jeq(dst: number, imm: number, label: string): string;
}> = {
  llvm: {
    mov: (d, s) => `r${d} = r${s}`,
    movImm: (d, k) => `r${d} = ${k}`,
    addImm: (d, k) => `r${d} += ${k}`,
    ldxw: (d, s, off) => `r${d} = *(u32 *)(r${s} + ${off})`,
    stImm: (size, off, k) => `*(${SIZE_NAMES[size].u} *)(r10 - ${-off}) = ${k}`,
    jgt: (d, s, l) => `if r${d} > r${s} goto ${l}`,
    jeq: (d, k, l) => `if r${d} == ${k} goto ${l}`,
  },
  ubpf: {
    mov: (d, s) => `mov r${d}, r${s}`,
    movImm: (d, k) => `mov r${d}, ${k}`,
    addImm: (d, k) => `add r${d}, ${k}`,
    ldxw: (d, s, off) => `ldxw r${d}, [r${s}+${off}]`,
    stImm: (size, off, k) => `st${SIZE_NAMES[size].sfx} [r10-${-off}], ${k}`,
    jgt: (d, s, l) => `jgt r${d}, r${s}, ${l}`,
    jeq: (d, k, l) => `jeq r${d}, ${k}, ${l}`,
  },
};

/** First words that only one dialect's templates start with (`call`, `exit`, `lock`... say nothing). */
const { UBPF_ONLY, LLVM_ONLY } = (() => {
  const firstWords = (templates: readonly string[]) => new Set(templates.map((t) => /^[\w.]+/.exec(t)?.[0] ?? ''));
  const ubpf = firstWords(OPCODES.flatMap((r) => [r.ubpf, ...(r.ubpfAlt ?? [])]));
  const llvm = firstWords(OPCODES.flatMap((r) => [r.llvm, ...(r.llvmAlt ?? [])]));
  return { UBPF_ONLY: new Set([...ubpf].filter((w) => w && !llvm.has(w))), LLVM_ONLY: new Set([...llvm].filter((w) => w && !ubpf.has(w))) };
})();

/** The dialect of the instruction at `slot`, or of the nearest instruction in its function that tells. */
function dialectAt(site: Site, slot: number): Dialect {
  const { p, fn } = site;
  for (const pc of nearby(fn, slot)) {
    const pos = p.program.lines[pc];
    if (!pos || pos.file) continue;
    const tok = lex(site.a.lines[pos.line]?.slice(pos.col) ?? '')[0]?.tokens[0];
    if (!tok) continue;
    if (tok.kind === 'reg' || tok.text === '*' || tok.text === 'if' || LLVM_ONLY.has(tok.text)) return 'llvm';
    if (UBPF_ONLY.has(tok.text)) return 'ubpf';
  }
  return 'llvm';
}

/** The leading whitespace of the instruction's line, or of the nearest line in its function that starts with an instruction. */
function indentAt(site: Site, slot: number): string {
  const { a, p, fn } = site;
  for (const pc of nearby(fn, slot)) {
    const pos = p.program.lines[pc];
    if (!pos || pos.file) continue;
    const indent = /^\s*/.exec(a.lines[pos.line] ?? '')![0];
    if (indent.length === pos.col) return indent;
  }
  return '\t';
}

/**
 * Statements inserted so that they run just before the instruction at `slot`: as lines of
 * their own above its line when it starts the line, else (after a label or another statement
 * on the line) inline before it, separated by `;`.
 */
function insertBefore(site: Site, slot: number, stmts: string[]): TextEdit | undefined {
  const pos = site.p.program.lines[slot];
  if (!pos || pos.file) return undefined;
  const indent = /^\s*/.exec(site.a.lines[pos.line] ?? '')![0];
  if (indent.length === pos.col) {
    return { line: pos.line, col: 0, endLine: pos.line, endCol: 0, newText: stmts.map((s) => indent + s + site.eol).join('') };
  }
  return { line: pos.line, col: pos.col, endLine: pos.line, endCol: pos.col, newText: stmts.map((s) => `${s}; `).join('') };
}

/** Statements inserted so that they run just after the instruction at `slot`: new lines below it, or inline when more follows on its line. */
function insertAfter(site: Site, slot: number, stmts: string[]): TextEdit | undefined {
  const { a, p } = site;
  const pos = p.program.lines[slot];
  if (!pos || pos.file) return undefined;
  if (tokensAfter(a.lines[pos.line] ?? '', pos.endCol).length) {
    return { line: pos.line, col: pos.endCol, endLine: pos.line, endCol: pos.endCol, newText: stmts.map((s) => `; ${s}`).join('') };
  }
  const indent = indentAt(site, slot);
  const col = a.lines[pos.line].length;
  return { line: pos.line, col, endLine: pos.line, endCol: col, newText: stmts.map((s) => site.eol + indent + s).join('') };
}
