/**
 * The test sidecar `FILE.tests.json` (DESIGN.md, Command line): read from its text into
 * cases, every problem a Diagnostic on the line and column of the value at fault. Reading
 * never throws and checks all it can, so that one pass reports every mistake.
 *
 *   {"cases": [{"name": "...", "program": "...", "section": "...", "progType": "...",
 *               "input": {"packet": "<hex>" | "packetFile": "F" | "pcap": "F", "pcapIndex": N,
 *                         "ctx": {...} | "F", "mem": "<hex>" | "memFile": "F",
 *                         "maps": {...} | "F", "env": {...} | "F", "budget": N},
 *               "expect": {"retval": N, "r0": "...", "packet": "<hex>", "maps": {...},
 *                          "events": [...], "fault": true}}]}
 *
 * File names stay as written: the caller resolves them (against the sidecar's folder) and
 * reads them. Hex is read leniently (spaces, 0x) and kept as bytes or normalised lowercase.
 */

import { Diagnostic, error, Span } from '../diag';
import { parseEnvJson, parseHex, toHex } from '../input/parse';
import { RunEnv } from '../vm/host';
import { JsonNode, jsonValue, parseJsonTree, positionAt } from './jsonTree';

/** 0-based, end exclusive: the whole of a case's object in the sidecar, for an editor to point at. */
export interface TextRange {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/** Context, maps or environment: given in the sidecar, or a JSON file it names. */
export type Inline<T> = { value: T } | { file: string };

export interface CaseInput {
  packet?: Uint8Array;
  packetFile?: string;
  pcap?: string;
  /** One packet of the capture; without it every packet runs in turn, maps carried over. */
  pcapIndex?: number;
  ctx?: Inline<Record<string, unknown>>;
  mem?: Uint8Array;
  memFile?: string;
  maps?: Inline<unknown>;
  env?: Inline<RunEnv>;
  budget?: number;
}

export interface ExpectedEntry {
  /** Normalised hex; absent for queue, stack and ringbuf entries. */
  key?: string;
  /** Hex, or a name for prog_array and map-in-map values; null: the key must be absent. */
  value?: string | null;
  values?: string[];
}

export interface ExpectedMap {
  type?: string;
  entries: ExpectedEntry[];
}

export interface ExpectedEvent {
  map?: string;
  /** Normalised hex. */
  data: string;
}

export interface Expectation {
  /** The low 32 bits of r0, unsigned. */
  retval?: number;
  /** All 64 bits of r0, unsigned. */
  r0?: bigint;
  packet?: Uint8Array;
  maps?: Record<string, ExpectedMap>;
  events?: ExpectedEvent[];
  fault?: boolean;
}

export interface TestCase {
  name: string;
  range: TextRange;
  program?: string;
  section?: string;
  progType?: string;
  input: CaseInput;
  expect: Expectation;
  /** Where each field lies, by path (`input.pcap`, `expect.maps.stats`), for problems found when the case runs. */
  fields: Map<string, Span>;
}

export interface Sidecar {
  cases: TestCase[];
  diagnostics: Diagnostic[];
}

/** Where a field of a case lies: its own place, else its nearest enclosing field's, else the case's name. */
export function fieldSpan(c: TestCase, path: string): Span {
  for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const s = c.fields.get(p);
    if (s) return s;
  }
  return c.fields.get('')!;
}

export function parseSidecar(text: string): Sidecar {
  const tree = parseJsonTree(text);
  if (!('root' in tree)) {
    const at = positionAt(text, tree.offset);
    return { cases: [], diagnostics: [error('tests-json', `not valid JSON: ${tree.message}`, { line: at.line, col: at.col, endCol: at.col + 1 })] };
  }
  const r = new Reader(text);
  const root = r.object(tree.root, 'the sidecar', ['cases', '$schema']);
  const list = root && r.get(root, 'cases');
  if (root && !list) r.problem(tree.root, 'expected {"cases": [...]}: the sidecar has no "cases"');
  const cases: TestCase[] = [];
  if (list?.kind === 'array') {
    const seen = new Map<string, number>();
    list.items.forEach((item, k) => {
      const c = r.testCase(item, k);
      if (!c) return;
      if (seen.has(c.name)) r.problem(item, `two cases are named '${c.name}' (cases ${seen.get(c.name)} and ${k}); names must differ`);
      seen.set(c.name, k);
      cases.push(c);
    });
  } else if (list) r.problem(list, '"cases" must be an array of cases');
  return { cases, diagnostics: r.diagnostics };
}

const CASE_FIELDS = ['name', 'description', 'program', 'section', 'progType', 'input', 'expect'];
const INPUT_FIELDS = ['packet', 'packetFile', 'pcap', 'pcapIndex', 'ctx', 'mem', 'memFile', 'maps', 'env', 'budget'];
const EXPECT_FIELDS = ['retval', 'r0', 'packet', 'maps', 'events', 'fault'];
const U64_MAX = (1n << 64n) - 1n;

class Reader {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly text: string) {}

  /** A node's span, or `len` characters from an offset (a key). */
  span(node: JsonNode | number, len = 1): Span {
    const start = typeof node === 'number' ? node : node.start;
    const end = typeof node === 'number' ? node + len : node.end;
    const a = positionAt(this.text, start);
    const b = positionAt(this.text, end);
    return { line: a.line, col: a.col, endCol: b.line === a.line ? b.col : a.col + 1 };
  }

  problem(node: JsonNode | number, message: string, len?: number): undefined {
    this.diagnostics.push(error('tests-json', message, this.span(node, len)));
    return undefined;
  }

  /** An object whose keys are all among `known`, or undefined (with a problem). */
  object(node: JsonNode, what: string, known: string[]): Extract<JsonNode, { kind: 'object' }> | undefined {
    if (node.kind !== 'object') return this.problem(node, `${what} must be a JSON object`);
    for (const e of node.entries) {
      if (!known.includes(e.key)) this.problem(e.keyStart, `unknown field '${e.key}' in ${what} (fields: ${known.filter((k) => k !== '$schema').join(', ')})`, JSON.stringify(e.key).length);
    }
    return node;
  }

  get(node: Extract<JsonNode, { kind: 'object' }>, key: string): JsonNode | undefined {
    return node.entries.find((e) => e.key === key)?.value;
  }

  testCase(node: JsonNode, k: number): TestCase | undefined {
    const o = this.object(node, `case ${k}`, CASE_FIELDS);
    if (!o) return undefined;
    const fields = new Map<string, Span>([['', this.span(node)]]);
    const a = positionAt(this.text, node.start);
    const b = positionAt(this.text, node.end);
    const nameNode = this.get(o, 'name');
    const name = nameNode ? this.str(nameNode, '"name"') : this.problem(node, `case ${k} has no "name"`);
    if (nameNode) fields.set('', this.span(nameNode));
    const c: TestCase = { name: name ?? `case ${k}`, range: { line: a.line, col: a.col, endLine: b.line, endCol: b.col }, input: {}, expect: {}, fields };
    if (name === '') this.problem(nameNode!, '"name" must not be empty');
    for (const key of ['program', 'section', 'progType'] as const) {
      const v = this.get(o, key);
      if (v) c[key] = this.str(v, `"${key}"`);
    }
    const input = this.get(o, 'input');
    if (input) c.input = this.input(input, fields) ?? {};
    const expect = this.get(o, 'expect');
    if (expect) c.expect = this.expect(expect, fields) ?? {};
    return name === undefined ? undefined : c;
  }

  private input(node: JsonNode, fields: Map<string, Span>): CaseInput | undefined {
    const o = this.object(node, '"input"', INPUT_FIELDS);
    if (!o) return undefined;
    const inp: CaseInput = {};
    for (const e of o.entries) fields.set(`input.${e.key}`, this.span(e.value));
    const packets = o.entries.filter((e) => ['packet', 'packetFile', 'pcap'].includes(e.key));
    if (packets.length > 1) this.problem(packets[1].keyStart, `give one of "packet", "packetFile", "pcap" (got ${packets.map((e) => `"${e.key}"`).join(', ')})`);
    const mems = o.entries.filter((e) => e.key === 'mem' || e.key === 'memFile');
    if (mems.length > 1) this.problem(mems[1].keyStart, 'give one of "mem", "memFile"');
    for (const e of o.entries) {
      const v = e.value;
      switch (e.key) {
        case 'packet': inp.packet = this.hexBytes(v, '"packet"'); break;
        case 'mem': inp.mem = this.hexBytes(v, '"mem"'); break;
        case 'packetFile': case 'pcap': case 'memFile': inp[e.key] = this.fileName(v, `"${e.key}"`); break;
        case 'pcapIndex': inp.pcapIndex = this.int(v, '"pcapIndex"', 0); break;
        case 'budget': inp.budget = this.int(v, '"budget"', 1); break;
        case 'ctx': inp.ctx = this.inline(v, '"ctx"', (x) => x as Record<string, unknown>); break;
        case 'maps': inp.maps = this.inline(v, '"maps"', (x) => x); break;
        case 'env': inp.env = this.inline(v, '"env"', (x) => {
          const env = parseEnvJson(JSON.stringify(x));
          return typeof env === 'string' ? this.problem(v, env.replace(/^--env:? ?/, '"env": ')) : env;
        }); break;
      }
    }
    if (inp.pcapIndex !== undefined && inp.pcap === undefined) this.problem(this.get(o, 'pcapIndex')!, '"pcapIndex" needs "pcap"');
    return inp;
  }

  private expect(node: JsonNode, fields: Map<string, Span>): Expectation | undefined {
    const o = this.object(node, '"expect"', EXPECT_FIELDS);
    if (!o) return undefined;
    const exp: Expectation = {};
    for (const e of o.entries) fields.set(`expect.${e.key}`, this.span(e.value));
    for (const e of o.entries) {
      const v = e.value;
      switch (e.key) {
        case 'retval': exp.retval = this.retval(v); break;
        case 'r0': exp.r0 = this.r0(v); break;
        case 'packet': exp.packet = this.hexBytes(v, 'expect "packet"'); break;
        case 'fault': exp.fault = v.kind === 'boolean' ? v.value : this.problem(v, '"fault" must be true or false'); break;
        case 'events': exp.events = this.events(v); break;
        case 'maps': exp.maps = this.maps(v, fields); break;
      }
    }
    if (exp.fault && (exp.retval !== undefined || exp.r0 !== undefined)) this.problem(node, 'a case that expects a fault has no "retval" or "r0" to compare');
    return exp;
  }

  /** An integer that fits 32 bits, signed or not, as the unsigned value BPF_PROG_TEST_RUN reports. */
  private retval(v: JsonNode): number | undefined {
    if (v.kind !== 'number' || !Number.isInteger(v.value) || v.value < -(2 ** 31) || v.value >= 2 ** 32) {
      return this.problem(v, '"retval" must be an integer of 32 bits (e.g. 2 for XDP_PASS, -1 for 0xffffffff)');
    }
    return v.value >>> 0;
  }

  /** r0's 64 bits: a decimal or 0x string (negative means two's complement), or a safe integer. */
  private r0(v: JsonNode): bigint | undefined {
    let n: bigint | undefined;
    if (v.kind === 'string' && /^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(v.value.trim())) {
      const s = v.value.trim();
      n = s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
    } else if (v.kind === 'number' && Number.isSafeInteger(v.value)) n = BigInt(v.value);
    if (n === undefined || n > U64_MAX || n < -(1n << 63n)) {
      return this.problem(v, '"r0" must be a 64-bit integer as a string, e.g. "18446744073709551615" or "0xffffffffffffffff"');
    }
    return BigInt.asUintN(64, n);
  }

  private events(v: JsonNode): ExpectedEvent[] | undefined {
    if (v.kind !== 'array') return this.problem(v, '"events" must be an array of {"map": "NAME", "data": "<hex>"} (or of hex strings)');
    const out: ExpectedEvent[] = [];
    for (const item of v.items) {
      if (item.kind === 'string') {
        const data = this.hex(item, 'an event');
        if (data !== undefined) out.push({ data });
        continue;
      }
      const o = this.object(item, 'an event', ['map', 'data']);
      if (!o) continue;
      const data = this.get(o, 'data');
      if (!data) { this.problem(item, 'an event needs "data": its bytes in hex'); continue; }
      const hex = this.hex(data, 'an event\'s "data"');
      const map = this.get(o, 'map');
      const name = map && this.str(map, 'an event\'s "map"');
      if (hex !== undefined) out.push(name ? { map: name, data: hex } : { data: hex });
    }
    return out;
  }

  private maps(v: JsonNode, fields: Map<string, Span>): Record<string, ExpectedMap> | undefined {
    if (v.kind !== 'object') return this.problem(v, 'expect "maps" must be an object of maps by name: {"NAME": {"entries": [...]}}');
    const out: Record<string, ExpectedMap> = {};
    for (const e of v.entries) {
      fields.set(`expect.maps.${e.key}`, this.span(e.keyStart, JSON.stringify(e.key).length));
      const o = this.object(e.value, `map '${e.key}'`, ['type', 'entries']);
      if (!o) continue;
      const m: ExpectedMap = { entries: [] };
      const type = this.get(o, 'type');
      if (type) m.type = this.str(type, `map '${e.key}' "type"`);
      const entries = this.get(o, 'entries');
      if (!entries || entries.kind !== 'array') { this.problem(entries ?? e.value, `map '${e.key}' needs "entries": an array of {"key": "<hex>", "value": "<hex>"}`); continue; }
      entries.items.forEach((item, i) => {
        const entry = this.entry(item, `map '${e.key}' entry ${i}`);
        if (entry) m.entries.push(entry);
      });
      out[e.key] = m;
    }
    return out;
  }

  private entry(node: JsonNode, what: string): ExpectedEntry | undefined {
    const o = this.object(node, what, ['key', 'value', 'values']);
    if (!o) return undefined;
    const out: ExpectedEntry = {};
    const key = this.get(o, 'key');
    if (key) out.key = this.hex(key, `${what} "key"`);
    const value = this.get(o, 'value');
    const values = this.get(o, 'values');
    if (value && values) return this.problem(node, `${what}: give "value" or "values", not both`);
    if (!value && !values) return this.problem(node, `${what} needs "value" (null: the key must be absent) or "values" (one per CPU)`);
    if (value?.kind === 'null') {
      if (!key) return this.problem(value, `${what}: "value": null (absent) needs a "key"`);
      out.value = null;
    } else if (value) out.value = this.str(value, `${what} "value"`);
    if (values) {
      if (values.kind !== 'array') return this.problem(values, `${what} "values" must be an array of hex strings, one per CPU`);
      out.values = values.items.map((x) => this.hex(x, `${what} "values"`) ?? '');
    }
    return out;
  }

  private inline<T>(v: JsonNode, what: string, read: (x: unknown) => T | undefined): Inline<T> | undefined {
    if (v.kind === 'string') return { file: this.fileName(v, what)! };
    if (v.kind !== 'object') return this.problem(v, `${what} must be an object, or the name of a JSON file`);
    const value = read(jsonValue(v));
    return value === undefined ? undefined : { value };
  }

  private str(v: JsonNode, what: string): string | undefined {
    return v.kind === 'string' ? v.value : this.problem(v, `${what} must be a string`);
  }

  private fileName(v: JsonNode, what: string): string | undefined {
    const s = this.str(v, `${what} (a file name)`);
    return s === '' ? this.problem(v, `${what} must name a file`) : s;
  }

  private int(v: JsonNode, what: string, min: number): number | undefined {
    return v.kind === 'number' && Number.isSafeInteger(v.value) && v.value >= min ? v.value : this.problem(v, `${what} must be an integer ≥ ${min}`);
  }

  private hexBytes(v: JsonNode, what: string): Uint8Array | undefined {
    if (v.kind !== 'string') return this.problem(v, `${what} must be a string of hex bytes`);
    const b = parseHex(v.value);
    return typeof b === 'string' ? this.problem(v, `${what}: ${b}`) : b;
  }

  private hex(v: JsonNode, what: string): string | undefined {
    const b = this.hexBytes(v, what);
    return b && toHex(b);
  }
}
