import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, extension } from './api';

const COMMANDS = [
  'sinklens.analyze',
  'sinklens.analyzeSection',
  'sinklens.openPanel',
  'sinklens.toggleAblation',
  'sinklens.selectModel',
  'sinklens.addModelFolder',
  'sinklens.downloadModel',
  'sinklens.showLog',
  'sinklens.toggleLive',
  'sinklens.clearDecorations',
];

suite('activation (real VS Code extension host)', () => {
  test('environment (informational)', () => {
    console.log(`    VS Code ${vscode.version} (${vscode.env.appName}), node ${process.version}, ` +
      `uiKind=${vscode.UIKind[vscode.env.uiKind]} remoteName=${vscode.env.remoteName}`);
    assert.ok(vscode.workspace.workspaceFolders?.length, 'a workspace folder is open');
  });

  test('the extension activates and returns the SinkLens API', async () => {
    const a = await api();
    assert.ok(extension().isActive);
    for (const fn of ['analyzeText', 'enginePid', 'currentModelDir', 'lastResult', 'panelState'] as const) {
      assert.equal(typeof a[fn], 'function', `api.${fn}`);
    }
  });

  test('every contract command is registered and contributed with the SinkLens category', async () => {
    await api();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = COMMANDS.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
    const contributed = (extension().packageJSON.contributes?.commands ?? []) as { command: string; category?: string }[];
    for (const c of COMMANDS.filter((id) => id !== 'sinklens.analyzeSection')) {
      const entry = contributed.find((x) => x.command === c);
      assert.ok(entry, `${c} is contributed in package.json`);
      assert.equal(entry.category, 'SinkLens', `${c} category`);
    }
  });

  test('the default model follows the workspace setting sinklens.defaultModel', async () => {
    const a = await api();
    const configured = vscode.workspace.getConfiguration('sinklens').get<string>('defaultModel') ?? '';
    if (configured) assert.equal(a.currentModelDir(), configured);
    else assert.match(a.currentModelDir(), /models[/\\]sinklens-tiny$/);
  });
});
