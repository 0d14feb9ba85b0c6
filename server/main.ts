/**
 * The language server (LSP over stdio or Node IPC). This first cut publishes the
 * assembler's and the verifier's diagnostics on open and change; hover, completion and the
 * rest arrive with issue #6. It never crashes on a document: core returns diagnostics, it
 * does not throw.
 */

import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeDocument } from './analyze';
import { toLspDiagnostic } from './convert';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: 'ebpf-workbench' },
}));

documents.onDidChangeContent(({ document }) => {
  try {
    if (document.languageId === 'cbpf') return;
    const diagnostics = analyzeDocument(document.getText());
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: diagnostics.map(toLspDiagnostic) });
  } catch (e) {
    connection.console.error(`diagnostics failed for ${document.uri}: ${(e as Error).stack}`);
  }
});

documents.onDidClose(({ document }) => void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] }));

documents.listen(connection);
connection.listen();
