/** Core results to LSP types: the only place that knows both (0-based positions on both sides). */

import {
  CompletionItemKind, Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DocumentSymbol,
  Range, SymbolKind, TextEdit,
} from 'vscode-languageserver';
import { Diagnostic, Span } from '../core/diag';
import { OutlineNode } from '../core/ide/navigation';
import { NameKind } from '../core/ide/symbols';

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information };

export function toRange(s: Span | undefined): Range {
  const span = s ?? { line: 0, col: 0, endCol: 0 };
  return { start: { line: span.line, character: span.col }, end: { line: span.line, character: Math.max(span.endCol, span.col) } };
}

/**
 * A diagnostic with the verifier's path as related information (when the client takes it),
 * and its explanation and fix in the message body, which every client shows.
 */
export function toLspDiagnostic(d: Diagnostic, uri: string, relatedInformation = true): LspDiagnostic {
  const body = [d.message, ...(d.detail ?? []).filter((l) => l !== d.message).map((l) => `  ${l}`)];
  if (d.explain) body.push(`Why: ${d.explain}`);
  if (d.fix) body.push(`Fix: ${d.fix}`);
  const related: DiagnosticRelatedInformation[] = (d.related ?? [])
    .filter((r) => r.span)
    .map((r) => ({ location: { uri, range: toRange(r.span) }, message: r.message }));
  return {
    range: toRange(d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'ebpf',
    message: body.join('\n'),
    ...(relatedInformation && related.length ? { relatedInformation: related } : {}),
  };
}

const SYMBOL_KINDS: Record<NameKind, SymbolKind> = {
  label: SymbolKind.Key, function: SymbolKind.Function, map: SymbolKind.Variable, section: SymbolKind.Namespace,
};

export function toDocumentSymbol(n: OutlineNode, lines: readonly string[]): DocumentSymbol {
  const endLine = Math.max(n.endLine, n.span.line);
  return {
    name: n.name,
    detail: n.detail,
    kind: SYMBOL_KINDS[n.kind],
    range: { start: { line: n.span.line, character: 0 }, end: { line: endLine, character: lines[endLine]?.length ?? 0 } },
    selectionRange: toRange(n.span),
    children: n.children.map((c) => toDocumentSymbol(c, lines)),
  };
}

export function symbolKind(kind: NameKind): SymbolKind {
  return SYMBOL_KINDS[kind];
}

export const COMPLETION_KINDS: Record<string, CompletionItemKind> = {
  keyword: CompletionItemKind.Keyword, register: CompletionItemKind.Variable, function: CompletionItemKind.Function,
  variable: CompletionItemKind.Variable, field: CompletionItemKind.Field, label: CompletionItemKind.Reference,
  snippet: CompletionItemKind.Snippet, module: CompletionItemKind.Module,
};

export function replaceSpan(s: Span, newText: string): TextEdit {
  return { range: toRange(s), newText };
}
