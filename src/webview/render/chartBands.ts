/**
 * A small chart.js plugin of our own: shades the Mix / Compress / Refine bands behind the data and
 * marks the spike layers with a dashed line. The geometry is a pure function (`bandRects`) so it
 * is tested without a canvas.
 */
import type { Chart, ChartType, Plugin } from 'chart.js';
import type { PhaseName } from '../../shared/result';
import type { BandSpan } from '../model/bands';

export interface BandsOptions {
  bands: BandSpan[];
  spikes: number[];
  colors: Record<PhaseName, string>;
  spikeColor: string;
  labelColor: string;
  font: string;
}

declare module 'chart.js' {
  // Lets `options.plugins.slBands` type-check like the built-in plugins' options.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface PluginOptionsByType<TType extends ChartType> {
    slBands?: BandsOptions;
  }
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Area {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Pixel rectangles of the bands, clipped to the plot area; bands entirely outside are dropped. */
export function bandRects(bands: readonly BandSpan[], toPx: (x: number) => number, area: Area): (Rect & { band: BandSpan })[] {
  return bands.flatMap((band) => {
    const a = Math.max(area.left, Math.min(toPx(band.x0), toPx(band.x1)));
    const b = Math.min(area.right, Math.max(toPx(band.x0), toPx(band.x1)));
    return b > a ? [{ band, x: a, y: area.top, w: b - a, h: area.bottom - area.top }] : [];
  });
}

function drawBands(chart: Chart, o: BandsOptions): void {
  const { ctx, chartArea } = chart;
  const x = chart.scales.x;
  if (!x || !chartArea) return;
  ctx.save();
  ctx.font = o.font;
  ctx.textBaseline = 'top';
  for (const r of bandRects(o.bands, (v) => x.getPixelForValue(v), chartArea)) {
    ctx.fillStyle = o.colors[r.band.phase];
    ctx.fillRect(r.x, r.y, r.w, r.h);
    ctx.fillStyle = o.labelColor;
    const label = r.band.label;
    if (ctx.measureText(label).width + 6 <= r.w) ctx.fillText(label, r.x + 4, r.y + 3);
  }
  ctx.strokeStyle = o.spikeColor;
  ctx.fillStyle = o.spikeColor;
  ctx.setLineDash([4, 3]);
  ctx.lineWidth = 1.5;
  for (const l of o.spikes) {
    const px = x.getPixelForValue(l);
    if (px < chartArea.left || px > chartArea.right) continue;
    ctx.beginPath();
    ctx.moveTo(px, chartArea.top);
    ctx.lineTo(px, chartArea.bottom);
    ctx.stroke();
    ctx.textBaseline = 'bottom';
    ctx.fillText('spike', Math.min(px + 3, chartArea.right - 30), chartArea.bottom - 2);
  }
  ctx.restore();
}

export const bandsPlugin: Plugin<'line', BandsOptions> = {
  id: 'slBands',
  beforeDatasetsDraw(chart, _args, options) {
    if (options && Array.isArray(options.bands)) drawBands(chart as unknown as Chart, options);
  },
};
