/**
 * The e2e run in an untrusted workspace (`run.js --no-trust`: workspace trust stays on and
 * its startup prompt off, so the copy of examples/ opens in Restricted Mode). The extension
 * declares limited support: it edits, checks and debugs as usual, but never loads a program
 * into the running kernel from a folder the user has not trusted.
 */

/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ebpfDiagnostics, EXTENSION_ID, inWorkspace, poll, skipBecause, within, writeText, XDP } from './util';

suite('untrusted workspace', () => {
  teardown(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  test('the workspace opens untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('the extension runs in Restricted Mode and still shows diagnostics', async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    if (!ext) skipBecause(this, 'VS Code disabled the extension in Restricted Mode: package.json declares no capabilities.untrustedWorkspaces');
    await ext.activate();
    const uri = inWorkspace('untrusted.bpf.s');
    await writeText(uri, '.section xdp\nr2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nr0 = 2\nexit\n');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const [d] = await poll('a verifier diagnostic', () => {
      const ds = ebpfDiagnostics(uri);
      return ds.length ? ds : undefined;
    });
    assert.equal(d.range.start.line, 2);
  });

  test('ebpf.verifyInKernel is absent or refuses', async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    if (ext) await ext.activate();
    const registered = (await vscode.commands.getCommands(true)).includes('ebpf.verifyInKernel');
    if (!ext) {
      assert.ok(!registered, 'a disabled extension has no commands');
      return;
    }
    if (!registered) skipBecause(this, 'command ebpf.verifyInKernel is not registered yet (issue #8); when it lands it must refuse here');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(inWorkspace(XDP)));
    // In a trusted workspace the command answers with the kernel's verdicts (commands.test.ts);
    // here it must answer nothing (it tells the user why) or reject, naming trust.
    const outcome = await within('ebpf.verifyInKernel', vscode.commands.executeCommand('ebpf.verifyInKernel'), 30000)
      .then((r) => r, (e: unknown) => String(e));
    if (typeof outcome === 'string') assert.match(outcome, /trust|restricted/i);
    else assert.ok(outcome === undefined, `it must refuse, but answered ${JSON.stringify(outcome)?.slice(0, 120)}...`);
  });

  test('ebpf.kernelCrossCheck is ignored in the workspace\'s settings', async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    const restricted = (ext?.packageJSON as { capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: string[] } } } | undefined)
      ?.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [];
    if (!restricted.includes('ebpf.kernelCrossCheck')) skipBecause(this, 'package.json does not list ebpf.kernelCrossCheck in capabilities.untrustedWorkspaces.restrictedConfigurations');
    const settings = inWorkspace('.vscode/settings.json');
    if (await vscode.workspace.fs.stat(settings).then(() => true, () => false)) skipBecause(this, 'the workspace has its own .vscode/settings.json, which this test would replace');
    await writeText(settings, JSON.stringify({ 'ebpf.kernelCrossCheck': true, 'ebpf.format.commentColumn': 33 }));
    try {
      // An unrestricted setting from the same file shows it has been read.
      await poll('the workspace settings to be read', () => (vscode.workspace.getConfiguration('ebpf').get('format.commentColumn') === 33 ? true : undefined));
      assert.equal(vscode.workspace.getConfiguration('ebpf').get('kernelCrossCheck'), false);
    } finally {
      await vscode.workspace.fs.delete(settings);
    }
  });
});
