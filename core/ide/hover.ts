/**
 * Hover: what the editor shows for a position of a document, as markdown and the span it
 * covers. Plain data; the server turns it into LSP.
 *
 * The most specific fact wins: a register's abstract state (before this line's instruction,
 * and after it when it changed, with a plain-English reading of the kernel's notation);
 * a helper's prototype after `call`; a map's definition; a label's definition and uses; the
 * context field a load or store through a `ctx()` pointer touches; then, anywhere on an
 * instruction line, the instruction (its opcode row, bytes and state change); on a directive
 * line, the directive. Classic BPF documents show the classic instruction, its encoding
 * and its eBPF translation.
 *
 * Facts come from the tables (opcodes, helpers, maps, program types, contexts) and from the
 * analysis; nothing here lists them again. A line several programs share (a subprogram)
 * shows the first program's view. Never throws on a document.
 */

import { Span } from '../diag';
import { Token } from '../asm/lexer';
import { PrintContext, printInsn } from '../asm/print';
import { isDataSectionName } from '../asm/assemble';
import { slotHex } from '../isa/insn';
import { lookupRow } from '../isa/opcodes';
import { jumpTarget } from '../isa/validate';
import { HelperSpec, helperById } from '../helpers/table';
import { MAP_FLAGS, mapTypeByName } from '../maps/table';
import { progTypeByName, sectionProgType } from '../progtypes/table';
import { CtxStruct, ctxFieldAt, ctxStruct } from '../progtypes/contexts';
import { checkCtxAccess } from '../verifier/ctxRules';
import { helperAllowed } from '../verifier/helperAccess';
import { gplCompatible } from '../verifier/calls';
import { RegStrings } from '../verifier/verify';
import { lookupCbpfRow } from '../cbpf/opcodes';
import { CBPF_PROG_TYPE } from '../cbpf/translate';
import { Analysis, ProgramAnalysis } from './analysis';
import { NameDef, nameAt } from './symbols';
import { calledHelper, documentStatements, helperPrototype, helperSignature, statementIndexAt, withoutLabels } from './signature';

export interface Hover {
  markdown: string;
  span: Span;
}

/** The instruction at a position, and the program it was verified in. */
export interface InsnHere {
  p: ProgramAnalysis;
  insnIdx: number;
  span: Span;
}

export function hoverAt(a: Analysis, line: number, col: number): Hover | undefined {
  if (line < 0 || line >= a.lines.length) return undefined;
  if (a.language === 'cbpf') return classicHover(a, line, col);
  const statements = documentStatements(a);
  const stIdx = statementIndexAt(statements, line, col);
  const all = stIdx >= 0 ? statements[stIdx].tokens : [];
  const toks = withoutLabels(all);
  const tok = tokenAt(all, col);
  const here = insnAtPos(a, line, col);
  const directive = toks[0]?.kind === 'ident' && toks[0].text.startsWith('.');
  if (tok?.kind === 'reg' && !directive) return { markdown: registerHover(a, tok, here), span: spanOf(tok) };
  if (tok && toks[0]?.text === 'call' && toks[1] === tok) {
    const h = calledHelper(a, toks);
    if (h) return { markdown: helperHover(a, h, line), span: spanOf(tok) };
  }
  const name = nameAt(a.symbols, line, col);
  if (name?.def?.kind === 'map') return { markdown: mapHover(a, name.def), span: name.span };
  if (name?.def && (name.def.kind === 'label' || name.def.kind === 'function')) return { markdown: labelHover(a, name.def), span: name.span };
  if (here) {
    // Past the instruction (its comment), the span runs on to the end of the line so that it covers the position.
    const span = col <= here.span.endCol ? here.span : { ...here.span, endCol: a.lines[line].length };
    return ctxHover(here, all, col) ?? { markdown: insnHover(a, here), span };
  }
  if (directive) return { markdown: directiveHover(a, toks), span: { line, col: toks[0].col, endCol: toks[toks.length - 1].line === line ? toks[toks.length - 1].endCol : toks[0].endCol } };
  return undefined;
}

/** The instruction written at a position: the one whose statement covers the column, else the line's first. */
export function insnAtPos(a: Analysis, line: number, col: number): InsnHere | undefined {
  const list = a.insnsAtLine.get(line);
  if (!list?.length) return undefined;
  const found = list.map((x) => ({ p: a.programs[x.program], insnIdx: x.insnIdx }))
    .map((x) => ({ ...x, pos: x.p.program.lines[x.insnIdx] }));
  const pick = found.find((x) => x.pos && col >= x.pos.col && col <= x.pos.endCol) ?? found[0];
  const pos = pick.pos ?? { line, col: 0, endCol: a.lines[line].length };
  return { p: pick.p, insnIdx: pick.insnIdx, span: { line: pos.line, col: pos.col, endCol: pos.endCol } };
}

/**
 * The program type a line is verified as: its instruction's program, else the section it
 * sits in (as libbpf types it), else the document's default.
 */
export function progTypeAtLine(a: Analysis, line: number): string {
  if (a.language === 'cbpf') return CBPF_PROG_TYPE;
  const at = a.insnsAtLine.get(line)?.[0];
  if (at) return a.programs[at.program].progType;
  const sec = a.symbols.defs.filter((d) => d.kind === 'section' && d.span.line <= line).pop();
  return (sec && sectionProgType(sec.name)?.progType) ?? a.defaultProgType;
}

/**
 * A plain-English reading of one register in the kernel's log notation (print_reg_state() in
 * kernel/bpf/log.c): `pkt(off=14,r=34)`, `fp-8`, `ctx()`, `map_value_or_null(id=1,map=m,ks=4,vs=8)`,
 * `42`, `scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))`.
 * `ctxType` names what `ctx()` points to. Unknown spellings are quoted back, never refused.
 */
export function explainRegState(s: string, ctxType?: string): string {
  const precise = s.startsWith('P');
  const t = precise ? s.slice(1) : s;
  const tail = precise ? ' Precise: the verifier compares its exact value when pruning.' : '';
  if (/^(-?\d+|0x[0-9a-f]+)$/.test(t)) return `the constant ${constText(t)}.${tail}`;
  const fp = /^fp(-?\d+)$/.exec(t);
  if (fp) return Number(fp[1]) === 0 ? 'the frame pointer: the stack is the 512 bytes below it.' : `a pointer into the stack, ${-Number(fp[1])} bytes below the frame pointer.`;
  const m = /^([a-z_]+)\((.*)\)$/.exec(t);
  if (!m) return `a value the verifier prints as \`${t}\`.`;
  const f = fieldsOf(m[2]);
  if (m[1] === 'scalar') return `${scalarText(f)}.${tail}`;
  return pointerText(m[1], f, ctxType) + tail;
}

/** The directives hover and completion describe; any other is accepted and ignored, or unknown. */
export const DIRECTIVE_DOCS: Readonly<Record<string, string>> = {
  '.section': 'Starts or returns to a section: `.section NAME`. A code section\'s name gives its programs their type, as libbpf reads it (`xdp`, `tc`, `kprobe/FUNC`)',
  '.text': 'Switches to `.text`, which holds bpf-to-bpf subprograms (or the program, in a file with no other code section)',
  '.data': 'Switches to `.data`, writable global data (a map libbpf creates)',
  '.rodata': 'Switches to `.rodata`, read-only global data such as format strings',
  '.bss': 'Switches to `.bss`, zero-initialised global data',
  '.globl': 'Makes a symbol global: each global function of a code section is a program of its own',
  '.global': 'Makes a symbol global: each global function of a code section is a program of its own',
  '.type': 'Marks a symbol as a function or a data object: `.type NAME, @function`',
  '.map': 'Declares a map: `.map NAME, type=hash, key=4, value=8, max_entries=1024` (also `flags=` and `inner=`). Load it with `rN = NAME ll`',
  '.license': 'Sets the program license: `.license "GPL"`. GPL-only helpers need a GPL-compatible one',
  '.byte': 'Emits 1-byte values', '.short': 'Emits 2-byte values', '.hword': 'Emits 2-byte values', '.2byte': 'Emits 2-byte values',
  '.long': 'Emits 4-byte values', '.int': 'Emits 4-byte values', '.4byte': 'Emits 4-byte values', '.word': 'Emits 4-byte values',
  '.quad': 'Emits 8-byte values', '.8byte': 'Emits 8-byte values', '.dword': 'Emits 8-byte values',
  '.zero': 'Emits N zero bytes', '.space': 'Emits N zero bytes', '.skip': 'Emits N zero bytes',
  '.ascii': 'Emits the bytes of a string, without a terminating NUL',
  '.asciz': 'Emits a string and its terminating NUL', '.string': 'Emits a string and its terminating NUL',
};

// ---------------------------------------------------------------------------------------------

const REG_ROLES = [
  'r0 holds helper results and the program\'s return value',
  ...[1, 2, 3, 4, 5].map((n) => `r${n} is ${n === 1 ? 'the context at entry and ' : ''}helper argument ${n}; calls clobber r1-r5`),
  ...[6, 7, 8, 9].map((n) => `r${n} is callee-saved: calls keep it`),
  'r10 is the read-only frame pointer: the stack is the 512 bytes below it',
];

function registerHover(a: Analysis, tok: Token, here: InsnHere | undefined): string {
  const n = tok.reg ?? 0;
  if (n > 10) return `**${tok.text}**: no such register; eBPF has r0 to r10`;
  const out = [`**${tok.text}**: ${REG_ROLES[n]}.${tok.wide32 ? ` \`w${n}\` is its low 32 bits; writing it zeroes the upper half.` : ''}`];
  const v = statesAt(a, here);
  if (typeof v === 'string') return [...out, v].join('\n\n');
  const ctxType = progTypeByName(here!.p.progType)?.ctxType;
  const say = (s: string | undefined) => (s ? `\`R${n}=${s}\`: ${explainRegState(s, ctxType)}` : 'not readable (never written on some path, or clobbered by a call)');
  out.push(`Before this instruction: ${say(v.before[n])}`);
  if (v.after && v.after[n] !== v.before[n]) out.push(`After it: ${say(v.after[n])}`);
  return out.join('\n\n');
}

function helperHover(a: Analysis, h: HelperSpec, line: number): string {
  const s = helperSignature(h);
  const out = [fence('c', helperPrototype(h)), `Helper #${h.id}: ${h.doc}.`];
  if (s.params.length) out.push(s.params.map((p) => `- \`${p.reg}\` \`${p.decl}\`: ${p.doc}`).join('\n'));
  if (s.retDoc) out.push(`Returns in r0: ${s.retDoc}.`);
  if (!s.known) out.push('The helper table has no prototype for it yet: the verifier does not check its arguments.');
  if (h.gplOnly) out.push(`GPL-only: the program's license (${JSON.stringify(a.object.license)}) ${gplCompatible(a.object.license) ? 'allows it' : 'is not GPL-compatible, so the verifier refuses the call'}.`);
  const progType = progTypeAtLine(a, line);
  const allowed = helperAllowed(progType, h.id);
  if (allowed !== undefined) out.push(allowed ? `\`${progType}\` programs may call it.` : `\`${progType}\` programs cannot call it: the verifier refuses it (\`program of this type cannot use helper bpf_${h.name}#${h.id}\`).`);
  return out.join('\n\n');
}

function mapHover(a: Analysis, def: NameDef): string {
  const m = a.object.maps.find((x) => x.name === def.name);
  const refs = a.symbols.uses.filter((u) => u.name === def.name).length;
  const where = `Declared on line ${def.span.line + 1}; ${plural(refs, 'reference')}.`;
  if (!m) return `**map \`${def.name}\`**\n\n${where}`;
  const type = mapTypeByName(m.type);
  const known = MAP_FLAGS.filter((f) => (m.flags & f.value) !== 0);
  const rest = (m.flags & ~known.reduce((acc, f) => acc | f.value, 0)) >>> 0;
  const flags = [...known.map((f) => f.name), ...(rest ? [`0x${rest.toString(16)}`] : [])].join(' | ') || 'none';
  return [
    `**map \`${m.name}\`**: ${m.type}${type ? `, ${type.doc.charAt(0).toLowerCase()}${type.doc.slice(1)}` : ''}.`,
    `key ${m.keySize} bytes · value ${m.valueSize} bytes · max_entries ${m.maxEntries} · flags ${flags}${m.inner ? ` · inner map \`${m.inner}\`` : ''}`,
    where,
  ].join('\n\n');
}

function labelHover(a: Analysis, def: NameDef): string {
  const uses = a.symbols.uses.filter((u) => u.name === def.name);
  const lines = [...new Set(uses.map((u) => u.span.line + 1))];
  const refs = uses.length ? `${plural(uses.length, 'reference')}: line${lines.length > 1 ? 's' : ''} ${lines.slice(0, 12).join(', ')}${lines.length > 12 ? ', ...' : ''}.` : 'Never referenced.';
  if (def.kind === 'label') {
    const fn = a.symbols.defs.find((d) => d.kind === 'function' && d.span.line <= def.span.line && def.span.line <= (d.endLine ?? d.span.line));
    return `**label \`${def.name}\`**, line ${def.span.line + 1}${fn ? ` in function \`${fn.name}\`` : ''}.\n\n${refs}`;
  }
  const prog = a.programs.find((p) => p.ref.name === def.name);
  const what = prog ? `the program of section \`${prog.ref.section}\`, verified as \`${prog.progType}\` (${plural(prog.ref.end - prog.ref.start, 'slot')})` : 'a bpf-to-bpf function';
  return `**function \`${def.name}\`**, lines ${def.span.line + 1}-${(def.endLine ?? def.span.line) + 1}: ${what}.\n\n${refs}`;
}

/** A load or store through a `ctx()` pointer: the context field it touches. */
function ctxHover(here: InsnHere, toks: readonly Token[], col: number): Hover | undefined {
  const { p, insnIdx } = here;
  const insn = p.program.insns[insnIdx];
  const row = lookupRow(insn);
  if (!row?.size || !['ldx', 'ldsx', 'st', 'stx', 'atomic'].includes(row.kind)) return undefined;
  const span = memOperandSpan(toks);
  if (!span || col < span.col || col >= span.endCol) return undefined;
  const base = row.kind === 'ldx' || row.kind === 'ldsx' ? insn.src : insn.dst;
  const state = p.result?.regsBefore(insnIdx)?.[base];
  if (!state?.startsWith('ctx(')) return undefined;
  const off = insn.off + Number(/off=(-?\d+)/.exec(state)?.[1] ?? 0);
  const access = row.kind === 'ldx' || row.kind === 'ldsx' ? 'read' : 'write';
  const attach = sectionProgType(p.ref.section)?.expectedAttachType;
  const ctxType = progTypeByName(p.progType)?.ctxType ?? 'void';
  const st = ctxStruct(ctxType);
  const ok = checkCtxAccess(p.progType, off, row.size, access, attach).ok;
  const verdict = `This ${row.size}-byte ${access === 'read' ? 'load' : 'store'} is ${ok ? 'allowed' : `refused by the verifier (\`invalid bpf_context access off=${off} size=${row.size}\`)`} in \`${p.progType}\` programs.`;
  const at = st ? ctxFieldAt(st, off) : undefined;
  if (!st || !at) {
    const what = st ? `Offset ${off} is past the fields of \`struct ${st.name}\`.` : `The context of \`${p.progType}\` programs is \`${ctxType}\`; offset ${off}.`;
    return { markdown: `**context access**\n\n${what}\n\n${verdict}`, span };
  }
  const f = at.field;
  const elemOff = f.off + (at.index ?? 0) * f.size;
  const label = `${st.name}.${f.name}${at.index !== undefined ? `[${at.index}]` : ''}`;
  const canRead = checkCtxAccess(p.progType, elemOff, f.size, 'read', attach).ok;
  const canWrite = checkCtxAccess(p.progType, elemOff, f.size, 'write', attach).ok;
  const out = [
    `**\`${label}\`**: offset ${elemOff}${off !== elemOff ? ` (this access starts ${off - elemOff} bytes into it)` : ''}, ${f.size} bytes, in \`struct ${st.name}\`, the context of \`${p.progType}\` programs.`,
    verdict,
    `The field is ${canRead ? 'readable' : 'not readable'} and ${canWrite ? 'writable' : 'not writable'} here.`,
  ];
  if (f.pointer) out.push(`Loading it gives a packet pointer (\`${f.pointer === 'data' ? 'pkt' : f.pointer === 'data_end' ? 'pkt_end' : 'pkt_meta'}\`): the field is declared 32-bit, but the kernel rewrites the load into a load of the real 64-bit pointer.`);
  return { markdown: out.join('\n\n'), span };
}

function insnHover(a: Analysis, here: InsnHere): string {
  const { p, insnIdx } = here;
  const insns = p.program.insns;
  const i = insns[insnIdx];
  const row = lookupRow(i);
  if (!row) return `**unknown opcode 0x${i.code.toString(16).padStart(2, '0')}**\n\nEncoding: \`${slotHex(i)}\``;
  const pctx = (dialect: 'llvm' | 'ubpf'): PrintContext => ({
    dialect,
    nameAt: (slot) => p.program.functions.find((f) => f.slot === slot)?.name,
    reloc: (slot) => {
      const m = p.program.mapRefs.get(slot);
      return m && { kind: m.kind, symbol: m.map, addend: m.offset };
    },
  });
  const slots = row.kind === 'lddw' && insns[insnIdx + 1] ? [i, insns[insnIdx + 1]] : [i];
  const out = [
    `**${row.id}**: ${row.doc}.`,
    fence('ebpf', printInsn(insns, insnIdx, pctx('llvm'))),
    `uBPF: \`${printInsn(insns, insnIdx, pctx('ubpf'))}\` · opcode 0x${row.code.toString(16).padStart(2, '0')} · ISA ${row.since}`,
    `Encoding: ${slots.map((s) => `\`${slotHex(s)}\``).join(' ')}`,
  ];
  const target = jumpTarget(row, i, insnIdx);
  const tpos = target !== undefined ? p.program.lines[target] : undefined;
  if (tpos && !tpos.file) {
    const label = labelOfLine(a, tpos.line);
    out.push(`${row.kind === 'call_local' ? 'Calls' : 'Jumps to'} ${label ? `\`${label}\`, ` : ''}line ${tpos.line + 1}.`);
  }
  const helper = row.kind === 'call' ? helperById(i.imm) : undefined;
  if (row.kind === 'call') out.push(helper ? `Calls \`${helperPrototype(helper)}\` (helper #${helper.id}).` : `Helper #${i.imm} does not exist: the verifier refuses the call.`);
  const map = p.program.mapRefs.get(insnIdx);
  if (map) out.push(`Loads map \`${map.map}\`${map.kind === 'map_value' ? ` (its value, + ${map.offset})` : ''}; the loader patches in its file descriptor.`);
  const v = statesAt(a, here);
  if (typeof v === 'string') out.push(v);
  else {
    const before = v.before.map((s, r) => (s ? `R${r}=${s}` : '')).filter(Boolean).join(' ');
    const changed = v.after ? changes(v.before, v.after) : undefined;
    const lines = [`before: ${before}`, ...(changed ? [`after:  ${changed.set.join(' ') || '(no register changed)'}`] : [])];
    out.push(`Verifier state, \`${p.ref.name}\` (${p.progType}) insn ${insnIdx}:\n${fence('', lines.join('\n'))}`);
    if (changed?.cleared.length) out.push(`No longer readable after it: ${changed.cleared.join(', ')}.`);
  }
  return out.join('\n\n');
}

function directiveHover(a: Analysis, toks: readonly Token[]): string {
  const name = toks[0].text.toLowerCase();
  const line = toks[0].line;
  const doc = DIRECTIVE_DOCS[name]
    ?? (a.diagnostics.some((d) => d.code === 'unknown-directive' && d.span?.line === line)
      ? 'Unknown directive: the assembler ignores it, with a warning'
      : 'Accepted for compatibility with llvm-mc output and ignored: only a linker or debugger uses it');
  const out = [`**${name}**: ${doc}.`];
  if (name === '.license' && toks[1]?.kind === 'str') out.push(`\`${toks[1].text}\` is ${gplCompatible(toks[1].text) ? '' : 'not '}GPL-compatible.`);
  if (name === '.section') {
    const sec = a.symbols.defs.find((d) => d.kind === 'section' && d.span.line === line);
    if (sec) out.push(sectionFacts(a, sec.name));
  }
  return out.join('\n\n');
}

function sectionFacts(a: Analysis, name: string): string {
  const m = sectionProgType(name);
  if (!m) {
    if (isDataSectionName(name)) return `\`${name}\` holds data, not code.`;
    return `libbpf does not recognise the section name \`${name}\`: its programs are verified as \`${a.defaultProgType}\`, the default program type.`;
  }
  const spec = progTypeByName(m.progType);
  const out = [`libbpf loads programs of \`${name}\` as **${m.progType}**${m.expectedAttachType ? ` with expected attach type \`${m.expectedAttachType}\`` : ''}${m.legacy ? ' (only libbpf 0.x accepts this name; 1.0 rejects it)' : ''}. ${spec ? `${spec.doc}.` : ''}`];
  const st = spec ? ctxStruct(spec.ctxType) : undefined;
  if (spec && st) out.push(`r1 points to its context:\n${fence('c', structText(st))}`);
  else if (spec) out.push(`r1 points to its context, \`${spec.ctxType}\`.`);
  return out.join('\n\n');
}

function structText(st: CtxStruct): string {
  const fields = st.fields.map((f) => {
    const decl = `__u${f.size * 8} ${f.name}${f.count ? `[${f.count}]` : ''};`;
    const notes = [`+${f.off}`, ...(f.pointer ? ['packet pointer'] : []), ...(f.writable ? ['writable'] : [])];
    return `    ${decl.padEnd(24)} /* ${notes.join(', ')} */`;
  });
  return `struct ${st.name} {\n${fields.join('\n')}\n};`;
}

// ---------------------------------------------------------------------------------------------
// Classic BPF.

function classicHover(a: Analysis, line: number, col: number): Hover | undefined {
  const c = a.cbpf;
  if (!c) return undefined;
  const name = nameAt(a.symbols, line, col);
  if (name?.def) return { markdown: labelHover(a, name.def), span: name.span };
  const onLine = c.lines.map((s, k) => ({ s, k })).filter((x) => x.s.line === line);
  const pick = onLine.find((x) => col >= x.s.col && col <= x.s.endCol) ?? onLine[0];
  if (!pick) return undefined;
  const { k, s: span } = pick;
  const insn = c.insns[k];
  const row = lookupCbpfRow(insn.code, insn.k);
  if (row?.kind === 'ld_anc') {
    const statements = documentStatements(a);
    const tok = tokenAt(statements[statementIndexAt(statements, line, col)]?.tokens ?? [], col);
    if (tok?.kind === 'ident' && tok.col > span.col) return { markdown: `**#${tok.text}**: ${row.doc}.`, span: spanOf(tok) };
  }
  const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
  const out = [
    row ? `**${row.id}**: ${row.doc}.` : `**unknown classic code ${hex(insn.code)}**`,
    fence('', `{ code: ${hex(insn.code)}, jt: ${insn.jt}, jf: ${insn.jf}, k: ${hex(insn.k)} }`),
  ];
  const lineOf = (target: number) => (c.lines[target] ? `line ${c.lines[target].line + 1}` : `instruction ${target} (past the end)`);
  if (row?.kind === 'ja') out.push(`Jumps to ${lineOf(k + 1 + (insn.k >>> 0))}.`);
  if (row?.kind === 'jcond_k' || row?.kind === 'jcond_x') out.push(`True: ${lineOf(k + 1 + insn.jt)}. False: ${lineOf(k + 1 + insn.jf)}.`);
  const t = c.translation;
  const p = a.programs[0];
  if (!t || !p) {
    out.push('No eBPF translation: the document has errors to fix first.');
    return { markdown: out.join('\n\n'), span };
  }
  const start = t.start[k];
  const end = k + 1 < t.start.length ? t.start[k + 1] : t.insns.length;
  if (start >= end) {
    out.push('No eBPF code: no path reaches this instruction.');
    return { markdown: out.join('\n\n'), span };
  }
  const code: string[] = [];
  for (let pc = start; pc < end; pc += lookupRow(t.insns[pc])?.kind === 'lddw' ? 2 : 1) code.push(`${pc}: ${printInsn(t.insns, pc, { dialect: 'llvm' })}`);
  out.push(`eBPF translation (verified as ${p.progType}${k === 0 ? ', with the prologue' : ''}):\n${fence('ebpf', code.join('\n'))}`);
  const state = p.result?.insnState(start);
  out.push(state !== undefined ? `Verifier state before it:\n${fence('', state)}` : p.result ? 'The verifier never reached this code.' : 'Not verified.');
  return { markdown: out.join('\n\n'), span };
}

// ---------------------------------------------------------------------------------------------

/** The verifier's registers around an instruction, or why there are none. */
function statesAt(a: Analysis, here: InsnHere | undefined): { before: RegStrings; after?: RegStrings } | string {
  if (!here) return 'No instruction on this line was verified.';
  if (a.cancelled) return 'The analysis was cancelled by a newer edit.';
  const r = here.p.result;
  if (!r) return 'Not verified: the document has errors to fix first.';
  const before = r.regsBefore(here.insnIdx);
  if (!before) return 'The verifier never reached this instruction: no path leads here, or every path stopped at an error first.';
  return { before, after: r.regsAfter(here.insnIdx) };
}

/** The label naming the instruction on a line: on the line itself, or alone on the lines just above it. */
function labelOfLine(a: Analysis, line: number): string | undefined {
  for (let l = line; l >= 0 && (l === line || !a.insnsAtLine.has(l)); l--) {
    const def = a.symbols.defs.find((d) => (d.kind === 'label' || d.kind === 'function') && d.span.line === l);
    if (def) return def.name;
  }
  return undefined;
}

function changes(before: RegStrings, after: RegStrings): { set: string[]; cleared: string[] } {
  const set: string[] = [];
  const cleared: string[] = [];
  for (let r = 0; r < Math.max(before.length, after.length); r++) {
    if (before[r] === after[r]) continue;
    if (after[r] === undefined) cleared.push(`R${r}`);
    else set.push(`R${r}=${after[r]}`);
  }
  return { set, cleared };
}

/** The span of a memory operand: `*(u32 *)(r1 + 4)`, `(u64 *)(r1 + 0)` in atomics, or uBPF's `[r1+4]`. */
function memOperandSpan(toks: readonly Token[]): Span | undefined {
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.text === '[') {
      const end = toks.findIndex((x, j) => j > k && x.text === ']');
      if (end > k) return { line: t.line, col: t.col, endCol: toks[end].endCol };
    }
    if (t.text === '(' && /^[us](8|16|32|64)$/.test(toks[k + 1]?.text ?? '') && toks[k + 2]?.text === '*' && toks[k + 3]?.text === ')' && toks[k + 4]?.text === '(') {
      const end = toks.findIndex((x, j) => j > k + 4 && x.text === ')');
      const first = toks[k - 1]?.text === '*' ? toks[k - 1] : t;
      if (end > k) return { line: t.line, col: first.col, endCol: toks[end].endCol };
    }
  }
  return undefined;
}

// The kernel's notation, piece by piece.

/** `smin=smin32=0,var_off=(0x0; 0xff)` as name -> value (each of several names joined by `=` gets the value). */
function fieldsOf(inner: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  let start = 0;
  const items: string[] = [];
  for (let k = 0; k <= inner.length; k++) {
    const c = inner[k];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if ((c === ',' && depth === 0) || k === inner.length) { items.push(inner.slice(start, k)); start = k + 1; }
  }
  for (const item of items) {
    const parts = item.split('=');
    if (parts.length < 2) continue;
    const value = parts[parts.length - 1];
    for (const name of parts.slice(0, -1)) out.set(name.trim(), value.trim());
  }
  return out;
}

function constText(t: string): string {
  if (!t.startsWith('0x')) return t;
  const v = BigInt(t);
  const signed = BigInt.asIntN(64, v);
  return `${t} (${v}${signed < 0n ? `, or ${signed} as signed` : ''})`;
}

/** The bounds of a scalar, or of a pointer's variable offset; a bound the kernel leaves out is at its type's limit. */
function scalarText(f: Map<string, string>): string {
  const parts: string[] = [];
  const range = (what: string, lo: string, hi: string, loDef: string, hiDef: string) => {
    if (!f.has(lo) && !f.has(hi)) return undefined;
    return { what, lo: f.get(lo) ?? loDef, hi: f.get(hi) ?? hiDef };
  };
  const u = range('unsigned', 'umin', 'umax', '0', 'U64_MAX');
  const s = range('signed', 'smin', 'smax', 'S64_MIN', 'S64_MAX');
  const u32 = range('low 32 bits unsigned', 'umin32', 'umax32', '0', 'U32_MAX');
  const s32 = range('low 32 bits signed', 'smin32', 'smax32', 'S32_MIN', 'S32_MAX');
  const same = (x?: { lo: string; hi: string }, y?: { lo: string; hi: string }) => !!x && !!y && x.lo === y.lo && x.hi === y.hi;
  if (u && same(u, s)) parts.push(`${u.lo} to ${u.hi}`);
  else for (const r of [u, s]) if (r) parts.push(`${r.what} ${r.lo} to ${r.hi}`);
  for (const [r, wide] of [[u32, u], [s32, s]] as const) if (r && !(wide && r.lo === wide.lo && r.hi === wide.hi)) parts.push(`${r.what} ${r.lo} to ${r.hi}`);
  const vo = /^\((0x[0-9a-f]+); (0x[0-9a-f]+)\)$/.exec(f.get('var_off') ?? '');
  if (vo) {
    const value = BigInt(vo[1]);
    const mask = BigInt(vo[2]);
    const lowBits = mask.toString(2).length;
    if (value === 0n && mask === (1n << BigInt(lowBits)) - 1n) parts.push(`only the low ${lowBits} bits may be set`);
    else parts.push(`the bits of ${vo[2]} are unknown, the others are those of ${vo[1]}`);
  }
  if (f.has('id')) parts.push(`tied to registers with id ${f.get('id')}: a bounds check on one narrows them all`);
  return parts.length ? `a number: ${parts.join('; ')}` : 'an unknown number: any 64-bit value';
}

function pointerText(type: string, f: Map<string, string>, ctxType: string | undefined): string {
  let base = type;
  const orNull = base.endsWith('_or_null');
  if (orNull) base = base.slice(0, -'_or_null'.length);
  const rdonly = base.startsWith('rdonly_');
  if (rdonly) base = base.slice('rdonly_'.length);
  const off = Number(f.get('off') ?? 0);
  const sz = f.get('sz');
  const map = f.get('map');
  const WHAT: Record<string, string> = {
    ctx: `a pointer to the program's context${ctxType && ctxType !== 'void' ? ` (\`${ctxType}\`)` : ''}`,
    pkt: 'a pointer into the packet',
    pkt_meta: 'a pointer into the metadata in front of the packet',
    pkt_end: 'the end of the packet (data_end): compare packet pointers with it; it cannot be read through',
    map_ptr: `the map${map ? ` \`${map}\`` : ''}, to pass to map helpers`,
    map_value: `a pointer into a value of the map${map ? ` \`${map}\`` : ''}`,
    map_key: 'a pointer to a map key',
    fp: 'a pointer into the stack',
    mem: `a pointer to ${sz ? `${sz} bytes of ` : ''}memory`,
    ringbuf_mem: `a reserved ringbuf record${sz ? ` of ${sz} bytes` : ''}: submit or discard it before exit`,
    sock_common: 'a socket pointer (sock_common)',
    sock: 'a socket pointer',
    func: 'a pointer to a BPF function',
    flow_keys: 'a pointer to the flow dissector\'s bpf_flow_keys',
  };
  const parts = [WHAT[base] ?? `a pointer of type ${base}`];
  if (off) parts.push(`${off} bytes past ${base === 'pkt' ? 'the packet start' : 'its start'}`);
  if (f.has('ks')) parts.push(`key ${f.get('ks')} bytes, value ${f.get('vs')} bytes`);
  if (f.has('r')) {
    const r = Number(f.get('r'));
    parts.push(r === 0 ? 'no packet byte is proven in bounds yet: compare with pkt_end first'
      : `the packet is proven to hold ${r} bytes from its start, ${r > off ? `so ${r - off} can be read through this pointer` : 'none of them past this pointer'}`);
  }
  const variable = ['smin', 'smax', 'umin', 'umax', 'var_off'].some((k) => f.has(k));
  if (variable) parts.push(`plus a variable offset (${scalarText(f).replace(/^a number: /, '')})`);
  else if (f.has('id')) parts.push(`copies share id ${f.get('id')}: a check on one applies to all`);
  if (f.has('ref_obj_id')) parts.push(`it holds reference ${f.get('ref_obj_id')}: release it before the program exits`);
  if (rdonly) parts.push('read-only');
  return `${parts.join('; ')}.${orNull ? ' It may be NULL: compare it with 0 before using it.' : ''}`;
}

function tokenAt(toks: readonly Token[], col: number): Token | undefined {
  return toks.find((t) => col >= t.col && col < t.endCol) ?? toks.find((t) => t.endCol === col && t.kind !== 'punct');
}

function spanOf(t: Token): Span {
  return { line: t.line, col: t.col, endCol: t.endCol };
}

function fence(lang: string, code: string): string {
  return `\`\`\`${lang}\n${code}\n\`\`\``;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
