/**
 * The VS Code side: starts the language server and registers the debug adapter. It holds
 * no language logic (that lives in server/ and core/); commands and views arrive with
 * issue #8.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'ebpf' }, { language: 'cbpf' }],
  };
  client = new LanguageClient('ebpf', 'eBPF Workbench', serverOptions, clientOptions);
  void client.start();

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
