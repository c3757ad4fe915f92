import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../../src/shared/result';
import { api, assertClose, builtinModelDir, expectedPrompt, poll } from './api';

suite('ablation (sinklens.toggleAblation)', function () {
  this.timeout(180000);
  const config = () => vscode.workspace.getConfiguration('sinklens');
  let saved: string | undefined;

  // toggleAblation re-runs the last prompt with the configured model: make that the built-in demo model, which
  // has the BOS spike the ablation removes (the workspace configures stories260k, which has none)
  suiteSetup(async () => {
    saved = config().inspect<string>('defaultModel')?.workspaceValue;
    await config().update('defaultModel', '', vscode.ConfigurationTarget.Workspace);
    const a = await api();
    assert.ok(await poll(() => a.currentModelDir() === builtinModelDir(), 10000), `model: ${a.currentModelDir()}`);
  });

  suiteTeardown(async () => {
    await config().update('defaultModel', saved, vscode.ConfigurationTarget.Workspace);
  });

  test('zeroing the spike block\'s MLP write at BOS removes the spike and the valley, as in the reference', async () => {
    const a = await api();
    const model = builtinModelDir();
    const exp = expectedPrompt(model, 'story_tom');
    const base = await a.analyzeText(exp.text);
    assert.deepEqual(base.baseline.spikeBlocks, [1], 'the spike is written by block index 1 (h[1] -> h[2])');
    assert.equal(base.ablation, null);

    await vscode.commands.executeCommand('sinklens.toggleAblation');
    const r = await poll(() => (a.lastResult()?.ablation ? a.lastResult() : undefined), 60000);
    assert.ok(r?.ablation, 'the re-run carries an ablation');
    assert.deepEqual(r.ablation.blocks, [1]);
    assert.equal(r.ablation.target, 'mlp');
    for (const e of exp.ablatedLayers ?? []) {
      assertClose(r.ablation.run.layers[e.layer].bosRatio, e.bosRatio, `ablated bosRatio at h[${e.layer}]`);
      assertClose(r.ablation.run.layers[e.layer].entropy!, e.entropy, `ablated entropy at h[${e.layer}]`, 2e-3, 1e-3);
    }
    assert.ok(r.ablation.run.layers[2].bosRatio < 1.5, 'no spike at h[2] after the ablation');
    assert.equal(r.ablation.effect.spikeRemoved, true);
    assert.equal(r.ablation.effect.valleyRemoved, true);

    await vscode.commands.executeCommand('sinklens.toggleAblation');
    const off = await poll(() => (a.lastResult() && !a.lastResult()?.ablation ? a.lastResult() : undefined), 60000);
    assert.ok(off, 'toggling again returns to the baseline run');
    assertClose((off as AnalysisResult).baseline.layers[2].bosRatio, exp.layers[2].bosRatio, 'baseline bosRatio at h[2]');
  });
});
