/**
 * Reads a classic BPF program in any of the four spellings people paste:
 *
 *   bpf_asm       the kernel's tools/bpf/bpf_asm syntax: `name:` labels, `jeq #0x800, L1, L2`,
 *                 `;` comments
 *   tcpdump -d    `(000) ldh      [12]`, jump targets as absolute instruction numbers
 *   tcpdump -dd   `{ 0x28, 0, 0, 0x0000000c },` (also bpf_asm -c)
 *   tcpdump -ddd  a count line, then `code jt jf k` in decimal (also bpf_asm's one-line
 *                 `4,40 0 0 12,21 0 1 2048,...`)
 *
 * told apart by the first line that says anything. The instruction spellings come from the
 * opcode table's templates. Never throws: every problem is a diagnostic on its line saying
 * what was expected, and the instructions read so far come back.
 */

import { Diagnostic, Span, error, warning } from '../diag';
import { parseNumber } from '../asm/lexer';
import { CBPF_OPCODES, CInsn, CbpfOpcodeSpec } from './opcodes';

export type CbpfFormat = 'bpf_asm' | 'tcpdump-d' | 'tcpdump-dd' | 'tcpdump-ddd';

export interface CbpfParse {
  format: CbpfFormat;
  insns: CInsn[];
  /** Where each instruction was written (same index as insns). */
  lines: Span[];
  /** bpf_asm labels and the instruction each names. */
  labels: Map<string, number>;
  diagnostics: Diagnostic[];
}

// ---------------------------------------------------------------------------------------------
// Tokens. The eBPF lexer takes `#` for a comment, so classic BPF has its own small one.

type TokKind = 'ident' | 'num' | 'punct' | 'hole' | 'bad';
export interface Tok {
  kind: TokKind;
  text: string;
  col: number;
  endCol: number;
  /** Numbers: the value; holes: the placeholder name. */
  value?: bigint;
}

const PUNCT = '[]()+-*&,:%#';

/** One line's tokens up to its `;` comment; `holes` reads `{k}` template placeholders (the opcode table's). */
export function tokenize(src: string, holes = false): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ';') break;
    if (/\s/.test(c)) { i++; continue; }
    const start = i;
    if (holes && c === '{') {
      const end = src.indexOf('}', i);
      out.push({ kind: 'hole', text: src.slice(i + 1, end), col: start, endCol: end + 1 });
      i = end + 1;
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < src.length && /[0-9A-Za-z_]/.test(src[i])) i++;
      const text = src.slice(start, i);
      const value = parseNumber(text);
      out.push({ kind: value === undefined ? 'bad' : 'num', text, col: start, endCol: i, value });
      continue;
    }
    if (/[A-Za-z_.$]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_.$]/.test(src[i])) i++;
      out.push({ kind: 'ident', text: src.slice(start, i), col: start, endCol: i });
      continue;
    }
    i++;
    out.push({ kind: PUNCT.includes(c) ? 'punct' : 'bad', text: c, col: start, endCol: i });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Templates from the opcode table, indexed by mnemonic.

interface Template { row: CbpfOpcodeSpec; toks: Tok[]; text: string }

function indexTemplates(pick: (r: CbpfOpcodeSpec) => readonly string[]): Map<string, Template[]> {
  const map = new Map<string, Template[]>();
  for (const row of CBPF_OPCODES) {
    for (const text of pick(row)) {
      const toks = tokenize(text, true);
      const key = toks[0].text.toLowerCase();
      if (!map.has(key)) map.set(key, []);
      map.get(key)!.push({ row, toks, text });
    }
  }
  return map;
}

const ASM_TEMPLATES = indexTemplates((r) => [r.asm, ...(r.asmAlt ?? [])]);
const TCPDUMP_TEMPLATES = indexTemplates((r) => [r.tcpdump, ...(r.tcpdumpAlt ?? [])]);

/** What a placeholder matched: a number, or a label name with its token. */
interface Bound { k?: number; target?: Tok; jt?: Tok; jf?: Tok }

const U32_MAX = 0xffffffffn;

/**
 * Matches a line's tokens against a template. Returns the filled placeholders, or the index
 * of the first token that did not fit (for the message). bpf_asm may omit `, {jf}`.
 */
function match(t: Template, toks: Tok[], labels: boolean): Bound | { failAt: number } {
  const b: Bound = {};
  let i = 0;
  for (let j = 0; j < t.toks.length; j++) {
    const want = t.toks[j];
    const got = toks[i];
    if (labels && want.kind === 'punct' && want.text === ',' && t.toks[j + 1]?.text === 'jf' && got === undefined) return b;
    if (got === undefined) return { failAt: i };
    if (want.kind === 'hole') {
      if (want.text === 'k' || want.text === 'kx') {
        let neg = false;
        if (got.text === '-' && toks[i + 1]?.kind === 'num') { neg = true; i++; }
        const n = toks[i];
        if (n.kind !== 'num' || n.value === undefined) return { failAt: i };
        const v = neg ? -n.value : n.value;
        if (v > U32_MAX || v < -0x80000000n) return { failAt: i };
        b.k = Number(BigInt.asUintN(32, v));
        i++;
        continue;
      }
      // Jump destinations: labels in bpf_asm, instruction numbers in tcpdump -d.
      if (labels ? got.kind !== 'ident' : got.kind !== 'num') return { failAt: i };
      (b as Record<string, Tok>)[want.text] = got;
      i++;
      continue;
    }
    const same = want.kind === 'num' ? got.kind === 'num' && got.value === want.value
      : got.kind === want.kind && got.text.toLowerCase() === want.text.toLowerCase();
    if (!same) return { failAt: i };
    i++;
  }
  return i === toks.length ? b : { failAt: i };
}

function span(line: number, toks: Tok[]): Span {
  return toks.length ? { line, col: toks[0].col, endCol: toks[toks.length - 1].endCol } : { line, col: 0, endCol: 0 };
}

function lineSpan(line: number, src: string): Span {
  const col = src.length - src.trimStart().length;
  return { line, col, endCol: src.trimEnd().length };
}

function human(t: Template): string {
  return t.text.replace(/\{kx?\}/g, 'k').replace(/\{(\w+)\}/g, '$1');
}

// ---------------------------------------------------------------------------------------------

/** Which spelling a text uses, from its first line that is not blank or a comment. */
export function detectCbpfFormat(text: string): CbpfFormat {
  const lines = text.split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith(';'));
  const first = lines[0] ?? '';
  if (/^\(\d+\)/.test(first)) return 'tcpdump-d';
  if (first.startsWith('{')) return 'tcpdump-dd';
  if (/^\d+$/.test(first) && (lines.length === 1 || /^\d+\s+\d+\s+\d+\s+\d+$/.test(lines[1]))) return 'tcpdump-ddd';
  if (/^\d+,\d+\s+\d+\s+\d+\s+\d+(,|$)/.test(first)) return 'tcpdump-ddd';
  return 'bpf_asm';
}

export function parseCbpf(text: string): CbpfParse {
  const format = detectCbpfFormat(text);
  const lines = text.split(/\r\n|\r|\n/);
  switch (format) {
    case 'bpf_asm': return parseAsm(lines);
    case 'tcpdump-d': return parseDump(lines);
    case 'tcpdump-dd': return parseNumeric(lines, 'tcpdump-dd');
    case 'tcpdump-ddd': return parseNumeric(lines, 'tcpdump-ddd');
  }
}

interface PendingJump { idx: number; field: 'target' | 'jt' | 'jf'; tok: Tok; line: number }

function parseAsm(lines: string[]): CbpfParse {
  const res: CbpfParse = { format: 'bpf_asm', insns: [], lines: [], labels: new Map(), diagnostics: [] };
  const pending: PendingJump[] = [];
  const labelAt = new Map<string, Span>();
  lines.forEach((src, ln) => {
    let toks = tokenize(src);
    // Labels: `name:` (several may precede one instruction).
    while (toks.length >= 2 && toks[0].kind === 'ident' && toks[1].text === ':') {
      const name = toks[0].text;
      const sp = span(ln, toks.slice(0, 2));
      if (res.labels.has(name)) {
        const d = error('cbpf-parse', `line ${ln + 1}: label '${name}' is already defined`, sp);
        const prev = labelAt.get(name);
        if (prev) d.related = [{ message: 'first defined here', span: prev }];
        res.diagnostics.push(d);
      } else {
        res.labels.set(name, res.insns.length);
        labelAt.set(name, sp);
      }
      toks = toks.slice(2);
    }
    if (!toks.length) return;
    const bad = toks.find((t) => t.kind === 'bad');
    if (bad) {
      res.diagnostics.push(error('cbpf-parse', `line ${ln + 1}: unexpected '${bad.text}'`, { line: ln, col: bad.col, endCol: bad.endCol }));
      return;
    }
    const mnemonic = toks[0].text.toLowerCase();
    const templates = ASM_TEMPLATES.get(mnemonic);
    if (!templates) {
      res.diagnostics.push(error('cbpf-parse',
        `line ${ln + 1}: unknown instruction '${toks[0].text}'; expected one of ${[...ASM_TEMPLATES.keys()].join(', ')}`,
        { line: ln, col: toks[0].col, endCol: toks[0].endCol }));
      return;
    }
    let furthest = 0;
    for (const t of templates) {
      const m = match(t, toks, true);
      if ('failAt' in m) { furthest = Math.max(furthest, m.failAt); continue; }
      const idx = res.insns.length;
      const insn: CInsn = { code: t.row.code, jt: 0, jf: 0, k: t.row.k ?? m.k ?? 0 };
      res.insns.push(insn);
      res.lines.push(span(ln, toks));
      for (const field of ['target', 'jt', 'jf'] as const) {
        const tok = m[field];
        if (tok) pending.push({ idx, field, tok, line: ln });
      }
      return;
    }
    const at = toks[furthest] ?? toks[toks.length - 1];
    const where = toks[furthest] ? `'${at.text}'` : 'the end of the line';
    res.diagnostics.push(error('cbpf-parse',
      `line ${ln + 1}: unexpected ${where}; expected ${templates.map(human).filter((s, i, a) => a.indexOf(s) === i).join(' or ')}`,
      { line: ln, col: at.col, endCol: at.endCol }));
  });
  for (const p of pending) {
    const to = res.labels.get(p.tok.text);
    const sp = { line: p.line, col: p.tok.col, endCol: p.tok.endCol };
    if (to === undefined) {
      res.diagnostics.push(error('cbpf-parse', `line ${p.line + 1}: unknown label '${p.tok.text}'`, sp));
      continue;
    }
    const off = to - (p.idx + 1);
    if (off < 0) {
      res.diagnostics.push(error('cbpf-parse', `line ${p.line + 1}: jump to '${p.tok.text}' goes backward; classic BPF jumps only forward`, sp));
      continue;
    }
    if (p.field === 'target') { res.insns[p.idx].k = off; continue; }
    if (off > 255) {
      res.diagnostics.push(error('cbpf-parse',
        `line ${p.line + 1}: '${p.tok.text}' is ${off} instructions ahead; a conditional jump reaches at most 255 (use ja)`, sp));
      continue;
    }
    res.insns[p.idx][p.field] = off;
  }
  return res;
}

function parseDump(lines: string[]): CbpfParse {
  const res: CbpfParse = { format: 'tcpdump-d', insns: [], lines: [], labels: new Map(), diagnostics: [] };
  lines.forEach((src, ln) => {
    const all = tokenize(src);
    if (!all.length) return;
    const sp = lineSpan(ln, src);
    // `(008)`: zero-padded decimal, not octal.
    const numbered = all.length >= 3 && all[0].text === '(' && /^\d+$/.test(all[1].text) && all[2].text === ')';
    if (!numbered) {
      res.diagnostics.push(error('cbpf-parse', `line ${ln + 1}: expected '(NNN) instruction', as tcpdump -d prints`, sp));
      return;
    }
    const n = Number(all[1].text);
    const idx = res.insns.length;
    if (n !== idx) res.diagnostics.push(warning('cbpf-parse', `line ${ln + 1}: numbered (${n}) but it is instruction ${idx}`, sp));
    const toks = all.slice(3);
    const templates = toks.length ? TCPDUMP_TEMPLATES.get(toks[0].text.toLowerCase()) : undefined;
    if (!templates) {
      res.diagnostics.push(error('cbpf-parse',
        `line ${ln + 1}: unknown instruction '${toks[0]?.text ?? ''}'; expected one of ${[...TCPDUMP_TEMPLATES.keys()].join(', ')}`, sp));
      return;
    }
    let furthest = 0;
    for (const t of templates) {
      const m = match(t, toks, false);
      if ('failAt' in m) { furthest = Math.max(furthest, m.failAt); continue; }
      const insn: CInsn = { code: t.row.code, jt: 0, jf: 0, k: t.row.k ?? m.k ?? 0 };
      // Destinations are absolute; the instruction holds them relative to the next one.
      for (const field of ['target', 'jt', 'jf'] as const) {
        const tok = m[field];
        if (!tok) continue;
        const off = Number(tok.value) - (idx + 1);
        const limit = field === 'target' ? 0xffffffff : 255;
        if (off < 0 || off > limit) {
          res.diagnostics.push(error('cbpf-parse',
            `line ${ln + 1}: ${field} ${tok.text} is not a forward target from instruction ${idx} (expected ${idx + 1}..${idx + 1 + Math.min(limit, 1e6)})`,
            { line: ln, col: tok.col, endCol: tok.endCol }));
          continue;
        }
        if (field === 'target') insn.k = off;
        else insn[field] = off;
      }
      res.insns.push(insn);
      res.lines.push(sp);
      return;
    }
    const at = toks[furthest];
    res.diagnostics.push(error('cbpf-parse',
      `line ${ln + 1}: unexpected ${at ? `'${at.text}'` : 'end of line'}; expected ${templates.map(human).filter((s, i, a) => a.indexOf(s) === i).join(' or ')}`,
      at ? { line: ln, col: at.col, endCol: at.endCol } : sp));
  });
  return res;
}

function num(text: string): number | undefined {
  const neg = text.startsWith('-');
  const v = parseNumber(neg ? text.slice(1) : text);
  if (v === undefined) return undefined;
  const s = neg ? -v : v;
  if (s > U32_MAX || s < -0x80000000n) return undefined;
  return Number(BigInt.asUintN(32, s));
}

const NUMBER = '(-?(?:0[xX][0-9a-fA-F]+|[0-9]+))';
const DD_RE = new RegExp(`^\\{\\s*${NUMBER}\\s*,\\s*${NUMBER}\\s*,\\s*${NUMBER}\\s*,\\s*${NUMBER}\\s*\\}\\s*,?$`);
const DDD_RE = new RegExp(`^${NUMBER}\\s+${NUMBER}\\s+${NUMBER}\\s+${NUMBER}$`);

function parseNumeric(lines: string[], format: 'tcpdump-dd' | 'tcpdump-ddd'): CbpfParse {
  const res: CbpfParse = { format, insns: [], lines: [], labels: new Map(), diagnostics: [] };
  let count: { n: number; span: Span } | undefined;
  let lineCount = 0;
  const take = (text: string, sp: Span, ln: number) => {
    lineCount++;
    const m = (format === 'tcpdump-dd' ? DD_RE : DDD_RE).exec(text);
    const expected = format === 'tcpdump-dd' ? '{ code, jt, jf, k },' : 'four numbers: code jt jf k';
    if (!m) {
      res.diagnostics.push(error('cbpf-parse', `line ${ln + 1}: expected ${expected}`, sp));
      return;
    }
    const [code, jt, jf, k] = m.slice(1, 5).map(num);
    const bad = code === undefined || code > 0xffff ? 'code (0..65535)'
      : jt === undefined || jt > 255 ? 'jt (0..255)' : jf === undefined || jf > 255 ? 'jf (0..255)' : k === undefined ? 'k (32 bits)' : undefined;
    if (bad) {
      res.diagnostics.push(error('cbpf-parse', `line ${ln + 1}: a field is out of range; expected ${bad}`, sp));
      return;
    }
    res.insns.push({ code: code!, jt: jt!, jf: jf!, k: k! });
    res.lines.push(sp);
  };
  lines.forEach((src, ln) => {
    const text = src.replace(/;.*$/, '').trim();
    if (!text) return;
    const sp = lineSpan(ln, src);
    if (format === 'tcpdump-ddd' && !count) {
      // bpf_asm's default output puts it all on one line: `count,code jt jf k,...`.
      const parts = text.split(',').map((p) => p.trim()).filter((p) => p);
      const n = /^\d+$/.test(parts[0]) ? Number(parts[0]) : NaN;
      if (Number.isNaN(n)) {
        res.diagnostics.push(error('cbpf-parse', `line ${ln + 1}: expected the instruction count first`, sp));
        count = { n: -1, span: sp };
        return;
      }
      count = { n, span: sp };
      for (const p of parts.slice(1)) take(p, sp, ln);
      return;
    }
    take(text, sp, ln);
  });
  if (count && count.n >= 0 && count.n !== lineCount) {
    res.diagnostics.push(error('cbpf-parse',
      `line ${count.span.line + 1}: the count says ${count.n} instructions but ${lineCount} follow`, count.span));
  }
  return res;
}
