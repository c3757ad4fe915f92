import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { api, builtinModelDir, poll, requireFixture, workspaceFile } from './api';

interface Compared {
  label: string;
  verdict: string;
  depth?: 'layer' | 'relative';
  other: { input: { text: string }; model: { dir: string; layers: number } };
}

const VERDICT = /^(valley (moved|unchanged|appeared|gone)|no valley in either).*, max sink rate (unchanged|[+\u2212]\d\.\d\d), spike /;

suite('Compare Prompts', function () {
  this.timeout(180000);

  test('two selections of one file: Select for Compare, then Compare Prompts… shows the second with the first overlaid and the verdict', async () => {
    const a = await api();
    const first = 'Tom has 3 apples. He buys 5 more apples at the market. How many apples does Tom have now?';
    const second = 'Ann has 7 pears. She gives 2 pears to her brother and eats one. How many pears are left for Ann?';
    const uri = workspaceFile('cmp-selections.prompt');
    fs.writeFileSync(uri.fsPath, `${first}\n\n${second}\n`);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const doc = editor.document;
    const range = (text: string) => new vscode.Selection(doc.positionAt(doc.getText().indexOf(text)), doc.positionAt(doc.getText().indexOf(text) + text.length));

    editor.selection = range(first);
    const side = (await vscode.commands.executeCommand('sinklens.selectForCompare')) as { label: string; text: string } | undefined;
    assert.ok(side, 'Select for Compare returns the marked side');
    assert.equal(side.text, first);
    assert.equal(side.label, 'cmp-selections.prompt:1');

    editor.selection = range(second);
    const compare = (await vscode.commands.executeCommand('sinklens.comparePrompts')) as Compared | undefined;
    assert.ok(compare && 'verdict' in compare, 'the second Compare Prompts… compares');
    assert.equal(compare.label, 'cmp-selections.prompt:1');
    assert.equal(compare.other.input.text, first);
    assert.equal(compare.depth, undefined, 'one model: the layer axis');
    assert.match(compare.verdict, VERDICT);
    const r = await poll(() => (a.lastResult()?.input.text === second ? a.lastResult() : undefined), 30000);
    assert.ok(r, `lastResult text: ${JSON.stringify(a.lastResult()?.input.text)}`);
    assert.ok(await poll(() => a.panelState().ready, 30000), 'the panel is ready');

    // Compare with Selected on the whole file keeps the same marked side.
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    const again = (await vscode.commands.executeCommand('sinklens.compareWithSelected', uri)) as Compared | undefined;
    assert.ok(again);
    assert.equal(again.other.input.text, first);
    assert.equal(a.lastResult()?.input.text.trim(), `${first}\n\n${second}`);
  });
});

suite('Compare Across Models', function () {
  this.timeout(240000);

  test('one prompt on stories260k and on the built-in demo model: both runs, the relative-depth axis and the verdict', async function () {
    const stories = requireFixture(this, 'stories260k');
    const a = await api();
    // The workspace selects stories260k; compare with the other of the two (5 vs 6 hidden layers).
    const current = a.currentModelDir();
    const otherValue = current === builtinModelDir() ? stories : '';
    const uri = workspaceFile('story.prompt');
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    const compare = (await vscode.commands.executeCommand('sinklens.compareAcrossModels', otherValue)) as Compared | undefined;
    assert.ok(compare, 'the command returns the comparison');
    const shown = await poll(() => a.lastResult(), 30000);
    assert.ok(shown);
    assert.equal(compare.other.input.text, shown.input.text, 'the same prompt on both models');
    assert.notEqual(compare.other.model.dir, shown.model.dir);
    assert.notEqual(compare.other.model.layers, shown.model.layers);
    assert.equal(compare.depth, 'relative', 'different depths share the l/L axis');
    if (otherValue === '') assert.equal(compare.label, 'sinklens-tiny (built-in demo)');
    assert.match(compare.verdict, VERDICT);
    assert.ok(await poll(() => a.panelState().ready, 30000), 'the panel is ready');
  });
});
