/**
 * Reads a drawn chart.js chart into the SVG serializer's spec (shared/chartSvg.ts): its size, both scales
 * (range, log or linear, the ticks as drawn with their labels, the axis titles), each dataset (label, colour,
 * width, dash, points, a fill down to the previous dataset) and the panel's phase bands. What the SVG shows is
 * what the canvas shows, read from the same chart.
 */
import type { SvgBand, SvgChartSpec } from '../../shared/chartSvg';

/** The parts of a chart.js Chart read here (a drawn Chart has them; tests build them from a config). */
export interface DrawnChart {
  width: number;
  height: number;
  scales: Record<string, { min: number; max: number; type: string; ticks: { value: number; label?: unknown }[] } | undefined>;
  data: { datasets: { label?: string; data: unknown[]; borderColor?: unknown; borderWidth?: unknown; borderDash?: unknown; fill?: unknown; backgroundColor?: unknown }[] };
  options: { scales?: Record<string, { title?: { text?: unknown } } | undefined>; plugins?: Record<string, unknown> };
}

const label = (v: unknown): string => (Array.isArray(v) ? v.join(' ') : v === undefined || v === null ? '' : String(v));

/** Band edges of a study (`<model> q1` / `q3`) stay out of the legend, as on the canvas. */
const isEdge = (l: string): boolean => / q[13]$/.test(l);

export function svgSpecOf(chart: DrawnChart, title: string): SvgChartSpec {
  const axis = (id: 'x' | 'y') => {
    const s = chart.scales[id];
    const t = chart.options.scales?.[id]?.title?.text;
    return {
      title: label(t),
      min: s?.min ?? 0,
      max: s?.max ?? 1,
      log: s?.type === 'logarithmic',
      ticks: (s?.ticks ?? []).map((k) => ({ value: k.value, label: label(k.label) })),
    };
  };
  const series = chart.data.datasets.map((ds, i) => {
    const name = ds.label ?? `series ${i + 1}`;
    const fillTo = ds.fill === '-1' && i > 0 ? i - 1 : undefined;
    return {
      label: name,
      color: typeof ds.borderColor === 'string' ? ds.borderColor : '#3794ff',
      width: typeof ds.borderWidth === 'number' ? ds.borderWidth : 2,
      dash: Array.isArray(ds.borderDash) ? ds.borderDash.filter((d): d is number => typeof d === 'number') : [],
      points: (ds.data as { x: number; y: number | null }[]).map((p) => ({ x: Number(p.x), y: p.y === null || p.y === undefined ? null : Number(p.y) })),
      legend: !isEdge(name),
      ...(fillTo !== undefined ? { fillTo, fillColor: typeof ds.backgroundColor === 'string' ? ds.backgroundColor : undefined } : {}),
    };
  });
  return { title, width: Math.round(chart.width), height: Math.round(chart.height), x: axis('x'), y: axis('y'), series, bands: bandsOf(chart) };
}

/** The panel's phase bands, from its bands plugin's options (`slBands`). */
function bandsOf(chart: DrawnChart): SvgBand[] {
  const o = chart.options.plugins?.slBands as { bands?: { x0: number; x1: number; phase: string; label: string }[]; colors?: Record<string, string> } | undefined;
  return (o?.bands ?? []).map((b) => ({ x0: b.x0, x1: b.x1, color: o?.colors?.[b.phase] ?? '#eeeeee', label: b.label }));
}
