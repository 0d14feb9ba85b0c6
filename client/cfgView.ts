/**
 * The control-flow graph view (a webview): the program's basic blocks top to bottom in
 * program order, jumps drawn as arrows beside them, the block the verifier rejects in red.
 * Clicking a block moves the editor to its first line. The graph comes from the server
 * (`ebpf/cfg`); the view only draws it.
 */

import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';

interface CfgBlock { id: number; startPc: number; endPc: number; startLine?: number; insns: { pc: number; text: string }[]; rejected?: boolean; exit?: boolean }
interface Cfg { program: { section: string; name: string; progType: string }; blocks: CfgBlock[]; edges: { from: number; to: number; kind: string }[]; message?: string }

const LINE_H = 16, BLOCK_GAP = 18, BLOCK_W = 360, LEFT = 10;

export class CfgView {
  private panel?: vscode.WebviewPanel;
  /** The graph shown last (for tests and other extensions). */
  last?: Cfg;

  constructor(private readonly context: vscode.ExtensionContext, private readonly client: LanguageClient) {}

  async show(doc: vscode.TextDocument): Promise<Cfg | undefined> {
    const cfg = await this.client.sendRequest<Cfg | null>('ebpf/cfg', { textDocument: { uri: doc.uri.toString() } });
    if (!cfg) {
      void vscode.window.showWarningMessage('No program to draw: the file has assembly errors or no code');
      return undefined;
    }
    this.last = cfg;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('ebpf.cfg', 'Control-flow graph', vscode.ViewColumn.Beside, { enableScripts: true });
      this.panel.onDidDispose(() => { this.panel = undefined; }, undefined, this.context.subscriptions);
    }
    const panel = this.panel;
    panel.title = `CFG: ${cfg.program.name}`;
    panel.webview.html = render(cfg, panel.webview.cspSource);
    panel.webview.onDidReceiveMessage(async (m: { line?: number }) => {
      if (typeof m.line !== 'number') return;
      const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      const pos = new vscode.Position(m.line, 0);
      editor.selection = new vscode.Selection(pos, pos);
      editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
    }, undefined, this.context.subscriptions);
    return cfg;
  }
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An SVG of the blocks in a column; jump edges as arcs on the right, one lane each so that they do not overlap. */
function render(cfg: Cfg, cspSource: string): string {
  const tops: number[] = [];
  let y = 10;
  for (const b of cfg.blocks) { tops.push(y); y += b.insns.length * LINE_H + 10 + BLOCK_GAP; }
  const height = (b: CfgBlock) => b.insns.length * LINE_H + 10;
  const blocks = cfg.blocks.map((b, k) => {
    const lines = b.insns.map((x, j) => `<text x="${LEFT + 8}" y="${tops[k] + 16 + j * LINE_H}">${String(x.pc).padStart(4)}: ${escape(x.text)}</text>`).join('');
    const cls = b.rejected ? 'block rejected' : b.exit ? 'block exit' : 'block';
    return `<g class="${cls}" data-line="${b.startLine ?? ''}"><rect x="${LEFT}" y="${tops[k]}" width="${BLOCK_W}" height="${height(b)}" rx="4"/>${lines}</g>`;
  }).join('');
  const jumps = cfg.edges.filter((e) => e.kind !== 'fallthrough' || e.to !== e.from + 1);
  const arcs = jumps.map((e, lane) => {
    const x0 = LEFT + BLOCK_W, x1 = x0 + 14 + (lane % 24) * 8;
    const y0 = tops[e.from] + height(cfg.blocks[e.from]) - 6, y1 = tops[e.to] + 8;
    return `<path class="edge ${e.kind}" d="M${x0},${y0} H${x1} V${y1} H${x0 + 4}" marker-end="url(#arrow)"/>`;
  }).join('');
  const width = LEFT + BLOCK_W + 20 + Math.min(jumps.length, 24) * 8 + 20;
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline'; script-src 'unsafe-inline';">
<style>
body { font-family: var(--vscode-editor-font-family); font-size: 12px; color: var(--vscode-editor-foreground); }
.block rect { fill: var(--vscode-editor-background); stroke: var(--vscode-editorWidget-border, #888); cursor: pointer; }
.block.exit rect { stroke-dasharray: 4 2; }
.block.rejected rect { stroke: var(--vscode-errorForeground, #e51400); stroke-width: 2; }
text { fill: var(--vscode-editor-foreground); white-space: pre; font-family: var(--vscode-editor-font-family); }
.edge { fill: none; stroke: var(--vscode-textLink-foreground, #3794ff); }
.edge.call { stroke-dasharray: 3 3; }
</style></head><body>
<div>${escape(`${cfg.program.section}/${cfg.program.name} (${cfg.program.progType}): ${cfg.blocks.length} blocks`)}${cfg.message ? ` — <span style="color: var(--vscode-errorForeground)">${escape(cfg.message)}</span>` : ''}</div>
<svg width="${width}" height="${y}" xmlns="http://www.w3.org/2000/svg">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#3794ff"/></marker></defs>
${blocks}${arcs}</svg>
<script>
const vscode = acquireVsCodeApi();
for (const g of document.querySelectorAll('g.block')) g.addEventListener('click', () => { const l = g.dataset.line; if (l !== '') vscode.postMessage({ line: Number(l) }); });
</script></body></html>`;
}
