/**
 * #sl-attn-map: one head's T x T attention drawn on a canvas, one pixel per (query, key) scaled up
 * without smoothing. Colour uses sqrt(p) so that the diffuse rows stay visible next to a sink column.
 */
import type { AttentionMap, TokenInfo } from '../../shared/result';
import { fmtNum, tokenLabel } from '../model/format';
import { heatRgba } from '../model/heat';

/** RGBA pixels of the map (length T*T*4), row = query, column = key; p = 0 (the causal future) is transparent. */
export function attentionPixels(map: AttentionMap): Uint8ClampedArray<ArrayBuffer> {
  const T = map.tokens;
  const px = new Uint8ClampedArray(T * T * 4);
  for (let q = 0; q < T; q++) {
    for (let k = 0; k < T; k++) {
      const p = map.data[q * T + k] ?? 0;
      const c = heatRgba(Math.sqrt(Math.max(0, p)), { minAlpha: 0.04, maxAlpha: 1 });
      const o = (q * T + k) * 4;
      px[o] = c.r;
      px[o + 1] = c.g;
      px[o + 2] = c.b;
      px[o + 3] = Math.round(c.a * 255);
    }
  }
  return px;
}

/** Draws the map; returns false where the canvas has no 2D context (tests, disabled GPU). */
export function drawAttention(canvas: HTMLCanvasElement, map: AttentionMap, sizePx: number): boolean {
  const T = map.tokens;
  canvas.width = sizePx;
  canvas.height = sizePx;
  const ctx = canvas.getContext('2d');
  if (!ctx || T === 0) return false;
  const src = canvas.ownerDocument.createElement('canvas');
  src.width = T;
  src.height = T;
  const sctx = src.getContext('2d');
  if (!sctx) return false;
  sctx.putImageData(new ImageData(attentionPixels(map), T, T), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, sizePx, sizePx);
  ctx.drawImage(src, 0, 0, sizePx, sizePx);
  return true;
}

/** The (query, key) cell under a point of a square canvas of side `sizePx`, or null outside. */
export function cellAt(x: number, y: number, sizePx: number, T: number): { q: number; k: number } | null {
  if (x < 0 || y < 0 || x >= sizePx || y >= sizePx || T === 0) return null;
  return { q: Math.floor((y / sizePx) * T), k: Math.floor((x / sizePx) * T) };
}

export function cellText(map: AttentionMap, tokens: readonly TokenInfo[], q: number, k: number): string {
  const p = map.data[q * map.tokens + k] ?? 0;
  const name = (i: number): string => `“${tokenLabel(tokens[i]?.text ?? '?')}” #${i}`;
  return `query ${name(q)} → key ${name(k)}: ${fmtNum(p)}`;
}
