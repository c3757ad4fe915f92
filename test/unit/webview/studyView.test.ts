/**
 * The study view: its view-model (the three panels' curves and bands, the axis choice, the table sort) against
 * the engine's aggregation of hand-made records, and the webview app wired to the host's StudyChannel in
 * happy-dom (Ready -> study, render report, sort, row click, export buttons).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Window } from 'happy-dom';
import { StudyChannel } from '../../../src/extension/study/studyChannel';
import type { StudyExportRequest, StudyRenderReport } from '../../../src/shared/protocol/study';
import { sortRows, studyCharts, studyRows } from '../../../src/webview/model/study';
import { StudyApp } from '../../../src/webview/study/studyApp';
import { record } from '../study/helpers';
import { flush } from './support/harness';
import { sampleStudy } from './support/sampleStudy';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

// Two 2-block models (h[0..2]) with three prompts each.
const twoSameDepth = () =>
  sampleStudy([
    {
      name: 'a',
      layers: 2,
      records: [
        record({ index: 0, entropy: [0.8, 0.4, 0.7], sinkRate: [null, 0.2, 0.6], bosNorm: [1, 100, 1000], valleyLayer: 1, valleyDepth: 0.3, spikeBlocks: [0] }),
        record({ index: 1, entropy: [0.9, 0.5, 0.6], sinkRate: [null, 0.4, 0.2], bosNorm: [10, 100, 10], valleyLayer: 1, valleyDepth: 0.1 }),
        record({ index: 2, entropy: [0.7, 0.6, 0.5], sinkRate: [null, 0.0, 0.1], bosNorm: [1, 1000, 100], spikeBlocks: [1] }),
      ],
    },
    { name: 'b', layers: 2, records: [record({ index: 0, entropy: [0.5, 0.5, 0.5], sinkRate: [null, 0.9, 0.9], valleyLayer: 1, valleyDepth: 0.2 })] },
  ]);

describe('study view model', () => {
  it('one mean line + interquartile band per model and panel, on h[l] when the depths agree', () => {
    const c = studyCharts(twoSameDepth());
    assert.equal(c.axis, 'layer');
    assert.equal(c.lastLayer, 2);
    assert.deepEqual(c.panels.map((p) => p.metric), ['entropy', 'sinkRate', 'bosNormLog10']);
    for (const p of c.panels) assert.deepEqual(p.series.map((s) => s.model), ['a', 'b']);
    const ent = c.panels[0]!.series[0]!;
    assert.deepEqual(ent.xs, [0, 1, 2]);
    // h[1] entropies 0.4 0.5 0.6: mean 0.5, q1 0.45, q3 0.55 (numpy's linear quantiles).
    assert.ok(Math.abs(ent.mean[1]! - 0.5) < 1e-12 && Math.abs(ent.q1[1]! - 0.45) < 1e-12 && Math.abs(ent.q3[1]! - 0.55) < 1e-12);
    const sink = c.panels[1]!.series[0]!;
    assert.equal(sink.mean[0], null, 'no sink rate at h[0]');
    // h[2] sink rates 0.6 0.2 0.1: mean 0.3.
    assert.ok(Math.abs(sink.mean[2]! - 0.3) < 1e-12);
    // BOS norm (log10): h[1] norms 100 100 1000 -> log10 2 2 3: mean 7/3.
    assert.ok(Math.abs(c.panels[2]!.series[0]!.mean[1]! - 7 / 3) < 1e-12);
  });

  it('models of different depths share the relative-depth grid (l / L)', () => {
    const s = sampleStudy([
      { name: 'six', layers: 6, records: [record({ index: 0, entropy: [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4] })] },
      { name: 'twelve', layers: 12, records: [record({ index: 0, entropy: Array.from({ length: 13 }, (_, l) => 1 - l / 20) })] },
    ]);
    const c = studyCharts(s);
    assert.equal(c.axis, 'relative');
    const [six, twelve] = c.panels[0]!.series;
    assert.equal(six!.xs.length, 13);
    assert.deepEqual(six!.xs, twelve!.xs);
    assert.equal(six!.xs[12], 1);
    // six at l/L = 0.5 is its h[3] = 0.7; at 0.25 (between h[1] and h[2]) the midpoint 0.85.
    assert.ok(Math.abs(six!.mean[6]! - 0.7) < 1e-12);
    assert.ok(Math.abs(six!.mean[3]! - 0.85) < 1e-12);
  });

  it('table rows: spike layer is the h the first spike block writes; sorts put rows without a value last', () => {
    const rows = studyRows(twoSameDepth());
    assert.equal(rows.length, 4);
    assert.deepEqual(rows.map((r) => r.spikeLayer), [1, null, 2, null]);
    assert.deepEqual(sortRows(rows, 'valleyDepth', true).map((r) => `${r.model}${r.id}`), ['ap1', 'bp1', 'ap2', 'ap3']);
    assert.deepEqual(sortRows(rows, 'valleyDepth', false).map((r) => `${r.model}${r.id}`), ['ap3', 'ap2', 'bp1', 'ap1']);
    assert.deepEqual(sortRows(rows, 'spikeLayer', false).map((r) => `${r.model}${r.id}`), ['ap1', 'ap3', 'ap2', 'bp1']);
    assert.deepEqual(sortRows(rows, 'maxSinkRate', true).map((r) => r.maxSinkRate), [0.9, 0.6, 0.4, 0.1]);
  });
});

describe('study view webview + host channel', () => {
  it('gets its study on Ready, reports the three panels, sorts, opens a row, asks for exports', async () => {
    const window = new Window();
    const doc = window.document as unknown as Document;
    const opened: [number, number][] = [];
    const exports: StudyExportRequest[] = [];
    const logs: string[] = [];
    const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`warn ${m}`), error: (m: string) => logs.push(`error ${m}`) };
    let toHost: (m: unknown) => void = () => undefined;
    const app: { v?: StudyApp } = {};
    const study = twoSameDepth();
    const channel = new StudyChannel(
      { postMessage: async (m) => (queueMicrotask(() => app.v?.receive(clone(m))), true), onDidReceiveMessage: (l) => ((toHost = l), { dispose: () => undefined }) },
      study,
      { openPrompt: (m, p) => opened.push([m, p]), exportStudy: (r) => exports.push(r) },
      log,
    );
    const api = { postMessage: (m: unknown) => queueMicrotask(() => toHost(clone(m))), getState: () => undefined, setState: () => undefined };
    app.v = new StudyApp(doc, api, { addEventListener: () => undefined });
    await app.v.start();
    await flush();
    const report = channel.rendered() as StudyRenderReport;
    assert.ok(report, `no render report; log: ${logs.join(' | ')}`);
    assert.deepEqual(report, {
      axis: 'layer',
      panels: [
        { metric: 'entropy', series: 2, points: 3 },
        { metric: 'sinkRate', series: 2, points: 3 },
        { metric: 'bosNormLog10', series: 2, points: 3 },
      ],
      rows: 4,
    });
    for (const m of ['entropy', 'sinkRate', 'bosNormLog10']) assert.ok(doc.getElementById(`sl-study-chart-${m}`), m);
    const ids = () => Array.from(doc.querySelectorAll('#sl-study-table tbody tr')).map((tr) => `${tr.getAttribute('data-model')}:${tr.getAttribute('data-prompt')}`);
    assert.deepEqual(ids(), ['0:0', '1:0', '0:1', '0:2'], 'valley depth, deepest first');
    (doc.querySelector('button[data-key="maxSinkRate"]') as HTMLElement).click();
    assert.deepEqual(ids(), ['1:0', '0:0', '0:1', '0:2']);
    (doc.querySelector('button[data-key="maxSinkRate"]') as HTMLElement).click();
    assert.deepEqual(ids(), ['0:2', '0:1', '0:0', '1:0'], 'a second click reverses');
    (doc.querySelectorAll('#sl-study-table tbody tr')[1] as HTMLElement).click();
    const buttons = Array.from(doc.querySelectorAll('.sl-study-exports button')) as HTMLElement[];
    buttons.find((b) => b.textContent === 'CSV: prompts')?.click();
    buttons.find((b) => b.textContent === 'Export JSON')?.click();
    await flush();
    assert.deepEqual(opened, [[0, 1]]);
    assert.deepEqual(exports, [{ kind: 'csv', table: 'prompts' }, { kind: 'json' }]);
    // Prompt text is data, never markup.
    assert.equal(doc.querySelectorAll('#sl-study-table script').length, 0);
  });

  it('drops malformed messages from the view and never renders a non-study', async () => {
    const logs: string[] = [];
    const log = { info: () => undefined, warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    let toHost: (m: unknown) => void = () => undefined;
    const opened: number[] = [];
    new StudyChannel({ postMessage: async () => true, onDidReceiveMessage: (l) => ((toHost = l), { dispose: () => undefined }) }, twoSameDepth(), { openPrompt: (m) => opened.push(m), exportStudy: () => undefined }, log);
    toHost({ id: '1', method: 'study/openPrompt', params: { modelIndex: -1, promptIndex: 0 } });
    toHost({ id: '2', method: 'study/export', params: { kind: 'png', name: 'x.png', dataUrl: 'javascript:alert(1)' } });
    toHost({ id: '3', method: 'study/nope', params: {} });
    assert.deepEqual(opened, []);
    assert.equal(logs.length, 3);
    const window = new Window();
    const doc = window.document as unknown as Document;
    const a = new StudyApp(doc, { postMessage: () => undefined, getState: () => undefined, setState: () => undefined }, { addEventListener: () => undefined });
    await a.start();
    a.receive({ id: 'x', method: 'study/show', params: { study: { kind: 'other' } } });
    assert.equal(doc.getElementById('sl-study-table'), null);
  });
});
