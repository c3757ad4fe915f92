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

  test('an ordinary text file gets no SinkLens lens', async () => {
    const uri = workspaceFile('README.txt');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await new Promise((r) => setTimeout(r, 500));
    const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
    assert.equal(all.filter((l) => l.command?.command?.startsWith('sinklens.')).length, 0);
  });
});
