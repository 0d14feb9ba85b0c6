/**
 * The debugger's expression language: conditional breakpoints (`r1 > 5 && *(u8 *)(r2 + 12) == 8`),
 * logpoint messages (`{r1}`), watch and evaluate, and the values setVariable takes. It is
 * not C: there are no variables, assignments or types beyond the integer sizes of loads and
 * casts, and every value is a u64.
 *
 * Grammar, loosest binding first (every binary level is left-associative, as in C):
 *
 *   expr    := or
 *   or      := and ('||' and)*                      short-circuit; 1 or 0
 *   and     := bitor ('&&' bitor)*                  short-circuit; 1 or 0
 *   bitor   := bitxor ('|' bitxor)*
 *   bitxor  := bitand ('^' bitand)*
 *   bitand  := equal ('&' equal)*
 *   equal   := compare (('==' | '!=') compare)*     1 or 0
 *   compare := shift (('<' | '<=' | '>' | '>=' | 's<' | 's<=' | 's>' | 's>=') shift)*
 *   shift   := sum (('<<' | '>>' | 's>>') sum)*     count masked to 63
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '%' | 's/' | 's%') unary)*
 *   unary   := ('-' | '~' | '!') unary | '(' TYPE ')' unary | '*' '(' TYPE '*' ')' unary | primary
 *   primary := NUMBER | REGISTER | NAME | NAME '[' expr ']' | '(' expr ')'
 *   TYPE    := u8 | u16 | u32 | u64 | s8 | s16 | s32 | s64   (also spelled __u32, __s32...)
 *
 * - Numbers: decimal, 0x hex, 0b binary; more than 64 bits is an error.
 * - Registers: r0-r10 (u64), w0-w10 (the low 32 bits), fp (r10); R1/W1 spell them too.
 * - Arithmetic wraps modulo 2^64. Plain operators are unsigned; the `s` forms (as eBPF
 *   assembly writes them: `s<`, `s>>`, `s/`) read their operands as two's-complement s64.
 *   Division or modulo by zero is an error, not the VM's 0.
 * - `(u8)`..`(u32)` truncate; `(s8)`..`(s32)` sign-extend; `(u64)` and `(s64)` keep the bits.
 * - `*(u16 *)(addr)` loads little-endian through `env.read`; `*(s16 *)` sign-extends.
 * - NAME and NAME[i] go to `env.name` and `env.index` (classic BPF's A, X, M[3]; labels; maps).
 * - A result is signed (shown in signed decimal) only when its outermost operation is a
 *   signed cast or a signed load: `{(s64)r1}` prints -1 where `{r1}` prints 18446744073709551615.
 *
 * Nothing here throws or loops on any input: parsing is linear in the text, nesting is
 * limited to MAX_NESTING and an expression to MAX_NODES operations, so evaluation recursion
 * stays shallow. Columns (`col`) are 0-based offsets into the text.
 */

import type { Machine } from '../vm/machine';

export type IntType = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';
export type UnaryOp = '-' | '~' | '!';
export type BinaryOp =
  | '*' | '/' | '%' | 's/' | 's%' | '+' | '-' | '<<' | '>>' | 's>>'
  | '<' | '<=' | '>' | '>=' | 's<' | 's<=' | 's>' | 's>=' | '==' | '!=' | '&' | '^' | '|' | '&&' | '||';

/** A parsed expression; `col` is where its operator or first token starts. */
export type Expr =
  | { kind: 'num'; value: bigint; col: number }
  | { kind: 'reg'; reg: number; low32: boolean; col: number }
  | { kind: 'name'; name: string; col: number }
  | { kind: 'index'; name: string; index: Expr; col: number }
  | { kind: 'unary'; op: UnaryOp; arg: Expr; col: number }
  | { kind: 'cast'; type: IntType; arg: Expr; col: number }
  | { kind: 'load'; type: IntType; addr: Expr; col: number }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; col: number };

/** What an expression can see: the machine (or a frame of it) and names the adapter offers. */
export interface EvalEnv {
  reg(n: number): bigint;
  /** `size` bytes at `addr`, or a fault message. */
  read(addr: bigint, size: number): Uint8Array | string;
  name?(name: string): bigint | undefined;
  /** NAME[i]: a value, a message saying what is wrong, or undefined for an unknown name. */
  index?(name: string, i: bigint): bigint | string | undefined;
}

export type ParseResult = { ok: true; expr: Expr } | { ok: false; error: string; col: number };
export type EvalResult = { ok: true; value: bigint; signed: boolean } | { ok: false; error: string; col?: number };

export const MAX_NESTING = 200;
export const MAX_NODES = 2000;

export function parseExpression(text: string): ParseResult {
  try {
    const p = new Parser(text);
    const expr = p.parseTop();
    return { ok: true, expr };
  } catch (e) {
    if (e instanceof ExprError) return { ok: false, error: e.message, col: e.col ?? 0 };
    return { ok: false, error: `internal error: ${String(e)}`, col: 0 };
  }
}

/** The value of a parsed expression, as a u64; signed says how to show it (see the header). */
export function evaluate(expr: Expr, env: EvalEnv): EvalResult {
  try {
    return { ok: true, value: evalNode(expr, env), signed: isSigned(expr) };
  } catch (e) {
    if (e instanceof ExprError) return { ok: false, error: e.message, col: e.col };
    return { ok: false, error: `internal error: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Parse and evaluate; an error message ends with its 1-based column, for people. */
export function evaluateText(text: string, env: EvalEnv): EvalResult {
  const parsed = parseExpression(text);
  if (!parsed.ok) return { ok: false, error: `${parsed.error} (column ${parsed.col + 1})`, col: parsed.col };
  const res = evaluate(parsed.expr, env);
  if (!res.ok && res.col !== undefined) return { ok: false, error: `${res.error} (column ${res.col + 1})`, col: res.col };
  return res;
}

/** A value as interpolation shows it: decimal (signed when the expression is), or 0x hex. */
export function formatValue(value: bigint, signed: boolean, hex = false): string {
  if (hex) return `0x${value.toString(16)}`;
  return (signed ? BigInt.asIntN(64, value) : value).toString();
}

/**
 * A logpoint message with each `{expr}` replaced by its value in decimal (`{expr:x}` in
 * hex), or by `<error: ...>`. `{{` and `}}` stand for literal braces; a `{` never closed
 * is kept as it is.
 */
export function interpolate(message: string, env: EvalEnv): string {
  let out = '';
  let i = 0;
  while (i < message.length) {
    const c = message[i];
    if ((c === '{' || c === '}') && message[i + 1] === c) { out += c; i += 2; continue; }
    if (c !== '{') { out += c; i++; continue; }
    const close = message.indexOf('}', i + 1);
    if (close < 0) { out += message.slice(i); break; }
    let body = message.slice(i + 1, close);
    const hex = /:\s*x\s*$/i.test(body);
    if (hex) body = body.replace(/:\s*x\s*$/i, '');
    const res = evaluateText(body, env);
    out += res.ok ? formatValue(res.value, res.signed, hex) : `<error: ${res.error}>`;
    i = close + 1;
  }
  return out;
}

/** An environment over a machine's current frame; `more` adds names. */
export function machineEnv(vm: Machine, more: Pick<EvalEnv, 'name' | 'index'> = {}): EvalEnv {
  return { reg: (n) => vm.reg(n), read: (addr, size) => vm.readMemory(addr, size), ...more };
}

// --- map queries ------------------------------------------------------------------------------

export interface MapQuery {
  map: string;
  /** Hex bytes as given, or an integer the adapter lays out little-endian (keyBytes). */
  key: Uint8Array | bigint;
}

/**
 * The evaluate command `map NAME KEY`; undefined when the text is not one (checkMapQuery
 * says why). KEY is read as hex bytes when it is two or more byte tokens (`0a 00 00 01`,
 * `0x0a,0x00`), or one bare token of even length that has a hex letter or a leading 0
 * (`0a000001`, `00000001`); anything else is an integer expression (`1`, `0x0a000001`,
 * `r7 + 1`), evaluated in `env` when given, else constant only.
 */
export function parseMapQuery(text: string, env?: EvalEnv): MapQuery | undefined {
  const res = checkMapQuery(text, env);
  return res && res.ok ? { map: res.map, key: res.key } : undefined;
}

/** parseMapQuery with the reason: undefined when the text does not start with `map`. */
export function checkMapQuery(text: string, env?: EvalEnv): ({ ok: true } & MapQuery) | { ok: false; error: string } | undefined {
  const m = /^\s*map(?:\s+|$)([\s\S]*)$/.exec(text);
  if (!m) return undefined;
  const rest = /^([A-Za-z_.$][\w.$]*)(?:\s+([\s\S]*?))?\s*$/.exec(m[1]);
  if (!rest) return { ok: false, error: 'expected: map NAME KEY (KEY is hex bytes or an integer)' };
  const [, map, keyText] = rest;
  if (!keyText) return { ok: false, error: `expected a key after 'map ${map}' (hex bytes or an integer)` };
  const bytes = hexKeyBytes(keyText);
  if (bytes) return { ok: true, map, key: bytes };
  const parsed = parseExpression(keyText);
  if (!parsed.ok) return { ok: false, error: `key: ${parsed.error} (column ${parsed.col + 1} of the key)` };
  if (!env && !isConstant(parsed.expr)) return { ok: false, error: 'key: registers, names and loads need a stopped program' };
  const value = evaluate(parsed.expr, env ?? NO_MACHINE);
  if (!value.ok) return { ok: false, error: `key: ${value.error}` };
  return { ok: true, map, key: value.value };
}

/** A key in a map's key size: hex bytes must match it; an integer is laid out little-endian and must fit. */
export function keyBytes(key: Uint8Array | bigint, keySize: number): Uint8Array | string {
  if (key instanceof Uint8Array) {
    return key.length === keySize ? key : `the key has ${key.length} byte${key.length === 1 ? '' : 's'} but the map's keys have ${keySize}`;
  }
  if (keySize < 8 && key >> BigInt(8 * keySize) !== 0n) return `${key} does not fit in the map's ${keySize}-byte key`;
  const out = new Uint8Array(keySize);
  for (let k = 0; k < keySize && k < 8; k++) out[k] = Number((key >> BigInt(8 * k)) & 0xffn);
  return out;
}

/**
 * The query text that names one entry unambiguously: spaced hex bytes (`map counters 01 00
 * 00 00`), or `0x10` for a 1-byte key (a lone `10` would read as the integer ten).
 */
export function mapQueryText(map: string, key: Uint8Array): string {
  const hex = Array.from(key, (b) => b.toString(16).padStart(2, '0'));
  return `map ${map} ${key.length === 1 ? `0x${hex[0]}` : hex.join(' ')}`;
}

// --- parsing ------------------------------------------------------------------------------------

class ExprError extends Error {
  constructor(message: string, readonly col?: number) {
    super(message);
  }
}

type TokenKind = 'num' | 'ident' | 'op' | 'end';
interface Token { kind: TokenKind; text: string; col: number; value?: bigint }

const TYPES: Record<string, IntType> = {};
for (const t of ['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64'] as const) { TYPES[t] = t; TYPES[`__${t}`] = t; }

const SIGNED_OPS = ['s>>', 's<=', 's>=', 's<', 's>', 's/', 's%'];
const TWO_CHAR_OPS = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||'];
const ONE_CHAR_OPS = '()[]*/%+-<>&^|!~';
// Sticky, so that each match starts where the tokenizer is and costs only its own length.
const NUMBER = /(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([A-Za-z0-9_.$]*)/y;
const IDENT = /[A-Za-z_.$][A-Za-z0-9_.$]*/y;

/** Binary operators by level, loosest first. */
const LEVELS: readonly (readonly BinaryOp[])[] = [
  ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='],
  ['<', '<=', '>', '>=', 's<', 's<=', 's>', 's>='], ['<<', '>>', 's>>'], ['+', '-'], ['*', '/', '%', 's/', 's%'],
];

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    const col = i;
    if (/[0-9]/.test(c)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text)!;
      if (m[2]) throw new ExprError(`bad number '${m[0]}'`, col);
      const value = BigInt(m[1]);
      if (value >> 64n !== 0n) throw new ExprError(`${m[1]} does not fit in 64 bits`, col);
      out.push({ kind: 'num', text: m[1], col, value });
      i += m[1].length;
      continue;
    }
    if (/[A-Za-z_.$]/.test(c)) {
      const signed = c === 's' ? SIGNED_OPS.find((op) => text.startsWith(op, i)) : undefined;
      // `s<<` is the name s shifted, not a signed compare.
      if (signed && !(signed === 's<' && text[i + 2] === '<')) {
        out.push({ kind: 'op', text: signed, col });
        i += signed.length;
        continue;
      }
      IDENT.lastIndex = i;
      const name = IDENT.exec(text)![0];
      out.push({ kind: 'ident', text: name, col });
      i += name.length;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (TWO_CHAR_OPS.includes(two)) { out.push({ kind: 'op', text: two, col }); i += 2; continue; }
    if (ONE_CHAR_OPS.includes(c)) { out.push({ kind: 'op', text: c, col }); i++; continue; }
    if (c === '=') throw new ExprError("'=' assigns; compare with '=='", col);
    if (c === '{' || c === '}') throw new ExprError(`unexpected '${c}'`, col);
    throw new ExprError(`unexpected character '${c}'`, col);
  }
  out.push({ kind: 'end', text: '', col: text.length });
  return out;
}

class Parser {
  private tokens: Token[];
  private pos = 0;
  private nesting = 0;
  private nodes = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parseTop(): Expr {
    if (this.peek().kind === 'end') throw new ExprError('empty expression', 0);
    const e = this.parseLevel(0);
    const t = this.peek();
    if (t.kind !== 'end') throw new ExprError(`expected an operator, found ${describe(t)}`, t.col);
    return e;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  private isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.text === op;
  }

  private expect(op: string, what: string): Token {
    const t = this.peek();
    if (!this.isOp(t, op)) throw new ExprError(`expected '${op}' ${what}, found ${describe(t)}`, t.col);
    return this.next();
  }

  private node<E extends Expr>(e: E): E {
    if (++this.nodes > MAX_NODES) throw new ExprError(`expression too long (more than ${MAX_NODES} operations)`, e.col);
    return e;
  }

  private nested<T>(col: number, f: () => T): T {
    if (++this.nesting > MAX_NESTING) throw new ExprError(`expression nested more than ${MAX_NESTING} deep`, col);
    const res = f();
    this.nesting--;
    return res;
  }

  private parseLevel(level: number): Expr {
    if (level === LEVELS.length) return this.parseUnary();
    let left = this.parseLevel(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !(LEVELS[level] as readonly string[]).includes(t.text)) return left;
      this.next();
      const right = this.parseLevel(level + 1);
      left = this.node({ kind: 'binary', op: t.text as BinaryOp, left, right, col: t.col });
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '~' || t.text === '!')) {
      this.next();
      const arg = this.nested(t.col, () => this.parseUnary());
      return this.node({ kind: 'unary', op: t.text as UnaryOp, arg, col: t.col });
    }
    if (this.isOp(t, '*')) {
      this.next();
      const type = this.isOp(this.peek(), '(') ? this.typeAt(1) : undefined;
      if (!type) throw new ExprError('a load needs its size: write *(u64 *)(addr), *(u8 *)(addr)...', t.col);
      this.pos += 2;
      this.expect('*', `after '*(${type}' (a load is written *(${type} *)(addr))`);
      this.expect(')', `to close '*(${type} *'`);
      const addr = this.nested(t.col, () => this.parseUnary());
      return this.node({ kind: 'load', type, addr, col: t.col });
    }
    const castType = this.isOp(t, '(') && this.isOp(this.peek(2), ')') ? this.typeAt(1) : undefined;
    if (castType) {
      this.pos += 3;
      const arg = this.nested(t.col, () => this.parseUnary());
      return this.node({ kind: 'cast', type: castType, arg, col: t.col });
    }
    return this.parsePrimary();
  }

  /** The integer type a token ahead names, if it names one. */
  private typeAt(ahead: number): IntType | undefined {
    const t = this.peek(ahead);
    return t.kind === 'ident' ? TYPES[t.text] : undefined;
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'num':
        return this.node({ kind: 'num', value: t.value!, col: t.col });
      case 'ident': {
        const reg = register(t.text, t.col);
        if (reg) return this.node({ ...reg, col: t.col });
        if (TYPES[t.text]) throw new ExprError(`'${t.text}' is a type: cast with (${t.text})x or load with *(${t.text} *)(addr)`, t.col);
        if (this.isOp(this.peek(), '[')) {
          const open = this.next();
          const index = this.nested(open.col, () => this.parseLevel(0));
          this.expect(']', `to close '${t.text}['`);
          return this.node({ kind: 'index', name: t.text, index, col: t.col });
        }
        return this.node({ kind: 'name', name: t.text, col: t.col });
      }
      case 'op':
        if (t.text === '(') {
          const e = this.nested(t.col, () => this.parseLevel(0));
          this.expect(')', `to close the '(' at column ${t.col + 1}`);
          return e;
        }
        throw new ExprError(`expected a value, found ${describe(t)}`, t.col);
      case 'end':
        throw new ExprError('expected a value, but the expression ends', t.col);
    }
  }
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end' : `'${t.text}'`;
}

/** r0-r10, w0-w10 and fp; an error for r11 and beyond; undefined for other names. */
function register(name: string, col: number): { kind: 'reg'; reg: number; low32: boolean } | undefined {
  if (name === 'fp') return { kind: 'reg', reg: 10, low32: false };
  const m = /^([rRwW])([0-9]+)$/.exec(name);
  if (!m) return undefined;
  const n = Number(m[2]);
  if (n > 10) throw new ExprError(`there is no register ${name} (eBPF has r0-r10)`, col);
  return { kind: 'reg', reg: n, low32: m[1] === 'w' || m[1] === 'W' };
}

// --- evaluation -------------------------------------------------------------------------------

const BITS: Record<IntType, number> = { u8: 8, u16: 16, u32: 32, u64: 64, s8: 8, s16: 16, s32: 32, s64: 64 };
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const bool = (b: boolean) => (b ? 1n : 0n);

/** A value converted to a type: truncated, then sign-extended for the signed ones. */
function convert(v: bigint, type: IntType): bigint {
  const bits = BITS[type];
  return type[0] === 's' ? u64(BigInt.asIntN(bits, v)) : BigInt.asUintN(bits, v);
}

function isSigned(e: Expr): boolean {
  return (e.kind === 'cast' || e.kind === 'load') && e.type[0] === 's';
}

function evalNode(e: Expr, env: EvalEnv): bigint {
  switch (e.kind) {
    case 'num': return u64(e.value);
    case 'reg': {
      const v = u64(env.reg(e.reg));
      return e.low32 ? v & 0xffffffffn : v;
    }
    case 'name': {
      const v = env.name?.(e.name);
      if (v === undefined) throw new ExprError(`unknown name '${e.name}'`, e.col);
      return u64(v);
    }
    case 'index': {
      const i = evalNode(e.index, env);
      const v = env.index?.(e.name, i);
      if (v === undefined) throw new ExprError(`unknown name '${e.name}' (nothing to index)`, e.col);
      if (typeof v === 'string') throw new ExprError(`${e.name}[${i}]: ${v}`, e.col);
      return u64(v);
    }
    case 'unary': {
      const v = evalNode(e.arg, env);
      return e.op === '-' ? u64(-v) : e.op === '~' ? u64(~v) : bool(v === 0n);
    }
    case 'cast': return convert(evalNode(e.arg, env), e.type);
    case 'load': return load(e.type, evalNode(e.addr, env), env, e.col);
    case 'binary': return binary(e, env);
  }
}

function load(type: IntType, addr: bigint, env: EvalEnv, col: number): bigint {
  const size = BITS[type] / 8;
  const where = `*(${type} *)0x${addr.toString(16)}`;
  const bytes = env.read(addr, size);
  if (typeof bytes === 'string') throw new ExprError(`cannot read ${where}: ${bytes}`, col);
  if (bytes.length !== size) throw new ExprError(`cannot read ${where}: got ${bytes.length} bytes`, col);
  let v = 0n;
  for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[k]);
  return convert(v, type);
}

function binary(e: Extract<Expr, { kind: 'binary' }>, env: EvalEnv): bigint {
  const a = evalNode(e.left, env);
  if (e.op === '&&') return a === 0n ? 0n : bool(evalNode(e.right, env) !== 0n);
  if (e.op === '||') return a !== 0n ? 1n : bool(evalNode(e.right, env) !== 0n);
  const b = evalNode(e.right, env);
  switch (e.op) {
    case '+': return u64(a + b);
    case '-': return u64(a - b);
    case '*': return u64(a * b);
    case '/': case '%': case 's/': case 's%':
      if (b === 0n) throw new ExprError(`${e.op[e.op.length - 1] === '/' ? 'division' : 'modulo'} by zero: the right side of '${e.op}' is 0`, e.col);
      if (e.op === '/') return a / b;
      if (e.op === '%') return a % b;
      return u64(e.op === 's/' ? s64(a) / s64(b) : s64(a) % s64(b));
    case '<<': return u64(a << (b & 63n));
    case '>>': return a >> (b & 63n);
    case 's>>': return u64(s64(a) >> (b & 63n));
    case '<': return bool(a < b);
    case '<=': return bool(a <= b);
    case '>': return bool(a > b);
    case '>=': return bool(a >= b);
    case 's<': return bool(s64(a) < s64(b));
    case 's<=': return bool(s64(a) <= s64(b));
    case 's>': return bool(s64(a) > s64(b));
    case 's>=': return bool(s64(a) >= s64(b));
    case '==': return bool(a === b);
    case '!=': return bool(a !== b);
    case '&': return a & b;
    case '^': return a ^ b;
    case '|': return a | b;
  }
}

// --- map query helpers ------------------------------------------------------------------------

/** Hex key bytes by the rules in parseMapQuery's comment, or undefined for an integer. */
function hexKeyBytes(text: string): Uint8Array | undefined {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  const byte = /^(?:0[xX])?[0-9a-fA-F]{2}$/;
  if (parts.length >= 2) {
    if (!parts.every((p) => byte.test(p))) return undefined;
    return Uint8Array.from(parts, (p) => parseInt(p.replace(/^0[xX]/, ''), 16));
  }
  const one = parts[0] ?? '';
  if (!/^[0-9a-fA-F]+$/.test(one) || one.length % 2 !== 0) return undefined;
  if (!/[a-fA-F]/.test(one) && one[0] !== '0') return undefined;
  return Uint8Array.from(one.match(/../g)!, (b) => parseInt(b, 16));
}

function isConstant(e: Expr): boolean {
  switch (e.kind) {
    case 'num': return true;
    case 'unary': case 'cast': return isConstant(e.arg);
    case 'binary': return isConstant(e.left) && isConstant(e.right);
    default: return false;
  }
}

const NO_MACHINE: EvalEnv = { reg: () => 0n, read: () => 'no program is stopped' };
