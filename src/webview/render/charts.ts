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
} from 'chart.js';
import type { PhaseName } from '../../shared/result';
import type { BandSpan } from '../model/bands';
import { fmtNum, layerLabel } from '../model/format';
import type { LensSeries } from '../model/lens';
import { logBounds, points, type LayerSeries } from '../model/series';
import { bandsPlugin, type BandsOptions } from './chartBands';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend, bandsPlugin);

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
  ablated: LayerSeries | null;
  bands: BandSpan[];
  spikes: number[];
  lastLayer: number;
  /** Logit-lens cross-entropy (baseline, ablated when the ablation carries a lens); absent without lens data. */
  lens?: { base: LensSeries; ablated: LensSeries | null } | null;
}

export type ChartKind = 'bos' | 'entropy' | 'sink' | 'lens';

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

/** The datasets of one chart: baseline curves, then the ablated overlay (dashed) when present. */
export function datasetsFor(kind: ChartKind, d: ChartsData, t: ChartTheme): LineDataset[] {
  const s = d.series;
  const a = d.ablated;
  const dashed = { borderDash: [6, 4], pointStyle: 'rectRot' as const, borderWidth: 1.75 };
  if (kind === 'bos') {
    const out = [line('BOS norm ratio', s.layers, s.bosRatio, t.primary)];
    if (a) out.push(line('ablated', a.layers, a.bosRatio, t.ablated, dashed));
    return out;
  }
  if (kind === 'lens') {
    const l = d.lens;
    if (!l) return [];
    const out = [line('next-token CE', l.base.layers, l.base.crossEntropy, t.primary)];
    if (a && l.ablated) out.push(line('ablated', l.ablated.layers, l.ablated.crossEntropy, t.ablated, dashed));
    return out;
  }
  if (kind === 'sink') {
    const out = [line('sink rate', s.layers, s.sinkRate, t.primary)];
    if (a) out.push(line('ablated', a.layers, a.sinkRate, t.ablated, dashed));
    return out;
  }
  const out = [
    line('entropy', s.layers, s.entropy, t.primary),
    line('excl. BOS', s.layers, s.entropyExclBos, t.secondary, { borderWidth: 1.5, pointRadius: 1.5 }),
    line('upper bound', s.layers, s.entropyUpperBound, t.bound, { borderDash: [2, 3], borderWidth: 1.5, pointRadius: 0 }),
  ];
  if (a) out.push(line('ablated', a.layers, a.entropy, t.ablated, dashed));
  return out;
}

export function configFor(kind: ChartKind, d: ChartsData, t: ChartTheme): ChartConfiguration<'line', { x: number; y: number | null }[]> {
  const bands: BandsOptions = { bands: d.bands, spikes: d.spikes, colors: t.bands, spikeColor: t.spike, labelColor: t.muted, font: `10px ${t.font}` };
  const y =
    kind === 'bos'
      ? { type: 'logarithmic' as const, ...logBounds([...d.series.bosRatio, ...(d.ablated?.bosRatio ?? [])]) }
      : // Cross-entropy is in nats, unbounded above: chart.js picks the top.
        { type: 'linear' as const, min: 0, ...(kind === 'lens' ? {} : { max: 1 }) };
  return {
    type: 'line',
    data: { datasets: datasetsFor(kind, d, t) },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          type: 'linear',
          min: -0.5,
          max: d.lastLayer + 0.5,
          grid: { color: t.grid },
          ticks: { color: t.muted, stepSize: 1, callback: (v) => (Number.isInteger(Number(v)) && Number(v) >= 0 ? layerLabel(Number(v)) : '') },
        },
        y: {
          ...y,
          grid: { color: t.grid },
          ticks: { color: t.muted, callback: (v) => (kind === 'bos' && !isDecade(Number(v)) ? '' : fmtNum(Number(v), 2)) },
        },
      },
      plugins: {
        legend: { position: 'bottom', labels: { color: t.fg, boxWidth: 14, boxHeight: 2, font: { size: 11 } } },
        tooltip: { callbacks: { title: (items) => (items[0] ? layerLabel(Number(items[0].parsed.x)) : ''), label: (i) => `${i.dataset.label}: ${fmtNum(i.parsed.y)}` } },
        slBands: bands,
      },
    },
  };
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
    for (const kind of ['bos', 'entropy', 'sink', 'lens'] as const) {
      const canvas = this.canvases[kind];
      if (!canvas || (kind === 'lens' && !d.lens)) continue;
      // No 2D context (a test DOM, a GPU-less host): the rest of the panel still works.
      if (!canvas.getContext('2d')) continue;
      this.charts.set(kind, new Chart(canvas, configFor(kind, d, theme) as unknown as ChartConfiguration));
    }
  }

  dispose(): void {
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
  }
}
