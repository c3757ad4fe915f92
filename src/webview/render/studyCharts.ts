/**
 * The study view's three charts (chart.js): per model one mean line and its interquartile band (the
 * q1 curve, then the q3 curve filled down to it). X ticks are h[0] … h[L] on a shared depth, l/L values
 * on relative depth (models/study.ts decides).
 */
import { Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration, type ChartDataset } from 'chart.js';
import { layerTicks, maxLayerTicks } from '../model/axes';
import { fmtNum, layerLabel } from '../model/format';
import type { BandSeries, StudyCharts, StudyPanel } from '../model/study';
import { withAlpha } from './theme';
import type { SvgChartSpec } from '../../shared/chartSvg';
import { svgSpecOf, type DrawnChart } from './chartSpec';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend, Filler);
if (typeof window !== 'undefined') (window as unknown as { Chart?: typeof Chart }).Chart ??= Chart;

export interface StudyTheme {
  fg: string;
  muted: string;
  grid: string;
  /** One colour per model, cycled. */
  palette: string[];
}

type Pt = { x: number; y: number | null };
type LineDataset = ChartDataset<'line', Pt[]>;

const pts = (xs: readonly number[], ys: readonly (number | null)[]): Pt[] => xs.map((x, i) => ({ x, y: ys[i] ?? null }));

/** Per model: the q1 edge (hidden from the legend), the q3 edge filled down to q1, then the mean line. */
export function bandDatasets(series: readonly BandSeries[], palette: readonly string[]): LineDataset[] {
  return series.flatMap((s, i) => {
    const c = palette[i % palette.length] ?? '#3794ff';
    const edge = { borderWidth: 0, pointRadius: 0, pointHoverRadius: 0, borderColor: c, spanGaps: false };
    return [
      { ...edge, label: `${s.model} q1`, data: pts(s.xs, s.q1), fill: false },
      { ...edge, label: `${s.model} q3`, data: pts(s.xs, s.q3), fill: '-1', backgroundColor: withAlpha(c, 0.18) },
      { label: s.model, data: pts(s.xs, s.mean), borderColor: c, backgroundColor: c, borderWidth: 2, pointRadius: 2, tension: 0, spanGaps: false, fill: false },
    ];
  });
}

const isEdge = (label: string | undefined): boolean => / q[13]$/.test(label ?? '');

export function studyChartConfig(c: StudyCharts, p: StudyPanel, t: StudyTheme): ChartConfiguration<'line', Pt[]> {
  const relative = c.axis === 'relative';
  const title = (text: string) => ({ display: true, text, color: t.muted, font: { size: 11 } });
  const xLabel = (v: number): string => (relative ? fmtNum(v) : layerLabel(v));
  return {
    type: 'line',
    data: { datasets: bandDatasets(p.series, t.palette) },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          type: 'linear',
          min: relative ? 0 : -0.5,
          max: relative ? 1 : c.lastLayer + 0.5,
          grid: { color: t.grid },
          title: title(c.xTitle),
          afterBuildTicks: (axis) => {
            const ticks = relative ? [0, 0.25, 0.5, 0.75, 1] : layerTicks(c.lastLayer, maxLayerTicks(axis.chart.width));
            axis.ticks = ticks.map((value) => ({ value }));
          },
          ticks: { color: t.fg, autoSkip: false, maxRotation: 0, font: { size: 10 }, callback: (v) => xLabel(Number(v)) },
        },
        y: { grid: { color: t.grid }, title: title(p.yTitle), ticks: { color: t.fg, callback: (v) => fmtNum(Number(v)) } },
      },
      plugins: {
        legend: { display: true, position: 'bottom', labels: { color: t.fg, filter: (item) => !isEdge(item.text) } },
        tooltip: {
          filter: (item) => !isEdge(item.dataset.label),
          callbacks: { title: (items) => (items[0] ? xLabel(Number(items[0].parsed.x)) : ''), label: (i) => `${i.dataset.label}: ${fmtNum(i.parsed.y)}` },
        },
      },
    },
  };
}

/** Owns the three Chart instances. */
export class StudyChartSet {
  private readonly charts = new Map<string, Chart>();

  render(c: StudyCharts, canvases: ReadonlyMap<string, HTMLCanvasElement>, t: StudyTheme): void {
    this.dispose();
    for (const p of c.panels) {
      const canvas = canvases.get(p.metric);
      if (!canvas?.getContext('2d')) continue; // No 2D context (a test DOM): the table still works.
      this.charts.set(p.metric, new Chart(canvas, studyChartConfig(c, p, t) as unknown as ChartConfiguration));
    }
  }

  /** The chart read into an SVG spec, or null when it was not drawn. */
  svgSpec(metric: string, title: string): SvgChartSpec | null {
    const chart = this.charts.get(metric);
    return chart ? svgSpecOf(chart as unknown as DrawnChart, title) : null;
  }

  /** The chart's PNG (a data: URL), or null when it was not drawn. */
  png(metric: string): string | null {
    return this.charts.get(metric)?.toBase64Image('image/png') ?? null;
  }

  dispose(): void {
    for (const ch of this.charts.values()) ch.destroy();
    this.charts.clear();
  }
}
