/**
 * Assembler directives: what llvm-mc accepts (so that `clang -S` output assembles) plus
 * our own `.map` and `.license`.
 *
 * Section and symbol directives shape the object; data directives emit bytes (instruction
 * bytes in a code section, which is how tests write invalid encodings); directives that
 * only matter to a linker or debugger (`.p2align`, `.size`, `.file`, `.loc`, `.cfi_*`,
 * `.addrsig`...) are accepted and ignored. An unknown directive is a warning, not an error,
 * so that newer compiler output still assembles.
 */

import { Diagnostic, Span, error, warning } from '../diag';
import { BpfObject, BpfSymbol, MapDef } from '../object';
import { mapFlagByName, mapTypeByName } from '../maps/table';
import { Token } from './lexer';

export interface DirectiveState {
  obj: BpfObject;
  diags: Diagnostic[];
  switchSection(name: string, flags: string | undefined, span: Span): void;
  emitData(bytes: number[], span: Span): void;
  symbol(name: string): BpfSymbol;
}

const IGNORED = new Set(['.p2align', '.align', '.balign', '.size', '.file', '.loc', '.ident', '.addrsig', '.addrsig_sym',
  '.local', '.weak', '.hidden', '.protected', '.internal', '.visibility', '.set', '.equ', '.previous', '.popsection',
  '.pushsection', '.subsection', '.version', '.loc_mark_labels', '.Lfunc_end', '.uleb128', '.sleb128']);

const DATA_SIZES: Record<string, number> = {
  '.byte': 1, '.short': 2, '.hword': 2, '.2byte': 2, '.value': 2,
  '.long': 4, '.int': 4, '.4byte': 4, '.word': 4, '.quad': 8, '.8byte': 8, '.dword': 8,
};

function span(a: Token, b: Token = a): Span {
  return { line: a.line, col: a.col, endCol: b.line === a.line ? b.endCol : a.endCol };
}

export function handleDirective(toks: Token[], st: DirectiveState): void {
  const name = toks[0].text.toLowerCase();
  const args = toks.slice(1);
  const whole = span(toks[0], toks[toks.length - 1]);
  if (name === '.text' || name === '.data' || name === '.rodata' || name === '.bss') {
    st.switchSection(name, name === '.text' ? 'ax' : 'aw', whole);
    return;
  }
  if (name === '.section') {
    const nameTok = args[0];
    if (!nameTok) { st.diags.push(error('directive', '.section needs a section name', whole)); return; }
    // A section name may contain '/' and other punctuation (kprobe/do_unlinkat): join the tokens up to a comma.
    let secName = '';
    let k = 0;
    for (; k < args.length && args[k].text !== ',' && (k === 0 || args[k].col === args[k - 1].endCol); k++) secName += args[k].kind === 'str' ? args[k].text : args[k].text;
    const flagsTok = args[k]?.text === ',' ? args[k + 1] : undefined;
    st.switchSection(secName, flagsTok?.kind === 'str' ? flagsTok.text : undefined, whole);
    return;
  }
  if (name === '.globl' || name === '.global') {
    for (const a of args) if (a.kind === 'ident') { const s = st.symbol(a.text); s.global = true; s.kind = s.kind === 'label' ? 'func' : s.kind; }
    return;
  }
  if (name === '.type') {
    const sym = args[0];
    const kind = args.find((a, i) => i > 0 && a.kind === 'ident');
    if (sym?.kind === 'ident' && kind) {
      const s = st.symbol(sym.text);
      if (kind.text === 'function') s.kind = 'func';
      else if (kind.text === 'object') s.kind = 'object';
    }
    return;
  }
  if (name in DATA_SIZES) {
    const size = DATA_SIZES[name];
    for (const v of values(args, st, whole)) {
      const bytes: number[] = [];
      let x = BigInt.asUintN(size * 8, v);
      for (let i = 0; i < size; i++) { bytes.push(Number(x & 0xffn)); x >>= 8n; }
      st.emitData(bytes, whole);
    }
    return;
  }
  if (name === '.zero' || name === '.space' || name === '.skip') {
    const n = values(args.slice(0, 1), st, whole)[0] ?? 0n;
    if (n < 0n || n > 1n << 24n) { st.diags.push(error('directive', `${name} size ${n} is out of range`, whole)); return; }
    st.emitData(new Array(Number(n)).fill(0), whole);
    return;
  }
  if (name === '.ascii' || name === '.asciz' || name === '.string') {
    for (const a of args) {
      if (a.kind !== 'str') continue;
      const bytes = Array.from(new TextEncoder().encode(a.text));
      if (name !== '.ascii') bytes.push(0);
      st.emitData(bytes, whole);
    }
    return;
  }
  if (name === '.license') {
    const s = args[0];
    if (s?.kind !== 'str') { st.diags.push(error('directive', '.license needs a quoted string, e.g. .license "GPL"', whole)); return; }
    st.obj.license = s.text;
    return;
  }
  if (name === '.map') {
    const def = parseMap(args, st, whole);
    if (def) {
      if (st.obj.maps.some((m) => m.name === def.name)) st.diags.push(error('duplicate-map', `map '${def.name}' is already declared`, whole));
      else st.obj.maps.push(def);
    }
    return;
  }
  if (IGNORED.has(name) || name.startsWith('.cfi_')) return;
  st.diags.push(warning('unknown-directive', `unknown directive ${toks[0].text} is ignored`, span(toks[0])));
}

/** Comma-separated signed numbers. */
function values(args: Token[], st: DirectiveState, whole: Span): bigint[] {
  const out: bigint[] = [];
  let neg = false;
  for (const a of args) {
    if (a.text === ',') continue;
    if (a.text === '-') { neg = true; continue; }
    if (a.kind !== 'num' || a.value === undefined) {
      st.diags.push(error('directive', `expected a number but found '${a.text}'`, span(a)));
      return out;
    }
    out.push(neg ? -a.value : a.value);
    neg = false;
  }
  void whole;
  return out;
}

const MAP_KEYS = ['type', 'key', 'key_size', 'value', 'value_size', 'max_entries', 'flags', 'map_flags', 'inner'];

/** `.map NAME, type=hash, key=4, value=8, max_entries=1024, flags=no_prealloc, inner=OTHER` */
function parseMap(args: Token[], st: DirectiveState, whole: Span): MapDef | undefined {
  const nameTok = args[0];
  if (nameTok?.kind !== 'ident') {
    st.diags.push(error('directive', '.map needs a name: .map NAME, type=hash, key=4, value=8, max_entries=1024', whole));
    return undefined;
  }
  const def: MapDef = { name: nameTok.text, type: '', keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, span: whole };
  const seen = new Set<string>();
  // Split the rest into `key = value...` groups at top-level commas.
  const groups: Token[][] = [];
  for (const t of args.slice(1)) {
    if (t.text === ',') groups.push([]);
    else if (groups.length) groups[groups.length - 1].push(t);
    else { st.diags.push(error('directive', `expected ',' after the map name but found '${t.text}'`, span(t))); return undefined; }
  }
  for (const g of groups) {
    const [k, eq, ...rest] = g;
    if (!k || k.kind !== 'ident' || eq?.text !== '=' || rest.length === 0) {
      st.diags.push(error('directive', `expected KEY=VALUE (one of ${MAP_KEYS.join(', ')})`, g[0] ? span(g[0], g[g.length - 1]) : whole));
      return undefined;
    }
    const key = k.text.toLowerCase();
    seen.add(key);
    const num = (): number | undefined => {
      const v = rest[0];
      if (rest.length !== 1 || v.kind !== 'num' || v.value === undefined || v.value > 0xffffffffn) {
        st.diags.push(error('directive', `${key} takes a number from 0 to 4294967295`, span(rest[0], rest[rest.length - 1])));
        return undefined;
      }
      return Number(v.value);
    };
    switch (key) {
      case 'type': {
        const t = rest[0];
        const row = t.kind === 'num' ? undefined : mapTypeByName(t.text);
        if (!row || rest.length !== 1) {
          st.diags.push(error('unknown-map-type', `unknown map type '${rest.map((x) => x.text).join('')}'`, span(t, rest[rest.length - 1])));
          return undefined;
        }
        def.type = row.name;
        break;
      }
      case 'key': case 'key_size': def.keySize = num() ?? 0; break;
      case 'value': case 'value_size': def.valueSize = num() ?? 0; break;
      case 'max_entries': def.maxEntries = num() ?? 0; break;
      case 'flags': case 'map_flags': {
        let flags = 0;
        for (const f of rest) {
          if (f.text === '|') continue;
          if (f.kind === 'num' && f.value !== undefined) { flags |= Number(f.value & 0xffffffffn); continue; }
          const row = mapFlagByName(f.text);
          if (!row) { st.diags.push(error('directive', `unknown map flag '${f.text}'`, span(f))); return undefined; }
          flags |= row.value;
        }
        def.flags = flags >>> 0;
        break;
      }
      case 'inner':
        if (rest[0].kind !== 'ident') { st.diags.push(error('directive', 'inner takes the name of another .map', span(rest[0]))); return undefined; }
        def.inner = rest[0].text;
        break;
      default:
        st.diags.push(error('directive', `unknown map attribute '${k.text}' (expected one of ${MAP_KEYS.join(', ')})`, span(k)));
        return undefined;
    }
  }
  if (!seen.has('type')) { st.diags.push(error('directive', `map '${def.name}' needs a type, e.g. type=hash`, whole)); return undefined; }
  if (mapTypeByName(def.type)?.mapInMap && !def.inner) {
    st.diags.push(error('directive', `map '${def.name}' of type ${def.type} needs inner=NAME, the map its values follow`, whole));
  }
  if (mapTypeByName(def.type)?.mapInMap && !seen.has('value') && !seen.has('value_size')) def.valueSize = 4;
  return def;
}
