/**
 * Inline SVG line charts for the offline report: lines with an optional band (interquartile range)
 * and shaded x ranges (the compression valley). Pure string building, no DOM and no script, so the
 * report is one self-contained file that draws in any browser with no network and no bundle to ship.
 */

export interface Series {
  name: string;
  color: string;
  /** x positions (same length as y). */
  x: readonly number[];
  y: readonly (number | null)[];
  /** Lower and upper edge of a band around the line (e.g. q1 and q3). */
  band?: { lo: readonly (number | null)[]; hi: readonly (number | null)[] };
  /** Stroke dash pattern (px); solid when absent. */
  dash?: readonly number[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  series: readonly Series[];
  /** Fixed y range; otherwise the data's range with a margin. */
  yRange?: [number, number];
  /** Fixed x range; otherwise the range of the series and ticks. */
  xRange?: [number, number];
  /** Tick positions and labels on x. */
  xTicks: readonly { x: number; label: string }[];
  /** Shaded x ranges [from, to] (valleys). */
  shade?: readonly [number, number][];
  width?: number;
  height?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

const M = { left: 44, right: 10, top: 22, bottom: 34 };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** The y range drawn: `yRange`, else the data's range (lines and bands) with an 8% margin. */
export function yBounds(spec: ChartSpec): [number, number] {
  if (spec.yRange) return spec.yRange;
  const ys = spec.series.flatMap((s) => [...s.y, ...(s.band?.lo ?? []), ...(s.band?.hi ?? [])]).filter((v): v is number => v !== null && Number.isFinite(v));
  if (ys.length === 0) return [0, 1];
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

/** Splits a series into runs of consecutive non-null points (a null is a gap). */
function runs(x: readonly number[], y: readonly (number | null)[]): [number, number][][] {
  const out: [number, number][][] = [];
  let cur: [number, number][] = [];
  y.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push([x[i] as number, v]);
  });
  if (cur.length) out.push(cur);
  return out;
}

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 340;
  const H = spec.height ?? 210;
  const [x0, x1] = xBounds(spec);
  const [y0, y1] = yBounds(spec);
  const px = (x: number): number => M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number): number => H - M.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const f = (n: number): string => n.toFixed(1);
  const parts: string[] = [];
  for (const [a, b] of spec.shade ?? []) {
    parts.push(`<rect class="valley" x="${f(px(a))}" y="${M.top}" width="${f(Math.max(px(b) - px(a), 2))}" height="${H - M.top - M.bottom}" fill="#f2c94c" fill-opacity="0.25"/>`);
  }
  for (const t of spec.xTicks) {
    parts.push(`<line x1="${f(px(t.x))}" x2="${f(px(t.x))}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}" stroke="#888"/>`);
    parts.push(`<text x="${f(px(t.x))}" y="${H - M.bottom + 15}" font-size="10" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  for (const { value: v, label } of yTicks(y0, y1)) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(py(v))}" y2="${f(py(v))}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 4}" y="${f(py(v) + 3)}" font-size="10" text-anchor="end">${escapeXml(label)}</text>`);
  }
  for (const s of spec.series) {
    if (s.band) parts.push(...bandPaths(s, px, py));
    for (const run of runs(s.x, s.y)) {
      const pts = run.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ');
      parts.push(`<polyline class="line" data-series="${escapeXml(s.name)}" points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dash?.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : ''}/>`);
      for (const [x, y] of run) parts.push(`<circle cx="${f(px(x))}" cy="${f(py(y))}" r="2" fill="${s.color}"/>`);
    }
  }
  const axes = `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#888"/><line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#888"/>`;
  const title = `<text x="${M.left}" y="14" font-size="12" font-weight="bold">${escapeXml(spec.title)}</text>`;
  const xl = `<text x="${(W + M.left) / 2}" y="${H - 4}" font-size="10" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`;
  return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(spec.title)}">${title}${parts.join('')}${axes}${xl}</svg>`;
}

function bandPaths(s: Series, px: (x: number) => number, py: (y: number) => number): string[] {
  const band = s.band!;
  const both = s.x.map((_, i) => (band.lo[i] !== null && band.hi[i] !== null ? 0 : null));
  const out: string[] = [];
  let start = -1;
  const flush = (end: number): void => {
    if (start < 0) return;
    const idx = Array.from({ length: end - start }, (_, k) => start + k);
    const top = idx.map((i) => `${px(s.x[i] as number).toFixed(1)},${py(band.hi[i] as number).toFixed(1)}`);
    const bottom = idx.reverse().map((i) => `${px(s.x[i] as number).toFixed(1)},${py(band.lo[i] as number).toFixed(1)}`);
    out.push(`<polygon class="band" points="${[...top, ...bottom].join(' ')}" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
    start = -1;
  };
  both.forEach((v, i) => {
    if (v === null) flush(i);
    else if (start < 0) start = i;
  });
  flush(both.length);
  return out;
}

/** The x range drawn: `xRange`, else the range of the series' x and the ticks. */
export function xBounds(spec: ChartSpec): [number, number] {
  if (spec.xRange) return spec.xRange;
  const xs = spec.series.flatMap((s) => s.x).concat(spec.xTicks.map((t) => t.x));
  return xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
}

/** Five evenly spaced y ticks over [y0, y1], labelled with as many decimals as the span needs. */
export function yTicks(y0: number, y1: number): { value: number; label: string }[] {
  return [0, 1, 2, 3, 4].map((i) => {
    const value = y0 + ((y1 - y0) * i) / 4;
    return { value, label: tick(value, y1 - y0) };
  });
}

function tick(v: number, span: number): string {
  const digits = span >= 20 ? 0 : span >= 2 ? 1 : 2;
  return v.toFixed(digits);
}
