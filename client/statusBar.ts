/** The status bar item: the active eBPF file's program type and verdict, asked of the server (ebpf/verify). */

import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';

export interface VerifyAnswer {
  language: string;
  errors: number;
  programs: { section: string; name: string; progType: string; insns: number; takesPacket?: boolean; accepted?: boolean; message?: string; processedInsns?: number; explain?: string; fix?: string; line?: number }[];
}

export function isEbpfDocument(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  return !!doc && (doc.languageId === 'ebpf' || doc.languageId === 'cbpf');
}

export function registerStatusBar(context: vscode.ExtensionContext, client: LanguageClient): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('ebpf.verdict', vscode.StatusBarAlignment.Left, 100);
  item.name = 'eBPF verdict';
  item.command = 'ebpf.verify';
  let pending: NodeJS.Timeout | undefined;
  const refresh = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const doc = vscode.window.activeTextEditor?.document;
      if (!isEbpfDocument(doc)) { item.hide(); return; }
      try {
        const v = await client.sendRequest<VerifyAnswer | null>('ebpf/verify', { textDocument: { uri: doc.uri.toString() } });
        item.text = statusText(v);
        item.tooltip = v?.programs.map((p) => `${p.section}/${p.name} (${p.progType}): ${p.accepted ? 'accepted' : p.message ?? 'not verified'}`).join('\n');
        item.show();
      } catch {
        item.hide();
      }
    }, 150);
  };
  context.subscriptions.push(
    item,
    vscode.window.onDidChangeActiveTextEditor(refresh),
    vscode.languages.onDidChangeDiagnostics((e) => { if (e.uris.some((u) => u.toString() === vscode.window.activeTextEditor?.document.uri.toString())) refresh(); }),
  );
  refresh();
  return item;
}

export function statusText(v: VerifyAnswer | null): string {
  if (!v || v.programs.length === 0) return v?.errors ? '$(error) eBPF: assembly errors' : '$(circle-outline) eBPF: no program';
  const types = [...new Set(v.programs.map((p) => p.progType))].join(', ');
  if (v.programs.some((p) => p.accepted === undefined)) return `$(circle-outline) ${types}: not verified`;
  const rejected = v.programs.filter((p) => !p.accepted).length;
  return rejected ? `$(error) ${types}: rejected` : `$(check) ${types}: accepted`;
}
