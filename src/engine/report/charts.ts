/**
 * What each chart shows, as `ChartSpec`s (report/svg.ts): the study's three panels on relative depth (one
 * line + interquartile band per model), drawn inline by the HTML report and written as standalone SVG
 * files by `study|report --svg`; and one analysis's per-layer charts as the panel shows them (BOS norm
 * ratio, normalised entropy with the theorem's bound beside the raw layer's, sink rate, mixing), for
 * `analyze --svg`. Pure: result in, specs out.
 */
import type { AnalysisResult, LayerMetrics } from '../../shared/result';
import type { StudyResult } from '../../shared/study';
import { variantTag } from '../cli/table';
import { PALETTE, type ChartSpec, type Series } from './svg';

/** A chart with its file name (standalone export) and its y-axis title. */
export interface NamedChart {
  file: string;
  yLabel: string;
  spec: ChartSpec;
}

/** The study summary: entropy, sink rate and log10 BOS norm on l/L, a line (mean) + band (q1..q3) per model. */
export function studySummaryCharts(s: StudyResult): NamedChart[] {
  const grid = s.relativeDepth.grid;
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((x) => ({ x, label: x.toFixed(2) }));
  const chart = (file: string, title: string, yLabel: string, key: 'entropy' | 'sinkRate' | 'bosNormLog10', yRange?: [number, number]): NamedChart => {
    const series: Series[] = s.relativeDepth.models.map((m, i) => ({
      name: m.name,
      color: PALETTE[i % PALETTE.length] as string,
      x: grid,
      y: m[key].map((st) => st.mean),
      band: { lo: m[key].map((st) => st.q1), hi: m[key].map((st) => st.q3) },
    }));
    const range = yRange ?? niceRange(series.flatMap((x) => [...x.y, ...(x.band?.lo ?? []), ...(x.band?.hi ?? [])]));
    return { file, yLabel, spec: { title, xLabel: 'relative depth l / L', series, xTicks, ...(range ? { yRange: range } : {}) } };
  };
  return [
    chart('entropy.svg', 'Normalised entropy', 'normalised entropy (mean, IQR)', 'entropy', [0, 1]),
    chart('sink-rate.svg', 'Sink rate', 'share of heads (mean, IQR)', 'sinkRate', [0, 1]),
    chart('bos-norm.svg', 'BOS norm (log10)', 'log10 BOS ratio (mean, IQR)', 'bosNormLog10'),
  ];
}

/**
 * A y range of four round steps (1, 2, 2.5, 5 x 10^k) that covers the values, so that the five ticks read
 * 0, 0.5, 1, ... instead of the data's own extremes; undefined without a finite value.
 */
export function niceRange(values: readonly (number | null)[]): [number, number] | undefined {
  const vs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (vs.length === 0) return undefined;
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const mag = 10 ** Math.floor(Math.log10((hi - lo) / 4));
  for (const m of [1, 2, 2.5, 5, 10, 20]) {
    const step = m * mag;
    const a = Math.floor(lo / step) * step;
    if (a + 4 * step >= hi - 1e-12) return [a, a + 4 * step];
  }
  return [lo, hi];
}

const C = { primary: '#1f77b4', bound: '#9467bd', secondary: '#2ca02c', variant: '#d62728', ablated: '#ff7f0e', muted: '#888888' };

const finite = (v: number | null | undefined): number | null => (v !== null && v !== undefined && Number.isFinite(v) ? v : null);
const log10 = (v: number | null | undefined): number | null => (v !== null && v !== undefined && Number.isFinite(v) && v > 0 ? Math.log10(v) : null);
const isVariant = (r: AnalysisResult): boolean => {
  const e = r.settings.entropy;
  return e.alpha !== 1 || e.excludeBos || e.center || e.rowNormalize;
};

/**
 * One analysis's per-layer charts on x = h[l] (ticks h[0]..h[L], the valley shaded as in the panel). The BOS
 * ratio is drawn as log10 values (the axis says so); with an ablation, its curves are drawn dashed beside.
 */
export function analysisCharts(r: AnalysisResult): NamedChart[] {
  const ls = [...r.baseline.layers].sort((a, b) => a.layer - b.layer);
  const ab = r.ablation ? [...r.ablation.run.layers].sort((a, b) => a.layer - b.layer) : null;
  const L = r.model.layers;
  const v = r.summary.valley;
  const base = {
    xLabel: 'hidden state h[l] (block b writes h[b+1])',
    xTicks: Array.from({ length: L + 1 }, (_, l) => ({ x: l, label: `h[${l}]` })),
    xRange: [-0.5, L + 0.5] as [number, number],
    shade: v ? [[v.start - 0.5, v.end + 0.5] as [number, number]] : [],
    width: Math.max(560, 40 * (L + 1) + 80),
  };
  const line = (name: string, color: string, y: (l: LayerMetrics) => number | null, dash?: number[], from = ls): Series => ({
    name,
    color,
    x: from.map((l) => l.layer),
    y: from.map(y),
    ...(dash ? { dash } : {}),
  });
  const ablated = (y: (l: LayerMetrics) => number | null): Series[] => (ab ? [line('ablated', C.ablated, y, [7, 4], ab)] : []);
  const variant = isVariant(r);
  const entropy: Series[] = [
    line(variant ? 'raw layer' : 'entropy', C.primary, (l) => finite(l.bounded ? l.bounded.entropy : l.entropy)),
    line('≤ bound', C.bound, (l) => finite(l.entropyUpperBound), [1, 3]),
    line('excl. BOS (same scale)', C.secondary, (l) => finite(l.entropyExclBos), [3, 3]),
    ...(variant ? [line(`variant (${variantTag(r.settings.entropy)})`, C.variant, (l) => finite(l.entropy), [8, 3])] : []),
    ...ablated((l) => finite(l.bounded ? l.bounded.entropy : l.entropy)),
  ];
  const learned = ls.some((l) => finite(l.learnedSinkShare) !== null);
  const chance = r.summary.chanceSinkScore;
  const sink: Series[] = [
    line('sink rate', C.primary, (l) => finite(l.sinkRate)),
    ...(learned ? [line('learned sink (attention share)', C.secondary, (l) => finite(l.learnedSinkShare), [3, 3])] : []),
    line('uniform head (sink score)', C.muted, (l) => (l.layer === 0 ? null : chance), [2, 4]),
    ...ablated((l) => finite(l.sinkRate)),
  ];
  const bos = [line('BOS ratio', C.primary, (l) => log10(l.bosRatio)), ...ablated((l) => log10(l.bosRatio))];
  const bosRange = niceRange(bos.flatMap((x) => x.y));
  const charts: NamedChart[] = [
    { file: 'bos-ratio.svg', yLabel: 'log10 (BOS ‖h‖ ÷ median ‖h‖)', spec: { ...base, title: 'BOS norm ratio', series: bos, ...(bosRange ? { yRange: bosRange } : {}) } },
    { file: 'entropy.svg', yLabel: 'normalised entropy (0–1)', spec: { ...base, title: 'Normalised entropy', series: entropy, yRange: [0, 1] } },
    { file: 'sink-rate.svg', yLabel: 'share of heads (0–1)', spec: { ...base, title: 'Sink rate', series: sink, yRange: [0, 1] } },
  ];
  if (ls.some((l) => finite(l.mixing) !== null)) {
    const mixing = [line('row entropy', C.primary, (l) => finite(l.mixing)), line('mass off BOS and self', C.secondary, (l) => finite(l.otherMass), [3, 3]), ...ablated((l) => finite(l.mixing))];
    charts.push({ file: 'mixing.svg', yLabel: 'mean over heads (0–1)', spec: { ...base, title: 'Mixing', series: mixing, yRange: [0, 1] } });
  }
  return charts;
}
