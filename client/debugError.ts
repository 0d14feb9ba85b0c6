/**
 * "Debug this error" (a code lens on the rejected line, and a code action on the verifier's
 * diagnostic): asks the server for an input that drives the program to the instruction the
 * verifier rejects (core/counterexample), then starts a debug session on it that stops just
 * before that instruction. Where no run can get there, says so: the verifier is being
 * conservative, and the program is safe on that path.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';

/** The server's answer to `ebpf/counterexample`. */
export interface CounterexampleAnswer {
  error?: string;
  section: string;
  program: string;
  progType: string;
  insn: number;
  line?: number;
  message?: string;
  counterexample:
    | { packet?: string; ctx?: Record<string, unknown>; maps?: Record<string, unknown>; env?: Record<string, unknown>; run: 'faults' | 'reaches'; assumptions?: string[] }
    | { infeasible: string }
    | { unknown: string };
}

/** What the last "Debug this error" found and started (for tests and other extensions). */
export const lastDebugError: { answer?: CounterexampleAnswer; config?: vscode.DebugConfiguration } = {};

export async function debugError(client: LanguageClient, arg?: { section?: string; program?: string; uri?: string }): Promise<boolean> {
  const uri = arg?.uri ? vscode.Uri.parse(arg.uri) : vscode.window.activeTextEditor?.document.uri;
  if (!uri) return false;
  const answer = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Solving for an input that reaches the error…' },
    () => client.sendRequest<CounterexampleAnswer | null>('ebpf/counterexample', { textDocument: { uri: uri.toString() }, section: arg?.section, program: arg?.program }),
  );
  lastDebugError.answer = answer ?? undefined;
  lastDebugError.config = undefined;
  if (!answer || answer.error) {
    void vscode.window.showWarningMessage(answer?.error ?? 'The language server gave no answer');
    return false;
  }
  const c = answer.counterexample;
  const where = answer.line !== undefined ? `line ${answer.line + 1}` : `insn ${answer.insn}`;
  if ('infeasible' in c) {
    void vscode.window.showInformationMessage(`No run can reach the verifier's error on ${where}: ${c.infeasible}. The verifier cannot see this; restructure the code so that it can (e.g. check the value it objects to directly).`);
    return false;
  }
  if ('unknown' in c) {
    void vscode.window.showWarningMessage(`No input found for the error on ${where}: ${c.unknown}`);
    return false;
  }
  const config: vscode.DebugConfiguration = {
    type: 'ebpf', request: 'launch', name: `Debug the error on ${path.basename(uri.fsPath)}:${answer.line !== undefined ? answer.line + 1 : answer.insn}`,
    program: uri.fsPath, section: answer.section, programName: answer.program,
    ...(c.packet !== undefined ? { packet: c.packet } : {}),
    ...(c.ctx ? { ctx: c.ctx } : {}),
    ...(c.maps ? { maps: c.maps } : {}),
    ...(c.env ? { env: c.env } : {}),
    stopBeforeInsn: answer.insn,
  };
  lastDebugError.config = config;
  return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), config);
}
