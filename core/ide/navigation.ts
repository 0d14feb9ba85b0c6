/**
 * Moving around a document by its names: go to definition, find references, highlight,
 * rename, and the outline (document symbols). Labels, functions and maps all work the same
 * way; sections appear in the outline only.
 */

import { Span } from '../diag';
import { knownMnemonics } from '../asm/match';
import { Analysis } from './analysis';
import { NameDef, NameKind, nameAt } from './symbols';

export function definitionAt(a: Analysis, line: number, col: number): Span | undefined {
  return nameAt(a.symbols, line, col)?.def?.span;
}

/** Every place the name under the cursor appears; its definition first when asked for. */
export function referencesAt(a: Analysis, line: number, col: number, includeDefinition = true): Span[] {
  const at = nameAt(a.symbols, line, col);
  if (!at) return [];
  const uses = a.symbols.uses.filter((u) => u.name === at.name).map((u) => u.span);
  return includeDefinition && at.def ? [at.def.span, ...uses] : uses;
}

export function highlightsAt(a: Analysis, line: number, col: number): { span: Span; definition: boolean }[] {
  const at = nameAt(a.symbols, line, col);
  if (!at?.def) return [];
  return referencesAt(a, line, col).map((span) => ({ span, definition: span === at.def!.span }));
}

/** The span a rename would replace, or why the name under the cursor cannot be renamed. */
export function prepareRename(a: Analysis, line: number, col: number): { span: Span; name: string } | { error: string } {
  const at = nameAt(a.symbols, line, col);
  if (!at?.def) return { error: 'Only labels, functions and maps can be renamed' };
  return { span: at.span, name: at.name };
}

const IDENT = /^[A-Za-z_.$][A-Za-z0-9_.$]*$/;
const RESERVED = new Set(['goto', 'call', 'exit', 'if', 'lock', 'll', 'callx', 'gotol', 'may_goto', 'be16', 'be32', 'be64',
  'le16', 'le32', 'le64', 'bswap16', 'bswap32', 'bswap64', 'skb', 'map_fd', 'map_value', 'map_idx', 'map_idx_value', 'btf_id', 'func',
  'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 'x', 'a', 'M']);

/** The edits renaming the name under the cursor, or why not. */
export function renameAt(a: Analysis, line: number, col: number, newName: string): { spans: Span[] } | { error: string } {
  const prep = prepareRename(a, line, col);
  if ('error' in prep) return prep;
  if (!IDENT.test(newName) || newName.startsWith('.')) return { error: `'${newName}' is not a valid name` };
  if (/^[rw]\d{1,2}$/.test(newName) || RESERVED.has(newName) || knownMnemonics('ubpf').includes(newName)) {
    return { error: `'${newName}' is a register or keyword` };
  }
  if (newName !== prep.name && a.symbols.defs.some((d) => d.name === newName)) return { error: `'${newName}' is already defined` };
  return { spans: referencesAt(a, line, col, true) };
}

export interface OutlineNode {
  name: string;
  kind: NameKind;
  /** The name's span; `endLine` closes the node's range. */
  span: Span;
  endLine: number;
  detail?: string;
  children: OutlineNode[];
}

/** Sections holding their functions, functions holding their labels; maps at the top. */
export function documentSymbols(a: Analysis): OutlineNode[] {
  const node = (d: NameDef, detail?: string): OutlineNode => ({ name: d.name, kind: d.kind, span: d.span, endLine: d.endLine ?? d.span.line, detail, children: [] });
  const top: OutlineNode[] = [];
  const sections: OutlineNode[] = [];
  const functions: OutlineNode[] = [];
  const within = (list: OutlineNode[], line: number) => list.find((n) => line >= n.span.line && line <= n.endLine);
  for (const d of [...a.symbols.defs].sort((x, y) => x.span.line - y.span.line)) {
    if (d.kind === 'map') {
      const m = a.object.maps.find((x) => x.name === d.name);
      top.push(node(d, m ? `${m.type} ${m.keySize}→${m.valueSize} ×${m.maxEntries}` : undefined));
    } else if (d.kind === 'section') {
      const n = node(d, a.programs.find((p) => p.ref.section === d.name)?.progType);
      sections.push(n);
      top.push(n);
    } else if (d.kind === 'function') {
      const n = node(d);
      functions.push(n);
      (within(sections, d.span.line)?.children ?? top).push(n);
    } else {
      (within(functions, d.span.line) ?? within(sections, d.span.line))?.children.push(node(d)) ?? top.push(node(d));
    }
  }
  return top;
}
