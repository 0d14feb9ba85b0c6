/**
 * The language features, each a function from a document's analysis and the request's
 * parameters to an LSP result. They run in the analysis worker; core/ide computes, this
 * file only converts. A feature that throws answers empty (the worker catches and logs).
 */

import {
  CodeAction, CodeActionKind, CodeLens, CompletionItem as LspCompletionItem, Diagnostic as LspDiagnostic, DocumentHighlightKind, InlayHint, Range, FoldingRange, FoldingRangeKind, FormattingOptions, Hover, InsertTextFormat,
  Location, MarkupKind, Position, SemanticTokens, SignatureHelp, SymbolInformation, TextEdit, WorkspaceEdit,
} from 'vscode-languageserver';
import { hoverAt } from '../core/ide/hover';
import { CompletionItem, completionsAt, resolveCompletion } from '../core/ide/completion';
import { signatureHelpAt } from '../core/ide/signature';
import { TOKEN_MODIFIERS, TOKEN_TYPES, foldingRanges, semanticTokens } from '../core/ide/tokens';
import { formatEdits } from '../core/ide/format';
import { quickFixes } from '../core/ide/fixes';
import { codeLenses } from '../core/ide/lens';
import { inlayHints } from '../core/ide/inlay';
import { controlFlowGraph } from '../core/ide/cfg';
import { coverageInputs, documentCoverage, lineCoverage } from '../core/ide/coverage';
import { runProgram } from '../core/vm/run';
import { MapSet } from '../core/maps/create';
import { progTypeByName } from '../core/progtypes/table';
import { readCapture } from '../core/input/pcap';
import { parseHex } from '../core/input/parse';
import { kernelVerdicts } from './crossCheck';
import { findCounterexample } from '../core/counterexample';
import { z3Solver } from '../core/counterexample/z3';
import { Analysis } from '../core/ide/analysis';
import {
  definitionAt, documentSymbols, highlightsAt, prepareRename, referencesAt, renameAt,
} from '../core/ide/navigation';
import { ServerSettings } from './protocol';
import { COMPLETION_KINDS, symbolKind, toDocumentSymbol, toRange } from './convert';

export interface FeatureContext {
  uri: string;
  settings: ServerSettings;
  /** Every analysed document, for workspace-wide requests. */
  all: () => Iterable<{ uri: string; analysis: Analysis }>;
}

interface PositionParams { position: Position }

type Feature = (a: Analysis, params: never, ctx: FeatureContext) => unknown;

const at = (p: PositionParams) => [p.position.line, p.position.character] as const;

export const FEATURES: Record<string, Feature> = {
  'textDocument/hover': (a, p: PositionParams): Hover | null => {
    const h = hoverAt(a, ...at(p));
    return h ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: toRange(h.span) } : null;
  },
  'textDocument/completion': (a, p: PositionParams, ctx) => ({
    isIncomplete: false,
    items: completionsAt(a, ...at(p)).map((item) => toLspCompletion(item, ctx.uri)),
  }),
  'textDocument/signatureHelp': (a, p: PositionParams): SignatureHelp | null => {
    const s = signatureHelpAt(a, ...at(p));
    if (!s) return null;
    return {
      signatures: [{ label: s.label, documentation: s.documentation, parameters: s.parameters.map((x) => ({ label: x.label, documentation: x.documentation })) }],
      activeSignature: 0, activeParameter: s.activeParameter,
    };
  },
  'textDocument/definition': (a, p: PositionParams, ctx): Location | null => {
    const span = definitionAt(a, ...at(p));
    return span ? { uri: ctx.uri, range: toRange(span) } : null;
  },
  'textDocument/references': (a, p: PositionParams & { context?: { includeDeclaration?: boolean } }, ctx): Location[] =>
    referencesAt(a, ...at(p), p.context?.includeDeclaration ?? true).map((s) => ({ uri: ctx.uri, range: toRange(s) })),
  'textDocument/documentHighlight': (a, p: PositionParams) =>
    highlightsAt(a, ...at(p)).map((h) => ({ range: toRange(h.span), kind: h.definition ? DocumentHighlightKind.Write : DocumentHighlightKind.Read })),
  'textDocument/prepareRename': (a, p: PositionParams) => {
    const r = prepareRename(a, ...at(p));
    if ('error' in r) throw new RequestError(r.error);
    return { range: toRange(r.span), placeholder: r.name };
  },
  'textDocument/rename': (a, p: PositionParams & { newName: string }, ctx): WorkspaceEdit => {
    const r = renameAt(a, ...at(p), p.newName);
    if ('error' in r) throw new RequestError(r.error);
    return { changes: { [ctx.uri]: r.spans.map((s) => ({ range: toRange(s), newText: p.newName })) } };
  },
  'textDocument/documentSymbol': (a) => documentSymbols(a).map((n) => toDocumentSymbol(n, a.lines)),
  'textDocument/semanticTokens/full': (a): SemanticTokens => {
    const defs = a.symbols.defs;
    const names = (kind: string) => new Set(defs.filter((d) => d.kind === kind).map((d) => d.name));
    const tokens = semanticTokens(a.text, a.language, { labels: names('label'), maps: names('map'), functions: names('function') });
    // LSP's encoding: each token relative to the one before (line delta, then start delta on the same line).
    const data: number[] = [];
    let line = 0, col = 0;
    for (const t of tokens) {
      const modifiers = (t.modifiers ?? []).reduce((bits, m) => bits | (1 << TOKEN_MODIFIERS.indexOf(m)), 0);
      data.push(t.line - line, t.line === line ? t.col - col : t.col, t.length, TOKEN_TYPES.indexOf(t.type), modifiers);
      line = t.line;
      col = t.col;
    }
    return { data };
  },
  'textDocument/foldingRange': (a): FoldingRange[] => foldingRanges(a.text, a.language).map((r) => ({
    startLine: r.startLine, endLine: r.endLine,
    ...(r.kind ? { kind: r.kind === 'comment' ? FoldingRangeKind.Comment : FoldingRangeKind.Region } : {}),
  })),
  'textDocument/codeAction': (a, p: { range: Range; context: { diagnostics: LspDiagnostic[] } }, ctx): CodeAction[] =>
    (p.context?.diagnostics ?? []).flatMap((lsp) => {
      // The client hands back what we published: find the analysis's diagnostic by line and first message line.
      const first = lsp.message.split('\n')[0];
      const d = a.diagnostics.find((x) => x.span?.line === lsp.range.start.line && x.message === first);
      if (!d) return [];
      const fixes = quickFixes(a, d).map((f): CodeAction => ({
        title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [lsp], isPreferred: !!f.preferred,
        edit: { changes: { [ctx.uri]: f.edits.map((e) => ({ range: { start: { line: e.line, character: e.col }, end: { line: e.endLine, character: e.endCol } }, newText: e.newText })) } },
      }));
      const rejected = d.code === 'verifier' ? a.programs.find((x) => x.result && !x.result.accepted && x.result.message === d.message && x.result.insnIdx !== undefined && x.program.lines[x.result.insnIdx]?.line === d.span?.line) : undefined;
      if (rejected) {
        const target = { section: rejected.ref.section, program: rejected.ref.name, uri: ctx.uri };
        fixes.push({ title: 'Debug this error', kind: CodeActionKind.QuickFix, diagnostics: [lsp], command: { title: 'Debug this error', command: 'ebpf.debugError', arguments: [target] } });
      }
      return fixes;
    }),
  'textDocument/codeLens': (a): CodeLens[] => codeLenses(a).map((l) => ({
    range: { start: { line: l.line, character: 0 }, end: { line: l.line, character: 0 } },
    command: l.command ? { title: l.title, command: l.command.id, arguments: l.command.args } : { title: l.title, command: '' },
  })),
  'textDocument/inlayHint': (a, p: { range: Range }, ctx): InlayHint[] => (ctx.settings.inlayHints
    ? inlayHints(a, { startLine: p.range.start.line, endLine: p.range.end.line }).map((h) => ({ position: { line: h.line, character: h.col }, label: h.label, paddingLeft: true }))
    : []),
  // The client's views and commands (client/): plain JSON, no LSP types.
  'ebpf/cfg': (a, p: { program?: number }) => controlFlowGraph(a, p.program ?? 0) ?? null,
  'ebpf/verify': (a) => ({
    language: a.language,
    errors: a.diagnostics.filter((d) => d.severity === 'error' && d.code !== 'verifier').length,
    programs: a.programs.map((p) => ({
      section: p.ref.section, name: p.ref.name, progType: p.progType, insns: p.program.insns.length,
      takesPacket: progTypeByName(p.progType)?.testRun === 'packet',
      accepted: p.result?.accepted, message: p.result?.message, processedInsns: p.result?.stats.processedInsns,
      explain: p.result?.diagnostics[0]?.explain, fix: p.result?.diagnostics[0]?.fix,
      line: p.result?.insnIdx !== undefined ? p.program.lines[p.result.insnIdx]?.line : undefined,
    })),
  }),
  'ebpf/verifyKernel': (a) => kernelVerdicts(a),
  // An input that drives the VM to the rejected instruction, or why none can (core/counterexample).
  'ebpf/counterexample': async (a, p: { section?: string; program?: string }) => {
    const prog = a.programs.find((x) => x.result && !x.result.accepted && (!p.section || x.ref.section === p.section) && (!p.program || x.ref.name === p.program));
    if (!prog?.result || prog.result.insnIdx === undefined) return { error: 'no program of the document is rejected at an instruction' };
    const pos = prog.program.lines[prog.result.insnIdx];
    return {
      section: prog.ref.section, program: prog.ref.name, progType: prog.progType, insn: prog.result.insnIdx, line: pos?.line, file: pos?.file,
      message: prog.result.message, counterexample: await findCounterexample({ object: a.object, ref: prog.ref, progType: prog.progType, result: prog.result }, z3Solver),
    };
  },
  'ebpf/coverage': (a, p: { section?: string; program?: string; input?: { packet?: string; pcap?: Uint8Array; ctx?: Record<string, unknown> } }) => {
    const inputs = p.input ? coverageInputs({ packetHex: p.input.packet, pcap: p.input.pcap, ctx: p.input.ctx }) : undefined;
    if (inputs && 'severity' in inputs) return { lines: lineCoverage(a), error: inputs.message };
    const c = documentCoverage(a, { section: p.section, program: p.program }, inputs);
    const run = c.program !== undefined ? a.programs[c.program] : undefined;
    return { ...c, counts: c.counts ? Array.from(c.counts) : undefined, ...(run ? { run: { section: run.ref.section, name: run.ref.name, progType: run.progType } } : {}) };
  },
  'ebpf/run': (a, p: { section?: string; program?: string; packetHex?: string; pcap?: Uint8Array }) => {
    const prog = a.programs.find((x) => (!p.section || x.ref.section === p.section) && (!p.program || x.ref.name === p.program));
    if (!prog) return { error: 'the document holds no program' };
    let packets: (Uint8Array | undefined)[] = [undefined];
    if (p.pcap) {
      const cap = readCapture(p.pcap);
      if (cap.diagnostics.some((d) => d.severity === 'error')) return { error: cap.diagnostics[0].message };
      packets = cap.packets.map((x) => x.data);
    } else if (p.packetHex) {
      const b = parseHex(p.packetHex);
      if (typeof b === 'string') return { error: b };
      packets = [b];
    }
    let maps: MapSet | undefined;
    const runs = packets.map((packet, index) => {
      const { result, diagnostics } = runProgram(a.object, prog.ref, { progType: prog.progType, maps, input: { packet } });
      if (!result) return { index, error: diagnostics.map((d) => d.message).join('; ') };
      maps = result.maps;
      return result.stop.reason === 'exit'
        ? { index, retval: Number(result.r0! & 0xffffffffn), insns: result.insns, printk: result.output.printk }
        : { index, error: result.stop.message ?? result.stop.reason, insns: result.insns };
    });
    return { program: { section: prog.ref.section, name: prog.ref.name, progType: prog.progType }, runs };
  },
  'textDocument/formatting': (a, p: { options: FormattingOptions }, ctx): TextEdit[] => {
    const indent = p.options?.insertSpaces ? ' '.repeat(Math.min(Math.max(p.options.tabSize ?? 4, 1), 16)) : '\t';
    const edits = formatEdits(a.text, { language: a.language, indent, commentColumn: ctx.settings.format.commentColumn, dialect: ctx.settings.format.dialect });
    const end = (line: number) => (line >= a.lines.length
      ? { line: a.lines.length - 1, character: a.lines[a.lines.length - 1].length }
      : { line, character: 0 });
    return edits.map((e) => ({ range: { start: { line: e.startLine, character: 0 }, end: end(e.endLine) }, newText: e.newText }));
  },
};

/** completionItem/resolve: the docs a helper item leaves out of the list, from its id (no server state). */
export function resolveLspCompletion(item: LspCompletionItem): LspCompletionItem {
  const core = item.data?.core as CompletionItem | undefined;
  if (!core) return item;
  const resolved = resolveCompletion(core);
  return resolved.documentation ? { ...item, documentation: { kind: MarkupKind.Markdown, value: resolved.documentation } } : item;
}

function toLspCompletion(item: CompletionItem, uri: string): LspCompletionItem {
  return {
    label: item.label,
    kind: COMPLETION_KINDS[item.kind],
    detail: item.detail,
    ...(item.documentation ? { documentation: { kind: MarkupKind.Markdown, value: item.documentation } } : {}),
    ...(item.insertText !== undefined ? { insertText: item.insertText } : {}),
    ...(item.snippet ? { insertTextFormat: InsertTextFormat.Snippet } : {}),
    ...(item.sortText ? { sortText: item.sortText } : {}),
    ...(item.data ? { data: { uri, core: { label: item.label, kind: item.kind, data: item.data } } } : {}),
  };
}

/** workspace/symbol: the names of every open document whose name contains the query. */
export function workspaceSymbols(query: string, ctx: FeatureContext): SymbolInformation[] {
  const q = query.toLowerCase();
  const out: SymbolInformation[] = [];
  for (const { uri, analysis } of ctx.all()) {
    for (const d of analysis.symbols.defs) {
      if (!d.name.toLowerCase().includes(q)) continue;
      out.push({ name: d.name, kind: symbolKind(d.kind), location: { uri, range: toRange(d.span) } });
    }
  }
  return out;
}

/** A refusal the client shows to the user (a rename to a taken name), not a server fault. */
export class RequestError extends Error {}
