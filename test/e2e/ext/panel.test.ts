import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, poll, workspaceFile } from './api';

function sinkLensWebviewTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('sinklens.panel'));
}

suite('commands drive the panel', function () {
  this.timeout(180000);

  test('sinklens.analyze on a selection analyses exactly the selected text and renders it in the panel', async () => {
    const a = await api();
    const doc = await vscode.workspace.openTextDocument(workspaceFile('story.prompt'));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const selected = 'Once upon a time, there was a little boy named Tom.';
    const start = doc.getText().indexOf(selected);
    editor.selection = new vscode.Selection(doc.positionAt(start), doc.positionAt(start + selected.length));
    await vscode.commands.executeCommand('sinklens.analyze');
    const r = await poll(() => (a.lastResult()?.input.text === selected ? a.lastResult() : undefined), 60000);
    assert.ok(r, `lastResult text: ${JSON.stringify(a.lastResult()?.input.text)}`);
    // the tab model and the webview handshake update asynchronously
    assert.ok(await poll(() => sinkLensWebviewTabs().length > 0, 15000), 'a sinklens.panel webview tab is open');
    const state = await poll(() => (a.panelState().ready && a.panelState().tokens === r.tokens.length ? a.panelState() : undefined), 30000);
    assert.ok(state, `panelState: ${JSON.stringify(a.panelState())}, tokens ${r.tokens.length}`);
    assert.equal(state.open, true);
  });

  test('sinklens.analyzeSection analyses the given range of the document', async () => {
    const a = await api();
    const uri = workspaceFile('sections.prompt');
    const doc = await vscode.workspace.openTextDocument(uri);
    const second = 'Lily said, "We need to help the bird!" Ben nodded and they made a soft bed for it.';
    const start = doc.getText().indexOf(second);
    const range = new vscode.Range(doc.positionAt(start), doc.positionAt(start + second.length));
    await vscode.commands.executeCommand('sinklens.analyzeSection', uri, range);
    const r = await poll(() => (a.lastResult()?.input.text.trim() === second ? a.lastResult() : undefined), 60000);
    assert.ok(r, `lastResult text: ${JSON.stringify(a.lastResult()?.input.text)}`);
  });

  test('sinklens.openPanel keeps a single panel', async () => {
    await vscode.commands.executeCommand('sinklens.openPanel');
    await vscode.commands.executeCommand('sinklens.openPanel');
    await poll(() => sinkLensWebviewTabs().length > 0, 15000);
    assert.equal(sinkLensWebviewTabs().length, 1, 'exactly one SinkLens panel');
  });
});
