/**
 * Axis ranges of the per-layer charts, pure so they are tested without a canvas. Quantities in [0, 1]
 * (entropy, sink rate) get an automatic range around the data with a minimum span, so a flat series
 * is neither clipped nor drawn on the axis line; unbounded ones (cross-entropy) start at 0.
 */

export interface AxisRange {
  min: number;
  max: number;
}

const finiteOf = (values: readonly (number | null)[]): number[] => values.filter((v): v is number => v !== null && Number.isFinite(v));

/**
 * A range for a share or normalised quantity: the data's extent rounded out to steps of 0.1, at
 * least `minSpan` wide, kept inside [0, 1], then padded by 4% of the span on both sides so points
 * at 0 or 1 sit off the frame (the ticks stay on the round values).
 */
export function unitRange(values: readonly (number | null)[], minSpan = 0.3): AxisRange {
  const vs = finiteOf(values);
  let lo = vs.length ? Math.max(0, Math.floor(Math.min(...vs) * 10) / 10) : 0;
  let hi = vs.length ? Math.min(1, Math.ceil(Math.max(...vs) * 10) / 10) : 1;
  if (hi - lo < minSpan) {
    const mid = (lo + hi) / 2;
    lo = Math.max(0, mid - minSpan / 2);
    hi = Math.min(1, lo + minSpan);
    lo = Math.max(0, hi - minSpan);
  }
  lo = Math.floor(lo * 10 + 1e-9) / 10;
  hi = Math.ceil(hi * 10 - 1e-9) / 10;
  const pad = 0.04 * (hi - lo);
  return { min: lo - pad, max: hi + pad };
}

/** A range from 0 for a non-negative unbounded quantity (nats), with headroom. */
export function zeroBasedRange(values: readonly (number | null)[]): AxisRange {
  const vs = finiteOf(values);
  const hi = vs.length ? Math.max(...vs) : 1;
  const top = hi > 0 ? hi * 1.08 : 1;
  return { min: -0.04 * top, max: top };
}

/** The x ticks of a per-layer chart: every hidden state h[0] … h[L], thinned to at most `maxTicks`. */
export function layerTicks(lastLayer: number, maxTicks = 16): number[] {
  const step = Math.max(1, Math.ceil((lastLayer + 1) / Math.max(1, maxTicks)));
  const ticks: number[] = [];
  for (let l = 0; l <= lastLayer; l += step) ticks.push(l);
  if (ticks[ticks.length - 1] !== lastLayer) ticks.push(lastLayer);
  return ticks;
}

/** Ticks of a `unitRange`: round values inside it, every 0.1 on a short span, every 0.2 on a long one. */
export function unitTicks(r: AxisRange): number[] {
  const step = r.max - r.min > 0.62 ? 2 : 1;
  const out: number[] = [];
  for (let i = Math.ceil(r.min * 10 - 1e-9); i <= Math.floor(r.max * 10 + 1e-9); i++) if (i % step === 0) out.push(i / 10);
  return out;
}

/** How many layer ticks fit a chart of `widthPx` (about 34 px per `h[10]` label, 70 px for the y axis). */
export function maxLayerTicks(widthPx: number): number {
  return Math.max(2, Math.floor((widthPx - 70) / 34));
}

/** Whether a value lies on the tick grid of `unitRange` (multiples of 0.1 inside [0, 1], no padding values). */
export function isUnitTick(v: number): boolean {
  return v >= -1e-9 && v <= 1 + 1e-9 && Math.abs(v * 10 - Math.round(v * 10)) < 1e-6;
}
