/**
 * A legend swatch that looks like the series: a short line in its colour and dash pattern with its
 * point style in the middle, drawn on a small canvas chart.js uses as the item's point style.
 */
import type { ChartDataset, PointStyle } from 'chart.js';

type LineLike = Pick<ChartDataset<'line'>, 'borderColor' | 'borderDash' | 'borderWidth' | 'pointStyle' | 'pointRadius'>;

const W = 26;
const H = 10;

/** The swatch canvas, or the dataset's own point style where no canvas can be drawn (tests). */
export function legendLine(ds: LineLike): HTMLCanvasElement | PointStyle {
  const canvas = typeof document === 'undefined' ? null : document.createElement('canvas');
  const ratio = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  const ctx = canvas?.getContext('2d');
  if (!canvas || !ctx) return typeof ds.pointStyle === 'string' ? (ds.pointStyle as PointStyle) : 'circle';
  canvas.width = W * ratio;
  canvas.height = H * ratio;
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  ctx.scale(ratio, ratio);
  const color = typeof ds.borderColor === 'string' ? ds.borderColor : '#888';
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = typeof ds.borderWidth === 'number' ? ds.borderWidth : 2;
  ctx.setLineDash(Array.isArray(ds.borderDash) ? ds.borderDash.map(Number) : []);
  ctx.beginPath();
  ctx.moveTo(0, H / 2);
  ctx.lineTo(W, H / 2);
  ctx.stroke();
  ctx.setLineDash([]);
  const r = typeof ds.pointRadius === 'number' ? Math.min(4, ds.pointRadius) : 0;
  if (r > 0) drawPoint(ctx, String(ds.pointStyle ?? 'circle'), W / 2, H / 2, r);
  return canvas;
}

function drawPoint(ctx: CanvasRenderingContext2D, style: string, x: number, y: number, r: number): void {
  ctx.beginPath();
  if (style === 'triangle') {
    ctx.moveTo(x, y - r);
    ctx.lineTo(x + r, y + r);
    ctx.lineTo(x - r, y + r);
  } else if (style === 'rectRot') {
    ctx.moveTo(x, y - r);
    ctx.lineTo(x + r, y);
    ctx.lineTo(x, y + r);
    ctx.lineTo(x - r, y);
  } else ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.closePath();
  ctx.fill();
}
