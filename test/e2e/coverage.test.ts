/**
 * Coverage and the interactive control-flow graph (issue #11) inside a real VS Code: the
 * verifier's heat map and a coverage run's executed lines (read back through the extension's
 * API, EbpfApi.coverage), the executed lines of an eBPF debug session that ran to its end, the
 * graph's block under the editor's cursor, the block of the debugger's pc while stopped, and
 * the rejected path on the graph of a broken copy of the example, and both on the C lines of a
 * `.bpf.c` document the server builds with clang-19 (skipped without it).
 */

/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EbpfApi } from '../../client/extension';
import type { CoverageState } from '../../client/coverage';
import type { Cfg } from '../../client/cfgWebview';
import {
  activeExtension, BOUNDS_CHECK, DapRecorder, debugUntilStopped, ebpfDiagnostics, inWorkspace, IPV4_UDP, lineOf, poll, readText, skipBecause, stopSession, within,
  workspaceFolder, writeText, XDP,
} from './util';
import { missingTools } from '../tools';

/** An ARP frame: not IPv4, so the example passes it after the EtherType check. */
const ARP = '000000000000020000000001' + '0806' + '0'.repeat(56);

suite('coverage and the control-flow graph (issue #11)', () => {
  let api: EbpfApi;
  let text: string;
  const uri = () => inWorkspace(XDP);
  const open = async () => vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri()), vscode.ViewColumn.One);
  const blockOfLine = (cfg: Cfg, line: number) => cfg.blocks.find((b) => b.insns.some((x) => x.line === line))?.id;

  suiteSetup(async () => {
    api = (await activeExtension()).exports as EbpfApi;
    text = await readText(uri());
  });
  teardown(async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    await stopSession();
    if (api.coverage.enabled) await vscode.commands.executeCommand('ebpf.showCoverage');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('ebpf.showCoverage shades the lines the verifier walked, and a run marks the lines it executed', async () => {
    await open();
    const shown = await poll('coverage of the example', async () => {
      if (!api.coverage.enabled) await vscode.commands.executeCommand('ebpf.showCoverage');
      const s = api.coverage.state(uri());
      return s && s.heat.length ? s : undefined;
    });
    const first = lineOf(text, 'r2 = *(u32 *)(r1 + 0)');
    assert.equal(shown.heat.find((h) => h.line === first)?.visits, 1);
    const joined = shown.heat.find((h) => h.line === lineOf(text, 'r0 = r6'));
    assert.ok(joined && joined.visits > 1 && joined.level > shown.heat.find((h) => h.line === first)!.level, 'the exit, reached by every path, is hotter than the entry');
    assert.deepEqual(shown.executed, [], 'nothing run yet');

    const ran = await within('ebpf.runCoverage', vscode.commands.executeCommand<CoverageState>('ebpf.runCoverage', { packet: ARP }), 20000);
    assert.equal(ran.error, undefined);
    assert.equal(ran.executed.find((x) => x.line === first)?.count, 1);
    assert.ok(ran.notExecuted.includes(lineOf(text, 'r7 = 2')), 'ARP is not IPv4: the IPv4 lines never ran');
    assert.ok(ran.executed.some((x) => x.line === lineOf(text, 'r0 = r6')));
    assert.deepEqual(api.coverage.state(uri())?.executed, ran.executed);

    // Toggled off: nothing is shown any more.
    const off = await vscode.commands.executeCommand<{ enabled: boolean }>('ebpf.showCoverage');
    assert.equal(off.enabled, false);
    assert.equal(api.coverage.state(uri()), undefined);
  });

  test('the graph follows the cursor, and carries the coverage run\'s counts per block', async () => {
    const editor = await open();
    const cfg = await within('ebpf.showCfg', vscode.commands.executeCommand<Cfg>('ebpf.showCfg'), 20000);
    assert.ok(cfg && cfg.blocks.every((b) => b.visits !== undefined && b.visits > 0), 'every block was verified');
    for (const needle of ['r7 = 3', 'r1 = 1', 'r2 = *(u32 *)(r1 + 0)']) {
      const line = lineOf(text, needle);
      editor.selection = new vscode.Selection(line, 1, line, 1);
      const expected = blockOfLine(cfg, line);
      assert.notEqual(expected, undefined);
      await poll(`the block of line ${line + 1} selected`, () => (api.cfg.selectedBlock === expected ? true : undefined));
    }
    await within('ebpf.runCoverage', vscode.commands.executeCommand('ebpf.runCoverage', { packet: IPV4_UDP }), 20000);
    const executed = await poll('executions per block', () => api.cfg.executed);
    assert.equal(executed[0], 1);
    assert.equal(executed[blockOfLine(cfg, lineOf(text, 'r7 = 3'))!], 1, 'the UDP block ran');
  });

  test('while a debug session is stopped, the graph marks the block of its pc; at its end, coverage shows what it ran', async () => {
    await open();
    await within('ebpf.showCfg', vscode.commands.executeCommand('ebpf.showCfg'), 20000);
    await vscode.commands.executeCommand('ebpf.showCoverage');
    const udpLine = lineOf(text, 'r7 = 3');
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(uri(), new vscode.Position(udpLine, 0)))]);
    const dap = new DapRecorder();
    try {
      const { session } = await debugUntilStopped(dap, () => vscode.debug.startDebugging(workspaceFolder(), { type: 'ebpf', request: 'launch', name: 'coverage', program: uri().fsPath, packet: IPV4_UDP }));
      const cfg = api.cfg.last!;
      await poll('the block of the pc marked', () => (api.cfg.pcBlock === blockOfLine(cfg, udpLine) ? true : undefined));
      const ended = new Promise<void>((r) => { const d = vscode.debug.onDidTerminateDebugSession((s) => { if (s.id === session.id) { d.dispose(); r(); } }); });
      await session.customRequest('continue', { threadId: 1 });
      await within('the session to end', ended, 20000);
      const state = await poll('the session\'s executed lines', () => {
        const s = api.coverage.state(uri());
        return s && s.executed.length ? s : undefined;
      });
      assert.equal(state.executed.find((x) => x.line === udpLine)?.count, 1);
      assert.ok(state.notExecuted.length === 0, 'the UDP packet runs every line of the example');
      await poll('the pc mark cleared', () => (api.cfg.pcBlock === undefined ? true : undefined));
    } finally {
      dap.dispose();
    }
  });

  test('a rejected copy: the graph marks the path to the failing block', async () => {
    const broken = inWorkspace('coverage-rejected.bpf.s');
    await writeText(broken, text.split('\n').map((l, k) => (k === lineOf(text, BOUNDS_CHECK) ? '' : l)).join('\n'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(broken));
    await poll('the rejection', () => (ebpfDiagnostics(broken).length ? true : undefined));
    const cfg = await within('ebpf.showCfg', vscode.commands.executeCommand<Cfg>('ebpf.showCfg'), 20000);
    const rejected = cfg.blocks.filter((b) => b.rejected);
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0].onPath && cfg.blocks[0].onPath, 'the entry and the failing block are on the path');
    assert.ok(cfg.blocks.some((b) => !b.onPath), 'blocks after the failure are not');
  });

  test('a C document (.bpf.c): coverage and the graph on its C lines', async function () {
    this.timeout(180000);
    const missing = missingTools('clang-19');
    if (missing) skipBecause(this, missing);
    const cUri = inWorkspace('xdp_counter.bpf.c');
    const cText = await readText(cUri);
    const doc = await vscode.workspace.openTextDocument(cUri);
    if (doc.languageId !== 'c') skipBecause(this, `VS Code opened ${cUri.path} as '${doc.languageId}', not 'c' (no C language support in this build)`);
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const bounds = lineOf(cText, 'if ((void *)(eth + 1) > data_end)');
    const count = lineOf(cText, 'count_protocol(ip->protocol);');
    const onFile = (lines: number[]) => lines.every((l) => l >= 0 && l < doc.lineCount);
    // The server builds the file with clang first: ask again until the build's analysis answers.
    const shown = await poll('coverage of the C example', async () => {
      if (!api.coverage.enabled) await vscode.commands.executeCommand('ebpf.showCoverage');
      const s = await api.coverage.refresh(doc);
      return s && s.heat.some((h) => h.line === bounds) ? s : undefined;
    }, 90000);
    assert.ok(onFile(shown.lines.map((l) => l.line)), `every line is within the file: ${JSON.stringify(shown.lines)}`);
    assert.ok(shown.heat.find((h) => h.line === bounds)!.visits > 0);
    assert.deepEqual(shown.executed, [], 'nothing run yet');

    const ran = await within('ebpf.runCoverage', vscode.commands.executeCommand<CoverageState>('ebpf.runCoverage', { packet: IPV4_UDP }), 30000);
    assert.equal(ran.error, undefined);
    assert.equal(ran.executed.find((x) => x.line === bounds)?.count, 1);
    assert.equal(ran.executed.find((x) => x.line === count)?.count, 1, 'the IPv4 frame is counted');
    assert.ok(onFile([...ran.executed.map((x) => x.line), ...ran.notExecuted]));
    assert.deepEqual(api.coverage.state(cUri)?.executed, ran.executed);

    const cfg = await within('ebpf.showCfg', vscode.commands.executeCommand<Cfg>('ebpf.showCfg'), 30000);
    assert.ok(cfg, 'a graph of the C program');
    const block = blockOfLine(cfg, bounds);
    assert.notEqual(block, undefined, 'a block holds the bounds check\'s instructions');
    assert.ok(onFile(cfg.blocks.flatMap((b) => b.insns.flatMap((x) => (x.line === undefined ? [] : [x.line])))));
    const executed = await poll('executions per block', () => api.cfg.executed);
    assert.equal(executed[block!], 1, 'the block of the bounds check ran once');
  });
});
