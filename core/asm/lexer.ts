/**
 * The lexer for eBPF assembly, with llvm-mc's lexical rules.
 *
 * `#` and `//` start a comment to the end of the line, `/* ... *\/` encloses one (and may
 * span lines), and `;` separates statements (`r0 = 1; exit` is two), except that a line
 * whose first non-blank character is `;` is a comment. Statements never span lines.
 *
 * Registers are recognised here: `r0`..`r15`, `w0`..`w15` and the uBPF spelling `%r1`.
 * Numbers are decimal, `0x` hex, `0b` binary, or octal with a leading zero, as llvm-mc and
 * uBPF's strtoll read them. Lexing never fails: an unexpected character becomes a `bad`
 * token that the parser reports with its position.
 */

export type TokenKind = 'ident' | 'num' | 'reg' | 'punct' | 'str' | 'placeholder' | 'bad';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based line and columns [col, endCol). */
  line: number;
  col: number;
  endCol: number;
  /** Numbers: the value (always non-negative; a sign is a separate token). */
  value?: bigint;
  /** Registers: the number, and whether it is the 32-bit `w` spelling. */
  reg?: number;
  wide32?: boolean;
}

export interface Statement {
  tokens: Token[];
  line: number;
}

// Longest first, so that `>>=` wins over `>>` and `>=`.
const PUNCTS = ['<<=', '>>=', '<<', '>>', '==', '!=', '>=', '<=', '+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=',
  '=', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '~', '(', ')', '[', ']', ',', ':', '@', '!'];

const REG_RE = /^([rw])(\d{1,2})$/;

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '.' || c === '$';
}
function isIdentChar(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export interface LexOptions {
  /** Recognise `{name}` as a placeholder token (opcode-table templates). */
  placeholders?: boolean;
  /** Comment and separator rules: 'ebpf' (llvm-mc) or 'cbpf' (bpf_asm: `;` starts a comment). */
  flavour?: 'ebpf' | 'cbpf';
}

/** Splits a whole file into statements of tokens. */
export function lex(text: string, opts: LexOptions = {}): Statement[] {
  const statements: Statement[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  let inBlockComment = false;
  for (let ln = 0; ln < lines.length; ln++) {
    const src = lines[ln];
    let cur: Token[] = [];
    const flush = () => {
      if (cur.length) statements.push({ tokens: cur, line: ln });
      cur = [];
    };
    let i = 0;
    if (!inBlockComment && opts.flavour !== 'cbpf' && src.trimStart().startsWith(';')) continue;
    while (i < src.length) {
      if (inBlockComment) {
        const end = src.indexOf('*/', i);
        if (end < 0) { i = src.length; break; }
        inBlockComment = false;
        i = end + 2;
        continue;
      }
      const c = src[i];
      if (c === ' ' || c === '\t' || c === '\f' || c === '\v') { i++; continue; }
      // In classic BPF `#` marks an immediate (`jeq #0x800, L1`); comments start with `;`.
      if ((c === '#' && opts.flavour !== 'cbpf') || (c === '/' && src[i + 1] === '/')) break;
      if (c === '/' && src[i + 1] === '*') { inBlockComment = true; i += 2; continue; }
      if (c === ';') {
        if (opts.flavour === 'cbpf') break;
        flush();
        i++;
        continue;
      }
      const start = i;
      const tok = (kind: TokenKind, end: number, extra: Partial<Token> = {}): Token =>
        ({ kind, text: src.slice(start, end), line: ln, col: start, endCol: end, ...extra });

      if (opts.placeholders && c === '{') {
        const end = src.indexOf('}', i);
        if (end > i) { cur.push(tok('placeholder', end + 1, { text: src.slice(i + 1, end) })); i = end + 1; continue; }
      }
      if (c === '%' && isIdentStart(src[i + 1] ?? '')) {
        let j = i + 1;
        while (j < src.length && isIdentChar(src[j])) j++;
        const m = REG_RE.exec(src.slice(i + 1, j));
        if (m && m[1] === 'r') {
          cur.push(tok('reg', j, { reg: Number(m[2]), wide32: false }));
          i = j;
          continue;
        }
      }
      if (isDigit(c)) {
        let j = i;
        while (j < src.length && (isIdentChar(src[j]))) j++;
        const text = src.slice(i, j);
        const value = parseNumber(text);
        cur.push(tok(value === undefined ? 'bad' : 'num', j, value === undefined ? {} : { value }));
        i = j;
        continue;
      }
      if (isIdentStart(c)) {
        let j = i;
        while (j < src.length && isIdentChar(src[j])) j++;
        const text = src.slice(i, j);
        const m = REG_RE.exec(text);
        if (m) cur.push(tok('reg', j, { reg: Number(m[2]), wide32: m[1] === 'w' }));
        else cur.push(tok('ident', j));
        i = j;
        continue;
      }
      if (c === '"') {
        let j = i + 1;
        let value = '';
        while (j < src.length && src[j] !== '"') {
          if (src[j] === '\\' && j + 1 < src.length) {
            const e = src[j + 1];
            value += e === 'n' ? '\n' : e === 't' ? '\t' : e === '0' ? '\0' : e;
            j += 2;
          } else value += src[j++];
        }
        const closed = j < src.length;
        const t = tok(closed ? 'str' : 'bad', closed ? j + 1 : j);
        t.text = closed ? value : src.slice(start, j);
        cur.push(t);
        i = closed ? j + 1 : j;
        continue;
      }
      const p = PUNCTS.find((q) => src.startsWith(q, i));
      if (p) {
        cur.push(tok('punct', i + p.length));
        i += p.length;
        continue;
      }
      cur.push(tok('bad', i + 1));
      i++;
    }
    flush();
  }
  return statements;
}

/** Reads a number token: decimal, 0x hex, 0b binary, 0o or leading-zero octal. */
export function parseNumber(text: string): bigint | undefined {
  const t = text.toLowerCase();
  let digits: string;
  let radix: number;
  if (t.startsWith('0x')) { digits = t.slice(2); radix = 16; }
  else if (t.startsWith('0b')) { digits = t.slice(2); radix = 2; }
  else if (t.startsWith('0o')) { digits = t.slice(2); radix = 8; }
  else if (t.length > 1 && t.startsWith('0')) { digits = t.slice(1); radix = 8; }
  else { digits = t; radix = 10; }
  if (!digits) return undefined;
  const valid = radix === 16 ? /^[0-9a-f]+$/ : radix === 10 ? /^[0-9]+$/ : radix === 8 ? /^[0-7]+$/ : /^[01]+$/;
  if (!valid.test(digits)) return undefined;
  if (digits.length > 40) return undefined;
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : '';
  return BigInt(prefix + digits);
}
