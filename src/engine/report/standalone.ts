/**
 * A chart spec (report/svg.ts) as a standalone SVG file: read into the SVG serializer that the panel's and
 * the study view's SVG export use (shared/chartSvg.ts), so a chart exported by the CLI is the same kind of
 * file as one saved from the panel: xmlns, width/height/viewBox, `<title>`, the provenance in `<desc>` and
 * `<metadata>`, axis titles, a legend, one `<path class="sl-series">` per series (band edges included,
 * undrawn) and a filled band between a series' q1 and q3 edges.
 */
import { chartSvg, type SvgChartSpec, type SvgSeries } from '../../shared/chartSvg';
import type { NamedChart } from './charts';
import { xBounds, yBounds, yTicks } from './svg';

const VALLEY = 'rgba(242, 201, 76, 0.35)';

/** `#rrggbb` with an alpha, as rgba() (the band fill). */
function withAlpha(hex: string, a: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? `rgba(${parseInt(m[1] as string, 16)}, ${parseInt(m[2] as string, 16)}, ${parseInt(m[3] as string, 16)}, ${a})` : hex;
}

/** The serializer's spec: the report spec's ranges, ticks, series (a band = two undrawn edges + a fill) and shaded ranges. */
export function svgSpecOfChart(c: NamedChart): SvgChartSpec {
  const spec = c.spec;
  const [xMin, xMax] = xBounds(spec);
  const [yMin, yMax] = yBounds(spec);
  const series: SvgSeries[] = [];
  for (const s of spec.series) {
    const pts = (ys: readonly (number | null)[]): { x: number; y: number | null }[] => s.x.map((x, i) => ({ x, y: ys[i] ?? null }));
    if (s.band) {
      const lo = series.length;
      series.push({ label: `${s.name} q1`, color: s.color, width: 0, dash: [], points: pts(s.band.lo), legend: false });
      series.push({ label: `${s.name} q3`, color: s.color, width: 0, dash: [], points: pts(s.band.hi), legend: false, fillTo: lo, fillColor: withAlpha(s.color, 0.18) });
    }
    series.push({ label: s.name, color: s.color, width: 2, dash: [...(s.dash ?? [])], points: pts(s.y), legend: true });
  }
  return {
    title: spec.title,
    width: spec.width ?? 560,
    height: spec.height ?? 340,
    x: { title: spec.xLabel, min: xMin, max: xMax, log: false, ticks: spec.xTicks.map((t) => ({ value: t.x, label: t.label })) },
    y: { title: c.yLabel, min: yMin, max: yMax, log: false, ticks: yTicks(yMin, yMax) },
    series,
    bands: (spec.shade ?? []).map(([x0, x1]) => ({ x0, x1, color: VALLEY, label: 'compression valley' })),
  };
}

/** The chart as a standalone SVG document carrying `provenance` inside (`<desc>` and `<metadata>`). */
export function standaloneSvg(c: NamedChart, provenance: Record<string, unknown>): string {
  return chartSvg(svgSpecOfChart(c), provenance);
}
