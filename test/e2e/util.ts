/**
 * Helpers for the tests that run inside VS Code (test/e2e): where the workspace is, waiting
 * for something the editor does asynchronously, skipping with a reason, and a recorder of
 * the messages between VS Code and our debug adapter. Only the e2e suites import this.
 */

/// <reference types="mocha" />
import * as vscode from 'vscode';

export const EXTENSION_ID = 'ebpf-workbench.ebpf-workbench';

/** The example most tests use (a copy in the workspace), and the line they delete from it. */
export const XDP = 'xdp_drop_udp.bpf.s';
export const BOUNDS_CHECK = 'if r4 > r3 goto count';

/** The diagnostics our language server published for `uri` (source 'ebpf'). */
export const ebpfDiagnostics = (uri: vscode.Uri): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'ebpf');

/** An IPv4 UDP packet: xdp_drop_udp drops it and counts it in counters[3]. */
export const IPV4_UDP = '000000000000020000000001' + '0800' + '450000200000400040110000c0a80001c0a8000204d200350008' + '0000' + '00000000';

/** The workspace folder: run.js opens a temporary copy of examples/ that tests may write into. */
export function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open (run.js opens a copy of examples/)');
  return folder;
}

export const inWorkspace = (name: string): vscode.Uri => vscode.Uri.joinPath(workspaceFolder().uri, name);

/** 0-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const line = text.split('\n').findIndex((l) => l.includes(needle));
  if (line < 0) throw new Error(`no line contains ${JSON.stringify(needle)}`);
  return line;
}

export async function readText(uri: vscode.Uri): Promise<string> {
  return Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
}

export async function writeText(uri: vscode.Uri, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
}

/** Calls `probe` until it returns a value other than undefined, failing after `ms` with `what`. */
export async function poll<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 20000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Skips the running test and says why in the output (mocha's own skip records no reason). */
export function skipBecause(ctx: Mocha.Context, reason: string): never {
  console.log(`      skipped "${ctx.test?.title}": ${reason}`);
  ctx.skip();
}

/** The extension, activated. */
export async function activeExtension(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded (extensionDevelopmentPath must be the repo root)`);
  await ext.activate();
  return ext;
}

/** Settles `p` or fails after `ms` with `what`, so that a command waiting for input cannot hang a run. */
export function within<T>(what: string, p: Thenable<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (is it waiting for input?)`)), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/**
 * Answers a command's quick picks and input boxes with their defaults (the first item, the
 * prefilled value) until `p` settles, as a user pressing Enter would.
 */
export async function acceptingQuickInput<T>(what: string, p: Thenable<T>, ms = 20000): Promise<T> {
  let settled = false;
  const result = within(what, p, ms).finally(() => { settled = true; });
  result.catch(() => undefined);
  while (!settled) {
    await new Promise((r) => setTimeout(r, 300));
    if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  return result;
}

/** Starts a session with `start` and returns it once the adapter reports the first stop and VS Code shows it. */
export async function debugUntilStopped(dap: DapRecorder, start: () => Thenable<unknown>): Promise<{ session: vscode.DebugSession; reason: unknown }> {
  const started = new Promise<vscode.DebugSession>((r) => { const d = vscode.debug.onDidStartDebugSession((s) => { d.dispose(); r(s); }); });
  await start();
  const session = await within('the debug session to start', started, 20000);
  const stopped = await dap.event('stopped');
  // Wait until the workbench has shown the stop (focused a frame of this session), as a user
  // would see it; stopping before that leaves VS Code asking a gone session for its frames.
  await poll('the stop to be shown', () => (vscode.debug.activeStackItem?.session.id === session.id ? true : undefined));
  return { session, reason: stopped.body?.reason };
}

/** The debug sessions VS Code has started and not yet reported ended. */
const live = new Set<string>();
vscode.debug.onDidStartDebugSession((s) => live.add(s.id));
vscode.debug.onDidTerminateDebugSession((s) => live.delete(s.id));

/** Stops `session` (or the active one) and waits until VS Code reports it ended. */
export async function stopSession(session = vscode.debug.activeDebugSession): Promise<void> {
  if (!session || !live.has(session.id)) return;
  const ended = new Promise<void>((r) => { const d = vscode.debug.onDidTerminateDebugSession((s) => { if (s.id === session.id) { d.dispose(); r(); } }); });
  await vscode.debug.stopDebugging(session);
  await within('the debug session to end', ended, 20000);
}

type DapMessage = { type: string; command?: string; event?: string; arguments?: Record<string, unknown>; body?: Record<string, unknown> };

/**
 * Records what VS Code sends to our debug adapter and what it answers, through a
 * DebugAdapterTracker, so that a test can wait for an event (`stopped`) or read a request
 * VS Code made (`launch` and its resolved arguments).
 */
export class DapRecorder implements vscode.Disposable {
  readonly messages: DapMessage[] = [];
  private readonly registration: vscode.Disposable;

  constructor(type = 'ebpf') {
    this.registration = vscode.debug.registerDebugAdapterTrackerFactory(type, {
      createDebugAdapterTracker: () => ({
        onWillReceiveMessage: (m: DapMessage) => { this.messages.push(m); },
        onDidSendMessage: (m: DapMessage) => { this.messages.push(m); },
      }),
    });
  }

  /** The `n`th (0-based) event named `event` the adapter sent, waiting for it. */
  event(event: string, n = 0, ms = 20000): Promise<DapMessage> {
    return poll(`DAP event '${event}' #${n + 1}`, () => this.messages.filter((m) => m.type === 'event' && m.event === event)[n], ms);
  }

  request(command: string): DapMessage | undefined {
    return this.messages.find((m) => m.type === 'request' && m.command === command);
  }

  dispose(): void {
    this.registration.dispose();
  }
}
