/**
 * The Maps view in the Run and Debug side bar while an eBPF session runs: every map and its
 * entries as the debugger sees them at each stop (`ebpf/maps`), values editable in place
 * (`ebpf/setMapValue`).
 */

import * as vscode from 'vscode';

interface MapEntryNode { kind: 'entry'; map: string; key: string; keyText: string; valueText: string }
interface MapNode { kind: 'map'; name: string; type: string; entries: MapEntryNode[] }
type Node = MapNode | MapEntryNode;

export class MapsView implements vscode.TreeDataProvider<Node> {
  private maps: MapNode[] = [];
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(context: vscode.ExtensionContext) {
    context.subscriptions.push(
      vscode.window.createTreeView('ebpf.maps', { treeDataProvider: this, showCollapseAll: true }),
      // Refresh at every stop of an eBPF session, clear when it ends.
      vscode.debug.registerDebugAdapterTrackerFactory('ebpf', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type?: string; event?: string }) => { if (m.type === 'event' && m.event === 'stopped') void this.refresh(session); },
          onWillStopSession: () => { this.maps = []; this.changed.fire(undefined); },
        }),
      }),
      vscode.commands.registerCommand('ebpf.maps.edit', (node?: MapEntryNode) => this.edit(node)),
      vscode.commands.registerCommand('ebpf.maps.refresh', () => this.refresh(vscode.debug.activeDebugSession)),
    );
  }

  /** The maps as last shown (for tests and other extensions). */
  get current(): readonly { name: string; type: string; entries: readonly { keyText: string; valueText: string }[] }[] {
    return this.maps;
  }

  async refresh(session: vscode.DebugSession | undefined): Promise<void> {
    if (!session || session.type !== 'ebpf') return;
    try {
      const r = await session.customRequest('ebpf/maps') as { maps: { name: string; type: string; entries: { key: string; keyText: string; valueText: string }[] }[] };
      this.maps = r.maps.map((m) => ({ kind: 'map', name: m.name, type: m.type, entries: m.entries.map((e) => ({ kind: 'entry', map: m.name, ...e })) }));
    } catch {
      this.maps = [];
    }
    this.changed.fire(undefined);
  }

  private async edit(node?: MapEntryNode): Promise<void> {
    const session = vscode.debug.activeDebugSession;
    if (!node || node.kind !== 'entry' || !session) return;
    const value = await vscode.window.showInputBox({ prompt: `New value of ${node.map}[${node.keyText}]: hex bytes or an integer expression`, value: node.valueText });
    if (value === undefined) return;
    try {
      await session.customRequest('ebpf/setMapValue', { map: node.map, key: node.key, value });
    } catch (e) {
      void vscode.window.showErrorMessage((e as Error).message);
    }
    await this.refresh(session);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'map') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.description = `${node.type}, ${node.entries.length} entries`;
      return item;
    }
    const item = new vscode.TreeItem(node.keyText, vscode.TreeItemCollapsibleState.None);
    item.description = node.valueText;
    item.contextValue = 'ebpfMapEntry';
    item.command = { command: 'ebpf.maps.edit', title: 'Edit value', arguments: [node] };
    return item;
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.maps;
    return node.kind === 'map' ? node.entries : [];
  }
}
