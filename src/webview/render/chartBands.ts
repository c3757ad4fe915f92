/**
 * A small chart.js plugin of our own: shades the Mix / Compress / Refine bands behind the data and
 * marks the spike layers with a dashed line. Labels never sit on the data: the chart reserves a
 * strip above the plot (`LABEL_STRIP_PX`, two rows) where the band names (upper row) and the spike
 * labels (lower row) are written, so they overlap neither the curves nor each other. The geometry is
 * pure (`bandRects`, `labelSlots`) so it is tested without a canvas.
 */
import type { Chart, ChartType, Plugin } from 'chart.js';
import type { PhaseName } from '../../shared/result';
import type { BandSpan } from '../model/bands';

export interface BandsOptions {
  bands: BandSpan[];
  spikes: number[];
  /** Text of the first spike's label (who writes it); null or absent for "spike". */
  spikeLabel?: string | null;
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

/** Height of the label strip above the plot area: two rows of 10 px text. */
export const LABEL_STRIP_PX = 26;
const ROW_PX = 13;

export interface LabelSlot {
  text: string;
  /** Left edge of the text. */
  x: number;
  row: 0 | 1;
}

/**
 * Where the strip's labels go: band names centred over their band (the bare name when the one with its cause does not fit, dropped when neither does), spike labels centred on their marker in the row below, kept inside the plot's width and
 * dropped when they would run into the previous spike label.
 */
export function labelSlots(
  rects: readonly (Rect & { band: BandSpan })[],
  spikesPx: readonly number[],
  area: Area,
  width: (text: string) => number,
  firstSpikeLabel: string | null = null,
): LabelSlot[] {
  const out: LabelSlot[] = [];
  for (const r of rects) {
    // The label with its cause when it fits, else the bare phase name (the cause is in the hover text).
    const text = [r.band.label, r.band.shortLabel ?? r.band.label].find((t) => width(t) + 4 <= r.w);
    if (text !== undefined) out.push({ text, x: r.x + (r.w - width(text)) / 2, row: 0 });
  }
  let lastRight = -Infinity;
  let first = true;
  for (const px of [...spikesPx].sort((a, b) => a - b)) {
    if (px < area.left || px > area.right) continue;
    const text = first && firstSpikeLabel ? `spike: ${firstSpikeLabel}` : 'spike';
    first = false;
    const w = width(text);
    const x = Math.min(area.right - w, Math.max(area.left, px - w / 2));
    if (x < lastRight + 4) continue;
    out.push({ text, x, row: 1 });
    lastRight = x + w;
  }
  return out;
}

function drawBands(chart: Chart, o: BandsOptions): void {
  const { ctx, chartArea } = chart;
  const x = chart.scales.x;
  if (!x || !chartArea) return;
  ctx.save();
  ctx.font = o.font;
  const rects = bandRects(o.bands, (v) => x.getPixelForValue(v), chartArea);
  for (const r of rects) {
    ctx.fillStyle = o.colors[r.band.phase];
    ctx.fillRect(r.x, r.y, r.w, r.h);
  }
  const spikesPx = o.spikes.map((l) => x.getPixelForValue(l));
  ctx.strokeStyle = o.spikeColor;
  ctx.setLineDash([4, 3]);
  ctx.lineWidth = 1.5;
  for (const px of spikesPx) {
    if (px < chartArea.left || px > chartArea.right) continue;
    ctx.beginPath();
    ctx.moveTo(px, chartArea.top);
    ctx.lineTo(px, chartArea.bottom);
    ctx.stroke();
  }
  ctx.textBaseline = 'bottom';
  for (const slot of labelSlots(rects, spikesPx, chartArea, (t) => ctx.measureText(t).width, o.spikeLabel ?? null)) {
    ctx.fillStyle = slot.row === 0 ? o.labelColor : o.spikeColor;
    ctx.fillText(slot.text, slot.x, chartArea.top - (slot.row === 0 ? ROW_PX : 0) - 2);
  }
  ctx.restore();
}

export const bandsPlugin: Plugin<'line', BandsOptions> = {
  id: 'slBands',
  beforeDatasetsDraw(chart, _args, options) {
    if (options && Array.isArray(options.bands)) drawBands(chart as unknown as Chart, options);
  },
};
