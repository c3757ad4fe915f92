/** The comparison's per-token alignment and the relative-depth overlay: hand-worked texts, tokenisations and values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVerdict, verdictInput } from '../../../src/shared/compare';
import { alignedCounts, alignTokens, layerAt, relativeBands, relativeSeries, type TokenRun } from '../../../src/webview/model/compareView';
import { configFor } from '../../../src/webview/render/charts';
import { layerSeries } from '../../../src/webview/model/series';
import { flush, startPanel } from './support/harness';
import { sampleResult } from './support/sampleResult';

/** Tokens cut at the given boundaries of `text` (a BOS with an empty span first), values in order. */
function run(text: string, cuts: number[], values: number[]): TokenRun {
  const bounds = [0, ...cuts, text.length];
  const tokens = [{ start: 0, end: 0 }, ...bounds.slice(0, -1).map((s, i) => ({ start: s, end: bounds[i + 1]! }))];
  return { text, tokens, values: [1, ...values] };
}

const view = (items: ReturnType<typeof alignTokens>) => items.map((t) => [t.text, t.kind, t.before, t.after]);

describe('aligned per-token compare', () => {
  it('the same text, one token vs two: the pieces carry each run\'s covering token', () => {
    // "unhappy day": before = [unhappy][ day], after = [un][happy][ day]
    const before = run('unhappy day', [7], [0.4, 0.1]);
    const after = run('unhappy day', [2, 7], [0.5, 0.2, 0.3]);
    assert.deepEqual(view(alignTokens(before, after)), [
      ['un', 'both', 0.4, 0.5],
      ['happy', 'both', 0.4, 0.2],
      [' day', 'both', 0.1, 0.3],
    ]);
    const d = alignTokens(before, after).map((t) => t.delta);
    assert.ok(Math.abs(d[0]! - 0.1) < 1e-12 && Math.abs(d[1]! + 0.2) < 1e-12 && Math.abs(d[2]! - 0.2) < 1e-12);
  });

  it('an insertion: the new tokens are only in the shown run, in reading order, the rest aligned across the shift', () => {
    // before "Tom has apples." -> after "Tom has red apples."
    const before = run('Tom has apples.', [3, 7, 14], [0.1, 0.2, 0.3, 0.4]);
    const after = run('Tom has red apples.', [3, 7, 11, 18], [0.15, 0.25, 0.9, 0.35, 0.45]);
    assert.deepEqual(view(alignTokens(before, after)), [
      ['Tom', 'both', 0.1, 0.15],
      [' has', 'both', 0.2, 0.25],
      [' red', 'after', null, 0.9],
      [' apples', 'both', 0.3, 0.35],
      ['.', 'both', 0.4, 0.45],
    ]);
    assert.deepEqual(alignedCounts(alignTokens(before, after)), { both: 4, before: 0, after: 1 });
  });

  it('a replacement: the removed token is marked as only in the other run and sits before the inserted one', () => {
    const before = run('a cat sat', [1, 5], [0.1, 0.2, 0.3]);
    const after = run('a dog sat', [1, 5], [0.15, 0.6, 0.35]);
    assert.deepEqual(view(alignTokens(before, after)), [
      ['a', 'both', 0.1, 0.15],
      [' cat', 'before', 0.2, null],
      [' dog', 'after', null, 0.6],
      [' sat', 'both', 0.3, 0.35],
    ]);
  });

  it('a token across the edit boundary is not aligned with other characters', () => {
    // before "ab" one token; after "abc" one token: no common characters under one token -> one of each.
    const items = alignTokens(run('ab', [], [0.2]), run('abc', [], [0.3]));
    assert.deepEqual(view(items), [
      ['ab', 'before', 0.2, null],
      ['abc', 'after', null, 0.3],
    ]);
  });

  it('the panel shows the aligned table only with a comparison, with both values written out', async () => {
    const h = startPanel();
    await h.started;
    const now = sampleResult({ layers: 4, texts: ['Once', ' upon', ' a', ' time'] });
    const head = sampleResult({ layers: 4, texts: ['Once', ' upon', ' time'] });
    h.store.setResult(now, { uri: 'file:///p.prompt', offset: 0 }, { label: 'HEAD', verdict: compareVerdict(verdictInput(head), verdictInput(now)), other: head });
    await flush();
    assert.equal(h.$('#sl-compare-tokens').hidden, false);
    const cells = h.$$('.sl-aligned');
    assert.deepEqual(cells.map((c) => c.querySelector('.sl-aligned-text')?.textContent), ['Once', ' upon', ' a', ' time']);
    assert.equal(cells[2]!.className.includes('sl-aligned-after'), true);
    assert.match(cells[2]!.querySelector('.sl-aligned-values')?.textContent ?? '', /only here$/);
    assert.match(cells[0]!.querySelector('.sl-aligned-values')?.textContent ?? '', /^\S+ → \S+$/);
    assert.match(h.$('#sl-compare-caption').textContent ?? '', /HEAD → this run · 3 aligned, 0 only in HEAD, 1 only here/);
    h.store.setResult(now, { uri: 'file:///p.prompt', offset: 0 });
    await flush();
    assert.equal(h.$('#sl-compare-tokens').hidden, true);
  });
});

describe('relative-depth overlay', () => {
  it('the panel header names both depths when two models share the l/L axis', async () => {
    const h = startPanel();
    await h.started;
    const now = sampleResult({ layers: 5 });
    const other = sampleResult({ layers: 6 });
    const verdict = compareVerdict(verdictInput(other), verdictInput(now));
    h.store.setResult(now, { uri: 'file:///p.prompt', offset: 0 }, { label: 'demo', verdict, other, depth: 'relative' });
    await flush();
    assert.equal(h.$('#sl-header-ablation').textContent, `vs demo (6 vs 5 layers, curves on l/L): ${verdict}`);
  });


  it('maps layers to l/L and bands to half a layer either side, clipped to [0, 1]', () => {
    const s = layerSeries(sampleResult({ layers: 4 }).baseline);
    assert.deepEqual(relativeSeries(s, 4).layers, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(relativeSeries(s, 4).sinkRate, s.sinkRate);
    const band = { phase: 'compress' as const, label: 'Compress', shortLabel: 'Compress', start: 0, end: 2, x0: -0.5, x1: 2.5 };
    assert.deepEqual(relativeBands([band], 5).map((b) => [b.x0, b.x1]), [[0, 0.5]]);
    assert.equal(layerAt(0.6, 5), 3);
  });

  it('two depths share the l/L axis, titled as such, with ticks at quarters', () => {
    const a = layerSeries(sampleResult({ layers: 5 }).baseline);
    const b = layerSeries(sampleResult({ layers: 6 }).baseline);
    const theme = { fg: '#fff', muted: '#999', grid: '#333', font: 'sans', primary: '#00f', secondary: '#0f0', bound: '#f0f', ablated: '#fa0', bands: { mix: '#001', compress: '#002', refine: '#003' }, spike: '#f00' };
    const d = { series: relativeSeries(a, 5), ablated: relativeSeries(b, 6), bands: [], spikes: [], lastLayer: 5, overlayLabel: 'other', depth: 'relative' as const, variant: null, chance: null, spikeLabel: null, bandNotes: () => [] };
    const cfg = configFor('sink', d, theme);
    const x = cfg.options!.scales!.x as { title: { text: string }; min: number; max: number; afterBuildTicks: (a: { ticks: { value: number }[] }) => void };
    assert.match(x.title.text, /^relative depth l\/L/);
    assert.ok(x.min < 0 && x.max > 1);
    const axis = { ticks: [] as { value: number }[] };
    x.afterBuildTicks(axis);
    assert.deepEqual(axis.ticks.map((t) => t.value), [0, 0.25, 0.5, 0.75, 1]);
    const sets = cfg.data.datasets;
    assert.deepEqual(sets[0]!.data.map((p) => p.x), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.equal(sets[1]!.data.length, 7);
    assert.equal(sets[1]!.data.at(-1)!.x, 1);
  });
});
