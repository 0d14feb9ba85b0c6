/** What the server offers (InitializeResult.capabilities), and the requests it forwards to the analysis worker. */

import { CodeActionKind, ServerCapabilities, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TOKEN_MODIFIERS, TOKEN_TYPES } from '../core/ide/tokens';

export const SERVER_CAPABILITIES: ServerCapabilities = {
  // didSave (no text: the server builds a C document from its file on disk).
  textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
  hoverProvider: true,
  completionProvider: { triggerCharacters: [' ', '.', '(', ',', '#', '['], resolveProvider: true },
  signatureHelpProvider: { triggerCharacters: [' ', ','] },
  definitionProvider: true,
  referencesProvider: true,
  documentHighlightProvider: true,
  renameProvider: { prepareProvider: true },
  documentSymbolProvider: true,
  workspaceSymbolProvider: true,
  foldingRangeProvider: true,
  semanticTokensProvider: { legend: { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] }, full: true },
  inlayHintProvider: true,
  codeLensProvider: { resolveProvider: false },
  codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
  documentFormattingProvider: true,
};

/** Requests about one document (`params.textDocument.uri`), answered by the worker. */
export const DOCUMENT_METHODS = [
  'textDocument/hover', 'textDocument/completion', 'textDocument/signatureHelp',
  'textDocument/definition', 'textDocument/references', 'textDocument/documentHighlight',
  'textDocument/prepareRename', 'textDocument/rename', 'textDocument/documentSymbol',
  'textDocument/semanticTokens/full', 'textDocument/foldingRange', 'textDocument/inlayHint',
  'textDocument/codeLens', 'textDocument/codeAction', 'textDocument/formatting',
  // Ours, for the client's views and commands (client/).
  'ebpf/cfg', 'ebpf/verify', 'ebpf/verifyKernel', 'ebpf/counterexample',
];
