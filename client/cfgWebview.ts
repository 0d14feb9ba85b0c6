/**
 * The control-flow graph's page: an SVG of the blocks top to bottom in program order, jumps
 * drawn as arcs beside them, the rejected block and the path that reached it marked, and each
 * block's coverage (verifier visits, executions) as numbers and a shade. Its script posts
 * `{line}` when a block is clicked and takes `{type: 'select' | 'pc', block}` to highlight the
 * block under the cursor or the debugger's pc. Scripts and styles run only with the page's
 * nonce (the Content-Security-Policy allows nothing else).
 */

export interface CfgBlock {
  id: number; startPc: number; endPc: number; startLine?: number; endLine?: number;
  insns: { pc: number; text: string; line?: number }[];
  rejected?: boolean; exit?: boolean; visits?: number; onPath?: boolean;
}
export interface CfgEdge { from: number; to: number; kind: string; onPath?: boolean }
export interface Cfg { program: { section: string; name: string; progType: string }; blocks: CfgBlock[]; edges: CfgEdge[]; message?: string }

export interface PageState {
  /** Executions of each block (by id), from the last coverage run. */
  executed?: readonly number[];
  selected?: number;
  pc?: number;
}

const LINE_H = 16, BLOCK_GAP = 18, BLOCK_W = 420, LEFT = 10, LANES = 24;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderCfgPage(cfg: Cfg, state: PageState, nonce: string): string {
  const tops: number[] = [];
  let y = 10;
  const height = (b: CfgBlock) => b.insns.length * LINE_H + 10;
  for (const b of cfg.blocks) { tops.push(y); y += height(b) + BLOCK_GAP; }
  const maxVisits = Math.max(1, ...cfg.blocks.map((b) => b.visits ?? 0));
  const blocks = cfg.blocks.map((b, k) => {
    const lines = b.insns.map((x, j) => `<text x="${LEFT + 8}" y="${tops[k] + 16 + j * LINE_H}">${String(x.pc).padStart(4)}: ${escape(x.text)}</text>`).join('');
    const cls = ['block', b.rejected && 'rejected', b.exit && 'exit', b.onPath && 'on-path', state.selected === b.id && 'selected', state.pc === b.id && 'pc'].filter(Boolean).join(' ');
    // The shade grows with the log of the verifier's visits, as the editor's heat map does.
    const heat = b.visits ? (0.06 + 0.3 * Math.log1p(b.visits) / Math.log1p(maxVisits)).toFixed(2) : '0';
    const executed = state.executed?.[b.id];
    const badge = [b.visits !== undefined ? `verifier ${b.visits}` : '', executed !== undefined ? `run ${executed}` : ''].filter(Boolean).join(' · ');
    return `<g class="${cls}" data-block="${b.id}" data-line="${b.startLine ?? ''}">`
      + `<rect class="box" x="${LEFT}" y="${tops[k]}" width="${BLOCK_W}" height="${height(b)}" rx="4"/>`
      + `<rect class="heat" x="${LEFT}" y="${tops[k]}" width="${BLOCK_W}" height="${height(b)}" rx="4" fill-opacity="${heat}"/>`
      + (executed ? `<rect class="ran" x="${LEFT}" y="${tops[k]}" width="4" height="${height(b)}"/>` : '')
      + `${lines}<text class="badge" x="${LEFT + BLOCK_W - 6}" y="${tops[k] + 12}" text-anchor="end">${escape(badge)}</text>`
      + `<title>${escape(`block ${b.id}, insns ${b.startPc}-${b.endPc}${badge ? `: ${badge}` : ''}`)}</title></g>`;
  }).join('');
  const jumps = cfg.edges.filter((e) => e.kind !== 'fallthrough' || e.to !== e.from + 1);
  const arcs = jumps.map((e, lane) => {
    const x0 = LEFT + BLOCK_W, x1 = x0 + 14 + (lane % LANES) * 8;
    const y0 = tops[e.from] + height(cfg.blocks[e.from]) - 6, y1 = tops[e.to] + 8;
    return `<path class="edge ${e.kind}${e.onPath ? ' on-path' : ''}" d="M${x0},${y0} H${x1} V${y1} H${x0 + 4}" marker-end="url(#${e.onPath ? 'arrow-path' : 'arrow'})"/>`;
  }).join('');
  // A fall-through on the path has no arc: a mark between the two blocks says it was followed.
  const falls = cfg.edges.filter((e) => e.onPath && e.kind === 'fallthrough' && e.to === e.from + 1)
    .map((e) => `<path class="edge on-path" d="M${LEFT + 30},${tops[e.from] + height(cfg.blocks[e.from])} V${tops[e.to]}" marker-end="url(#arrow-path)"/>`).join('');
  const width = LEFT + BLOCK_W + 20 + Math.min(jumps.length, LANES) * 8 + 20;
  const title = `${cfg.program.section}/${cfg.program.name} (${cfg.program.progType}): ${cfg.blocks.length} blocks`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-editor-font-family); font-size: 12px; color: var(--vscode-editor-foreground); }
.block .box { fill: var(--vscode-editor-background); stroke: var(--vscode-editorWidget-border, #888); cursor: pointer; }
.block .heat { fill: #ff8c00; pointer-events: none; }
.block .ran { fill: var(--vscode-testing-iconPassed, #73c991); pointer-events: none; }
.block.exit .box { stroke-dasharray: 4 2; }
.block.on-path .box { stroke: var(--vscode-editorWarning-foreground, #cca700); stroke-width: 2; }
.block.rejected .box { stroke: var(--vscode-errorForeground, #e51400); stroke-width: 3; }
.block.selected .box { stroke: var(--vscode-focusBorder, #007fd4); stroke-width: 3; }
.block.pc .box { fill: var(--vscode-editor-stackFrameHighlightBackground, rgba(255, 255, 0, 0.2)); }
text { fill: var(--vscode-editor-foreground); white-space: pre; font-family: var(--vscode-editor-font-family); pointer-events: none; }
.badge { fill: var(--vscode-descriptionForeground, #999); font-size: 10px; }
.edge { fill: none; stroke: var(--vscode-textLink-foreground, #3794ff); }
.edge.call { stroke-dasharray: 3 3; }
.edge.on-path { stroke: var(--vscode-editorWarning-foreground, #cca700); stroke-width: 2.5; }
.error { color: var(--vscode-errorForeground); }
</style></head><body>
<div>${escape(title)}${cfg.message ? ` — <span class="error">${escape(cfg.message)}</span>` : ''}</div>
<svg width="${width}" height="${y}" xmlns="http://www.w3.org/2000/svg">
<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#3794ff"/></marker>
<marker id="arrow-path" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#cca700"/></marker>
</defs>
${blocks}${arcs}${falls}</svg>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
for (const g of document.querySelectorAll('g.block')) g.addEventListener('click', () => { const l = g.dataset.line; if (l !== '') vscode.postMessage({ line: Number(l) }); });
window.addEventListener('message', (ev) => {
  const m = ev.data;
  if (m.type !== 'select' && m.type !== 'pc') return;
  const cls = m.type === 'select' ? 'selected' : 'pc';
  for (const g of document.querySelectorAll('g.block.' + cls)) g.classList.remove(cls);
  const g = m.block === undefined ? null : document.querySelector('g.block[data-block="' + m.block + '"]');
  if (g) { g.classList.add(cls); g.scrollIntoView({ block: 'nearest' }); }
});
</script></body></html>`;
}
