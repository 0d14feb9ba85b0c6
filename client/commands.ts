/**
 * The commands: Verify, Verify in kernel (trusted workspaces only), Run program, Debug,
 * Show control-flow graph, Disassemble object, Open maps, Compile pcap filter expression.
 * Each asks the server (custom requests) or the debugger; results go to the eBPF output.
 */

import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { CfgView } from './cfgView';
import { debugConfigurationFor } from './debugConfig';
import { VerifyAnswer, isEbpfDocument } from './statusBar';
import { debugError } from './debugError';

export const DISASM_SCHEME = 'ebpf-disasm';

interface ProgramArg { section?: string; program?: string }

/** Asks what to run a program on: a packet in hex, a capture file, or nothing (the context only); undefined when cancelled. */
export async function askRunInput(): Promise<{ packetHex?: string; pcapPath?: string } | undefined> {
  const choice = await vscode.window.showQuickPick(['A packet in hex', 'A pcap capture', 'No input (the context only)'], { title: 'Run the program on' });
  if (!choice) return undefined;
  if (choice.startsWith('A packet')) {
    const hex = await vscode.window.showInputBox({ prompt: 'Packet bytes in hex, from the Ethernet header', value: '000000000000020000000001080045000014000000004011000000000000000000000000' });
    return hex === undefined ? undefined : { packetHex: hex };
  }
  if (choice.startsWith('A pcap')) {
    const file = await vscode.window.showOpenDialog({ filters: { Captures: ['pcap', 'pcapng'] } });
    return file?.[0] ? { pcapPath: file[0].fsPath } : undefined;
  }
  return {};
}

export function registerCommands(context: vscode.ExtensionContext, client: LanguageClient, output: vscode.OutputChannel, cfg: CfgView): void {
  const active = (): vscode.TextDocument | undefined => {
    const doc = vscode.window.activeTextEditor?.document;
    if (isEbpfDocument(doc)) return doc;
    void vscode.window.showWarningMessage('Open an eBPF assembly (.bpf.s) or classic BPF (.cbpf) file first');
    return undefined;
  };
  const textDocument = (doc: vscode.TextDocument) => ({ textDocument: { uri: doc.uri.toString() } });

  const verify = async (): Promise<VerifyAnswer | undefined> => {
    const doc = active();
    if (!doc) return undefined;
    const v = await client.sendRequest<VerifyAnswer | null>('ebpf/verify', textDocument(doc));
    if (!v) return undefined;
    output.appendLine(`verify ${vscode.workspace.asRelativePath(doc.uri)}:`);
    if (v.errors) output.appendLine(`  ${v.errors} assembly error(s): see the Problems view`);
    for (const p of v.programs) {
      output.appendLine(`  ${p.section}/${p.name} (${p.progType}, ${p.insns} insns): ${p.accepted ? `accepted, ${p.processedInsns} insns processed` : `rejected${p.line !== undefined ? ` at line ${p.line + 1}` : ''}: ${p.message}`}`);
      if (p.explain) output.appendLine(`    why: ${p.explain}`);
      if (p.fix) output.appendLine(`    fix: ${p.fix}`);
    }
    output.show(true);
    return v;
  };

  const verifyInKernel = async () => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('Loading into the kernel is offered only in a trusted workspace');
      return undefined;
    }
    const doc = active();
    if (!doc) return undefined;
    const verdicts = await client.sendRequest<{ section: string; name: string; accepted?: boolean; message?: string; log?: string; unavailable?: string }[]>('ebpf/verifyKernel', textDocument(doc));
    output.appendLine(`verify in the kernel ${vscode.workspace.asRelativePath(doc.uri)}:`);
    for (const k of verdicts ?? []) {
      output.appendLine(`  ${k.section}/${k.name}: ${k.unavailable ? `unavailable: ${k.unavailable}` : k.accepted ? 'accepted' : `rejected: ${k.message}`}`);
      if (k.log) output.appendLine(k.log.replace(/^/gm, '    '));
    }
    output.show(true);
    return verdicts;
  };

  const run = async (arg?: ProgramArg) => {
    const doc = active();
    if (!doc) return undefined;
    const params = await askRunInput();
    if (!params) return undefined;
    const r = await client.sendRequest<{ error?: string; program?: { section: string; name: string }; runs?: { index: number; retval?: number; error?: string; insns?: number }[] }>(
      'ebpf/run', { ...textDocument(doc), ...params, section: arg?.section, program: arg?.program });
    output.appendLine(`run ${vscode.workspace.asRelativePath(doc.uri)}${r.program ? ` (${r.program.section}/${r.program.name})` : ''}:`);
    if (r.error) output.appendLine(`  ${r.error}`);
    for (const x of r.runs ?? []) output.appendLine(`  packet ${x.index}: ${x.error ? `fault: ${x.error}` : `retval ${x.retval}`}${x.insns !== undefined ? `, ${x.insns} instructions` : ''}`);
    output.show(true);
    return r;
  };

  const compileFilter = async () => {
    const expr = await vscode.window.showInputBox({ prompt: 'A pcap filter expression (tcpdump syntax), compiled by tcpdump -ddd', placeHolder: 'tcp port 80' });
    if (!expr) return undefined;
    const text = await new Promise<string>((resolve, reject) => execFile('tcpdump', ['-ddd', expr], (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout))))
      .catch((e: Error) => { void vscode.window.showErrorMessage(`tcpdump: ${e.message}`); return undefined; });
    if (text === undefined) return undefined;
    const doc = await vscode.workspace.openTextDocument({ language: 'cbpf', content: `; tcpdump -ddd '${expr}'\n${text}` });
    await vscode.window.showTextDocument(doc);
    return doc;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('ebpf.verify', verify),
    vscode.commands.registerCommand('ebpf.showVerifierLog', verify),
    vscode.commands.registerCommand('ebpf.verifyInKernel', verifyInKernel),
    vscode.commands.registerCommand('ebpf.run', run),
    vscode.commands.registerCommand('ebpf.debug', async (arg?: ProgramArg) => {
      const doc = active();
      if (!doc) return false;
      const v = await client.sendRequest<VerifyAnswer | null>('ebpf/verify', textDocument(doc)).catch(() => null);
      const takesPacket = v?.programs.find((p) => !arg?.program || p.name === arg.program)?.takesPacket ?? true;
      return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(doc.uri), debugConfigurationFor(doc.uri, arg, takesPacket));
    }),
    vscode.commands.registerCommand('ebpf.debugError', (arg?: ProgramArg & { uri?: string }) => debugError(client, arg)),
    vscode.commands.registerCommand('ebpf.showCfg', () => cfg.showActive()),
    vscode.commands.registerCommand('ebpf.openMaps', () => vscode.commands.executeCommand('ebpf.maps.focus')),
    vscode.commands.registerCommand('ebpf.compileFilter', compileFilter),
    vscode.workspace.registerTextDocumentContentProvider(DISASM_SCHEME, {
      provideTextDocumentContent: async (uri) => {
        const r = await client.sendRequest<{ text: string } | null>('ebpf/disassemble', { uri: vscode.Uri.file(uri.path).toString() });
        return r?.text ?? `; cannot disassemble ${uri.path}`;
      },
    }),
    vscode.commands.registerCommand('ebpf.openDisassembly', async (file?: vscode.Uri) => {
      const target = file ?? (await vscode.window.showOpenDialog({ filters: { 'BPF objects': ['o', 'bin'] } }))?.[0];
      if (!target) return undefined;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: DISASM_SCHEME, path: target.fsPath }));
      return vscode.window.showTextDocument(await vscode.languages.setTextDocumentLanguage(doc, 'ebpf'), { preview: false });
    }),
  );
}
