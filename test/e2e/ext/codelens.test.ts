import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, poll, workspaceFile } from './api';

async function lensesFor(rel: string, atLeast: number): Promise<vscode.CodeLens[]> {
  const uri = workspaceFile(rel);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  // the provider answers after activation; poll instead of asserting the first (possibly empty) answer
  const probe = async () => {
    const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
    const ours = all.filter((l) => l.command?.command?.startsWith('sinklens.'));
    return ours.length >= atLeast ? ours : undefined;
  };
  return (await poll(probe, 15000, 200)) ?? [];
}

suite('code lenses on prompt files', () => {
  suiteSetup(async () => {
    await api();
  });

  test('a .prompt file gets an "Analyze with SinkLens" lens that runs analyzeSection on its range', async () => {
    const lenses = await lensesFor('story.prompt', 1);
    assert.ok(lenses.length >= 1, 'no SinkLens code lens on story.prompt');
    const lens = lenses.find((l) => l.command?.title === 'Analyze with SinkLens');
    assert.ok(lens, `titles: ${lenses.map((l) => l.command?.title).join(' | ')}`);
    assert.equal(lens.command?.command, 'sinklens.analyzeSection');
    const [uri, range] = lens.command?.arguments ?? [];
    assert.equal(String(uri), String(workspaceFile('story.prompt')));
    assert.ok(range instanceof vscode.Range, 'second argument is the section range');
  });

  test('a file with --- separators gets one lens per section', async () => {
    const lenses = await lensesFor('sections.prompt', 2);
    const lines = lenses.map((l) => l.range.start.line).sort((a, b) => a - b);
    assert.ok(lenses.length >= 2, `expected >= 2 lenses, got lines ${lines.join(',')}`);
    assert.ok(lines[lines.length - 1] >= 2, 'the second section starts after the --- line');
  });

  test('prompts/**/*.md matches sinklens.promptFiles', async () => {
    const lenses = await lensesFor('prompts/notes.md', 1);
    assert.ok(lenses.length >= 1, 'no SinkLens lens on prompts/notes.md');
  });

  test('an analysed selection gets its own summary lens on its line; the file lens keeps describing the file', async function () {
    this.timeout(120000);
    const uri = workspaceFile('story.prompt');
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const first = editor.document.getText().indexOf('.') + 1; // the first sentence: not a section of its own
    editor.selection = new vscode.Selection(editor.document.positionAt(0), editor.document.positionAt(first));
    await vscode.commands.executeCommand('sinklens.analyze');
    const probe = async () => {
      const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
      const sel = all.find((l) => /^SinkLens \(selection, line 1\): sink \d\.\d\d · .* · \d+ tok$/.test(l.command?.title ?? ''));
      return sel ? all : undefined;
    };
    const lenses = (await poll(probe, 90000, 250)) ?? [];
    const titles = lenses.map((l) => l.command?.title);
    const sel = lenses.find((l) => l.command?.title?.startsWith('SinkLens (selection'));
    assert.ok(sel, `titles: ${titles.join(' | ')}`);
    const [, range] = sel.command?.arguments ?? [];
    assert.equal(editor.document.getText(range as vscode.Range), editor.document.getText().slice(0, first), 'the lens re-analyses exactly the selection');
    // the whole-file lens describes the whole text: never the selection's summary
    const file = lenses.find((l) => l !== sel);
    assert.ok(file && (file.command?.title === 'Analyze with SinkLens' || !file.command?.title?.includes('(selection')), `titles: ${titles.join(' | ')}`);
    // an edit inside the selection removes its lens (the text it summarised is gone)
    await editor.edit((e) => e.insert(editor.document.positionAt(1), 'x'));
    const gone = await poll(async () => {
      const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
      return all.some((l) => l.command?.title?.startsWith('SinkLens (selection')) ? undefined : true;
    }, 15000, 200);
    await vscode.commands.executeCommand('undo');
    assert.equal(gone, true, 'no selection lens after an edit of its text');
  });

  test('an ordinary text file gets no SinkLens lens', async () => {
    const uri = workspaceFile('README.txt');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await new Promise((r) => setTimeout(r, 500));
    const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
    assert.equal(all.filter((l) => l.command?.command?.startsWith('sinklens.')).length, 0);
  });
});
