/**
 * One chart as a standalone SVG document, pure string building: the axes with the drawn chart's ticks and
 * titles, shaded x ranges (phase bands), one `<path class="sl-series">` per dataset (gaps split it into
 * sub-paths), fills between two datasets (a study's interquartile band), a legend, and the provenance in
 * `<desc>` (one line each) and `<metadata>` (JSON). The panel and the study view read their chart.js charts into
 * `SvgChartSpec` (what is drawn: scales, ticks, datasets); the host adds the provenance and writes the file.
 */

export interface SvgAxis {
  title: string;
  min: number;
  max: number;
  log: boolean;
  /** The drawn ticks: value and label (labels already formatted, e.g. `h[3]`, `0.25`). */
  ticks: { value: number; label: string }[];
}

export interface SvgSeries {
  label: string;
  color: string;
  /** Stroke width in px; 0 draws no line (a band edge). */
  width: number;
  dash: number[];
  points: { x: number; y: number | null }[];
  /** Fill the area between this series and the series at this index (a band), in `fillColor`. */
  fillTo?: number;
  fillColor?: string;
  /** Left out of the legend (band edges). */
  legend: boolean;
}

export interface SvgBand {
  x0: number;
  x1: number;
  color: string;
  label: string;
}

export interface SvgChartSpec {
  title: string;
  width: number;
  height: number;
  x: SvgAxis;
  y: SvgAxis;
  series: SvgSeries[];
  bands: SvgBand[];
}

const M = { left: 64, right: 14, top: 30, bottom: 58 };
const INK = '#333333';
const GRID = '#dddddd';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const n = (v: number): string => (Math.round(v * 100) / 100).toString();

/** Maps data values to pixels along one axis (linear or log10), from `a` to `b` px. */
export function axisScale(axis: Pick<SvgAxis, 'min' | 'max' | 'log'>, a: number, b: number): (v: number) => number {
  const f = (v: number): number => (axis.log ? Math.log10(v) : v);
  const lo = f(axis.min);
  const span = f(axis.max) - lo || 1;
  return (v) => a + ((f(v) - lo) / span) * (b - a);
}

/** The path data of a series: a sub-path per run of defined points (null and non-finite values are gaps). */
export function seriesPath(points: readonly { x: number; y: number | null }[], px: (v: number) => number, py: (v: number) => number, log: boolean): string {
  const parts: string[] = [];
  let pen = false;
  for (const p of points) {
    const ok = p.y !== null && Number.isFinite(p.y) && (!log || p.y > 0);
    if (!ok) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${n(px(p.x))},${n(py(p.y as number))}`);
    pen = true;
  }
  return parts.join(' ');
}

function fillPath(upper: SvgSeries, lower: SvgSeries, px: (v: number) => number, py: (v: number) => number): string {
  const both = upper.points.map((p, i) => ({ x: p.x, hi: p.y, lo: lower.points[i]?.y ?? null })).filter((p) => p.hi !== null && p.lo !== null);
  if (both.length < 2) return '';
  const top = both.map((p, i) => `${i ? 'L' : 'M'}${n(px(p.x))},${n(py(p.hi as number))}`);
  const bottom = [...both].reverse().map((p) => `L${n(px(p.x))},${n(py(p.lo as number))}`);
  return `${top.join(' ')} ${bottom.join(' ')} Z`;
}

/** `provenance` goes into `<desc>` (key: value lines) and `<metadata>` (JSON), both escaped. */
export function chartSvg(spec: SvgChartSpec, provenance: Record<string, unknown>): string {
  const { width: W, height: H } = spec;
  const plot = { x0: M.left, x1: W - M.right, y0: M.top, y1: H - M.bottom };
  const px = axisScale(spec.x, plot.x0, plot.x1);
  const py = axisScale(spec.y, plot.y1, plot.y0);
  const inX = (v: number): boolean => v >= spec.x.min && v <= spec.x.max;
  const inY = (v: number): boolean => v >= spec.y.min && v <= spec.y.max;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  const desc = Object.entries(provenance).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  out.push(`<desc>${escapeXml(desc.join('\n'))}</desc>`);
  out.push(`<metadata><sinklens-provenance xmlns="https://sinklens.dev/provenance">${escapeXml(JSON.stringify(provenance))}</sinklens-provenance></metadata>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${n(W / 2)}" y="16" text-anchor="middle" font-size="13" fill="${INK}">${escapeXml(spec.title)}</text>`);
  out.push(`<defs><clipPath id="plot"><rect x="${plot.x0}" y="${plot.y0}" width="${n(plot.x1 - plot.x0)}" height="${n(plot.y1 - plot.y0)}"/></clipPath></defs>`);
  for (const b of spec.bands) {
    const a = px(Math.max(spec.x.min, b.x0));
    const z = px(Math.min(spec.x.max, b.x1));
    if (z <= a) continue;
    out.push(`<rect class="sl-band" x="${n(a)}" y="${plot.y0}" width="${n(z - a)}" height="${n(plot.y1 - plot.y0)}" fill="${escapeXml(b.color)}"><title>${escapeXml(b.label)}</title></rect>`);
  }
  out.push(`<g class="sl-grid" stroke="${GRID}" stroke-width="1">`);
  for (const t of spec.x.ticks.filter((t) => inX(t.value))) out.push(`<line x1="${n(px(t.value))}" x2="${n(px(t.value))}" y1="${plot.y0}" y2="${plot.y1}"/>`);
  for (const t of spec.y.ticks.filter((t) => inY(t.value))) out.push(`<line x1="${plot.x0}" x2="${plot.x1}" y1="${n(py(t.value))}" y2="${n(py(t.value))}"/>`);
  out.push('</g>');
  out.push(`<g class="sl-axes" stroke="${INK}" stroke-width="1"><line x1="${plot.x0}" x2="${plot.x1}" y1="${plot.y1}" y2="${plot.y1}"/><line x1="${plot.x0}" x2="${plot.x0}" y1="${plot.y0}" y2="${plot.y1}"/></g>`);
  out.push(`<g class="sl-ticks" fill="${INK}" font-size="10">`);
  for (const t of spec.x.ticks.filter((t) => inX(t.value) && t.label !== '')) out.push(`<text x="${n(px(t.value))}" y="${plot.y1 + 14}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  for (const t of spec.y.ticks.filter((t) => inY(t.value) && t.label !== '')) out.push(`<text x="${plot.x0 - 5}" y="${n(py(t.value) + 3)}" text-anchor="end">${escapeXml(t.label)}</text>`);
  out.push('</g>');
  out.push(`<text class="sl-x-title" x="${n((plot.x0 + plot.x1) / 2)}" y="${plot.y1 + 30}" text-anchor="middle" fill="${INK}">${escapeXml(spec.x.title)}</text>`);
  out.push(`<text class="sl-y-title" transform="translate(14 ${n((plot.y0 + plot.y1) / 2)}) rotate(-90)" text-anchor="middle" fill="${INK}">${escapeXml(spec.y.title)}</text>`);
  out.push('<g clip-path="url(#plot)">');
  spec.series.forEach((s) => {
    const lower = s.fillTo === undefined ? undefined : spec.series[s.fillTo];
    const d = lower ? fillPath(s, lower, px, py) : '';
    if (d) out.push(`<path class="sl-fill" d="${d}" fill="${escapeXml(s.fillColor ?? s.color)}" stroke="none"/>`);
  });
  for (const s of spec.series) {
    const dash = s.dash.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
    const stroke = s.width > 0 ? `stroke="${escapeXml(s.color)}" stroke-width="${s.width}"${dash}` : 'stroke="none"';
    out.push(`<path class="sl-series" d="${seriesPath(s.points, px, py, spec.y.log)}" fill="none" ${stroke} stroke-linejoin="round"><title>${escapeXml(s.label)}</title></path>`);
  }
  out.push('</g>');
  const shown = spec.series.filter((s) => s.legend);
  out.push(`<g class="sl-legend" font-size="10" fill="${INK}">`);
  let x = plot.x0;
  for (const s of shown) {
    const dash = s.dash.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
    out.push(`<line x1="${n(x)}" x2="${n(x + 22)}" y1="${H - 12}" y2="${H - 12}" stroke="${escapeXml(s.color)}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${n(x + 26)}" y="${H - 8}">${escapeXml(s.label)}</text>`);
    x += 34 + s.label.length * 6;
  }
  out.push('</g>');
  out.push('</svg>');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${out.join('\n')}\n`;
}

const MAX_POINTS = 100_000;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length < 4096;

function axisProblem(a: unknown): string | null {
  if (typeof a !== 'object' || a === null) return 'expected an axis';
  const x = a as Record<string, unknown>;
  if (!isStr(x.title) || !isNum(x.min) || !isNum(x.max) || typeof x.log !== 'boolean' || !Array.isArray(x.ticks)) return 'expected {title, min, max, log, ticks}';
  return x.ticks.every((t: unknown) => typeof t === 'object' && t !== null && isNum((t as { value?: unknown }).value) && isStr((t as { label?: unknown }).label)) ? null : 'bad tick';
}

/** Validates a chart spec from a webview (null when valid): every field typed, sizes bounded. */
export function svgSpecProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'expected a chart spec';
  const s = v as Record<string, unknown>;
  if (!isStr(s.title) || !isNum(s.width) || !isNum(s.height) || s.width <= 0 || s.height <= 0 || s.width > 10_000 || s.height > 10_000) return 'expected {title, width, height}';
  const axis = axisProblem(s.x) ?? axisProblem(s.y);
  if (axis) return axis;
  if (!Array.isArray(s.series) || !Array.isArray(s.bands) || s.series.length > 200 || s.bands.length > 200) return 'expected series and bands';
  let points = 0;
  for (const r of s.series as unknown[]) {
    const d = r as Record<string, unknown>;
    if (typeof d !== 'object' || d === null || !isStr(d.label) || !isStr(d.color) || !isNum(d.width) || !Array.isArray(d.dash) || !Array.isArray(d.points) || typeof d.legend !== 'boolean') return 'bad series';
    if (!d.dash.every(isNum) || (d.fillTo !== undefined && !isNum(d.fillTo)) || (d.fillColor !== undefined && !isStr(d.fillColor))) return 'bad series style';
    points += d.points.length;
    if (!d.points.every((p: unknown) => typeof p === 'object' && p !== null && isNum((p as { x?: unknown }).x) && ((p as { y?: unknown }).y === null || isNum((p as { y?: unknown }).y)))) return 'bad point';
  }
  if (points > MAX_POINTS) return 'too many points';
  for (const b of s.bands as unknown[]) {
    const d = b as Record<string, unknown>;
    if (typeof d !== 'object' || d === null || !isNum(d.x0) || !isNum(d.x1) || !isStr(d.color) || !isStr(d.label)) return 'bad band';
  }
  return null;
}
