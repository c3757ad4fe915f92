/**
 * The per-layer charts (#sl-chart-bos, #sl-chart-entropy, #sl-chart-sink, and #sl-chart-lens when the
 * result has logit-lens data), built with the tree-shaken parts of chart.js we use. Each chart shows the phase bands and spike markers; with an
 * ablation overlay the ablated curves are drawn dashed on top of the baseline.
 */
import {
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
  type LegendItem,
} from 'chart.js';
import type { PhaseName } from '../../shared/result';
import type { BandSpan } from '../model/bands';
import { fmtNum, fmtPercent, layerLabel } from '../model/format';
import type { LensSeries } from '../model/lens';
import { isUnitTick, layerTicks, maxLayerTicks, unitRange, unitTicks, zeroBasedRange } from '../model/axes';
import { logBounds, points, type LayerSeries } from '../model/series';
import { RELATIVE_TICKS, RELATIVE_X_TITLE } from '../model/compareView';
import { bandsPlugin, LABEL_STRIP_PX, type BandsOptions } from './chartBands';
import { legendLine } from './legendLine';
import type { SvgChartSpec } from '../../shared/chartSvg';
import { svgSpecOf, type DrawnChart } from './chartSpec';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend, bandsPlugin);
// As chart.js's own UMD build does: `Chart.getChart(canvas)` then reads a drawn chart's scales and
// datasets from the devtools console or the real-VS-Code UI test (which checks the tick labels).
if (typeof window !== 'undefined') (window as unknown as { Chart?: typeof Chart }).Chart ??= Chart;

export interface ChartTheme {
  fg: string;
  muted: string;
  grid: string;
  font: string;
  primary: string;
  secondary: string;
  bound: string;
  ablated: string;
  bands: Record<PhaseName, string>;
  spike: string;
}

export interface ChartsData {
  series: LayerSeries;
  /** Legend label of the user's entropy variant, or null under the default options (then it is the bounded curve). */
  variant: string | null;
  /** The sink score of a uniformly attending head at this T (drawn on the sink-rate chart); null to omit. */
  chance: number | null;
  /** The label of the first spike marker on the BOS chart (who writes it), or null for plain "spike". */
  spikeLabel: string | null;
  /** Tooltip lines for a hovered layer: its band's evidence and strength (empty outside bands). */
  bandNotes: (layer: number) => string[];
  ablated: LayerSeries | null;
  bands: BandSpan[];
  spikes: number[];
  lastLayer: number;
  /** The overlay's legend label: 'ablated' (default) or the compared run's (`HEAD`). */
  overlayLabel?: string;
  /**
   * The x axis: 'layer' (h[l], default) or 'relative' (l/L in [0, 1]: two models of different depths; the
   * series, bands and spikes are then given in l/L).
   */
  depth?: 'layer' | 'relative';
  /** Logit-lens cross-entropy (baseline, ablated when the ablation carries a lens); absent without lens data. */
  lens?: { base: LensSeries; ablated: LensSeries | null } | null;
}

export type ChartKind = 'bos' | 'entropy' | 'sink' | 'mix' | 'lens';

type LineDataset = ChartDataset<'line', { x: number; y: number | null }[]>;

function line(label: string, layers: number[], ys: (number | null)[], color: string, extra: Partial<LineDataset> = {}): LineDataset {
  return {
    label,
    data: points(layers, ys),
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    pointRadius: 2.5,
    pointHoverRadius: 4,
    tension: 0,
    spanGaps: false,
    ...extra,
  };
}

/**
 * The datasets of one chart: baseline curves, then the ablated overlay. Series that can coincide stay
 * distinguishable: each has its own dash pattern and point style, and chart.js draws a lower `order`
 * on top, so the thinner dashed lines (excl. BOS, ablated) are never hidden under the solid baseline.
 */
export function datasetsFor(kind: ChartKind, d: ChartsData, t: ChartTheme): LineDataset[] {
  const s = d.series;
  const a = d.ablated;
  const base = { order: 3 };
  const ablated = { borderDash: [7, 4], pointStyle: 'rectRot' as const, pointRadius: 3.5, borderWidth: 2, order: 1 };
  if (kind === 'bos') {
    const out = [line('baseline', s.layers, s.bosRatio, t.primary, base)];
    if (a) out.push(line(d.overlayLabel ?? 'ablated', a.layers, a.bosRatio, t.ablated, ablated));
    return out;
  }
  if (kind === 'lens') {
    const l = d.lens;
    if (!l) return [];
    const out = [line('baseline', l.base.layers, l.base.crossEntropy, t.primary, base)];
    if (a && l.ablated) out.push(line('ablated', l.ablated.layers, l.ablated.crossEntropy, t.ablated, ablated));
    return out;
  }
  if (kind === 'sink') {
    const out = [line('baseline', s.layers, s.sinkRate, t.primary, base)];
    if (a) out.push(line(d.overlayLabel ?? 'ablated', a.layers, a.sinkRate, t.ablated, ablated));
    // Learned sinks (gpt-oss): the attention the sink logits absorb, beside the BOS sink rate.
    if (s.learnedSink) out.push(line('learned sink (attention share)', s.layers, s.learnedSink, t.secondary, { borderDash: [3, 3], pointStyle: 'triangle', pointRadius: 3.5, borderWidth: 2, order: 2 }));
    if (d.chance !== null) out.push(line('uniform head (sink score)', s.layers, s.layers.map((l) => (l === 0 ? null : d.chance)), t.muted, { borderDash: [2, 4], borderWidth: 1.5, pointRadius: 0, order: 5 }));
    return out;
  }
  if (kind === 'mix') {
    const out = [
      line('row entropy', s.layers, s.mixing, t.primary, base),
      line('mass off BOS and self', s.layers, s.otherMass, t.secondary, { borderDash: [3, 3], pointStyle: 'triangle', pointRadius: 3.5, borderWidth: 2, order: 2 }),
    ];
    if (a) out.push(line('ablated row entropy', a.layers, a.mixing, t.ablated, ablated));
    return out;
  }
  // The bound is drawn beside the raw layer's entropy only (the theorem's matrix); a variant gets its own series.
  const out = [
    line(d.variant ? 'raw layer' : 'entropy', s.layers, s.boundedEntropy, t.primary, { ...base, borderWidth: 2.5, pointRadius: 3 }),
    line('≤ bound', s.layers, s.entropyUpperBound, t.bound, { borderDash: [1, 3], borderWidth: 2, pointRadius: 0, order: 4 }),
    line('excl. BOS (same scale)', s.layers, s.entropyExclBos, t.secondary, { borderDash: [3, 3], pointStyle: 'triangle', pointRadius: 3.5, borderWidth: 2, order: 2 }),
  ];
  if (d.variant) out.push(line(d.variant, s.layers, s.entropy, t.spike, { borderDash: [8, 3], pointStyle: 'rect', pointRadius: 3, borderWidth: 2, order: 2 }));
  if (a) out.push(line(d.overlayLabel ?? 'ablated', a.layers, a.boundedEntropy, t.ablated, ablated));
  return out;
}

/** The y-axis title of each chart: what is plotted, with its unit or scale. */
export const Y_TITLES: Record<ChartKind, string> = {
  bos: 'BOS ‖h‖ ÷ median ‖h‖ (log)',
  entropy: 'normalised entropy (0–1)',
  sink: 'share of heads (0–1)',
  mix: 'mean over heads (0–1)',
  lens: 'cross-entropy (nats)',
};

export const X_TITLE = 'hidden state h[l] (block b writes h[b+1])';

type YScale = { type: 'linear' | 'logarithmic'; min: number; max: number; afterBuildTicks?: (axis: { ticks: { value: number }[] }) => void };

function yScale(kind: ChartKind, d: ChartsData): YScale {
  if (kind === 'bos') return { type: 'logarithmic', ...logBounds([...d.series.bosRatio, ...(d.ablated?.bosRatio ?? [])]) };
  if (kind === 'lens') return { type: 'linear', ...zeroBasedRange([...(d.lens?.base.crossEntropy ?? []), ...(d.lens?.ablated?.crossEntropy ?? [])]) };
  const s = d.series;
  const a = d.ablated;
  const vs =
    kind === 'sink'
      ? [...s.sinkRate, ...(a?.sinkRate ?? []), ...(s.learnedSink ?? []), d.chance]
      : kind === 'mix'
        ? [...s.mixing, ...s.otherMass, ...(a?.mixing ?? [])]
        : [...s.boundedEntropy, ...(d.variant ? s.entropy : []), ...s.entropyExclBos, ...s.entropyUpperBound, ...(a?.boundedEntropy ?? [])];
  const range = unitRange(vs);
  // Round ticks only (chart.js would start at the padded minimum).
  const ticks = unitTicks(range).map((value) => ({ value }));
  return { type: 'linear', ...range, afterBuildTicks: (axis) => void (axis.ticks = ticks) };
}

function yTick(kind: ChartKind, v: number): string {
  if (kind === 'bos') return isDecade(v) ? fmtNum(v) : '';
  if (kind === 'lens') return v < 0 ? '' : fmtNum(v);
  return isUnitTick(v) ? fmtNum(Math.round(v * 10) / 10) : '';
}

export function configFor(kind: ChartKind, d: ChartsData, t: ChartTheme): ChartConfiguration<'line', { x: number; y: number | null }[]> {
  const bands: BandsOptions = { bands: d.bands, spikes: d.spikes, spikeLabel: kind === 'bos' ? d.spikeLabel : null, colors: t.bands, spikeColor: t.spike, labelColor: t.muted, font: `10px ${t.font}` };
  const datasets = datasetsFor(kind, d, t);
  const title = (text: string) => ({ display: true, text, color: t.muted, font: { size: 11 } });
  return {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      layout: { padding: { top: LABEL_STRIP_PX, right: 4 } },
      scales: {
        x: xScale(d, t, title),
        y: {
          ...yScale(kind, d),
          grid: { color: t.grid },
          title: title(Y_TITLES[kind]),
          ticks: { color: t.fg, callback: (v) => yTick(kind, Number(v)) },
        },
      },
      plugins: {
        // A legend only where it tells series apart: one baseline curve needs none.
        legend: { display: datasets.length > 1, position: 'bottom', labels: { color: t.fg, usePointStyle: true, pointStyleWidth: 26, boxHeight: 10, font: { size: 11 }, generateLabels: legendItems } },
        tooltip: { callbacks: { title: (items) => (items[0] ? xLabel(d, Number(items[0].parsed.x)) : ''), label: (i) => `${i.dataset.label}: ${fmtNum(i.parsed.y)}`, footer: (items) => tooltipFooter(kind, d, items[0] ? Number(items[0].parsed.x) : NaN) } },
        slBands: bands,
      },
    },
  };
}

/** A hovered point's x: `h[l]`, or `l/L 0.40` on the relative-depth axis. */
function xLabel(d: ChartsData, x: number): string {
  return d.depth === 'relative' ? `l/L ${x.toFixed(2)}` : layerLabel(x);
}

type Title = (text: string) => { display: boolean; text: string; color: string; font: { size: number } };

/** The layer axis (ticks on h[l], half a layer of padding), or the relative-depth axis l/L for two models. */
function xScale(d: ChartsData, t: ChartTheme, title: Title) {
  if (d.depth === 'relative') {
    return {
      type: 'linear' as const,
      min: -0.03,
      max: 1.03,
      grid: { color: t.grid },
      title: title(RELATIVE_X_TITLE),
      afterBuildTicks: (axis: { ticks: { value: number }[] }) => void (axis.ticks = RELATIVE_TICKS.map((value) => ({ value }))),
      ticks: { color: t.fg, autoSkip: false, maxRotation: 0, font: { size: 10 }, callback: (v: number | string) => Number(v).toFixed(2) },
    };
  }
  return {
    type: 'linear' as const,
    min: -0.5,
    max: d.lastLayer + 0.5,
    grid: { color: t.grid },
    title: title(X_TITLE),
    // chart.js would put ticks on the half-layer padding: place them on the layers themselves.
    afterBuildTicks: (axis: { ticks: { value: number }[]; chart: { width: number } }) => {
      axis.ticks = layerTicks(d.lastLayer, maxLayerTicks(axis.chart.width)).map((value) => ({ value }));
    },
    ticks: { color: t.fg, autoSkip: false, maxRotation: 0, font: { size: 10 }, callback: (v: number | string) => layerLabel(Number(v)) },
  };
}

/** Under the values of a hovered layer: the BOS writers (BOS chart) and the band's evidence and strength. */
export function tooltipFooter(kind: ChartKind, d: ChartsData, layer: number): string[] {
  const i = d.series.layers.indexOf(layer);
  const attn = d.series.attnShare[i] ?? null;
  const mlp = d.series.mlpShare[i] ?? null;
  const writers = kind === 'bos' && attn !== null && mlp !== null ? [`BOS write of block ${layer - 1}: attention ${fmtPercent(attn)} · MLP ${fmtPercent(mlp)}`] : [];
  return [...writers, ...d.bandNotes(layer)];
}

/** Legend entries drawn as a short line in the series' dash pattern (chart.js draws boxes or points only). */
function legendItems(chart: Chart): LegendItem[] {
  // chart.js lists the legend in drawing order; keep the datasets' order (baseline first).
  const items = Chart.defaults.plugins.legend.labels.generateLabels(chart).sort((a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0));
  return items.map((item) => {
    const ds = chart.data.datasets[item.datasetIndex ?? 0] as LineDataset | undefined;
    return { ...item, pointStyle: ds ? legendLine(ds) : item.pointStyle, lineWidth: 0 };
  });
}

function isDecade(v: number): boolean {
  const e = Math.log10(v);
  return Math.abs(e - Math.round(e)) < 1e-9;
}

/** Owns the Chart instances; rebuilding is cheap (three small charts) and keeps state trivial. */
export class LayerCharts {
  private charts = new Map<ChartKind, Chart>();

  constructor(private readonly canvases: Partial<Record<ChartKind, HTMLCanvasElement>>) {}

  render(d: ChartsData, theme: ChartTheme): void {
    this.dispose();
    for (const kind of ['bos', 'entropy', 'sink', 'mix', 'lens'] as const) {
      const canvas = this.canvases[kind];
      if (!canvas || (kind === 'lens' && !d.lens)) continue;
      // No 2D context (a test DOM, a GPU-less host): the rest of the panel still works.
      if (!canvas.getContext('2d')) continue;
      this.charts.set(kind, new Chart(canvas, configFor(kind, d, theme) as unknown as ChartConfiguration));
    }
  }

  /** The drawn chart read into an SVG spec (scales, ticks, datasets, bands); null when it is not drawn. */
  svgSpec(kind: ChartKind, title: string): SvgChartSpec | null {
    const chart = this.charts.get(kind);
    return chart ? svgSpecOf(chart as unknown as DrawnChart, title) : null;
  }

  /** The drawn chart as a PNG data URL; null when it is not drawn. */
  png(kind: ChartKind): string | null {
    return this.charts.get(kind)?.toBase64Image('image/png') ?? null;
  }

  dispose(): void {
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
  }
}
