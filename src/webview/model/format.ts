/** Number and text formatting for the panel: pure, locale-independent (screenshots and tests stay stable). */

export const DASH = '–';

/** `digits` significant digits; large and tiny magnitudes switch to k/M or exponent form. */
export function fmtNum(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return DASH;
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e6) return `${trim((v / 1e6).toPrecision(digits))}M`;
  if (a >= 1e4) return `${trim((v / 1e3).toPrecision(digits))}k`;
  if (a < 1e-3) return v.toExponential(Math.max(0, digits - 1));
  // toPrecision would switch to exponent form here (1340 -> '1.34e+3'): whole numbers read better.
  if (a >= 10 ** digits) return String(Math.round(v));
  return trim(v.toPrecision(digits));
}

function trim(s: string): string {
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

export function fmtPercent(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? DASH : `${Math.round(v * 100)}%`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trim((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms - m * 60_000) / 1000)} s`;
}

export function fmtParams(n: number): string {
  if (n >= 1e9) return `${trim((n / 1e9).toFixed(2))}B`;
  if (n >= 1e6) return `${trim((n / 1e6).toFixed(2))}M`;
  if (n >= 1e3) return `${trim((n / 1e3).toFixed(1))}k`;
  return String(n);
}

/** Layer h[l] as shown in the panel. */
export function layerLabel(l: number): string {
  return `L${l}`;
}

/** "L4–L9", or "L4" for a single layer. */
export function fmtLayerRange(start: number, end: number): string {
  return start === end ? layerLabel(start) : `${layerLabel(start)}${DASH}${layerLabel(end)}`;
}

/**
 * Token text made visible: newlines and tabs become symbols, an empty piece becomes ∅. The result
 * is only ever assigned through `textContent`, so markup in a prompt stays characters.
 */
export function tokenLabel(text: string): string {
  if (text.length === 0) return '∅';
  return text.replace(/\r\n|\n|\r/g, '↵').replace(/\t/g, '→');
}
