import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { phaseAt, phaseBands, spikeLayers, valleyBand } from '../../../src/webview/model/bands';
import { fmtLayerRange, fmtMs, fmtNum, fmtParams, fmtPercent, tokenLabel } from '../../../src/webview/model/format';
import { headGrid, massiveRows } from '../../../src/webview/model/heads';
import { domainMax, heatRgba, normalise, textOnHeat } from '../../../src/webview/model/heat';
import { attentionLayers, clampRange, fullRange, meanTokenSinkMass, selectionRanges, spanSelection, tokenLayerValues } from '../../../src/webview/model/layers';
import { layerSeries, logBounds } from '../../../src/webview/model/series';
import { summaryModel } from '../../../src/webview/model/summary';
import type { LayerMetrics } from '../../../src/shared/result';
import { sanitizeUiState } from '../../../src/webview/state';
import { assertClose } from '../../support/assertClose';
import { sampleHeadScore, sampleResult, sampleSinkMass } from './support/sampleResult';

describe('heat scale', () => {
  it('is transparent at 0, opaque red at 1, and interpolates the stops linearly', () => {
    assert.deepEqual(heatRgba(0), { r: 255, g: 214, b: 102, a: 0 });
    assert.deepEqual(heatRgba(1), { r: 200, g: 30, b: 40, a: 0.9 });
    // Half way between stop 0 (255,214,102) and stop 0.5 (245,124,40): t = 0.25.
    const q = heatRgba(0.25);
    assert.deepEqual([q.r, q.g, q.b], [250, 169, 71]);
    assertClose(q.a, 0.225);
  });

  it('clamps out-of-range and NaN values', () => {
    assert.deepEqual(heatRgba(7), heatRgba(1));
    assert.deepEqual(heatRgba(-3), heatRgba(0));
    assert.deepEqual(heatRgba(NaN), heatRgba(0));
  });

  it('normalises against a domain max that can skip BOS', () => {
    const v = [1, 0.2, 0.4, 0.1];
    assert.equal(domainMax(v), 1);
    assert.equal(domainMax(v, new Set([0])), 0.4);
    assertClose(normalise(v, 0.4), [1, 0.5, 1, 0.25]);
    assert.deepEqual(normalise(v, 0), [0, 0, 0, 0]);
  });

  it('picks dark ink on bright cells and follows the theme on faint ones', () => {
    assert.equal(textOnHeat(heatRgba(0.05), true), 'light');
    assert.equal(textOnHeat(heatRgba(0.05), false), 'dark');
    assert.equal(textOnHeat(heatRgba(1), false), 'light'); // deep red
    // a mid red (the demo model's 0.87 head, #dd6155 on white): dark ink reads 4.7:1, light ink only 3.2:1
    assert.equal(textOnHeat(heatRgba(0.75, { minAlpha: 0.06 }), false), 'dark');
  });
});

describe('layer ranges and per-token values', () => {
  const r = sampleResult({ layers: 6 });
  const T = r.tokens.length;

  it('finds the attention layers 1..L', () => {
    assert.deepEqual(attentionLayers(r.baseline), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(fullRange(r.baseline), [1, 6]);
  });

  it('clamps, orders and defaults persisted ranges', () => {
    assert.deepEqual(clampRange(null, r.baseline), [1, 6]);
    assert.deepEqual(clampRange([0, 99], r.baseline), [1, 6]);
    assert.deepEqual(clampRange([5, 2], r.baseline), [2, 5]);
  });

  it('averages the sink mass over the selected layers only', () => {
    const mean = meanTokenSinkMass(r.baseline.layers, [2, 4], T);
    const expected = Array.from({ length: T }, (_, t) => (sampleSinkMass(2, t) + sampleSinkMass(3, t) + sampleSinkMass(4, t)) / 3);
    assertClose(mean, expected);
    // Layer 0 has no attention: a range on it alone gives zeros, not NaN.
    assert.deepEqual(meanTokenSinkMass(r.baseline.layers, [0, 0], T), new Array(T).fill(0));
  });

  it('lists a token per-layer norm and sink mass (null on layer 0)', () => {
    const v = tokenLayerValues(r.baseline.layers, 2);
    assert.equal(v.length, 7);
    assert.equal(v[0]?.sinkMass, null);
    assertClose(v[3]?.sinkMass ?? NaN, sampleSinkMass(3, 2));
    assertClose(v[3]?.norm ?? NaN, 1.2);
  });

  it('turns selections into merged char ranges, skipping BOS', () => {
    assert.deepEqual(spanSelection(4, 2), [2, 3, 4]);
    // tokens: <s> [0,0), Once [0,4), ' upon' [4,9), ' a' [9,11), ' time' [11,16), '\n' [16,17)
    assert.deepEqual(selectionRanges(r.tokens, [0, 1, 2]), [{ start: 0, end: 9 }]);
    assert.deepEqual(selectionRanges(r.tokens, [4, 1, 1]), [
      { start: 0, end: 4 },
      { start: 11, end: 16 },
    ]);
    assert.deepEqual(selectionRanges(r.tokens, [0, 99]), []);
  });
});

describe('phase bands and spikes', () => {
  const p = sampleResult().baseline.phases;
  it('spans half a layer either side, clipped to the axis', () => {
    const b = phaseBands(p, 6);
    assert.deepEqual(
      b.map((x) => [x.label, x.x0, x.x1]),
      [
        ['Mix', -0.5, 1.5],
        ['Compress (BOS spike)', 1.5, 3.5],
        ['Refine', 3.5, 6.5],
      ],
    );
    // A short prompt: no bands at all, whatever the list holds.
    assert.deepEqual(phaseBands({ ...p, informative: false }, 6), []);
    assert.deepEqual(phaseBands({ ...p, bands: [{ ...p.bands[0]!, phase: 'mix', start: 3, end: 1 }] }, 6), []);
  });

  it('marks block b on layer b + 1 and looks phases up', () => {
    assert.deepEqual(spikeLayers([1, 1, 0]), [1, 2]);
    assert.equal(phaseAt(p, 3), 'compress');
    assert.equal(phaseAt(p, 99), null);
    assert.deepEqual(valleyBand(p), { start: 2, end: 3 });
    assert.equal(valleyBand({ ...p, valley: false }), null);
  });
});

describe('series, grid and massive rows', () => {
  const r = sampleResult({ layers: 4, heads: 3 });
  it('extracts per-layer series with gaps where undefined', () => {
    const s = layerSeries(r.baseline);
    assert.deepEqual(s.layers, [0, 1, 2, 3, 4]);
    assert.equal(s.sinkRate[0], null);
    assert.equal(s.entropyUpperBound[0], null);
    assertClose(s.sinkRate.slice(1) as number[], [0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual(layerSeries({ ...r.baseline, layers: [{ ...(r.baseline.layers[0] as LayerMetrics), bosRatio: 0 }] }).bosRatio, [null]);
  });

  it('log bounds are decades around the data and 1', () => {
    assert.deepEqual(logBounds([2, 35, null]), { min: 0.1, max: 100 });
    assert.deepEqual(logBounds([0.5, 3]), { min: 0.1, max: 10 });
  });

  it('builds heads x layers with the block index of each column', () => {
    const g = headGrid(r.baseline);
    assert.equal(g.heads, 3);
    assert.deepEqual(g.layers, [1, 2, 3, 4]);
    assert.deepEqual(g.cells[2]?.[1], { block: 1, layer: 2, head: 2, score: sampleHeadScore(2, 2), atChance: false });
    const marked = { ...r.baseline, layers: r.baseline.layers.map((l) => (l.layer === 2 ? { ...l, headsAtChance: [0, 2] } : l)) };
    assert.deepEqual(headGrid(marked).cells.map((row) => row[1]?.atChance), [true, false, true]);
    assert.equal(g.max, Math.max(...[1, 2, 3, 4].flatMap((l) => [0, 1, 2].map((k) => sampleHeadScore(l, k)))));
  });

  it('orders massive activations by magnitude with the token text', () => {
    const rows = massiveRows(r.baseline, r.tokens, 2);
    assert.equal(rows.length, 10);
    assert.deepEqual(
      rows.slice(4, 6).map((x) => [x.layer, x.tokenText, x.dim]),
      [
        [2, '<s>', 16],
        [2, ' a', 5],
      ],
    );
    assert.equal(rows[4]?.absolute, true);
  });
});

describe('formatting', () => {
  it('formats numbers, times and sizes', () => {
    // One format: 2 decimals below 10, whole numbers as they are (the heatmap's 0.07 / 0.049 / 0.1 read 0.07 / 0.05 / 0.10).
    assert.deepEqual([0.07, 0.049, 0.1].map((v) => fmtNum(v)), ['0.07', '0.05', '0.10']);
    assert.equal(fmtNum(0.123456), '0.12');
    assert.equal(fmtNum(1.5), '1.50');
    assert.equal(fmtNum(0), '0');
    assert.equal(fmtNum(1), '1');
    assert.equal(fmtNum(12345), '12.3k');
    assert.equal(fmtNum(1340.2), '1340');
    assert.equal(fmtNum(100), '100');
    assert.equal(fmtNum(-41.53), '-41.5');
    assert.equal(fmtNum(2_500_000), '2.5M');
    assert.equal(fmtNum(0.00012), '1.2e-4');
    assert.equal(fmtNum(null), '–');
    assert.equal(fmtNum(Infinity), '∞');
    assert.equal(fmtPercent(0.284), '28%');
    assert.equal(fmtMs(156), '156 ms');
    assert.equal(fmtMs(2345), '2.35 s');
    assert.equal(fmtMs(125_000), '2 min 5 s');
    assert.equal(fmtParams(1_120_000), '1.12M');
    assert.equal(fmtLayerRange(4, 9), 'h[4]–h[9]');
    assert.equal(fmtLayerRange(3, 3), 'h[3]');
  });

  it('makes whitespace tokens visible without touching markup characters', () => {
    assert.equal(tokenLabel('a\nb\tc'), 'a↵b→c');
    assert.equal(tokenLabel(''), '∅');
    // SentencePiece's lone word-start piece decodes to a space: a visible ␣, never a blank box.
    assert.equal(tokenLabel(' '), '␣');
    assert.equal(tokenLabel(' a'), ' a');
    assert.equal(tokenLabel('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>');
  });
});

describe('summary view model', () => {
  it('summarises sink, valley and phases', () => {
    const m = summaryModel(sampleResult({ layers: 6 }));
    assert.equal(m.line, 'sink 0.60 · BOS ×35 · 6 tok');
    assert.equal(m.valley, 'valley h[2]–h[3]');
    assertClose(
      m.phases.map((p) => p.share),
      [2 / 7, 2 / 7, 3 / 7],
    );
    // BOS is excluded from the colour domain: the strongest other token (index 1) is exactly 1.
    assert.equal(Math.max(...m.heat.slice(1)), 1);
    assert.equal(m.heat[1], 1);
  });

  it('a short prompt says it is too short and shows no phases', () => {
    const r = sampleResult({ layers: 6 });
    r.summary.informative = false;
    r.baseline.phases.informative = false;
    const m = summaryModel(r);
    assert.equal(m.line, '6 tok · too short for sinks/phases');
    assert.equal(m.valley, 'no phases below 16 tokens');
    assert.deepEqual(m.phases, []);
  });
});

describe('persisted UI state', () => {
  it('repairs whatever getState returns', () => {
    assert.deepEqual(sanitizeUiState(undefined).layerRange, null);
    const s = sanitizeUiState({ layerRange: [2, 'x'], selectedCell: { block: 1, head: 2 }, ablationOverlay: 'yes', selectedTokens: [1, -1, 2.5, 3], scrollY: -4 });
    assert.deepEqual(s, { version: 1, layerRange: null, layerRangeDepth: null, selectedCell: { block: 1, head: 2 }, ablationOverlay: false, selectedTokens: [1, 3], scrollY: 0 });
    assert.deepEqual(sanitizeUiState({ layerRange: [1, 3], ablationOverlay: true, scrollY: 120 }).layerRange, [1, 3]);
  });
});
