/**
 * A JSON parser that keeps where each value lies in the text, so that a problem in a test
 * sidecar can name its line and column, and an editor can point at a case. It reads exactly
 * JSON (RFC 8259): no comments, no trailing commas. It never throws: bad text gives the
 * offset of the first problem and what was expected there.
 *
 * Offsets are UTF-16 indexes into the text, half-open: a node spans [start, end).
 */

export type JsonNode =
  | { kind: 'object'; start: number; end: number; entries: JsonEntry[] }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'string'; start: number; end: number; value: string }
  | { kind: 'number'; start: number; end: number; value: number; raw: string }
  | { kind: 'boolean'; start: number; end: number; value: boolean }
  | { kind: 'null'; start: number; end: number; value: null };

export interface JsonEntry {
  key: string;
  keyStart: number;
  value: JsonNode;
}

export type JsonTreeResult = { root: JsonNode } | { message: string; offset: number };

export function parseJsonTree(text: string): JsonTreeResult {
  const p = new Parser(text);
  try {
    p.skipSpace();
    const root = p.value();
    p.skipSpace();
    if (p.pos < text.length) p.fail('the end of the JSON text');
    return { root };
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { message: e.message, offset: e.offset };
    throw e;
  }
}

/** The plain value a node stands for (what JSON.parse would give). */
export function jsonValue(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object': return Object.fromEntries(node.entries.map((e) => [e.key, jsonValue(e.value)]));
    case 'array': return node.items.map(jsonValue);
    default: return node.value;
  }
}

/** 0-based line and column of an offset. */
export function positionAt(text: string, offset: number): { line: number; col: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, col: offset - lineStart };
}

class JsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(expected: string): never {
    const found = this.pos < this.text.length ? `'${this.text[this.pos]}'` : 'the end of the text';
    throw new JsonSyntaxError(`expected ${expected}, found ${found}`, this.pos);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  value(): JsonNode {
    const start = this.pos;
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { kind: 'string', start, value: this.string(), end: this.pos };
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value === null ? { kind: 'null', start, end: this.pos, value } : { kind: 'boolean', start, end: this.pos, value };
      }
    }
    return this.fail('a JSON value');
  }

  private object(): JsonNode {
    const start = this.pos++;
    const entries: JsonEntry[] = [];
    this.skipSpace();
    if (this.text[this.pos] === '}') { this.pos++; return { kind: 'object', start, end: this.pos, entries }; }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail('a property name in double quotes');
      const keyStart = this.pos;
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("':'");
      this.pos++;
      this.skipSpace();
      entries.push({ key, keyStart, value: this.value() });
      this.skipSpace();
      if (this.text[this.pos] === ',') { this.pos++; continue; }
      if (this.text[this.pos] === '}') { this.pos++; return { kind: 'object', start, end: this.pos, entries }; }
      this.fail("',' or '}'");
    }
  }

  private array(): JsonNode {
    const start = this.pos++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') { this.pos++; return { kind: 'array', start, end: this.pos, items }; }
    for (;;) {
      this.skipSpace();
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ',') { this.pos++; continue; }
      if (this.text[this.pos] === ']') { this.pos++; return { kind: 'array', start, end: this.pos, items }; }
      this.fail("',' or ']'");
    }
  }

  private string(): string {
    const start = this.pos;
    const m = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
    m.lastIndex = start;
    if (!m.exec(this.text)) {
      // Find where the string goes wrong, to point there.
      let i = start + 1;
      while (i < this.text.length && this.text[i] !== '"' && this.text.charCodeAt(i) >= 0x20) i += this.text[i] === '\\' ? 2 : 1;
      this.pos = i;
      this.fail(i >= this.text.length || this.text.charCodeAt(i) < 0x20 ? 'the closing \'"\' of the string' : 'a valid escape');
    }
    this.pos = m.lastIndex;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  private number(): JsonNode {
    const start = this.pos;
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    m.lastIndex = start;
    if (!m.exec(this.text)) this.fail('a number');
    this.pos = m.lastIndex;
    const raw = this.text.slice(start, this.pos);
    return { kind: 'number', start, end: this.pos, value: Number(raw), raw };
  }
}
