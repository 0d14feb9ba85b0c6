/**
 * End-to-end tests inside a real VS Code (1.100.3 through code-server, see
 * test/vscode-host/run.js), against the extension as VS Code loads it from the repo root:
 * activation and languages, the language server's diagnostics and hover through VS Code's
 * own APIs, and a debug session driven the way the Debug view drives it. The workspace is a
 * temporary copy of examples/.
 *
 * The commands, views, status bar and debug configurations of issue #8 are checked in
 * commands.test.ts, the untrusted workspace in untrusted.test.ts.
 */

/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  activeExtension, BOUNDS_CHECK, DapRecorder, debugUntilStopped, ebpfDiagnostics, EXTENSION_ID, inWorkspace, IPV4_UDP, lineOf, poll, readText,
  skipBecause, stopSession, workspaceFolder, writeText, XDP,
} from './util';

suite('extension', () => {
  test('activates from the repo root', async () => {
    const ext = await activeExtension();
    assert.equal(ext.id, EXTENSION_ID);
    assert.ok(ext.isActive);
    console.log(`      host: VS Code ${vscode.version}, ${vscode.env.appName}, uiKind ${vscode.UIKind[vscode.env.uiKind]}, remote ${vscode.env.remoteName ?? 'none'}`);
  });

  test('registers the ebpf and cbpf languages for .bpf.s and .cbpf', async () => {
    const langs = await vscode.languages.getLanguages();
    assert.ok(langs.includes('ebpf') && langs.includes('cbpf'), `languages: ${langs.join(', ')}`);
    assert.equal((await vscode.workspace.openTextDocument(inWorkspace(XDP))).languageId, 'ebpf');
    assert.equal((await vscode.workspace.openTextDocument(inWorkspace('http_syn.cbpf'))).languageId, 'cbpf');
  });
});

suite('language server', () => {
  suiteSetup(activeExtension);
  teardown(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  test('a removed bounds check shows the verifier error on its line, and the fix clears it', async () => {
    const text = await readText(inWorkspace(XDP));
    const check = lineOf(text, BOUNDS_CHECK);
    const uri = inWorkspace('broken.bpf.s');
    await writeText(uri, text.split('\n').map((l, k) => (k === check ? '' : l)).join('\n'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);

    const [d] = await poll('a verifier diagnostic on broken.bpf.s', () => {
      const ds = ebpfDiagnostics(uri);
      return ds.length ? ds : undefined;
    });
    assert.equal(d.range.start.line, lineOf(text, 'r5 = *(u16 *)(r2 + 12)'));
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.match(d.message, /^R2 offset is outside of the packet/);
    assert.equal(typeof d.code === 'object' ? d.code.value : d.code, 'verifier');

    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(check, 0), `\t${BOUNDS_CHECK}`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await poll('the diagnostic to go away once the check is back', () => (ebpfDiagnostics(uri).length === 0 ? true : undefined));
  });

  test('hover on a register shows its verifier state', async () => {
    const uri = inWorkspace(XDP);
    const text = await readText(uri);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const line = lineOf(text, 'r3 = *(u32 *)(r1 + 4)');
    const pos = new vscode.Position(line, text.split('\n')[line].indexOf('r3'));
    // The first request may come before the server's first analysis: ask until it answers.
    const hovers = await poll('a hover on r3', async () => {
      const hs = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, pos);
      return hs.length ? hs : undefined;
    });
    const md = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
    assert.match(md, /pkt_end/);
  });
});

suite('debugger', () => {
  let dap: DapRecorder;
  suiteSetup(async () => { await activeExtension(); dap = new DapRecorder(); });
  suiteTeardown(() => dap.dispose());
  teardown(async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
  });

  test('stops at breakpoints and shows registers, a map entry and an evaluation', async () => {
    const uri = inWorkspace(XDP);
    const text = await readText(uri);
    const first = lineOf(text, 'if r5 != 0x8 goto count');
    const last = lineOf(text, 'r0 = r6');
    vscode.debug.addBreakpoints([first, last].map((l) => new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(l, 0)))));

    const started = new Promise<vscode.DebugSession>((r) => { const d = vscode.debug.onDidStartDebugSession((s) => { d.dispose(); r(s); }); });
    const ok = await vscode.debug.startDebugging(workspaceFolder(), { type: 'ebpf', request: 'launch', name: 'e2e', program: uri.fsPath, packet: IPV4_UDP, stopOnEntry: false });
    assert.ok(ok, 'startDebugging');
    const session = await started;
    const terminated = new Promise<void>((r) => { const d = vscode.debug.onDidTerminateDebugSession((s) => { if (s.id === session.id) { d.dispose(); r(); } }); });

    const stop1 = await dap.event('stopped');
    assert.equal(stop1.body?.reason, 'breakpoint');
    const top = async () => (await session.customRequest('stackTrace', { threadId: 1 })).stackFrames[0] as { id: number; line: number };
    const scope = async (name: string) => {
      const { scopes } = await session.customRequest('scopes', { frameId: (await top()).id });
      const s = scopes.find((x: { name: string }) => x.name === name);
      assert.ok(s, `scope ${name} in ${scopes.map((x: { name: string }) => x.name)}`);
      return (await session.customRequest('variables', { variablesReference: s.variablesReference })).variables as { name: string; value: string; variablesReference: number }[];
    };
    assert.equal((await top()).line, first + 1);
    const regs = await scope('Registers');
    assert.match(regs.find((v) => v.name === 'r1')!.value, /^ctx\+0/);
    assert.match(regs.find((v) => v.name === 'r2')!.value, /^pkt\+0 /);

    await session.customRequest('continue', { threadId: 1 });
    await dap.event('stopped', 1);
    assert.equal((await top()).line, last + 1);
    const counters = (await scope('Maps')).find((m) => m.name === 'counters');
    assert.ok(counters, 'counters in the Maps scope');
    const entries = (await session.customRequest('variables', { variablesReference: counters.variablesReference })).variables as { name: string; value: string }[];
    assert.equal(entries.find((e) => /^0x3\b/.test(e.name))?.value, '0x1 (1)', 'the UDP packet was counted in slot 3');
    const ev = await session.customRequest('evaluate', { expression: 'map counters 3', context: 'repl' });
    assert.equal(ev.result, '01 00 00 00 00 00 00 00');

    await vscode.debug.stopDebugging(session);
    await terminated;
  });

  test('every configuration in the examples\' launch.json starts and stops on entry', async function () {
    this.timeout(120000);
    const configs = vscode.workspace.getConfiguration('launch', workspaceFolder().uri).get<{ name: string; stopOnEntry?: boolean }[]>('configurations') ?? [];
    if (!configs.length) skipBecause(this, 'examples/.vscode/launch.json has no configurations');
    const failures: string[] = [];
    for (const c of configs) {
      const rec = new DapRecorder();
      try {
        // By name, as the Run and Debug view starts it: VS Code substitutes ${workspaceFolder}.
        const { reason } = await debugUntilStopped(rec, () => vscode.debug.startDebugging(workspaceFolder(), c.name));
        console.log(`      ${c.name}: stopped (${String(reason)})`);
        if (c.stopOnEntry && reason !== 'entry') failures.push(`${c.name}: stopped for ${String(reason)}`);
      } catch (e) {
        const output = rec.messages.filter((m) => m.type === 'event' && m.event === 'output').map((m) => m.body?.output).join('');
        failures.push(`${c.name}: ${(e as Error).message} ${output}`.trim());
      } finally {
        await stopSession();
        rec.dispose();
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${configs.length} configurations failed`);
  });
});
