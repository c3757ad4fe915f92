import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, builtinModelDir, poll, workspaceFile } from './api';

/**
 * Sink-heat decorations (setting sinklens.decorations): analysing a prompt file paints ranges over the analysed
 * text in its editor, and any edit of the document clears them (the token offsets no longer match).
 * Observed through the read-only test hook SinkLensApi.decorationCount(uri).
 */
suite('sink decorations', function () {
  this.timeout(180000);
  const config = () => vscode.workspace.getConfiguration('sinklens');
  let savedModel: string | undefined;
  let savedDecorations: boolean | undefined;

  // the built-in demo model is always there (the workspace's stories260k fixture may be missing)
  suiteSetup(async () => {
    savedModel = config().inspect<string>('defaultModel')?.workspaceValue;
    savedDecorations = config().inspect<boolean>('decorations')?.workspaceValue;
    await config().update('defaultModel', '', vscode.ConfigurationTarget.Workspace);
    await config().update('decorations', true, vscode.ConfigurationTarget.Workspace);
    const a = await api();
    assert.ok(await poll(() => a.currentModelDir() === builtinModelDir(), 10000), `model: ${a.currentModelDir()}`);
  });

  suiteTeardown(async () => {
    await config().update('defaultModel', savedModel, vscode.ConfigurationTarget.Workspace);
    await config().update('decorations', savedDecorations, vscode.ConfigurationTarget.Workspace);
  });

  test('analysing a prompt file decorates its editor; editing the document clears the decorations', async () => {
    const a = await api();
    const uri = workspaceFile('story.prompt');
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(0, 0, 0, 0); // no selection: the whole document is analysed
    const key = uri.toString();
    await vscode.commands.executeCommand('sinklens.analyze');
    const analysed = (t: string | undefined): boolean => !!t && t.length > 100 && doc.getText().includes(t);
    const r = await poll(() => (analysed(a.lastResult()?.input.text) ? a.lastResult() : undefined), 60000);
    assert.ok(r, `lastResult text: ${JSON.stringify(a.lastResult()?.input.text?.slice(0, 60))}`);
    const n = await poll(() => a.decorationCount(key), 15000);
    console.log(`decorations on ${key}: ${n} ranges for ${r.tokens.length} tokens`);
    assert.ok(n > 0, 'the analysed prompt carries sink-heat decorations');
    assert.ok(n <= r.tokens.length, `at most one range per token (${n} ranges, ${r.tokens.length} tokens)`);
    assert.equal(a.decorationCount('file:///no/such/file.prompt'), 0, 'other documents carry none');

    const edited = await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'x'));
    assert.ok(edited, 'the edit applied');
    try {
      assert.ok(await poll(() => a.decorationCount(key) === 0, 5000), `after the edit: ${a.decorationCount(key)} ranges remain`);
    } finally {
      await vscode.commands.executeCommand('undo');
      if (doc.isDirty) await doc.save();
    }
  });
});
