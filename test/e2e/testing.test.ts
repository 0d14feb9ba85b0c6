/**
 * Tests beside the program (issue #11) inside a real VS Code: the Testing view's items for
 * the examples' sidecars, the Run profile's verdicts (a failure placed on the program's line),
 * run on save, and the Debug profile's session on a case's input. The extension's API
 * (EbpfApi.tests) gives the controller, its profiles and the last verdicts, which VS Code's
 * API does not let a test read back.
 */

/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EbpfApi } from '../../client/extension';
import { activeExtension, DapRecorder, inWorkspace, lineOf, poll, readText, stopSession, within, writeText } from './util';

const FIREWALL = 'xdp_firewall.bpf.s';

suite('tests beside the program (issue #11)', () => {
  let tests: EbpfApi['tests'];
  suiteSetup(async () => {
    tests = ((await activeExtension()).exports as EbpfApi).tests;
    await tests.refresh();
  });
  teardown(async () => {
    await stopSession();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  const fileItem = (name: string) => poll(`the test item of ${name}`, () => tests.controller.items.get(inWorkspace(name).toString()));
  const cases = (item: vscode.TestItem) => { const out: vscode.TestItem[] = []; item.children.forEach((c) => out.push(c)); return out; };
  const run = (items: vscode.TestItem[], profile = tests.runProfile) => {
    const cts = new vscode.CancellationTokenSource();
    return within(`the ${profile.label} profile`, Promise.resolve(profile.runHandler(new vscode.TestRunRequest(items), cts.token)), 60000);
  };

  test('one item per case of each sidecar, placed on the case in the JSON', async () => {
    for (const name of [FIREWALL, 'tc_counter.bpf.s']) {
      const item = await fileItem(name);
      const text = await readText(inWorkspace(`${name}.tests.json`));
      const names = (JSON.parse(text) as { cases: { name: string }[] }).cases.map((c) => c.name);
      const children = cases(item);
      assert.deepEqual(children.map((c) => c.label).sort(), [...names].sort());
      for (const c of children) {
        assert.equal(c.uri?.fsPath, inWorkspace(`${name}.tests.json`).fsPath);
        assert.equal(c.range?.start.line, lineOf(text, `"name": ${JSON.stringify(c.label)}`) - 1, c.label);
      }
    }
    assert.equal(tests.controller.items.get(inWorkspace('socket_filter.bpf.s').toString()), undefined, 'no sidecar, no item');
  });

  test('the Run profile passes the examples\' cases', async () => {
    const item = await fileItem(FIREWALL);
    await run([item]);
    const verdicts = cases(item).map((c) => [c.label, tests.lastResults.get(c.id)?.state]);
    assert.deepEqual(verdicts, cases(item).map((c) => [c.label, 'passed']));
  });

  test('a wrong expectation fails with expected and got, on the line of the exit the program reached', async () => {
    const program = await readText(inWorkspace(FIREWALL));
    await writeText(inWorkspace('wrong.bpf.s'), program);
    const sidecar = inWorkspace('wrong.bpf.s.tests.json');
    await writeText(sidecar, JSON.stringify({ cases: [{ name: 'expects a drop', input: { pcap: 'inputs/firewall.pcap', pcapIndex: 0 }, expect: { retval: 1 } }] }, null, 2));
    await tests.refresh();
    const item = await fileItem('wrong.bpf.s');
    const [c] = cases(item);
    await run([c]);
    const result = tests.lastResults.get(c.id);
    assert.equal(result?.state, 'failed');
    const [m] = result.messages;
    assert.equal(String(m.message), 'retval: expected 1, got 2');
    assert.deepEqual([m.expectedOutput, m.actualOutput], ['1', '2']);
    assert.equal(m.location?.uri.fsPath, inWorkspace('wrong.bpf.s').fsPath);
    assert.equal(m.location?.range.start.line, lineOf(program, '\texit'));

    // Saving the sidecar with the right expectation runs it again (ebpf.tests.runOnSave).
    const doc = await vscode.workspace.openTextDocument(sidecar);
    const edit = new vscode.WorkspaceEdit();
    const at = doc.getText().indexOf('"retval": 1');
    edit.replace(sidecar, new vscode.Range(doc.positionAt(at), doc.positionAt(at + '"retval": 1'.length)), '"retval": 2');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    await poll('the case to pass once saved', () => (tests.lastResults.get(c.id)?.state === 'passed' ? true : undefined));
  });

  test('the Debug profile starts an ebpf session on the case\'s input', async () => {
    const item = await fileItem(FIREWALL);
    const c = cases(item).find((x) => x.label === 'drops a SYN from a blocked source');
    assert.ok(c, 'the blocked-source case');
    const dap = new DapRecorder();
    try {
      const done = run([c], tests.debugProfile);
      const stopped = await dap.event('stopped');
      assert.equal(stopped.body?.reason, 'entry');
      const args = dap.request('launch')?.arguments ?? {};
      assert.equal(args.program, inWorkspace(FIREWALL).fsPath);
      assert.equal(args.pcap, inWorkspace('inputs/firewall.pcap').fsPath);
      assert.equal(args.maps, inWorkspace('inputs/firewall.maps.json').fsPath);
      assert.equal(args.packetIndex, 2);
      // The adapter may report the stop before VS Code reports the session started.
      const session = await poll('the debug session', () => (vscode.debug.activeDebugSession?.name === `Debug test: ${c.label}` ? vscode.debug.activeDebugSession : undefined));
      await stopSession(session);
      await done;
    } finally {
      dap.dispose();
    }
  });
});
