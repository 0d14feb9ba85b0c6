/**
 * Coverage in the editor (`ebpf.showCoverage` toggles it): each line with instructions shaded
 * by how many states the verifier processed there (a heat map; the hover says how many), and,
 * after a coverage run (`ebpf.runCoverage`, on a packet or a capture) or at the end of an eBPF
 * debug session, each line marked in the overview ruler and after its text with the number
 * of times it ran, or marked as never run. Everything is asked of the server
 * (`ebpf/coverage`) or of the debug adapter (its `ebpf/coverage` request), again whenever the
 * document's analysis changes.
 */

import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { CfgView, OPEN_PROGRAM_FIRST, isProgramDocument } from './cfgView';
import { askRunInput } from './commands';

export interface LineCoverage { line: number; verifierVisits: number; executed?: number }

interface CoverageAnswer {
  lines: LineCoverage[];
  run?: { section: string; name: string; progType: string };
  runs?: { index: number; retval?: number; fault?: string; insns: number }[];
  counts?: number[];
  error?: string;
}

/** What a run of coverage takes: a packet in hex, a capture's path, or neither (one run, context only). */
export interface CoverageInput { packet?: string; pcap?: string }

/** Where a document's executions come from: runs of the server on an input, or a debug session's lines at a version. */
type Executed = { kind: 'input'; input: CoverageInput } | { kind: 'debug'; version: number; lines: Map<number, number> };

/** What the decorations of a document show (for tests and other extensions). */
export interface CoverageState {
  lines: LineCoverage[];
  /** Lines shaded by the verifier's visits, with their shade (1 to HEAT_LEVELS). */
  heat: { line: number; level: number; visits: number }[];
  /** Lines marked as run, with their counts; lines with instructions that never ran. */
  executed: { line: number; count: number }[];
  notExecuted: number[];
  error?: string;
}

const HEAT_LEVELS = 5;

export class CoverageDecorations {
  /** Whether coverage is shown. */
  enabled = false;
  private readonly states = new Map<string, CoverageState>();
  private readonly executedFrom = new Map<string, Executed>();
  private readonly heatTypes: vscode.TextEditorDecorationType[];
  private readonly ranType: vscode.TextEditorDecorationType;
  private readonly notRunType: vscode.TextEditorDecorationType;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(context: vscode.ExtensionContext, private readonly client: LanguageClient, private readonly cfg: CfgView) {
    this.heatTypes = Array.from({ length: HEAT_LEVELS }, (_, k) => vscode.window.createTextEditorDecorationType({
      isWholeLine: true, backgroundColor: `rgba(255, 140, 0, ${(0.06 + (0.3 * k) / (HEAT_LEVELS - 1)).toFixed(2)})`,
    }));
    this.ranType = vscode.window.createTextEditorDecorationType({
      isWholeLine: true, borderStyle: 'solid', borderWidth: '0 0 0 3px', borderColor: new vscode.ThemeColor('testing.iconPassed'),
      overviewRulerColor: new vscode.ThemeColor('testing.iconPassed'), overviewRulerLane: vscode.OverviewRulerLane.Left,
      after: { color: new vscode.ThemeColor('descriptionForeground'), margin: '0 0 0 2em' },
    });
    this.notRunType = vscode.window.createTextEditorDecorationType({
      isWholeLine: true, borderStyle: 'dotted', borderWidth: '0 0 0 3px', borderColor: new vscode.ThemeColor('testing.iconFailed'),
      overviewRulerColor: new vscode.ThemeColor('testing.iconFailed'), overviewRulerLane: vscode.OverviewRulerLane.Left,
    });
    context.subscriptions.push(
      ...this.heatTypes, this.ranType, this.notRunType,
      vscode.commands.registerCommand('ebpf.showCoverage', () => this.toggle()),
      vscode.commands.registerCommand('ebpf.runCoverage', (input?: CoverageInput) => this.runOn(input)),
      vscode.languages.onDidChangeDiagnostics((e) => { if (this.enabled) for (const uri of e.uris) this.schedule(uri.toString()); }),
      vscode.window.onDidChangeVisibleTextEditors(() => { if (this.enabled) for (const ed of vscode.window.visibleTextEditors) this.paint(ed); }),
      vscode.workspace.onDidCloseTextDocument((doc) => { this.states.delete(doc.uri.toString()); this.executedFrom.delete(doc.uri.toString()); }),
      vscode.debug.registerDebugAdapterTrackerFactory('ebpf', {
        createDebugAdapterTracker: (session) => ({
          // The adapter sends `exited` just before `terminated`: ask for the session's lines while it still answers.
          onDidSendMessage: (m: { type?: string; event?: string }) => { if (this.enabled && m.type === 'event' && m.event === 'exited') void this.fromSession(session); },
        }),
      }),
    );
  }

  /** The coverage shown for a document, if any. */
  state(uri: vscode.Uri): CoverageState | undefined {
    return this.states.get(uri.toString());
  }

  async toggle(): Promise<{ enabled: boolean; state?: CoverageState }> {
    this.enabled = !this.enabled;
    if (!this.enabled) {
      for (const ed of vscode.window.visibleTextEditors) this.clear(ed);
      this.states.clear();
      this.executedFrom.clear();
      this.cfg.setCoverage(undefined);
      return { enabled: false };
    }
    await Promise.all(vscode.window.visibleTextEditors.filter((ed) => isProgramDocument(ed.document)).map((ed) => this.refresh(ed.document)));
    const doc = vscode.window.activeTextEditor?.document;
    return { enabled: true, state: doc ? this.state(doc.uri) : undefined };
  }

  /** Runs the active document's program on an input (asked for when not given) and shows what ran. */
  async runOn(input?: CoverageInput): Promise<CoverageState | undefined> {
    const doc = vscode.window.activeTextEditor?.document;
    if (!isProgramDocument(doc)) {
      void vscode.window.showWarningMessage(OPEN_PROGRAM_FIRST);
      return undefined;
    }
    let chosen = input;
    if (!chosen) {
      const asked = await askRunInput();
      if (!asked) return undefined;
      chosen = { packet: asked.packetHex, pcap: asked.pcapPath };
    }
    this.executedFrom.set(doc.uri.toString(), { kind: 'input', input: chosen });
    this.enabled = true;
    const state = await this.refresh(doc);
    if (state?.error) void vscode.window.showWarningMessage(`Coverage: ${state.error}`);
    return state;
  }

  private schedule(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.set(uri, setTimeout(() => {
      this.timers.delete(uri);
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      if (this.enabled && isProgramDocument(doc)) void this.refresh(doc);
    }, 200));
  }

  /** Asks the server again (with the document's run input, if any) and repaints its editors. */
  async refresh(doc: vscode.TextDocument): Promise<CoverageState | undefined> {
    const uri = doc.uri.toString();
    let from = this.executedFrom.get(uri);
    if (from?.kind === 'debug' && from.version !== doc.version) { this.executedFrom.delete(uri); from = undefined; }
    let answer: CoverageAnswer | null;
    try {
      answer = await this.client.sendRequest<CoverageAnswer | null>('ebpf/coverage', { textDocument: { uri }, input: from?.kind === 'input' ? from.input : undefined });
    } catch (e) {
      answer = { lines: [], error: (e as Error).message };
    }
    if (!answer || !this.enabled) return undefined;
    let lines = answer.lines;
    if (from?.kind === 'debug') lines = lines.map((l) => ({ ...l, executed: from.lines.get(l.line) ?? 0 }));
    const state = coverageState(lines, answer.error);
    this.states.set(uri, state);
    if (answer.run && answer.counts) this.cfg.setCoverage({ uri, program: answer.run, counts: answer.counts });
    for (const ed of vscode.window.visibleTextEditors) if (ed.document.uri.toString() === uri) this.paint(ed);
    return state;
  }

  /** The lines an ending debug session ran (its adapter's `ebpf/coverage`), shown on their documents. */
  private async fromSession(session: vscode.DebugSession): Promise<void> {
    let answer: { lines: { file: string; line: number; executed: number }[] };
    try {
      answer = await session.customRequest('ebpf/coverage');
    } catch {
      return;
    }
    const byFile = new Map<string, Map<number, number>>();
    for (const l of answer.lines) {
      const lines = byFile.get(l.file) ?? new Map<number, number>();
      lines.set(l.line, (lines.get(l.line) ?? 0) + l.executed);
      byFile.set(l.file, lines);
    }
    for (const doc of vscode.workspace.textDocuments) {
      const lines = isProgramDocument(doc) ? byFile.get(doc.uri.fsPath) : undefined;
      if (!lines) continue;
      this.executedFrom.set(doc.uri.toString(), { kind: 'debug', version: doc.version, lines });
      await this.refresh(doc);
    }
  }

  private paint(ed: vscode.TextEditor): void {
    const state = this.enabled ? this.states.get(ed.document.uri.toString()) : undefined;
    if (!state) { this.clear(ed); return; }
    const range = (line: number) => new vscode.Range(line, 0, line, 0);
    for (let k = 0; k < HEAT_LEVELS; k++) {
      ed.setDecorations(this.heatTypes[k], state.heat.filter((h) => h.level === k + 1).map((h) => ({
        range: range(h.line), hoverMessage: `verifier: ${h.visits} state${h.visits === 1 ? '' : 's'}`,
      })));
    }
    ed.setDecorations(this.ranType, state.executed.map((x) => ({
      range: range(x.line), hoverMessage: `executed: ${x.count} time${x.count === 1 ? '' : 's'}`,
      renderOptions: { after: { contentText: `▶ ${x.count}` } },
    })));
    ed.setDecorations(this.notRunType, state.notExecuted.map((line) => ({ range: range(line), hoverMessage: 'executed: never' })));
  }

  private clear(ed: vscode.TextEditor): void {
    for (const t of [...this.heatTypes, this.ranType, this.notRunType]) ed.setDecorations(t, []);
  }
}

/** The decorations of a document's coverage: shades on a log scale of the verifier's visits, and run counts. */
export function coverageState(lines: LineCoverage[], error?: string): CoverageState {
  const max = Math.max(1, ...lines.map((l) => l.verifierVisits));
  return {
    lines,
    heat: lines.filter((l) => l.verifierVisits > 0).map((l) => ({
      line: l.line, visits: l.verifierVisits,
      level: Math.max(1, Math.ceil((HEAT_LEVELS * Math.log1p(l.verifierVisits)) / Math.log1p(max))),
    })),
    executed: lines.filter((l) => (l.executed ?? 0) > 0).map((l) => ({ line: l.line, count: l.executed! })),
    notExecuted: lines.filter((l) => l.executed === 0).map((l) => l.line),
    ...(error ? { error } : {}),
  };
}
