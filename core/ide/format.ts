/**
 * The document formatter for eBPF assembly and classic BPF, and the line edits that turn a
 * document into its formatted text.
 *
 * eBPF: each label alone on its line at column 0; directives and instructions indented;
 * each statement re-spaced token by token as llvm-objdump prints (`r1 += 14`,
 * `r2 = *(u32 *)(r1 + 0)`, `if r4 > r3 goto out`) or as uBPF writes (`ldxw r2, [r6+16]`);
 * `;`-separated statements joined by `; `; trailing comments aligned at a column.
 * Re-spacing never changes a token: each statement is lexed again, and kept as written if
 * it would lex differently. A line with a token the lexer rejects, or touched by a
 * multi-line block comment, stays byte for byte; a line with a block comment before or
 * between its tokens is only re-indented.
 *
 * Classic BPF (bpf_asm): a label stays on its instruction's line at column 0 and the
 * instruction starts at the indent's column; otherwise the instruction is indented. The
 * mnemonic is followed by one space, commas by one space, `+`/`-` between operands are
 * spaced and everything else is tight, as the opcode table writes `ldh [x + 16]`,
 * `jeq #0x800, L1, L2` and `ldx 4*([14]&0xf)`. tcpdump -d/-dd/-ddd listings only lose
 * trailing whitespace and extra blank lines.
 *
 * Both: a whole-line comment gets the indentation of the code line after it, except that
 * one at column 0 stays there when it opens the file or is followed by a blank line or the
 * end; one blank line at most in a row, none at the start or end; exactly one final newline
 * (an empty document stays empty). Formatting is idempotent and never changes what the
 * file assembles to. Pure: text in, text out, never throws.
 */

import { Statement, Token, lex } from '../asm/lexer';
import { Dialect, MatchResult, NameContext, Operand, matchInstruction } from '../asm/match';
import { AssembleResult, assemble } from '../asm/assemble';
import { LDDW_PSEUDO } from '../isa/opcodes';
import { helperByName } from '../helpers/table';
import { detectCbpfFormat } from '../cbpf/parse';
import { CbpfToken, SIGNED_OPS, blockCommentRanges, lexCbpfLine } from './tokens';

export interface FormatOptions {
  language: 'ebpf' | 'cbpf';
  /** Indentation of directives and instructions: spaces or tabs (default a tab). */
  indent?: string;
  /** Column of trailing comments, tabs counting to the next multiple of 8 (default 40; 0: one space after the code). */
  commentColumn?: number;
  /**
   * eBPF: re-print each instruction in this dialect (default keep). Operands keep their
   * spelling (numbers as written, labels and maps by name). An instruction is converted
   * only when the new text reads back as the same instruction; one that already reads in
   * the target dialect (`exit`, `call 1`, `call local f`) or does not read at all stays.
   */
  dialect?: 'keep' | Dialect;
}

/** Replaces lines [startLine, endLine) with newText; endLine equal to the line count means to the end of the text. */
export interface LineEdit {
  startLine: number;
  endLine: number;
  newText: string;
}

export function formatDocument(text: string, opts: FormatOptions): string {
  return formatChunks(text, opts).join('');
}

/** One edit per run of changed lines; applied to `text` they give `formatDocument(text, opts)`. */
export function formatEdits(text: string, opts: FormatOptions): LineEdit[] {
  const { lines, breaks } = splitLines(text);
  const chunks = formatChunks(text, opts);
  const edits: LineEdit[] = [];
  for (let k = 0; k < lines.length; k++) {
    if (chunks[k] === lines[k] + breaks[k]) continue;
    const last = edits[edits.length - 1];
    if (last?.endLine === k) {
      last.endLine = k + 1;
      last.newText += chunks[k];
    } else edits.push({ startLine: k, endLine: k + 1, newText: chunks[k] });
  }
  return edits;
}

// ---------------------------------------------------------------------------------------------
// Lines: each source line becomes a chunk of output (none, or several when labels are split off).

interface Settings {
  indent: string;
  commentColumn: number;
  dialect: 'keep' | Dialect;
}

type LineOut =
  | { kind: 'blank' }
  | { kind: 'comment'; text: string; atCol0: boolean }
  /** Code or an untouched line: the output lines, and whether the first starts at column 0. */
  | { kind: 'code'; lines: string[]; col0: boolean };

/** The formatted text of each source line, terminators included: their concatenation is the document. */
function formatChunks(text: string, opts: FormatOptions): string[] {
  const s: Settings = { indent: opts.indent ?? '\t', commentColumn: opts.commentColumn ?? 40, dialect: opts.dialect ?? 'keep' };
  const { lines, breaks } = splitLines(text);
  const eol = breaks.find((b) => b) ?? '\n';
  if (opts.language === 'cbpf') return render(cbpfLines(text, lines, s), s.indent, eol);
  const chunks = render(ebpfLines(text, lines, s), s.indent, eol);
  // Conversion is checked statement by statement; this checks the whole file once more.
  if (s.dialect === 'keep' || sameInsns(text, chunks.join(''))) return chunks;
  return render(ebpfLines(text, lines, { ...s, dialect: 'keep' }), s.indent, eol);
}

function splitLines(text: string): { lines: string[]; breaks: string[] } {
  const lines: string[] = [];
  const breaks: string[] = [];
  let at = 0;
  for (const m of text.matchAll(/\r\n|\r|\n/g)) {
    lines.push(text.slice(at, m.index));
    breaks.push(m[0]);
    at = (m.index ?? 0) + m[0].length;
  }
  lines.push(text.slice(at));
  breaks.push('');
  return { lines, breaks };
}

function code(lines: string[]): LineOut {
  return { kind: 'code', lines, col0: !/^\s/.test(lines[0]) };
}

/** Places whole-line comments, collapses blank lines and adds the line terminators. */
function render(outs: LineOut[], indent: string, eol: string): string[] {
  const following: (LineOut | undefined)[] = [];
  const moreAfter: boolean[] = [];
  let next: LineOut | undefined;
  let more = false;
  for (let k = outs.length - 1; k >= 0; k--) {
    following[k] = next;
    moreAfter[k] = more;
    if (outs[k].kind !== 'comment') next = outs[k];
    if (outs[k].kind !== 'blank') more = true;
  }
  let codeSeen = false;
  let emitted = false;
  let lastBlank = false;
  return outs.map((o, k) => {
    if (o.kind === 'blank') {
      const keep = emitted && !lastBlank && moreAfter[k];
      if (keep) lastBlank = true;
      return keep ? eol : '';
    }
    let lines: string[];
    if (o.kind === 'comment') {
      const nx = following[k];
      let lead = nx?.kind === 'code' ? (nx.col0 ? '' : indent) : o.atCol0 ? '' : indent;
      if (o.atCol0 && !codeSeen) lead = '';
      lines = [lead + o.text];
    } else {
      lines = o.lines;
      codeSeen = true;
    }
    emitted = true;
    lastBlank = false;
    return lines.map((l) => l + eol).join('');
  });
}

function withComment(codeText: string, comment: string, column: number): string {
  if (!comment) return codeText;
  const width = visualWidth(codeText);
  return codeText + ' '.repeat(column > width ? column - width : 1) + comment;
}

/** Columns as an editor shows them: a tab advances to the next multiple of 8. */
function visualWidth(s: string): number {
  let w = 0;
  for (const c of s) w = c === '\t' ? w - (w % 8) + 8 : w + 1;
  return w;
}

// ---------------------------------------------------------------------------------------------
// eBPF.

type Converter = (toks: Token[], src: string) => string | undefined;

function ebpfLines(text: string, lines: string[], s: Settings): LineOut[] {
  const statements = lex(text);
  const byLine = new Map<number, Token[][]>();
  for (const st of statements) byLine.set(st.line, [...(byLine.get(st.line) ?? []), st.tokens]);
  const untouchable = new Set<number>();
  for (const b of blockCommentRanges(text)) {
    for (let ln = b.startLine; b.endLine > b.startLine && ln <= b.endLine; ln++) untouchable.add(ln);
  }
  const convert = s.dialect === 'keep' ? undefined : converter(statements, s.dialect);
  return lines.map((raw, ln): LineOut => {
    const stmts = byLine.get(ln) ?? [];
    const toks = stmts.flat();
    // The empty "line" after a final newline is no line, even inside an unclosed comment.
    if (ln === lines.length - 1 && raw === '') return { kind: 'blank' };
    if (untouchable.has(ln) || toks.some((t) => t.kind === 'bad')) return code([raw]);
    if (!toks.length) return /^[ \t\f\v]*$/.test(raw) ? { kind: 'blank' } : { kind: 'comment', text: raw.trim(), atCol0: !/^\s/.test(raw) };
    return ebpfCode(raw, stmts, s, convert);
  });
}

function ebpfCode(raw: string, stmts: Token[][], s: Settings, convert: Converter | undefined): LineOut {
  const toks = stmts.flat();
  const onlySpaceBetween = toks.every((t, i) => /^[ \t\f\v;]*$/.test(raw.slice(i ? toks[i - 1].endCol : 0, t.col)));
  // A block comment before or between tokens: re-indent only.
  if (!onlySpaceBetween) return code([/^\s/.test(raw) ? s.indent + raw.trim() : raw.trimEnd()]);
  const out: string[] = [];
  let group: string[] = [];
  const flush = () => {
    if (group.length) out.push(s.indent + group.join('; '));
    group = [];
  };
  for (const st of stmts) {
    let k = 0;
    for (; isLabelAt(st, k); k += 2) {
      flush();
      out.push(`${raw.slice(st[k].col, st[k].endCol)}:`);
    }
    if (k < st.length) group.push(statementText(st.slice(k), raw, convert));
  }
  flush();
  const comment = raw.slice(toks[toks.length - 1].endCol).replace(/^[ \t\f\v;]*/, '').trimEnd();
  out[out.length - 1] = withComment(out[out.length - 1], comment, s.commentColumn);
  return code(out);
}

/** `name:` at k, as the assembler reads labels (a number is a label too). */
function isLabelAt(toks: Token[], k: number): boolean {
  return k + 1 < toks.length && is(toks[k + 1], ':') && (toks[k].kind === 'ident' || toks[k].kind === 'num');
}

function is(t: Token | undefined, punct: string): boolean {
  return t?.kind === 'punct' && t.text === punct;
}

function statementText(toks: Token[], raw: string, convert: Converter | undefined): string {
  const directive = toks[0].kind === 'ident' && toks[0].text.startsWith('.');
  const converted = directive ? undefined : convert?.(toks, raw);
  if (converted !== undefined) return converted;
  const text = directive ? spaceDirective(toks, raw) : spaceInstruction(toks, raw);
  return sameTokens(text, toks) ? text : raw.slice(toks[0].col, toks[toks.length - 1].endCol);
}

function sameTokens(text: string, toks: Token[]): boolean {
  const again = lex(text);
  return again.length === 1 && again[0].tokens.length === toks.length
    && again[0].tokens.every((t, i) => t.kind === toks[i].kind && t.text === toks[i].text);
}

/**
 * Directive arguments keep their adjacency, since a section name such as
 * `kprobe/do_unlinkat` is read from adjacent tokens: one space where the source had any,
 * none where it had none, `, ` after every comma, and (outside `.section`) `key=value`.
 */
function spaceDirective(toks: Token[], src: string): string {
  const section = toks[0].text.toLowerCase() === '.section';
  let out = src.slice(toks[0].col, toks[0].endCol);
  for (let i = 1; i < toks.length; i++) {
    const t = toks[i];
    const prev = toks[i - 1];
    let sep = i === 1 || is(prev, ',') || t.col > prev.endCol ? ' ' : '';
    if (is(t, ',') || (!section && i > 1 && (is(t, '=') || is(prev, '=')))) sep = '';
    out += sep + src.slice(t.col, t.endCol);
  }
  return out;
}

const CAST_TYPE = /^[us](8|16|32|64)$/;

/**
 * One space between tokens, except: none inside brackets and before `,`, `)`, `]`; none
 * after a unary sign or the `*` of `*(`; none after a cast `(u32 *)`, `(s8)`; calls such
 * as `map_fd(x)` and `skb[...]` are tight; `s` joins the operator it makes signed (`s>=`).
 * A `+`/`-` between operands in parentheses (`(r1 + 4)`, `skb[r1 + 4]`) is spaced; in
 * uBPF brackets (`[r6+16]`) and after a call's `)` (`map_value(m)+8`) it is tight.
 */
function spaceInstruction(toks: Token[], src: string): string {
  const casts = castClosers(toks);
  const brackets: ('spaced' | 'tight')[] = [];
  let out = '';
  let glue = true;
  toks.forEach((t, i) => {
    const prev = toks[i - 1];
    const inside = brackets[brackets.length - 1];
    const afterSkb = prev?.kind === 'ident' && prev.text.toLowerCase() === 'skb';
    let sep = ' ';
    let glueAfter = is(t, '(') || is(t, '[') || (is(t, '*') && is(toks[i + 1], '('));
    if (is(t, ',') || is(t, ')') || is(t, ']')) sep = '';
    else if (is(t, '(') && (prev?.kind === 'ident' || is(prev, ')'))) sep = '';
    else if (is(t, '[') && (afterSkb || is(prev, ')'))) sep = '';
    else if (t.kind === 'punct' && SIGNED_OPS.has(t.text) && prev?.kind === 'ident' && prev.text === 's') sep = '';
    else if (casts.has(i - 1) && (t.kind !== 'punct' || is(t, '('))) sep = '';
    if (is(t, '+') || is(t, '-')) {
      const binary = inside === 'spaced' && prev !== undefined && (['reg', 'num', 'ident'].includes(prev.kind) || is(prev, ')') || is(prev, ']'));
      if (inside === 'tight' || (inside === undefined && is(prev, ')'))) {
        sep = '';
        glueAfter = true;
      } else if (!binary) glueAfter = true;
    }
    out += (glue ? '' : sep) + src.slice(t.col, t.endCol);
    glue = glueAfter;
    if (is(t, '(')) brackets.push('spaced');
    else if (is(t, '[')) brackets.push(afterSkb ? 'spaced' : 'tight');
    else if (is(t, ')') || is(t, ']')) brackets.pop();
  });
  return out;
}

/** Indexes of the `)` that close a size cast: `(u32 *)`, `(s8)`. */
function castClosers(toks: Token[]): Set<number> {
  const res = new Set<number>();
  toks.forEach((t, i) => {
    if (!is(t, '(') || toks[i + 1]?.kind !== 'ident' || !CAST_TYPE.test(toks[i + 1].text)) return;
    if (is(toks[i + 2], ')')) res.add(i + 2);
    else if (is(toks[i + 2], '*') && is(toks[i + 3], ')')) res.add(i + 3);
  });
  return res;
}

// ---------------------------------------------------------------------------------------------
// eBPF dialect conversion: fill the other dialect's template with the operands as written
// (numbers keep their spelling, labels and maps their names), then check that the new text
// assembles to the same slots as the old in a small document declaring the same names.

function converter(statements: Statement[], target: Dialect): Converter {
  const labels = new Set<string>();
  const maps = new Set<string>();
  // The assembler's prepass: labels anywhere, maps declared by a leading `.map`.
  for (const st of statements) {
    const t = st.tokens;
    for (let i = 0; i + 1 < t.length && t[i + 1].text === ':' && (t[i].kind === 'ident' || t[i].kind === 'num'); i += 2) labels.add(t[i].text);
    if (t[0]?.kind === 'ident' && t[0].text === '.map' && t[1]?.kind === 'ident') maps.add(t[1].text);
  }
  const names: NameContext = { isLabel: (n) => labels.has(n), isHelper: (n) => helperByName(n) !== undefined, isMap: (n) => maps.has(n) };
  // The result depends only on the statement's text: programs repeat many statements.
  const done = new Map<string, string | undefined>();
  return (toks, src) => {
    const written = src.slice(toks[0].col, toks[toks.length - 1].endCol);
    if (!done.has(written)) done.set(written, convert(toks, src, written));
    return done.get(written);
  };

  function convert(toks: Token[], src: string, written: string): string | undefined {
    const m = matchInstruction(toks, names);
    if (!m.ok || m.dialect === target) return undefined;
    const filled = fillTemplate(m, target, src, maps);
    const again = filled === undefined ? [] : lex(filled);
    if (again.length !== 1 || again[0].tokens.some((t) => t.kind === 'bad')) return undefined;
    const text = spaceInstruction(again[0].tokens, filled!);
    return sameEncoding(written, text, labels, maps) ? text : undefined;
  }
}

function fillTemplate(m: MatchResult, target: Dialect, src: string, maps: Set<string>): string | undefined {
  const { row, b } = m;
  let template = target === 'llvm' ? row.llvm : row.ubpf;
  // A local call by number needs llvm's `call local +N`; by name it is plain `call NAME`.
  if (row.kind === 'call_local' && target === 'llvm' && b.func?.symbol === undefined) template = row.llvmAlt?.[0] ?? template;
  let complete = true;
  const text = template.replace(/\{(\w+)\}/g, (_, ph: string) => {
    const v = placeholder(ph, m, src, target, maps);
    if (v === undefined) complete = false;
    return v ?? '';
  });
  return complete ? text : undefined;
}

function placeholder(ph: string, m: MatchResult, src: string, target: Dialect, maps: Set<string>): string | undefined {
  const b = m.b;
  const reg = (o: Operand | undefined, prefix: 'r' | 'w') => (o ? `${prefix}${o.value}` : undefined);
  const num = (o: Operand | undefined) => (o ? signParts(o, src).join('') : undefined);
  const named = (o: Operand | undefined) => (o ? (o.symbol ?? num(o)) : undefined);
  switch (ph) {
    case 'dst': return reg(b.dst, 'r');
    case 'dst32': return reg(b.dst, 'w');
    case 'src': return reg(b.src, 'r');
    case 'src32': return reg(b.src, 'w');
    case 'imm': return num(b.imm);
    case 'imm64': return num(b.imm64);
    case 'as_dst': return num(b.asDst);
    case 'as_src': return num(b.asSrc);
    case 'off': {
      const [sign, mag] = b.off ? signParts(b.off, src) : ['+', '0'];
      return target === 'llvm' ? `${sign || '+'} ${mag}` : `${sign || '+'}${mag}`;
    }
    case 'indoff': {
      if (!b.imm || b.imm.value === 0n) return '';
      const [sign, mag] = signParts(b.imm, src);
      return ` ${sign || '+'} ${mag}`;
    }
    case 'target': case 'target32': return named(b.target);
    case 'helper': return named(b.helper);
    case 'func': return named(b.func);
    case 'kfunc': return b.kfunc && `${num(b.kfunc)}${b.kfuncOff ? `, ${num(b.kfuncOff)}` : ''}`;
    case 'pseudo': return pseudoText(m, src, target, maps);
    default: return undefined;
  }
}

/** A number operand as written: its sign ('' when none was written) and its digits. */
function signParts(o: Operand, src: string): [string, string] {
  if (o.tok.kind === 'num') return ['', src.slice(o.tok.col, o.tok.endCol)];
  if ((is(o.tok, '+') || is(o.tok, '-')) && o.endTok !== o.tok && o.endTok.kind === 'num') {
    return [o.tok.text, src.slice(o.endTok.col, o.endTok.endCol)];
  }
  // Not written (an absent offset): the bound value.
  const v = o.value ?? 0n;
  return [v < 0n ? '-' : '', String(v < 0n ? -v : v)];
}

function pseudoText(m: MatchResult, src: string, target: Dialect, maps: Set<string>): string | undefined {
  const p = m.b.pseudo;
  if (!p) {
    // llvm-mc's `ld_pseudo DST, SRC, IMM` holds the same fields as `KIND(IMM)`.
    const kind = LDDW_PSEUDO.find((x) => x.src === m.row.match?.src)?.pseudo;
    return kind && m.b.imm ? `${kind}(${signParts(m.b.imm, src).join('')})` : undefined;
  }
  // A declared map reads best by name in llvm (`r1 = counts ll`), and as map_fd(counts) in uBPF.
  if (p.pseudoKind === 'map_fd' && p.symbol !== undefined && maps.has(p.symbol)) return target === 'llvm' ? p.symbol : `map_fd(${p.symbol})`;
  return src.slice(p.tok.col, p.endTok.endCol);
}

function sameEncoding(written: string, converted: string, labels: Set<string>, maps: Set<string>): boolean {
  const idents = new Set(lex(`${written}\n${converted}`).flatMap((st) => st.tokens).filter((t) => t.kind === 'ident').map((t) => t.text));
  const context = (body: string) => [
    ...[...idents].filter((n) => maps.has(n)).map((n) => `.map ${n}, type=array, key=4, value=4, max_entries=1`),
    body,
    ...[...idents].filter((n) => labels.has(n)).flatMap((n) => [`${n}:`, 'exit']),
  ].join('\n');
  return JSON.stringify(encoding(assemble(context(written)))) === JSON.stringify(encoding(assemble(context(converted))));
}

function encoding(r: AssembleResult): unknown {
  return { sections: r.object.sections.map((s) => [s.name, s.insns, s.relocs]), errors: r.diagnostics.filter((d) => d.severity === 'error').length };
}

function sameInsns(before: string, after: string): boolean {
  const insns = (text: string) => JSON.stringify(assemble(text).object.sections.map((s) => [s.name, s.insns]));
  return insns(before) === insns(after);
}

// ---------------------------------------------------------------------------------------------
// Classic BPF.

function cbpfLines(text: string, lines: string[], s: Settings): LineOut[] {
  if (detectCbpfFormat(text) !== 'bpf_asm') return lines.map((raw) => (raw.trim() === '' ? { kind: 'blank' } : code([raw.trimEnd()])));
  return lines.map((raw): LineOut => {
    const semi = raw.indexOf(';');
    const codePart = semi < 0 ? raw : raw.slice(0, semi);
    const comment = semi < 0 ? '' : raw.slice(semi).trimEnd();
    const toks = lexCbpfLine(codePart);
    if (!toks.length) return comment ? { kind: 'comment', text: comment, atCol0: semi === 0 } : { kind: 'blank' };
    // A line that could make the file read as a tcpdump listing stays as it is, so the format never changes.
    if (toks.some((t) => t.kind === 'bad') || /^[0-9({]/.test(codePart.trimStart())) return code([raw]);
    let k = 0;
    while (k + 1 < toks.length && toks[k].kind === 'ident' && toks[k + 1].text === ':') k += 2;
    const labels = toks.slice(0, k).filter((t) => t.kind === 'ident').map((t) => `${t.text}:`).join(' ');
    const body = spaceCbpf(toks.slice(k));
    let line = !labels ? s.indent + body : !body ? labels : labels + padToIndent(labels, s.indent) + body;
    const again = lexCbpfLine(line);
    if (again.length !== toks.length || again.some((t, i) => t.kind !== toks[i].kind || t.text !== toks[i].text)) {
      line = /^\s/.test(codePart) ? s.indent + codePart.trim() : codePart.trimEnd();
    }
    return code([withComment(line, comment, s.commentColumn)]);
  });
}

/** Pads a label so that the instruction after it starts at the indent's column (tabs if the indent is tabs). */
function padToIndent(labels: string, indent: string): string {
  const column = visualWidth(indent);
  let width = visualWidth(labels);
  if (width >= column) return ' ';
  if (!/^\t+$/.test(indent)) return ' '.repeat(column - width);
  let pad = '';
  for (; width < column; width = width - (width % 8) + 8) pad += '\t';
  return pad;
}

function spaceCbpf(toks: CbpfToken[]): string {
  let out = '';
  let glue = true;
  toks.forEach((t, i) => {
    const prev = toks[i - 1];
    const tight = t.text === '*' || t.text === '&';
    let sep = ' ';
    let glueAfter = tight || t.text === '[' || t.text === '(' || t.text === '#' || t.text === '%';
    if (tight || t.text === ',' || t.text === ']' || t.text === ')') sep = '';
    else if (t.text === '[' && /^m$/i.test(prev?.text ?? '')) sep = '';
    const operandBefore = prev !== undefined && (prev.kind === 'num' || prev.kind === 'ident' || prev.text === ']' || prev.text === ')');
    if ((t.text === '+' || t.text === '-') && !operandBefore) glueAfter = true;
    out += (glue ? '' : sep) + t.text;
    glue = glueAfter;
  });
  return out;
}
