import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, poll, workspaceFile } from './api';

suite('model preload (sinklens.preloadModel)', function () {
  this.timeout(120000);

  test('showing a prompt file starts the engine and loads the selected model before any analysis', async () => {
    const a = await api();
    // Start from no engine: earlier suites left one running with the model loaded (a preload under way would
    // count a kill as its model's failure: wait for it to end first).
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await poll(async () => (a.preloadState().state !== 'loading' ? true : undefined), 60000, 100);
    const old = a.enginePid();
    if (old !== undefined) {
      process.kill(old, 'SIGKILL');
      await poll(async () => (a.enginePid() === undefined ? true : undefined), 15000, 50);
    }
    assert.equal(a.enginePid(), undefined, 'no engine before the prompt file is shown');
    assert.equal(a.preloadState().state, 'idle', 'the crash reset the preload');

    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile('story.prompt')));
    const loaded = await poll(async () => {
      const s = a.preloadState();
      return s.state === 'loaded' || s.state === 'failed' ? s : undefined;
    }, 90000, 100);
    assert.ok(loaded && loaded.state === 'loaded', `preload: ${JSON.stringify(a.preloadState())}`);
    assert.equal(loaded.modelDir, a.currentModelDir(), 'the selected model was preloaded');
    const pid = a.enginePid();
    assert.ok(pid !== undefined && pid !== old, 'a new engine, started by the preload');

    // The analysis runs on the loaded model in the same engine.
    const r = await a.analyzeText('Once upon a time, there was a little girl named Lily.');
    assert.ok(r.tokens.length > 5);
    assert.equal(a.enginePid(), pid, 'the same engine answered');

    // Another prompt file with the same model and settings loads nothing more.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile('sections.prompt')));
    await new Promise((res) => setTimeout(res, 500));
    assert.deepEqual(a.preloadState(), loaded, 'no second preload of the same model');
  });

  test('with the setting off, a shown prompt file loads nothing', async () => {
    const a = await api();
    const cfg = vscode.workspace.getConfiguration('sinklens');
    await cfg.update('preloadModel', false, vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const old = a.enginePid();
      if (old !== undefined) {
        process.kill(old, 'SIGKILL');
        await poll(async () => (a.enginePid() === undefined ? true : undefined), 15000, 50);
      }
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile('story.prompt')));
      await new Promise((res) => setTimeout(res, 1500));
      assert.equal(a.enginePid(), undefined, 'no engine started');
      assert.equal(a.preloadState().state, 'idle');
    } finally {
      await cfg.update('preloadModel', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
