/**
 * Matching a statement's tokens against the opcode table's templates.
 *
 * Each row's `llvm` and `ubpf` templates (and their alternative spellings) are lexed once
 * into token lists. A statement matches a template when every literal token is equal and
 * every placeholder finds what it needs; the result is the row plus the operand bindings.
 * Nothing here encodes: `lower.ts` turns bindings into instruction fields.
 *
 * When nothing matches, the template that got furthest tells the user what was expected,
 * and where: "expected a register at column 9", not "syntax error".
 */

import { OPCODES, OpcodeSpec } from '../isa/opcodes';
import { Token, lex } from './lexer';

export type Dialect = 'llvm' | 'ubpf';

/** An operand as written: a number (with its sign applied) or a symbol, plus where it stands. */
export interface Operand {
  value?: bigint;
  symbol?: string;
  /** For pseudo operands: the spelled kind (`map_fd`, `map_value`, ...) when given. */
  pseudoKind?: string;
  /** Signed offsets written after a symbol: `map_value(m)+8`. */
  addend?: bigint;
  /** A jump written as +N / -N rather than as a label. */
  relative?: boolean;
  /** A pseudo operand written as a bare name (`r1 = NAME ll`), which llvm-mc turns into a relocation. */
  bare?: boolean;
  tok: Token;
  endTok: Token;
}

export interface Bindings {
  dst?: Operand;
  src?: Operand;
  imm?: Operand;
  off?: Operand;
  target?: Operand;
  imm64?: Operand;
  pseudo?: Operand;
  helper?: Operand;
  func?: Operand;
  kfunc?: Operand;
  kfuncOff?: Operand;
  asDst?: Operand;
  asSrc?: Operand;
}

export interface MatchResult {
  ok: true;
  row: OpcodeSpec;
  dialect: Dialect;
  b: Bindings;
}

export interface MatchFailure {
  ok: false;
  /** Index of the token where the best template stopped matching (tokens.length: too few tokens). */
  at: number;
  expected: string;
  row?: OpcodeSpec;
}

/** What the matcher needs to know about names in the file. */
export interface NameContext {
  isLabel(name: string): boolean;
  isHelper(name: string): boolean;
  isMap(name: string): boolean;
}

interface Template {
  row: OpcodeSpec;
  dialect: Dialect;
  toks: Token[];
  /** Position in table order: where two templates read the same text, the earlier wins. */
  order: number;
}

const TEMPLATES: Template[] = [];
const INDEX = new Map<string, Template[]>();

function addTemplate(row: OpcodeSpec, dialect: Dialect, text: string): void {
  const toks = lex(text, { placeholders: true })[0].tokens;
  const t: Template = { row, dialect, toks, order: TEMPLATES.length };
  TEMPLATES.push(t);
  const key = toks.find((k) => k.kind !== 'placeholder');
  const k = key ? key.text.toLowerCase() : '';
  const list = INDEX.get(k) ?? [];
  list.push(t);
  INDEX.set(k, list);
}

for (const row of OPCODES) {
  addTemplate(row, 'llvm', row.llvm);
  for (const alt of row.llvmAlt ?? []) addTemplate(row, 'llvm', alt);
  addTemplate(row, 'ubpf', row.ubpf);
  for (const alt of row.ubpfAlt ?? []) addTemplate(row, 'ubpf', alt);
}

/** Candidate lists by their key: the template literals among the first three tokens. */
const CANDIDATES = new Map<string, Template[]>();

/** The templates worth trying for these tokens: those whose first literal is among the first three tokens. */
function candidates(tokens: Token[]): Template[] {
  const keys: string[] = [];
  for (let i = 0; i < Math.min(3, tokens.length); i++) {
    const k = tokens[i].text.toLowerCase();
    keys.push(INDEX.has(k) ? k : '');
  }
  const key = keys.join('\u0000');
  let out = CANDIDATES.get(key);
  if (!out) {
    const seen = new Set<Template>();
    out = [];
    for (const k of keys) for (const t of (k ? INDEX.get(k) : undefined) ?? []) if (!seen.has(t)) { seen.add(t); out.push(t); }
    // Keep table order so that earlier rows win where two could read the same text.
    out.sort((a, b) => a.order - b.order);
    CANDIDATES.set(key, out);
  }
  return out;
}

export function matchInstruction(tokens: Token[], names: NameContext): MatchResult | MatchFailure {
  let best: MatchFailure = { ok: false, at: 0, expected: 'an instruction' };
  for (const t of candidates(tokens)) {
    const r = matchTemplate(t, tokens, names);
    if (r.ok) return r;
    if (r.at > best.at) best = r;
  }
  return best;
}

/** The mnemonic-like words of every template, for completion and "did you mean". */
export function knownMnemonics(dialect: Dialect): string[] {
  const words = new Set<string>();
  for (const t of TEMPLATES) if (t.dialect === dialect) {
    const first = t.toks.find((k) => k.kind === 'ident');
    if (first) words.add(first.text);
  }
  return [...words].sort();
}

function matchTemplate(t: Template, toks: Token[], names: NameContext): MatchResult | MatchFailure {
  const b: Bindings = {};
  let p = 0;
  const fail = (expected: string): MatchFailure => ({ ok: false, at: p, expected, row: t.row });
  for (const tt of t.toks) {
    if (tt.kind !== 'placeholder') {
      const tok = toks[p];
      if (!tok || !literalEquals(tt, tok)) return fail(`'${tt.text}'`);
      p++;
      continue;
    }
    const res = PLACEHOLDERS[tt.text]?.(toks, p, b, t, names);
    if (res === undefined) return fail(describe(tt.text, t.dialect));
    p = res;
  }
  if (p < toks.length) return fail('the end of the instruction');
  return { ok: true, row: t.row, dialect: t.dialect, b };
}

function literalEquals(tt: Token, tok: Token): boolean {
  if (tt.kind === 'reg') return tok.kind === 'reg' && tok.reg === tt.reg && tok.wide32 === tt.wide32;
  if (tok.kind !== tt.kind && !(tt.kind === 'ident' && tok.kind === 'ident')) return false;
  return tok.text.toLowerCase() === tt.text.toLowerCase();
}

function describe(ph: string, dialect: Dialect): string {
  switch (ph) {
    case 'dst': case 'src': return dialect === 'llvm' ? 'a 64-bit register (r0-r10)' : 'a register (r0-r10)';
    case 'dst32': case 'src32': return 'a 32-bit register (w0-w10)';
    case 'imm': return 'a 32-bit immediate';
    case 'imm64': return 'a 64-bit immediate';
    case 'off': return 'an offset (+N or -N)';
    case 'indoff': return 'an offset';
    case 'target': case 'target32': return 'a jump target (+N, -N or a label)';
    case 'helper': return 'a helper number or name';
    case 'func': return 'a function label';
    case 'kfunc': return 'a kfunc BTF id';
    case 'pseudo': return 'a map name or map_fd(...), map_value(...)+N, btf_id(N), func(LABEL), map_idx(N), map_idx_value(N)+N';
    default: return ph;
  }
}

type Matcher = (toks: Token[], p: number, b: Bindings, t: Template, names: NameContext) => number | undefined;

const op = (tok: Token, extra: Partial<Operand> = {}, endTok: Token = tok): Operand => ({ tok, endTok, ...extra });

function bindReg(field: 'dst' | 'src', wide32: boolean): Matcher {
  return (toks, p, b, t) => {
    const tok = toks[p];
    if (tok?.kind !== 'reg') return undefined;
    // uBPF spells every register rN; LLVM syntax says which half with r/w.
    if (t.dialect === 'ubpf' ? tok.wide32 : tok.wide32 !== wide32) return undefined;
    const prev = b[field];
    if (prev) return prev.tok.reg === tok.reg ? p + 1 : undefined;
    b[field] = op(tok, { value: BigInt(tok.reg ?? 0) });
    return p + 1;
  };
}

/** An optionally signed number: returns [value, next position]. */
function signedNumber(toks: Token[], p: number): [bigint, number] | undefined {
  let neg = false;
  let q = p;
  if (toks[q]?.kind === 'punct' && (toks[q].text === '-' || toks[q].text === '+')) {
    neg = toks[q].text === '-';
    q++;
  }
  const n = toks[q];
  if (n?.kind !== 'num' || n.value === undefined) return undefined;
  return [neg ? -n.value : n.value, q + 1];
}

function bindNumber(field: keyof Bindings): Matcher {
  return (toks, p, b) => {
    const r = signedNumber(toks, p);
    if (!r) return undefined;
    b[field] = op(toks[p], { value: r[0] }, toks[r[1] - 1]);
    return r[1];
  };
}

/** `+ 0x4` / `- 4` / nothing (when the next token closes the operand). */
const bindOffset: Matcher = (toks, p, b) => {
  const s = toks[p];
  if (s?.kind === 'punct' && (s.text === '+' || s.text === '-')) {
    const r = signedNumber(toks, p);
    if (!r) return undefined;
    b.off = op(s, { value: r[0] }, toks[r[1] - 1]);
    return r[1];
  }
  return p;
};

const bindIndOffset: Matcher = (toks, p, b) => {
  const s = toks[p];
  if (s?.kind === 'punct' && (s.text === '+' || s.text === '-')) {
    const r = signedNumber(toks, p);
    if (!r) return undefined;
    b.imm = op(s, { value: r[0] }, toks[r[1] - 1]);
    return r[1];
  }
  b.imm = op(toks[p - 1] ?? toks[0], { value: 0n });
  return p;
};

const bindTarget: Matcher = (toks, p, b) => {
  const tok = toks[p];
  if (tok?.kind === 'ident') {
    b.target = op(tok, { symbol: tok.text });
    return p + 1;
  }
  const r = signedNumber(toks, p);
  if (!r) return undefined;
  b.target = op(tok, { value: r[0], relative: true }, toks[r[1] - 1]);
  return r[1];
};

const bindHelper: Matcher = (toks, p, b, _t, names) => {
  const tok = toks[p];
  if (tok?.kind === 'ident') {
    if (names.isLabel(tok.text) || !names.isHelper(tok.text)) return undefined;
    b.helper = op(tok, { symbol: tok.text });
    return p + 1;
  }
  const r = signedNumber(toks, p);
  if (!r) return undefined;
  b.helper = op(tok, { value: r[0] }, toks[r[1] - 1]);
  return r[1];
};

const bindFunc: Matcher = (toks, p, b, t, names) => {
  const tok = toks[p];
  if (tok?.kind === 'ident') {
    // In LLVM syntax `call NAME` is a helper when NAME names one and no label does.
    if (t.dialect === 'llvm' && names.isHelper(tok.text) && !names.isLabel(tok.text)) return undefined;
    b.func = op(tok, { symbol: tok.text });
    return p + 1;
  }
  // `call N` is a helper call; a local call by number needs the word: `call local +3`.
  if (!t.toks.some((k) => k.text === 'local')) return undefined;
  const r = signedNumber(toks, p);
  if (!r) return undefined;
  b.func = op(tok, { value: r[0], relative: true }, toks[r[1] - 1]);
  return r[1];
};

const bindKfunc: Matcher = (toks, p, b) => {
  const r = signedNumber(toks, p);
  if (!r) return undefined;
  b.kfunc = op(toks[p], { value: r[0] }, toks[r[1] - 1]);
  let q = r[1];
  if (toks[q]?.text === ',') {
    const o = signedNumber(toks, q + 1);
    if (!o) return undefined;
    b.kfuncOff = op(toks[q + 1], { value: o[0] }, toks[o[1] - 1]);
    q = o[1];
  }
  return q;
};

const PSEUDO_SRC: Record<string, number> = { map_fd: 1, map_value: 2, btf_id: 3, func: 4, map_idx: 5, map_idx_value: 6 };

/** `NAME`, `KIND(ARG)`, `KIND(ARG)+N`: the pseudo sources of lddw (src 1-6). */
const bindPseudo: Matcher = (toks, p, b, t, names) => {
  const want = t.row.match?.src ?? 0;
  const tok = toks[p];
  if (tok?.kind !== 'ident') return undefined;
  const kind = tok.text.toLowerCase();
  if (PSEUDO_SRC[kind] !== undefined && toks[p + 1]?.text === '(') {
    if (PSEUDO_SRC[kind] !== want) return undefined;
    const arg = toks[p + 2];
    let q: number;
    const o: Operand = op(tok, { pseudoKind: kind });
    if (arg?.kind === 'ident') {
      o.symbol = arg.text;
      q = p + 3;
    } else {
      const r = signedNumber(toks, p + 2);
      if (!r) return undefined;
      o.value = r[0];
      o.relative = kind === 'func';
      q = r[1];
    }
    if (toks[q]?.text !== ')') return undefined;
    o.endTok = toks[q];
    q++;
    if (toks[q]?.text === '+' || toks[q]?.text === '-') {
      const r = signedNumber(toks, q);
      if (!r) return undefined;
      o.addend = r[0];
      o.endTok = toks[r[1] - 1];
      q = r[1];
    }
    b.pseudo = o;
    return q;
  }
  // A bare name: a map (src 1) or a function (src 4).
  if (want === 1 && names.isMap(tok.text)) { b.pseudo = op(tok, { symbol: tok.text, pseudoKind: 'map_fd', bare: true }); return p + 1; }
  if (want === 4 && names.isLabel(tok.text) && !names.isMap(tok.text)) { b.pseudo = op(tok, { symbol: tok.text, pseudoKind: 'func', bare: true }); return p + 1; }
  return undefined;
};

const PLACEHOLDERS: Record<string, Matcher> = {
  dst: bindReg('dst', false),
  src: bindReg('src', false),
  dst32: bindReg('dst', true),
  src32: bindReg('src', true),
  imm: bindNumber('imm'),
  imm64: bindNumber('imm64'),
  off: bindOffset,
  indoff: bindIndOffset,
  target: bindTarget,
  target32: bindTarget,
  helper: bindHelper,
  func: bindFunc,
  kfunc: bindKfunc,
  pseudo: bindPseudo,
  psrc: (toks, p, _b, t) => {
    const n = toks[p];
    return n?.kind === 'num' && n.value === BigInt(t.row.match?.src ?? -1) ? p + 1 : undefined;
  },
  as_dst: bindNumber('asDst'),
  as_src: bindNumber('asSrc'),
};
