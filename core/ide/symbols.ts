/**
 * The names a document defines and uses: labels, functions (labels that are programs or
 * bpf-to-bpf call targets), maps and sections, each definition with its span and every
 * use of the name. Found from the lexer's tokens, so that a broken file still has them.
 *
 * A name is used wherever an identifier token spells it outside its definition: jump
 * targets (`goto out`, `ja out`), calls (`call helper_fn`), map references (`r1 = counts ll`),
 * `.globl` and the like. Classic BPF has labels only.
 */

import { Span } from '../diag';
import { BpfObject } from '../object';
import { lex, Statement, Token } from '../asm/lexer';
import { listPrograms } from '../link';

export type NameKind = 'label' | 'function' | 'map' | 'section';

export interface NameDef {
  name: string;
  kind: NameKind;
  /** The name where it is defined. */
  span: Span;
  /** Functions and sections: the lines they run over (up to the next function or section). */
  endLine?: number;
}

export interface NameUse {
  name: string;
  span: Span;
}

export interface SymbolTable {
  defs: NameDef[];
  uses: NameUse[];
}

function spanOf(t: Token): Span {
  return { line: t.line, col: t.col, endCol: t.endCol };
}

/** `statements`: the text lexed in `flavour` (given when the caller has it already). */
export function collectSymbols(text: string, object: BpfObject | undefined, flavour: 'ebpf' | 'cbpf', statements: readonly Statement[] = lex(text, { flavour })): SymbolTable {
  const defs: NameDef[] = [];
  const idents: Token[] = [];
  const defTokens = new Set<Token>();
  const functions = new Set<string>();
  if (object) {
    for (const p of listPrograms(object)) functions.add(p.name);
    for (const s of object.symbols) if (s.kind === 'func') functions.add(s.name);
  }
  let lastLine = 0;
  // Split as the lexer splits (a lone \r ends a line too), and only when a section needs its name's text.
  let split: string[] | undefined;
  const lines = () => (split ??= text.split(/\r\n|\r|\n/));
  for (const st of statements) {
    const toks = st.tokens;
    if (!toks.length) continue;
    lastLine = Math.max(lastLine, toks[toks.length - 1].line);
    const first = toks[0];
    if (first.kind === 'ident' && toks[1]?.text === ':' && toks[1].line === first.line) {
      defs.push({ name: first.text, kind: functions.has(first.text) ? 'function' : 'label', span: spanOf(first) });
      defTokens.add(first);
    } else if (flavour === 'ebpf' && first.kind === 'ident' && first.text.startsWith('.')) {
      const d = first.text.toLowerCase();
      const arg = toks[1];
      if (d === '.map' && arg?.kind === 'ident') { defs.push({ name: arg.text, kind: 'map', span: spanOf(arg) }); defTokens.add(arg); }
      else if (d === '.section' && arg) {
        // A section name may hold dots and slashes (`xdp.frags`, `tc/ingress`): take the tokens up to a comma.
        let end = 1;
        while (toks[end + 1] && toks[end + 1].text !== ',' && toks[end + 1].line === arg.line && toks[end + 1].col === toks[end].endCol) end++;
        const last = toks[end];
        defs.push({ name: lines()[arg.line].slice(arg.col, last.endCol), kind: 'section', span: { line: arg.line, col: arg.col, endCol: last.endCol } });
        for (let k = 1; k <= end; k++) defTokens.add(toks[k]);
      } else if (d === '.text' || d === '.data' || d === '.rodata' || d === '.bss') {
        defs.push({ name: first.text, kind: 'section', span: spanOf(first) });
      }
      for (const t of toks.slice(1)) if (t.kind === 'ident' && !defTokens.has(t)) idents.push(t);
      continue;
    }
    for (const t of toks) if (t.kind === 'ident' && !defTokens.has(t)) idents.push(t);
  }
  // Functions and sections run to the next of their kind.
  for (const kind of ['function', 'section'] as const) {
    const list = defs.filter((d) => d.kind === kind).sort((a, b) => a.span.line - b.span.line);
    list.forEach((d, k) => { d.endLine = k + 1 < list.length ? list[k + 1].span.line - 1 : lastLine; });
  }
  const named = new Set(defs.filter((d) => d.kind !== 'section').map((d) => d.name));
  const uses = idents.filter((t) => named.has(t.text)).map((t) => ({ name: t.text, span: spanOf(t) }));
  return { defs, uses };
}

/** The definition or use under a position, if any. */
export function nameAt(table: SymbolTable, line: number, col: number): { name: string; span: Span; def?: NameDef } | undefined {
  const inside = (s: Span) => s.line === line && col >= s.col && col <= s.endCol;
  const def = table.defs.find((d) => inside(d.span));
  if (def) return { name: def.name, span: def.span, def };
  const use = table.uses.find((u) => inside(u.span));
  if (!use) return undefined;
  return { name: use.name, span: use.span, def: table.defs.find((d) => d.name === use.name && d.kind !== 'section') };
}
