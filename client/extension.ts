/**
 * The VS Code side: starts the language server and registers the debug adapter, then wires
 * the commands, views and status bar kept in their own files. It holds no language logic:
 * every answer comes from the server (custom requests) or the debug adapter.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { DISASM_SCHEME, registerCommands } from './commands';
import { CfgView } from './cfgView';
import { CoverageDecorations } from './coverage';
import { MapsView } from './mapsView';
import { registerDebugConfigurations } from './debugConfig';
import { registerStatusBar } from './statusBar';
import { EbpfTests, registerTests } from './testing';
import { lastDebugError } from './debugError';

let client: LanguageClient | undefined;

/** What the extension offers other extensions and its own tests. */
export interface EbpfApi {
  client: LanguageClient;
  cfg: CfgView;
  coverage: CoverageDecorations;
  maps: MapsView;
  statusBar: vscode.StatusBarItem;
  tests: EbpfTests;
  /** What the last "Debug this error" found and launched. */
  debugError: typeof lastDebugError;
}

export function activate(context: vscode.ExtensionContext): EbpfApi {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'ebpf' }, { language: 'cbpf' }, { language: 'c', pattern: '**/*.bpf.c' }, { scheme: DISASM_SCHEME }],
  };
  const languageClient = new LanguageClient('ebpf', 'eBPF Workbench', serverOptions, clientOptions);
  client = languageClient;
  void languageClient.start();

  const adapter = context.asAbsolutePath(path.join('dist', 'debugAdapter.js'));
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('ebpf', {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterExecutable(process.execPath, [adapter]),
    }),
  );
  const output = vscode.window.createOutputChannel('eBPF');
  const cfg = new CfgView(context, languageClient);
  const maps = new MapsView(context);
  registerCommands(context, languageClient, output, cfg);
  registerDebugConfigurations(context);
  const statusBar = registerStatusBar(context, languageClient);
  const coverage = new CoverageDecorations(context, languageClient, cfg);
  const tests = registerTests(context);
  return { client: languageClient, cfg, coverage, maps, statusBar, tests, debugError: lastDebugError };
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
