/**
 * The control-flow graph view (a webview, drawn by cfgWebview.ts), linked both ways with the
 * editor: clicking a block moves the editor to its first line; the cursor's line highlights
 * its block; while an eBPF debug session is stopped, the block of the current pc is marked.
 * The graph (with the rejected path and the verifier's visits per block) comes from the
 * server (`ebpf/cfg`) and is fetched again when the document's analysis changes; executions
 * per block come from the last coverage run (client/coverage.ts).
 */

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { Cfg, CfgBlock, renderCfgPage } from './cfgWebview';
import { isEbpfDocument } from './statusBar';

/** A document whose programs the server draws and covers: eBPF or classic BPF text, or C it builds (`*.bpf.c`). */
export function isProgramDocument(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  if (doc?.languageId === 'c') return doc.uri.path.toLowerCase().endsWith('.bpf.c');
  return isEbpfDocument(doc);
}

export const OPEN_PROGRAM_FIRST = 'Open an eBPF assembly (.bpf.s), classic BPF (.cbpf) or eBPF C (.bpf.c) file first';

/** Per-slot executions of one program of a document, from a coverage run. */
export interface SlotCounts { uri: string; program: { section: string; name: string }; counts: readonly number[] }

interface DapFrame { id: number; line: number; source?: { path?: string }; instructionPointerReference?: string }

export class CfgView {
  private panel?: vscode.WebviewPanel;
  private doc?: vscode.TextDocument;
  private slotCounts?: SlotCounts;
  private refreshTimer?: NodeJS.Timeout;
  /** The graph shown last (for tests and other extensions). */
  last?: Cfg;
  /** The block holding the editor's cursor line, when the graph of that document is shown. */
  selectedBlock?: number;
  /** The block of the debugger's current pc, while an eBPF session of the shown document is stopped. */
  pcBlock?: number;

  constructor(private readonly context: vscode.ExtensionContext, private readonly client: LanguageClient) {
    context.subscriptions.push(
      vscode.window.onDidChangeTextEditorSelection((e) => this.followCursor(e.textEditor)),
      vscode.debug.onDidChangeActiveStackItem((item) => { if (item?.session.type === 'ebpf') void this.followPc(item.session); }),
      vscode.debug.registerDebugAdapterTrackerFactory('ebpf', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type?: string; event?: string }) => { if (m.type === 'event' && m.event === 'stopped') void this.followPc(session); },
          onWillStopSession: () => this.setPc(undefined),
        }),
      }),
      vscode.languages.onDidChangeDiagnostics((e) => {
        if (!this.doc || !e.uris.some((u) => u.toString() === this.doc!.uri.toString())) return;
        clearTimeout(this.refreshTimer);
        this.refreshTimer = setTimeout(() => { if (this.doc && this.panel) void this.show(this.doc, { keepFocus: true }); }, 250);
      }),
    );
  }

  /** Shows the graph of the active editor's document (`ebpf.showCfg`). */
  async showActive(): Promise<Cfg | undefined> {
    const doc = vscode.window.activeTextEditor?.document;
    if (isProgramDocument(doc)) return this.show(doc);
    void vscode.window.showWarningMessage(OPEN_PROGRAM_FIRST);
    return undefined;
  }

  async show(doc: vscode.TextDocument, opts: { keepFocus?: boolean } = {}): Promise<Cfg | undefined> {
    const cfg = await this.client.sendRequest<Cfg | null>('ebpf/cfg', { textDocument: { uri: doc.uri.toString() } });
    if (!cfg) {
      if (!opts.keepFocus) void vscode.window.showWarningMessage('No program to draw: the file has errors, no code, or is not built yet');
      return undefined;
    }
    this.last = cfg;
    this.doc = doc;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('ebpf.cfg', 'Control-flow graph', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true });
      this.panel.onDidDispose(() => { this.panel = undefined; this.doc = undefined; this.selectedBlock = undefined; this.pcBlock = undefined; }, undefined, this.context.subscriptions);
      this.panel.webview.onDidReceiveMessage((m: { line?: number }) => void this.reveal(m.line), undefined, this.context.subscriptions);
    }
    this.panel.title = `CFG: ${cfg.program.name}`;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === doc.uri.toString());
    if (editor) this.selectedBlock = blockAtLine(cfg, editor.selection.active.line)?.id;
    this.render();
    const item = vscode.debug.activeStackItem;
    if (item?.session.type === 'ebpf') void this.followPc(item.session);
    return cfg;
  }

  /** Takes the executions of a coverage run; the blocks of the shown program then carry them. */
  setCoverage(counts: SlotCounts | undefined): void {
    this.slotCounts = counts;
    if (this.panel) this.render();
  }

  /** Executions per block of the shown graph (by block id), when a coverage run of its program is known. */
  get executed(): number[] | undefined {
    const c = this.slotCounts, cfg = this.last;
    if (!c || !cfg || !this.doc || c.uri !== this.doc.uri.toString() || c.program.section !== cfg.program.section || c.program.name !== cfg.program.name) return undefined;
    return cfg.blocks.map((b) => c.counts[b.startPc] ?? 0);
  }

  private render(): void {
    if (!this.panel || !this.last) return;
    const nonce = randomBytes(16).toString('base64');
    this.panel.webview.html = renderCfgPage(this.last, { executed: this.executed, selected: this.selectedBlock, pc: this.pcBlock }, nonce);
  }

  private async reveal(line: number | undefined): Promise<void> {
    if (typeof line !== 'number' || !this.doc) return;
    const editor = await vscode.window.showTextDocument(this.doc, vscode.ViewColumn.One);
    const pos = new vscode.Position(line, 0);
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
  }

  private followCursor(editor: vscode.TextEditor): void {
    if (!this.panel || !this.last || editor.document.uri.toString() !== this.doc?.uri.toString()) return;
    const block = blockAtLine(this.last, editor.selection.active.line)?.id;
    if (block === this.selectedBlock) return;
    this.selectedBlock = block;
    void this.panel.webview.postMessage({ type: 'select', block });
  }

  /** Marks the block of the session's selected (else top) frame, when that frame is in the shown document. */
  private async followPc(session: vscode.DebugSession): Promise<void> {
    if (!this.panel || !this.last || !this.doc) return;
    try {
      const item = vscode.debug.activeStackItem;
      const frameId = item instanceof vscode.DebugStackFrame && item.session.id === session.id ? item.frameId : undefined;
      const trace = await session.customRequest('stackTrace', { threadId: 1, startFrame: 0, levels: 64 }) as { stackFrames: DapFrame[] };
      const frame = trace.stackFrames.find((f) => f.id === frameId) ?? trace.stackFrames[0];
      const path = frame?.source?.path;
      // VS Code hands a frame's source back as a path, or (in a remote window) as a URI.
      const framePath = path && (/^[a-z][\w+.-]+:\/\//i.test(path) ? vscode.Uri.parse(path) : vscode.Uri.file(path)).path;
      if (!frame || framePath !== this.doc.uri.path) { this.setPc(undefined); return; }
      const pc = frame.instructionPointerReference ? parseInt(frame.instructionPointerReference, 16) / 8 : undefined;
      this.setPc(blockAtPc(this.last, pc, frame.line - 1)?.id);
    } catch {
      this.setPc(undefined);
    }
  }

  private setPc(block: number | undefined): void {
    if (block === this.pcBlock) return;
    this.pcBlock = block;
    void this.panel?.webview.postMessage({ type: 'pc', block });
  }
}

/** The block with an instruction on `line`, else the one whose lines enclose it (a comment or label inside it). */
export function blockAtLine(cfg: Cfg, line: number): CfgBlock | undefined {
  return cfg.blocks.find((b) => b.insns.some((x) => x.line === line))
    ?? cfg.blocks.find((b) => b.startLine !== undefined && b.endLine !== undefined && b.startLine <= line && line <= b.endLine);
}

/** The block holding slot `pc` when that slot is on `line` (the session runs this graph's program), else the block of `line`. */
function blockAtPc(cfg: Cfg, pc: number | undefined, line: number): CfgBlock | undefined {
  const byPc = pc === undefined ? undefined : cfg.blocks.find((b) => b.startPc <= pc && pc <= b.endPc);
  return byPc && byPc.insns.some((x) => x.pc === pc && x.line === line) ? byPc : blockAtLine(cfg, line);
}
