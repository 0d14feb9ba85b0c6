/**
 * Completion: what may be typed at a position, read from the text before the cursor (the
 * document is usually broken while typing, so nothing here needs it to assemble).
 *
 * At the start of a statement: instruction templates in the line's dialect (LLVM snippets
 * built from the opcode table's `llvm` templates, or uBPF mnemonics), registers, and
 * directives after a `.`. After `call`: helpers (only those the program type may call, when
 * the kernel's list for the type is known) and bpf-to-bpf functions. Jump targets: labels.
 * Where a register goes: r0..r10 (w0..w10 in 32-bit statements) with their verifier state.
 * After `(rN +` with rN a context pointer: the context fields, inserting their offset.
 * `rN = ` and lddw operands: maps. `.section `: libbpf's section names. Classic BPF: the
 * classic templates, labels after a jump's comma, the ancillary loads after `ld #`.
 *
 * Two phases, as LSP has it: the list carries no helper docs (there are over 200 helpers);
 * resolveCompletion() adds them from `data.helperId`. Never throws on a document.
 */

import { Token, lex } from '../asm/lexer';
import { Dialect, knownMnemonics } from '../asm/match';
import { OPCODES } from '../isa/opcodes';
import { HELPERS, helperById } from '../helpers/table';
import { MAP_FLAGS, MAP_TYPES } from '../maps/table';
import { SECTION_DEFS, progTypeByName } from '../progtypes/table';
import { ctxStruct } from '../progtypes/contexts';
import { helperAllowed } from '../verifier/helperAccess';
import { RegStrings } from '../verifier/verify';
import { CBPF_OPCODES } from '../cbpf/opcodes';
import { Analysis } from './analysis';
import { NameDef } from './symbols';
import { DIRECTIVE_DOCS, explainRegState, progTypeAtLine } from './hover';
import { documentStatements, helperPrototype, helperSignature, withoutLabels, writtenReg } from './signature';

export type CompletionKind = 'keyword' | 'register' | 'function' | 'variable' | 'field' | 'label' | 'snippet' | 'module';

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  detail?: string;
  documentation?: string;
  insertText?: string;
  /** insertText is an LSP snippet (`${1:r1}`). */
  snippet?: boolean;
  sortText?: string;
  data?: { helperId?: number };
}

export interface CompletionOptions {
  /** The dialect of new statements; by default read from the line, else from the document. */
  dialect?: Dialect;
}

export function completionsAt(a: Analysis, line: number, col: number, opts: CompletionOptions = {}): CompletionItem[] {
  const text = a.lines[line];
  if (text === undefined) return [];
  const prefix = text.slice(0, Math.max(0, col));
  if (a.language === 'cbpf') return classicCompletions(a, prefix);
  const stmt = currentStatement(prefix);
  if (stmt === undefined) return [];
  if (/^\s*\.section\s+\S*$/.test(stmt)) return copy(sectionItems());
  const word = /[\w.$]*$/.exec(stmt)?.[0] ?? '';
  let toks = withoutLabels(lex(stmt.slice(0, stmt.length - word.length)).flatMap((s) => s.tokens));
  if (toks[toks.length - 1]?.text === '%') toks = toks.slice(0, -1);
  if (!toks.length) return statementStart(a, line, word, opts);
  const first = toks[0].text.toLowerCase();
  const last = toks[toks.length - 1];
  if (first.startsWith('.')) return directiveArgs(a, toks);
  if (first === 'call') {
    if (toks.length === 1) return callTargets(a, line, true);
    return toks.length === 2 && toks[1].text === 'local' ? callTargets(a, line, false) : [];
  }
  if (isJumpTargetPosition(toks)) return labelItems(a, line);
  const fields = ctxFieldItems(a, line, toks);
  if (fields) return fields;
  // `rN = NAME ll` (LLVM) or `lddw rN, map_fd(NAME)` (uBPF): maps, and in LLVM any register.
  if (toks.length === 2 && toks[0].kind === 'reg' && !toks[0].wide32 && last.text === '=') return [...registerItems(a, line, false), ...mapItems(a, (m) => `${m} ll`)];
  if (first === 'lddw' && toks.length === 3 && last.text === ',') return mapItems(a, (m) => `map_fd(${m})`);
  if (last.text === '(' && ['map_fd', 'map_value'].includes(toks[toks.length - 2]?.text ?? '')) return mapItems(a, (m) => m);
  if (expectsRegister(toks)) return registerItems(a, line, last.text !== '(' && last.text !== '[' && toks.some((t) => t.kind === 'reg' && t.wide32));
  return [];
}

/** The second phase: a helper item's documentation, from its id. */
export function resolveCompletion(item: CompletionItem): CompletionItem {
  const id = item.data?.helperId;
  const h = id === undefined ? undefined : helperById(id);
  if (!h) return item;
  const s = helperSignature(h);
  const doc = [
    `\`\`\`c\n${helperPrototype(h)}\n\`\`\``,
    `Helper #${h.id}: ${h.doc}.`,
    ...(s.params.length ? [s.params.map((p) => `- \`${p.reg}\` \`${p.decl}\`: ${p.doc}`).join('\n')] : []),
    ...(s.retDoc ? [`Returns in r0: ${s.retDoc}.`] : []),
    ...(h.gplOnly ? ['GPL-only: the program needs a GPL-compatible license.'] : []),
  ];
  return { ...item, documentation: doc.join('\n\n') };
}

// ---------------------------------------------------------------------------------------------
// Contexts.

function statementStart(a: Analysis, line: number, word: string, opts: CompletionOptions): CompletionItem[] {
  if (word.startsWith('.')) return copy(directiveItems());
  const dialect = opts.dialect ?? dialectAt(a, line);
  if (dialect === 'ubpf') return copy(ubpfMnemonicItems());
  return [...copy(llvmSnippetItems()), ...registerItems(a, line, false)];
}

function directiveArgs(a: Analysis, toks: readonly Token[]): CompletionItem[] {
  if (toks[0].text.toLowerCase() !== '.map') return [];
  const last = toks[toks.length - 1].text;
  const key = last === '=' ? toks[toks.length - 2]?.text.toLowerCase() : last === '|' ? 'flags' : undefined;
  if (key === 'type') return MAP_TYPES.map((t) => ({ label: t.name, kind: 'keyword', detail: `map type ${t.id}`, documentation: t.doc }));
  if (key === 'flags' || key === 'map_flags') return MAP_FLAGS.map((f) => ({ label: f.name, kind: 'keyword', detail: `0x${f.value.toString(16)}`, documentation: f.doc }));
  if (key === 'inner') return mapItems(a, (m) => m);
  return [];
}

function callTargets(a: Analysis, line: number, withHelpers: boolean): CompletionItem[] {
  // Functions, and labels of .text (they become functions once called), but not the function around the call: no recursion.
  const here = enclosing(a, line, 'function');
  const fns = a.symbols.defs
    .filter((d) => d !== here && (d.kind === 'function' || (d.kind === 'label' && enclosing(a, d.span.line, 'section')?.name === '.text')))
    .map((d): CompletionItem => ({ label: d.name, kind: 'function', detail: `function, line ${d.span.line + 1}`, sortText: `0_${d.name}` }));
  if (!withHelpers) return fns;
  const progType = progTypeAtLine(a, line);
  return [...fns, ...helperItems().filter((h) => helperAllowed(progType, h.data!.helperId!) !== false).map((h) => ({ ...h }))];
}

/** Where a template has `{target}`: after `goto` (LLVM), or after the mnemonic and its operands' commas (uBPF). */
function isJumpTargetPosition(toks: readonly Token[]): boolean {
  const f = templateFacts();
  const last = toks[toks.length - 1].text.toLowerCase();
  if (f.llvmBeforeTarget.has(last)) return true;
  const commas = f.ubpfTargetCommas.get(toks[0].text.toLowerCase());
  if (commas === undefined) return false;
  return commas === 0 ? toks.length === 1 : last === ',' && toks.filter((t) => t.text === ',').length === commas;
}

/** Labels of the function around the line (all labels outside any function). */
function labelItems(a: Analysis, line: number): CompletionItem[] {
  const fn = enclosing(a, line, 'function');
  return a.symbols.defs
    .filter((d) => d.kind === 'label' && (!fn || (d.span.line >= fn.span.line && d.span.line <= (fn.endLine ?? fn.span.line))))
    .map((d) => ({ label: d.name, kind: 'label', detail: `label, line ${d.span.line + 1}` }));
}

/** `*(u32 *)(rN + ` or `[rN+` with rN a context pointer: the fields of the program type's context. */
function ctxFieldItems(a: Analysis, line: number, toks: readonly Token[]): CompletionItem[] | undefined {
  const n = toks.length;
  if (n < 3 || toks[n - 1].text !== '+' || toks[n - 2].kind !== 'reg' || !['(', '['].includes(toks[n - 3].text)) return undefined;
  const base = toks[n - 2].reg ?? -1;
  const regs = regsAt(a, line);
  const isCtx = regs ? regs[base]?.startsWith('ctx(') === true : ctxRegsByScan(a, line).has(base);
  if (!isCtx) return undefined;
  const progType = progTypeAtLine(a, line);
  const st = ctxStruct(progTypeByName(progType)?.ctxType ?? '');
  if (!st) return [];
  return st.fields.flatMap((f) => Array.from({ length: f.count ?? 1 }, (_, k): CompletionItem => {
    const off = f.off + k * f.size;
    const notes = [`+${off}`, `u${f.size * 8}`, ...(f.pointer ? ['packet pointer'] : []), ...(f.writable ? ['writable'] : [])];
    return {
      label: f.count ? `${f.name}[${k}]` : f.name, kind: 'field', insertText: String(off), sortText: String(off).padStart(5, '0'),
      detail: `${st.name} ${notes.join(' · ')}`,
    };
  }));
}

function expectsRegister(toks: readonly Token[]): boolean {
  const last = toks[toks.length - 1];
  // Never after `+` (an offset follows) or after a `-` that is not a negation (`r1 = -r1`).
  if (last.text === '-') return toks[toks.length - 2]?.text === '=';
  if (last.kind === 'punct') return !['*', ')', ']', ':', '+'].includes(last.text);
  if (last.kind !== 'ident') return false;
  const w = last.text.toLowerCase();
  if (w === 'if' || w === 'callx') return true;
  // uBPF: the first operand of most mnemonics is a register.
  return toks.length === 1 && templateFacts().ubpfRegFirst.has(w);
}

// ---------------------------------------------------------------------------------------------
// Registers and their states.

const ROLE = ['return value', 'argument 1 (ctx at entry)', 'argument 2', 'argument 3', 'argument 4', 'argument 5',
  'callee-saved', 'callee-saved', 'callee-saved', 'callee-saved', 'frame pointer (read-only)'];

function registerItems(a: Analysis, line: number, wide32: boolean): CompletionItem[] {
  const regs = regsAt(a, line);
  const ctxType = progTypeByName(progTypeAtLine(a, line))?.ctxType;
  return ROLE.map((role, n): CompletionItem => {
    const s = regs?.[n];
    return {
      label: `${wide32 ? 'w' : 'r'}${n}`, kind: 'register', sortText: `r${String(n).padStart(2, '0')}`,
      detail: regs ? (s ? `R${n}=${s}` : 'not readable here') : role,
      documentation: s ? explainRegState(s, ctxType) : undefined,
    };
  });
}

/**
 * The verifier's registers at a line: before its instruction, or after the nearest
 * instruction above it in the same section (a line being typed has none of its own).
 */
function regsAt(a: Analysis, line: number): RegStrings | undefined {
  for (let l = Math.min(line, a.lines.length - 1); l >= 0; l--) {
    const list = a.insnsAtLine.get(l);
    if (!list?.length) {
      if (a.symbols.defs.some((d) => d.kind === 'section' && d.span.line === l)) return undefined;
      continue;
    }
    const r = a.programs[list[0].program].result;
    if (!r) return undefined;
    if (l === line) return r.regsBefore(list[0].insnIdx);
    const lastHere = list.filter((x) => x.program === list[0].program).pop()!;
    return r.regsAfter(lastHere.insnIdx);
  }
  return undefined;
}

/**
 * Without verifier states (the document does not assemble yet), the registers that hold the
 * context: r1 at the function's start, copied by `rA = rB` / `mov rA, rB`, lost when written
 * otherwise or clobbered by a call.
 */
function ctxRegsByScan(a: Analysis, line: number): Set<number> {
  const start = (enclosing(a, line, 'function') ?? enclosing(a, line, 'section'))?.span.line ?? 0;
  const ctx = new Set([1]);
  for (const st of documentStatements(a)) {
    if (st.line < start) continue;
    if (st.line >= line) break;
    const t = withoutLabels(st.tokens);
    if (t[0]?.text === 'call') { for (let r = 1; r <= 5; r++) ctx.delete(r); continue; }
    const dst = writtenReg(t);
    if (dst === undefined) continue;
    const src = t[0].kind === 'reg' ? (t.length === 3 && t[1].text === '=' ? t[2] : undefined) : (t[0].text === 'mov' && t.length === 4 ? t[3] : undefined);
    if (src?.kind === 'reg' && !src.wide32 && ctx.has(src.reg ?? -1)) ctx.add(dst);
    else ctx.delete(dst);
  }
  return ctx;
}

function enclosing(a: Analysis, line: number, kind: 'function' | 'section'): NameDef | undefined {
  return a.symbols.defs.filter((d) => d.kind === kind && d.span.line <= line && line <= (d.endLine ?? d.span.line)).pop();
}

// ---------------------------------------------------------------------------------------------
// Dialect.

/** LLVM statements open with a register, `if`, `goto`, `*(`...; uBPF ones with a mnemonic LLVM has no use for. */
function dialectAt(a: Analysis, line: number): Dialect {
  const vote = (toks: readonly Token[]): Dialect | undefined => {
    const t = withoutLabels(toks)[0];
    if (!t) return undefined;
    if (t.kind === 'reg' || t.text === '*') return 'llvm';
    const f = templateFacts();
    const w = t.text.toLowerCase();
    if (t.kind !== 'ident' || f.llvmStarts.has(w) === f.ubpfWords.has(w)) return undefined;
    return f.llvmStarts.has(w) ? 'llvm' : 'ubpf';
  };
  const own = lex(a.lines[line] ?? '').map((s) => vote(s.tokens)).find((d) => d);
  if (own) return own;
  let llvm = 0;
  let ubpf = 0;
  for (const st of documentStatements(a)) {
    const d = vote(st.tokens);
    if (d === 'llvm') llvm++;
    else if (d === 'ubpf') ubpf++;
  }
  return ubpf > llvm ? 'ubpf' : 'llvm';
}

// ---------------------------------------------------------------------------------------------
// Item lists built once from the tables.

const cache: {
  llvm?: CompletionItem[]; ubpf?: CompletionItem[]; facts?: TemplateFacts;
  helpers?: CompletionItem[]; sections?: CompletionItem[]; directives?: CompletionItem[]; classic?: CompletionItem[];
} = {};

/** `if ${1:r1} > ${2:r2} goto ${3:label}` from `if {dst} > {src} goto {target}`, one per distinct template. */
function llvmSnippetItems(): CompletionItem[] {
  if (cache.llvm) return cache.llvm;
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  OPCODES.forEach((row, k) => {
    const label = row.llvm.replace(/\{(\w+)\}/g, (_, ph: string) => LLVM_SHOW[ph]?.label ?? ph).replace(/\s+/g, ' ').trim();
    if (seen.has(label)) return;
    seen.add(label);
    let n = 0;
    const insertText = row.llvm.replace(/\{(\w+)\}/g, (_, ph: string) => {
      const show = LLVM_SHOW[ph];
      if (show?.fixed !== undefined) return show.fixed;
      return `${ph === 'off' ? '+ ' : ''}\${${++n}:${show?.insert ?? ph}}`;
    }).replace(/\s+/g, ' ').trim();
    out.push({
      label, kind: 'snippet', insertText, snippet: true, sortText: `2_${String(k).padStart(4, '0')}`,
      detail: row.doc, documentation: `${row.id}: opcode 0x${row.code.toString(16).padStart(2, '0')}, ISA ${row.since}`,
    });
  });
  return (cache.llvm = out);
}

// How each template placeholder shows in a label and what its snippet holds.
const LLVM_SHOW: Record<string, { label: string; insert?: string; fixed?: string }> = {
  dst: { label: 'r1', insert: 'r1' }, src: { label: 'r2', insert: 'r2' }, dst32: { label: 'w1', insert: 'w1' }, src32: { label: 'w2', insert: 'w2' },
  imm: { label: 'imm', insert: '0' }, off: { label: '+ off', insert: '0' }, target: { label: 'label', insert: 'label' },
  target32: { label: 'label', insert: 'label' }, imm64: { label: 'imm64', insert: '0' }, pseudo: { label: 'map', insert: 'map' },
  helper: { label: 'helper', insert: 'bpf_map_lookup_elem' }, func: { label: 'func', insert: 'func' }, kfunc: { label: 'kfunc_id', insert: '0' },
  indoff: { label: '', fixed: '' }, as_dst: { label: 'as', insert: '1' }, as_src: { label: 'as', insert: '0' }, psrc: { label: 'psrc', insert: '1' },
};

function ubpfMnemonicItems(): CompletionItem[] {
  if (cache.ubpf) return cache.ubpf;
  const docs = new Map<string, string>();
  for (const row of OPCODES) {
    for (const t of [row.ubpf, ...(row.ubpfAlt ?? [])]) {
      const w = t.split(' ')[0];
      if (!docs.has(w)) docs.set(w, `${row.doc} (${row.ubpf})`);
    }
  }
  cache.ubpf = knownMnemonics('ubpf').map((m) => ({ label: m, kind: 'keyword', detail: docs.get(m) }));
  return cache.ubpf;
}

interface TemplateFacts {
  /** Words that open LLVM templates (`if`, `goto`, `call`, `lock`...). */
  llvmStarts: Set<string>;
  /** uBPF mnemonics. */
  ubpfWords: Set<string>;
  /** LLVM words a jump target follows (`goto`, `gotol`, `may_goto`). */
  llvmBeforeTarget: Set<string>;
  /** uBPF jump mnemonics, with the commas before their target (`ja` 0, `jeq` 2). */
  ubpfTargetCommas: Map<string, number>;
  /** uBPF mnemonics whose first operand is a register. */
  ubpfRegFirst: Set<string>;
}

/** What the templates say about where things go, read once from the opcode table. */
function templateFacts(): TemplateFacts {
  if (cache.facts) return cache.facts;
  const f: TemplateFacts = { llvmStarts: new Set(), ubpfWords: new Set(knownMnemonics('ubpf').map((m) => m.toLowerCase())), llvmBeforeTarget: new Set(), ubpfTargetCommas: new Map(), ubpfRegFirst: new Set() };
  for (const row of OPCODES) {
    for (const t of [row.llvm, ...(row.llvmAlt ?? [])]) {
      const first = t.split(' ')[0];
      if (/^[a-z_]+$/.test(first)) f.llvmStarts.add(first);
      const at = t.indexOf('{target');
      if (at > 0) f.llvmBeforeTarget.add(t.slice(0, at).trim().split(/\s+/).pop()!);
    }
    for (const t of [row.ubpf, ...(row.ubpfAlt ?? [])]) {
      const [first, second = ''] = t.split(' ');
      const at = t.indexOf('{target');
      if (at > 0) f.ubpfTargetCommas.set(first, t.slice(0, at).split(',').length - 1);
      if (/^\{(dst|src)/.test(second)) f.ubpfRegFirst.add(first);
    }
  }
  return (cache.facts = f);
}

function helperItems(): CompletionItem[] {
  return (cache.helpers ??= HELPERS.map((h) => ({ label: `bpf_${h.name}`, kind: 'function', detail: helperPrototype(h), data: { helperId: h.id } })));
}

function sectionItems(): CompletionItem[] {
  if (cache.sections) return cache.sections;
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const d of SECTION_DEFS) {
    const label = d.matchPrefix ? `${d.prefix}/` : d.prefix;
    if (seen.has(label)) continue;
    seen.add(label);
    out.push({
      label, kind: 'module', detail: `${d.progType}${d.expectedAttachType ? ` (${d.expectedAttachType})` : ''}`,
      documentation: progTypeByName(d.progType)?.doc,
    });
  }
  return (cache.sections = out);
}

function directiveItems(): CompletionItem[] {
  return (cache.directives ??= Object.entries(DIRECTIVE_DOCS).map(([name, doc]) => ({ label: name, kind: 'keyword', documentation: doc })));
}

function mapItems(a: Analysis, insert: (name: string) => string): CompletionItem[] {
  const names = a.object.maps.length ? a.object.maps.map((m) => m.name) : a.symbols.defs.filter((d) => d.kind === 'map').map((d) => d.name);
  return names.map((name) => {
    const m = a.object.maps.find((x) => x.name === name);
    const detail = m ? `${m.type}, key ${m.keySize}, value ${m.valueSize}, max_entries ${m.maxEntries}` : 'map';
    const insertText = insert(name);
    return { label: name, kind: 'variable', detail, ...(insertText !== name ? { insertText } : {}) };
  });
}

function copy(items: readonly CompletionItem[]): CompletionItem[] {
  return items.map((x) => ({ ...x }));
}

// ---------------------------------------------------------------------------------------------
// Classic BPF (bpf_asm syntax: `;` comments, `name:` labels).

function classicCompletions(a: Analysis, prefix: string): CompletionItem[] {
  if (prefix.includes(';')) return [];
  const stmt = prefix.replace(/^\s*[A-Za-z_.$][\w.$]*\s*:/, '');
  if (/^\s*[a-z]*$/i.test(stmt)) return copy(classicSnippetItems());
  const anc = /^\s*(ldx?)\s+(#?)\w*$/i.exec(stmt);
  if (anc) {
    const mnemonic = anc[1].toLowerCase();
    return CBPF_OPCODES.filter((r) => r.asm.startsWith(`${mnemonic} #`) && !r.asm.includes('{')).map((r) => {
      const name = r.asm.slice(mnemonic.length + 2);
      return { label: name, kind: 'keyword', detail: r.doc, ...(anc[2] ? {} : { insertText: `#${name}` }) };
    });
  }
  if (/^\s*(ja|jmp)\s+\w*$/i.test(stmt) || /^\s*j\w+\s.*,\s*\w*$/i.test(stmt)) {
    return a.symbols.defs.filter((d) => d.kind === 'label').map((d) => ({ label: d.name, kind: 'label', detail: `label, line ${d.span.line + 1}` }));
  }
  return [];
}

/** `jeq #${1:0x0}, ${2:jt}, ${3:jf}` from `jeq #{kx}, {jt}, {jf}`. */
function classicSnippetItems(): CompletionItem[] {
  if (cache.classic) return cache.classic;
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  CBPF_OPCODES.forEach((row, k) => {
    const label = row.asm.replace(/\{(\w+)\}/g, (_, h: string) => (h === 'kx' ? 'k' : h));
    if (seen.has(label)) return;
    seen.add(label);
    let n = 0;
    const insertText = row.asm.replace(/\{(\w+)\}/g, (_, h: string) => `\${${++n}:${h === 'k' ? '0' : h === 'kx' ? '0x0' : h === 'target' ? 'label' : h}}`);
    out.push({ label, kind: 'snippet', insertText, snippet: true, detail: row.doc, sortText: String(k).padStart(4, '0') });
  });
  return (cache.classic = out);
}

// ---------------------------------------------------------------------------------------------

/** The current statement's text before the cursor, or undefined inside a comment. */
function currentStatement(prefix: string): string | undefined {
  if (prefix.trimStart().startsWith(';')) return undefined;
  let start = 0;
  let inStr = false;
  for (let k = 0; k < prefix.length; k++) {
    const c = prefix[k];
    if (inStr) { if (c === '\\') k++; else if (c === '"') inStr = false; continue; }
    if (c === '"') inStr = true;
    else if (c === '#' || (c === '/' && prefix[k + 1] === '/')) return undefined;
    else if (c === ';') start = k + 1;
  }
  return prefix.slice(start);
}
