/** SVG export: the drawn chart read into a spec, serialised, parsed back: axes, titles, one path per dataset, provenance. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Window } from 'happy-dom';
import { axisScale, chartSvg, seriesPath, svgSpecProblem, type SvgChartSpec } from '../../../src/shared/chartSvg';
import { validatePanelMessage } from '../../../src/shared/protocol/panel';
import { readStudyViewMessage } from '../../../src/shared/protocol/study';
import { svgExport } from '../../../src/extension/study/exportFiles';
import { svgSpecOf, type DrawnChart } from '../../../src/webview/render/chartSpec';
import { configFor, X_TITLE, Y_TITLES, type ChartsData } from '../../../src/webview/render/charts';
import { bandDatasets } from '../../../src/webview/render/studyCharts';
import { phaseBands } from '../../../src/webview/model/bands';
import { layerSeries } from '../../../src/webview/model/series';
import { sampleResult } from './support/sampleResult';

const theme = { fg: '#fff', muted: '#999', grid: '#333', font: 'sans', primary: '#0000ff', secondary: '#00ff00', bound: '#ff00ff', ablated: '#ffaa00', bands: { mix: '#000011', compress: '#000022', refine: '#000033' }, spike: '#ff0000' };
const provenance = { sinklensVersion: '0.1.0', model: { name: 'sample-model', weights: [{ name: 'model.safetensors', sha256: 'ab'.repeat(32) }] }, tokenizer: { file: 'tokenizer.json', sha256: 'cd'.repeat(32) }, settings: { tau: 0.3 }, exportedAt: '2026-11-30T00:00:00.000Z' };

function parse(svg: string): Document {
  const doc = new new Window().DOMParser().parseFromString(svg, 'image/svg+xml') as unknown as Document;
  assert.equal(doc.querySelector('parsererror'), null, doc.querySelector('parsererror')?.textContent ?? '');
  assert.equal(doc.documentElement.tagName.toLowerCase(), 'svg');
  return doc;
}

/** A chart as chart.js has it after drawing, from the panel's own config: ticks built and labelled by its callbacks. */
function drawn(cfg: ReturnType<typeof configFor>, width = 400, height = 260): DrawnChart {
  const scales = cfg.options!.scales as Record<string, { min: number; max: number; type: string; afterBuildTicks?: (a: { ticks: { value: number }[]; chart: { width: number } }) => void; ticks: { callback: (v: number) => string } }>;
  const scale = (id: string) => {
    const s = scales[id]!;
    const axis = { ticks: [] as { value: number }[], chart: { width } };
    s.afterBuildTicks?.(axis);
    return { min: s.min, max: s.max, type: s.type, ticks: axis.ticks.map((t) => ({ value: t.value, label: s.ticks.callback(t.value) })) };
  };
  return { width, height, scales: { x: scale('x'), y: scale('y') }, data: cfg.data as DrawnChart['data'], options: cfg.options as DrawnChart['options'] };
}

describe('chart SVG export', () => {
  it('the panel\'s sink-rate chart with a compared run: parses, has both axis titles, the ticks, one path per dataset and the provenance', () => {
    const r = sampleResult({ layers: 5 });
    const other = sampleResult({ layers: 5, texts: ['x', 'y'] });
    const d: ChartsData = { series: layerSeries(r.baseline), ablated: layerSeries(other.baseline), overlayLabel: 'HEAD', bands: phaseBands(r.baseline.phases, 5), spikes: [], lastLayer: 5, variant: null, chance: 0.1, spikeLabel: null, bandNotes: () => [] };
    const cfg = configFor('sink', d, theme);
    const spec = svgSpecOf(drawn(cfg), 'Sink rate');
    const doc = parse(chartSvg(spec, provenance));
    assert.equal(doc.querySelector('.sl-x-title')?.textContent, X_TITLE);
    assert.equal(doc.querySelector('.sl-y-title')?.textContent, Y_TITLES.sink);
    assert.equal(doc.querySelector('title')?.textContent, 'Sink rate');
    const paths = Array.from(doc.querySelectorAll('path.sl-series'));
    assert.equal(paths.length, cfg.data.datasets.length);
    assert.deepEqual(paths.map((p) => p.querySelector('title')?.textContent), ['baseline', 'HEAD', 'uniform head (sink score)']);
    const xTicks = Array.from(doc.querySelectorAll('.sl-ticks text')).map((t) => t.textContent);
    for (let l = 0; l <= 5; l++) assert.ok(xTicks.includes(`h[${l}]`), `tick h[${l}] in ${xTicks.join(',')}`);
    // The first drawn baseline point (h[0] has no attention): x = h[l] on [-0.5, 5.5] over the plot's 64..386 px,
    // y = its sink rate on the drawn y range (202..30 px).
    const y = cfg.options!.scales!.y as { min: number; max: number };
    const l0 = r.baseline.layers.find((l) => l.sinkRate !== null)!;
    const first = l0.sinkRate as number;
    const px = 64 + ((l0.layer + 0.5) / 6) * (400 - 14 - 64);
    const py = 260 - 58 - ((first - y.min) / (y.max - y.min)) * (260 - 58 - 30);
    const m = /^M([\d.]+),([\d.]+)/.exec(paths[0]!.getAttribute('d') ?? '');
    assert.ok(m, paths[0]!.getAttribute('d') ?? '');
    assert.ok(Math.abs(Number(m[1]) - px) < 0.01 && Math.abs(Number(m[2]) - py) < 0.01, `${m[0]} vs ${px},${py}`);
    assert.equal(paths[1]!.getAttribute('stroke-dasharray'), '7 4', 'the compared run is dashed as on the canvas');
    // Provenance: readable lines in <desc>, the exact object as JSON in <metadata>.
    const desc = doc.querySelector('desc')?.textContent ?? '';
    assert.match(desc, /^sinklensVersion: 0\.1\.0$/m);
    assert.match(desc, new RegExp(`"sha256":"${'ab'.repeat(32)}"`));
    assert.deepEqual(JSON.parse(doc.querySelector('metadata')?.textContent ?? ''), provenance);
    assert.equal(svgSpecProblem(JSON.parse(JSON.stringify(spec))), null);
  });

  it('gaps split a line, a log axis places decades evenly, text is escaped', () => {
    const px = (v: number) => v * 10;
    const py = (v: number) => v;
    assert.equal(seriesPath([{ x: 0, y: 1 }, { x: 1, y: null }, { x: 2, y: 3 }, { x: 3, y: 4 }], px, py, false), 'M0,1 M20,3 L30,4');
    assert.equal(seriesPath([{ x: 0, y: 0 }, { x: 1, y: 2 }], px, py, true), 'M10,2', 'a log axis cannot show 0: a gap');
    const s = axisScale({ min: 1, max: 100, log: true }, 0, 200);
    assert.equal(s(10), 100);
    const spec: SvgChartSpec = { title: '<script>alert(1)</script> & co', width: 300, height: 200, x: { title: 'x "q"', min: 0, max: 1, log: false, ticks: [] }, y: { title: 'y', min: 0, max: 1, log: false, ticks: [] }, series: [], bands: [] };
    const doc = parse(chartSvg(spec, { note: '</metadata><x>' }));
    assert.equal(doc.querySelector('title')?.textContent, spec.title);
    assert.equal(doc.querySelector('script'), null);
    assert.deepEqual(JSON.parse(doc.querySelector('metadata')?.textContent ?? ''), { note: '</metadata><x>' });
  });

  it('a study chart: the interquartile band is a fill between its edges, the edges stay out of the legend', () => {
    const series = [{ model: 'm', xs: [0, 0.5, 1], mean: [0.5, 0.4, 0.6], q1: [0.4, 0.3, 0.5], q3: [0.6, 0.5, 0.7] }];
    const datasets = bandDatasets(series, ['#ff0000']);
    const chart: DrawnChart = {
      width: 360,
      height: 240,
      scales: { x: { min: 0, max: 1, type: 'linear', ticks: [0, 0.5, 1].map((value) => ({ value, label: String(value) })) }, y: { min: 0, max: 1, type: 'linear', ticks: [] } },
      data: { datasets: datasets as DrawnChart['data']['datasets'] },
      options: { scales: { x: { title: { text: 'relative depth l/L' } }, y: { title: { text: 'normalised entropy (0–1)' } } } },
    };
    const doc = parse(chartSvg(svgSpecOf(chart, 'Normalised entropy'), provenance));
    assert.equal(doc.querySelectorAll('path.sl-series').length, 3);
    assert.equal(doc.querySelectorAll('path.sl-fill').length, 1);
    assert.deepEqual(Array.from(doc.querySelectorAll('.sl-legend text')).map((t) => t.textContent), ['m']);
    assert.equal(doc.querySelector('.sl-x-title')?.textContent, 'relative depth l/L');
  });

  it('the protocols accept a spec and refuse a malformed one; the export file carries the provenance inside and beside', () => {
    const spec: SvgChartSpec = { title: 't', width: 300, height: 200, x: { title: 'x', min: 0, max: 1, log: false, ticks: [{ value: 0, label: '0' }] }, y: { title: 'y', min: 0, max: 1, log: false, ticks: [] }, series: [{ label: 'a', color: '#000', width: 2, dash: [], points: [{ x: 0, y: null }], legend: true }], bands: [] };
    assert.equal(validatePanelMessage({ id: 'w1', method: 'panel/saveChartSvg', params: { name: 'a.svg', spec } }, 'toHost').ok, true);
    assert.equal(validatePanelMessage({ id: 'w1', method: 'panel/saveChartSvg', params: { name: 'a.svg', spec: { ...spec, series: [{ label: 'a' }] } } }, 'toHost').ok, false);
    assert.match(svgSpecProblem({ ...spec, width: -1 }) ?? '', /width/);
    assert.ok(readStudyViewMessage({ id: 's1', method: 'study/export', params: { kind: 'svg', name: 's.svg', spec } }));
    assert.equal(readStudyViewMessage({ id: 's1', method: 'study/export', params: { kind: 'svg', name: 's.svg', spec: {} } }), null);
    const file = svgExport('a.svg', spec, provenance);
    assert.equal(file.provenance, provenance);
    assert.match(String(file.content), /<metadata>/);
  });
});
