/**
 * Semantic tokens and folding ranges for eBPF assembly and classic BPF, as plain data with
 * 0-based lines and UTF-16 columns; the language server turns them into LSP types.
 *
 * eBPF is read with the assembler's own lexer, so a token here is a token there: mnemonics
 * and template words are keywords, `u32` in `*(u32 *)` is a type, `s>=` one operator, and
 * an identifier is a label, function, map or helper by what the document (or `names`) says
 * it is. Comments are left to the TextMate grammar. Classic BPF has no grammar, so its `;`
 * comments are tokens too; it is read with the same rules as core/cbpf/parse.ts.
 *
 * Invariants: tokens are sorted, single-line, non-overlapping and inside their line;
 * neither function throws on any text.
 */

import { Statement, Token, lex } from '../asm/lexer';
import { OPCODES } from '../isa/opcodes';
import { CBPF_OPCODES } from '../cbpf/opcodes';
import { tokenize } from '../cbpf/parse';
import { helperByName } from '../helpers/table';

export const TOKEN_TYPES = [
  'keyword', 'register', 'number', 'operator', 'label', 'function', 'variable', 'macro', 'type', 'string', 'comment',
  'namespace',
] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export const TOKEN_MODIFIERS = ['declaration', 'defaultLibrary'] as const;
export type TokenModifier = (typeof TOKEN_MODIFIERS)[number];

export interface SemanticToken {
  line: number;
  col: number;
  length: number;
  type: TokenType;
  modifiers?: TokenModifier[];
}

/** Names a document defines: jump labels, bpf-to-bpf functions (also labels) and maps. */
export interface DocumentNames {
  labels: Set<string>;
  maps: Set<string>;
  functions: Set<string>;
}

export interface FoldingRange {
  startLine: number;
  endLine: number;
  kind?: 'comment' | 'region';
}

export function semanticTokens(text: string, language: 'ebpf' | 'cbpf', names?: DocumentNames): SemanticToken[] {
  const res = language === 'cbpf' ? cbpfTokens(text) : ebpfTokens(text, names ?? documentNames(text));
  return res.sort((a, b) => a.line - b.line || a.col - b.col);
}

export function foldingRanges(text: string, language: 'ebpf' | 'cbpf'): FoldingRange[] {
  const lines = text.split(/\r\n|\r|\n/);
  const res: FoldingRange[] = [];
  const hasCode = new Array<boolean>(lines.length).fill(false);
  const inBlock = new Array<boolean>(lines.length).fill(false);
  if (language === 'cbpf') {
    lines.forEach((src, ln) => { hasCode[ln] = lexCbpfLine(src.split(';')[0]).length > 0; });
  } else {
    for (const st of lex(text)) hasCode[st.line] = true;
    for (const b of blockCommentRanges(text)) {
      if (b.endLine === b.startLine) continue;
      res.push({ ...b, kind: 'comment' });
      for (let ln = b.startLine; ln <= b.endLine; ln++) inBlock[ln] = true;
    }
  }
  const isComment = (ln: number) => !hasCode[ln] && !inBlock[ln] && lines[ln].trim() !== '';
  res.push(...commentRuns(lines, isComment));
  if (language === 'ebpf') res.push(...bodyRanges(lex(text), lines, isComment));
  // One range per start line: an editor keeps only one, so keep the widest.
  const byStart = new Map<number, FoldingRange>();
  for (const r of res) {
    const prev = byStart.get(r.startLine);
    if (r.endLine > r.startLine && (!prev || r.endLine > prev.endLine)) byStart.set(r.startLine, r);
  }
  return [...byStart.values()].sort((a, b) => a.startLine - b.startLine);
}

/** Labels, maps and functions of an eBPF document, found from its tokens as the assembler's prepass does. */
export function documentNames(text: string): DocumentNames {
  const names: DocumentNames = { labels: new Set(), maps: new Set(), functions: new Set() };
  const called: string[] = [];
  for (const st of lex(text)) {
    const t = st.tokens;
    let k = 0;
    for (; k + 1 < t.length && t[k + 1].text === ':' && (t[k].kind === 'ident' || t[k].kind === 'num'); k += 2) names.labels.add(t[k].text);
    const head = t[k]?.text.toLowerCase();
    const arg = t[k + 1];
    if (head === '.map' && arg?.kind === 'ident') names.maps.add(arg.text);
    // `.globl NAME`, `.type NAME,@function`, `call NAME`, `call local NAME` and `func(NAME)` name functions.
    if ((head === '.globl' || head === '.global') && arg) called.push(...t.slice(k + 1).filter((x) => x.kind === 'ident').map((x) => x.text));
    if (head === '.type' && arg?.kind === 'ident' && t.some((x) => x.text === 'function')) called.push(arg.text);
    for (let i = k; i + 1 < t.length; i++) {
      const w = t[i].text.toLowerCase();
      if ((w === 'call' || w === 'local') && t[i + 1].kind === 'ident') called.push(t[i + 1].text);
      if (w === 'func' && t[i + 1].text === '(' && t[i + 2]?.kind === 'ident') called.push(t[i + 2].text);
    }
  }
  for (const name of called) if (names.labels.has(name)) names.functions.add(name);
  return names;
}

/**
 * Every `/* ... *\/` comment, by the lexer's rules: not inside a string, a `#` or `//`
 * comment, or a line that starts with `;`. An unclosed one runs to the last line.
 */
export function blockCommentRanges(text: string): { startLine: number; endLine: number }[] {
  const lines = text.split(/\r\n|\r|\n/);
  const res: { startLine: number; endLine: number }[] = [];
  let openedAt = -1;
  lines.forEach((src, ln) => {
    if (openedAt < 0 && src.trimStart().startsWith(';')) return;
    let i = 0;
    while (i < src.length) {
      if (openedAt >= 0) {
        const end = src.indexOf('*/', i);
        if (end < 0) return;
        res.push({ startLine: openedAt, endLine: ln });
        openedAt = -1;
        i = end + 2;
        continue;
      }
      const c = src[i];
      if (c === '#' || (c === '/' && src[i + 1] === '/')) return;
      if (c === '/' && src[i + 1] === '*') { openedAt = ln; i += 2; continue; }
      if (c === '"') {
        let j = i + 1;
        while (j < src.length && src[j] !== '"') j += src[j] === '\\' && j + 1 < src.length ? 2 : 1;
        i = j + 1;
        continue;
      }
      i++;
    }
  });
  if (openedAt >= 0) res.push({ startLine: openedAt, endLine: lines.length - 1 });
  return res;
}

export interface CbpfToken {
  kind: 'ident' | 'num' | 'punct' | 'bad';
  text: string;
  col: number;
  endCol: number;
}

/** One line of classic BPF code (the part before `;`), split by core/cbpf/parse.ts's tokenizer. */
export function lexCbpfLine(src: string): CbpfToken[] {
  return tokenize(src) as CbpfToken[];
}

// ---------------------------------------------------------------------------------------------
// eBPF tokens.

const CAST_TYPE = /^[us](8|16|32|64)$/;
/** Operators that take llvm's `s` prefix for their signed form: `s/=`, `s>>=`, `s<`... */
export const SIGNED_OPS = new Set(['/=', '%=', '>>=', '>', '>=', '<', '<=']);
const NOT_OPERATORS = new Set(['(', ')', '[', ']', ',', ':']);
const SECTION_DIRECTIVES = new Set(['.section', '.text', '.data', '.rodata', '.bss']);
const PSEUDO_KINDS = new Set(['map_fd', 'map_value', 'btf_id', 'func', 'map_idx', 'map_idx_value']);

/** The words of every template in both dialects: mnemonics, `goto`, `ll`, `be16`, `lock`... */
const EBPF_KEYWORDS = new Set<string>(PSEUDO_KINDS);
for (const row of OPCODES) {
  for (const template of [row.llvm, ...(row.llvmAlt ?? []), row.ubpf, ...(row.ubpfAlt ?? [])]) {
    for (const t of lex(template, { placeholders: true })[0]?.tokens ?? []) {
      if (t.kind === 'ident' && !CAST_TYPE.test(t.text)) EBPF_KEYWORDS.add(t.text.toLowerCase());
    }
  }
}

function ebpfTokens(text: string, names: DocumentNames): SemanticToken[] {
  const out: SemanticToken[] = [];
  const push = (t: Token, type: TokenType, modifiers?: TokenModifier[], endCol = t.endCol) =>
    out.push({ line: t.line, col: t.col, length: endCol - t.col, type, ...(modifiers ? { modifiers } : {}) });
  const nameType = (name: string): TokenType | undefined =>
    names.maps.has(name) ? 'variable' : names.functions.has(name) ? 'function' : names.labels.has(name) ? 'label' : undefined;
  for (const st of lex(text)) {
    const toks = st.tokens;
    let k = 0;
    for (; k + 1 < toks.length && toks[k + 1].text === ':' && (toks[k].kind === 'ident' || toks[k].kind === 'num'); k += 2) {
      if (toks[k].kind === 'ident') push(toks[k], names.functions.has(toks[k].text) ? 'function' : 'label', ['declaration']);
    }
    const head = toks[k];
    if (!head) continue;
    if (head.kind === 'ident' && head.text.startsWith('.')) {
      push(head, 'macro');
      directiveArgs(toks.slice(k + 1), head.text.toLowerCase(), push, nameType);
      continue;
    }
    for (let i = k; i < toks.length; i++) {
      const t = toks[i];
      const next = toks[i + 1];
      if (t.kind === 'reg') push(t, 'register');
      else if (t.kind === 'num') push(t, 'number');
      else if (t.kind === 'str') push(t, 'string');
      else if ((t.text === '+' || t.text === '-') && next?.kind === 'num' && next.col === t.endCol && signsNumber(toks[i - 1], i === k)) {
        push(t, 'number', undefined, next.endCol);
        i++;
      } else if (t.kind === 'punct' && !NOT_OPERATORS.has(t.text)) push(t, 'operator');
      else if (t.kind !== 'ident') continue;
      else if (t.text === 's' && next?.kind === 'punct' && SIGNED_OPS.has(next.text) && next.col === t.endCol) {
        push(t, 'operator', undefined, next.endCol);
        i++;
      } else if (i === k) push(t, 'keyword');
      else if (CAST_TYPE.test(t.text) && (next?.text === '*' || next?.text === ')')) push(t, 'type');
      else if (/^(call|local)$/i.test(toks[i - 1].text) && !nameType(t.text) && !EBPF_KEYWORDS.has(t.text.toLowerCase()) && helperByName(t.text)) {
        push(t, 'function', ['defaultLibrary']);
      } else {
        const type = nameType(t.text) ?? (EBPF_KEYWORDS.has(t.text.toLowerCase()) ? 'keyword' : undefined);
        if (type) push(t, type);
      }
    }
  }
  return out;
}

/** Whether a `+`/`-` before a number is its sign (`r2 += -4`, `goto -1`, `jeq r0, 0, +3`) rather than an operator. */
function signsNumber(prev: Token | undefined, first: boolean): boolean {
  if (first || !prev) return true;
  if (prev.kind === 'punct') return prev.text !== ')' && prev.text !== ']';
  return prev.kind === 'ident' && EBPF_KEYWORDS.has(prev.text.toLowerCase());
}

function directiveArgs(
  args: Token[], directive: string,
  push: (t: Token, type: TokenType, modifiers?: TokenModifier[], endCol?: number) => void,
  nameType: (name: string) => TokenType | undefined,
): void {
  let i = 0;
  if (directive === '.section' && args[0]) {
    // The section name runs over adjacent tokens (`kprobe/do_unlinkat`), as the assembler reads it.
    let end = 0;
    while (args[end + 1] && args[end + 1].text !== ',' && args[end + 1].col === args[end].endCol) end++;
    push(args[0], 'namespace', ['declaration'], args[end].endCol);
    i = end + 1;
  }
  for (; i < args.length; i++) {
    const t = args[i];
    if (t.kind === 'num') push(t, 'number');
    else if (t.kind === 'str') push(t, 'string');
    else if (t.kind === 'ident' && directive === '.map' && i === 0) push(t, 'variable', ['declaration']);
    else if (t.kind === 'ident') {
      const type = nameType(t.text);
      if (type) push(t, type);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Classic BPF tokens.

const CBPF_KEYWORDS = new Set<string>();
const CBPF_JUMPS = new Set<string>();
for (const row of CBPF_OPCODES) {
  for (const template of [row.asm, ...(row.asmAlt ?? []), row.tcpdump, ...(row.tcpdumpAlt ?? [])]) {
    const words = lexCbpfLine(template.replace(/\{\w+\}/g, '0')).filter((t) => t.kind === 'ident').map((t) => t.text.toLowerCase());
    for (const w of words) if (!/^(x|a|m)$/.test(w)) CBPF_KEYWORDS.add(w);
    if (row.kind === 'ja' || row.kind === 'jcond_k' || row.kind === 'jcond_x') CBPF_JUMPS.add(words[0]);
  }
}

function cbpfTokens(text: string): SemanticToken[] {
  const lines = text.split(/\r\n|\r|\n/);
  const labels = new Set<string>();
  const lexed = lines.map((src) => lexCbpfLine(src));
  for (const toks of lexed) for (let k = 0; k + 1 < toks.length && toks[k].kind === 'ident' && toks[k + 1].text === ':'; k += 2) labels.add(toks[k].text);
  const out: SemanticToken[] = [];
  lexed.forEach((toks, line) => {
    const push = (t: CbpfToken, type: TokenType, modifiers?: TokenModifier[], endCol = t.endCol) =>
      out.push({ line, col: t.col, length: endCol - t.col, type, ...(modifiers ? { modifiers } : {}) });
    const src = lines[line];
    const semi = src.indexOf(';');
    if (semi >= 0 && src.trimEnd().length > semi) out.push({ line, col: semi, length: src.trimEnd().length - semi, type: 'comment' });
    let k = 0;
    for (; k + 1 < toks.length && toks[k].kind === 'ident' && toks[k + 1].text === ':'; k += 2) push(toks[k], 'label', ['declaration']);
    let mnemonic: string | undefined;
    for (let i = k; i < toks.length; i++) {
      const t = toks[i];
      const next = toks[i + 1];
      const glued = next !== undefined && next.col === t.endCol;
      if (t.kind === 'num') push(t, 'number');
      else if (t.text === '#' && glued && (next.kind === 'num' || (next.text === '-' && toks[i + 2]?.kind === 'num' && toks[i + 2].col === next.endCol))) {
        const last = next.kind === 'num' ? next : toks[i + 2];
        push(t, 'number', undefined, last.endCol);
        i = toks.indexOf(last);
      } else if ((t.text === '#' || t.text === '%') && glued && next.kind === 'ident') {
        push(t, /^[xa]$/i.test(next.text) && t.text === '%' ? 'register' : 'keyword', undefined, next.endCol);
        i++;
      } else if (t.kind === 'punct' && '+-*&'.includes(t.text)) push(t, 'operator');
      else if (t.kind !== 'ident') continue;
      else if (mnemonic === undefined) { mnemonic = t.text.toLowerCase(); push(t, 'keyword'); }
      else if (/^[xa]$/i.test(t.text)) push(t, 'register');
      else if (/^m$/i.test(t.text) && next?.text === '[') push(t, 'variable');
      else if (labels.has(t.text) || (CBPF_JUMPS.has(mnemonic) && !CBPF_KEYWORDS.has(t.text.toLowerCase()))) push(t, 'label');
      else if (CBPF_KEYWORDS.has(t.text.toLowerCase())) push(t, 'keyword');
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Folding.

const REGION = /^(#|\/\/|;)\s*region\b/i;
const END_REGION = /^(#|\/\/|;)\s*endregion\b/i;

/** Runs of two or more whole-line comments, and `# region` ... `# endregion` pairs. */
function commentRuns(lines: string[], isComment: (ln: number) => boolean): FoldingRange[] {
  const res: FoldingRange[] = [];
  const open: number[] = [];
  let runStart = -1;
  const endRun = (ln: number) => {
    if (runStart >= 0 && ln - 1 > runStart) res.push({ startLine: runStart, endLine: ln - 1, kind: 'comment' });
    runStart = -1;
  };
  lines.forEach((src, ln) => {
    const marker = isComment(ln) ? src.trim() : '';
    if (REGION.test(marker)) open.push(ln);
    else if (END_REGION.test(marker)) {
      const start = open.pop();
      if (start !== undefined) res.push({ startLine: start, endLine: ln, kind: 'region' });
    }
    if (!isComment(ln) || REGION.test(marker) || END_REGION.test(marker)) endRun(ln);
    else if (runStart < 0) runStart = ln;
  });
  endRun(lines.length);
  return res;
}

/**
 * Function bodies (from a function's label) and section bodies (from a section directive),
 * each to the line before the next of its kind; a function also ends where a section
 * starts. Trailing blank and comment lines are left out: they belong to what follows.
 */
function bodyRanges(statements: Statement[], lines: string[], isComment: (ln: number) => boolean): FoldingRange[] {
  const names = documentNames(lines.join('\n'));
  const functions: number[] = [];
  const sections: number[] = [];
  for (const st of statements) {
    const t = st.tokens;
    if (t[0]?.kind === 'ident' && t[1]?.text === ':' && names.functions.has(t[0].text)) functions.push(st.line);
    else if (t[0]?.kind === 'ident' && SECTION_DIRECTIVES.has(t[0].text.toLowerCase())) sections.push(st.line);
  }
  const res: FoldingRange[] = [];
  const span = (start: number, next: number) => {
    let end = next - 1;
    while (end > start && (lines[end].trim() === '' || isComment(end))) end--;
    res.push({ startLine: start, endLine: end });
  };
  const after = (list: number[], ln: number) => list.find((x) => x > ln) ?? lines.length;
  for (const ln of sections) span(ln, after(sections, ln));
  for (const ln of functions) span(ln, Math.min(after(functions, ln), after(sections, ln)));
  return res;
}
