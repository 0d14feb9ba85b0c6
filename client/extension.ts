/**
 * The VS Code side: starts the language server and registers the debug adapter. It holds
 * no language logic (that lives in server/ and core/); commands and views arrive with
 * issue #8.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;
const DISASM_SCHEME = 'ebpf-disasm';

export function activate(context: vscode.ExtensionContext): void {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'ebpf' }, { language: 'cbpf' }, { scheme: DISASM_SCHEME }],
  };
  const languageClient = new LanguageClient('ebpf', 'eBPF Workbench', serverOptions, clientOptions);
  client = languageClient;
  void languageClient.start();

  // Object files open as read-only disassembly, which the server writes (ebpf/disassemble) and checks.
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(DISASM_SCHEME, {
      provideTextDocumentContent: async (uri) => {
        const r = await languageClient.sendRequest<{ text: string } | null>('ebpf/disassemble', { uri: vscode.Uri.file(uri.path).toString() });
        return r?.text ?? `; cannot disassemble ${uri.path}`;
      },
    }),
    vscode.commands.registerCommand('ebpf.openDisassembly', async (file?: vscode.Uri) => {
      const target = file ?? (await vscode.window.showOpenDialog({ filters: { 'BPF objects': ['o', 'bin'] } }))?.[0];
      if (!target) return;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: DISASM_SCHEME, path: target.fsPath }));
      await vscode.window.showTextDocument(await vscode.languages.setTextDocumentLanguage(doc, 'ebpf'), { preview: false });
    }),
  );

  const adapter = context.asAbsolutePath(path.join('dist', 'debugAdapter.js'));
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('ebpf', {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterExecutable(process.execPath, [adapter]),
    }),
  );
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
