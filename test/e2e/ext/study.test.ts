import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StudyResult } from '../../../src/shared/study';
import { api, builtinModelDir, poll, workspaceFile } from './api';

function studyTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('sinklens.study'));
}

suite('Run Study and exports', function () {
  this.timeout(240000);

  test('sinklens.runStudy on a prompt folder with the demo model opens the study view with the three panels', async () => {
    const a = await api();
    const demo = builtinModelDir();
    const study = (await vscode.commands.executeCommand('sinklens.runStudy', workspaceFile('study'), { models: [demo] })) as StudyResult | undefined;
    assert.ok(study, 'the command returns the study');
    assert.equal(study.complete, true);
    assert.deepEqual(study.prompts.map((p) => p.id), ['a-math.prompt', 'b-code.prompt', 'c-story.prompt']);
    const m = study.models[0]!;
    assert.equal(m.prompts.length, 3);
    assert.equal(m.perLayer.length, m.layers + 1);
    assert.ok(await poll(() => studyTabs().length > 0, 15000), 'a sinklens.study webview tab is open');
    const state = await poll(() => a.studyViewState().rendered, 30000);
    assert.ok(state, `study view state: ${JSON.stringify(a.studyViewState())}`);
    assert.equal(state.axis, 'layer');
    assert.deepEqual(
      state.panels,
      ['entropy', 'sinkRate', 'bosNormLog10'].map((metric) => ({ metric, series: 1, points: m.layers + 1 })),
    );
    assert.equal(state.rows, 3);
  });

  test('sinklens.exportCsv writes the shown analysis\u2019 layer table with its header and a provenance file', async () => {
    const a = await api();
    const r = await a.analyzeText('Once upon a time, there was a little boy named Tom.', { modelDir: builtinModelDir() });
    await poll(() => a.lastResult()?.input.text === r.input.text, 15000);
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-export-')), 'layers.csv');
    const written = await vscode.commands.executeCommand('sinklens.exportCsv', 'layers', out);
    assert.equal(written, out);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.match(lines[0]!, /^layer,bosNorm,medianOtherNorm,bosRatio,entropy,/);
    assert.equal(lines.length, r.baseline.layers.length + 1);
    const prov = JSON.parse(fs.readFileSync(`${out}.provenance.json`, 'utf8')) as { model: { name: string; weights: { sha256: string }[] }; sinklensVersion: string };
    assert.equal(prov.model.name, r.model.name);
    assert.deepEqual(prov.model.weights.map((w) => w.sha256), r.model.files.map((f) => f.sha256));
    assert.ok(prov.sinklensVersion.length > 0);
  });
});
