/** Number and text formatting for the panel: pure, locale-independent (screenshots and tests stay stable). */

export const DASH = '–';

/**
 * The panel's one number format: whole numbers as they are; otherwise 2 decimals below 10
 * (0.07, 0.05, 0.10, 9.53), 1 decimal below 100 (13.4), none below 10 000 (1340), then k / M; a
 * magnitude below 0.005 that is not zero switches to exponent form (3.2e-4) rather than read "0.00".
 */
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return DASH;
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e4) return String(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e8 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return v.toFixed(1);
  if (a < 0.005) return v.toExponential(1);
  return v.toFixed(2);
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

/**
 * Depth is named one way everywhere (docs/METRICS.md "Naming depth"): hidden states `h[l]`
 * (h[0] = embeddings, h[L] = last block's output) and blocks `block b`, which writes h[b+1].
 */
export function layerLabel(l: number): string {
  return `h[${l}]`;
}

/** `block 2 (writes h[3])`. */
export function blockLabel(b: number): string {
  return `block ${b} (writes ${layerLabel(b + 1)})`;
}

/** `block 1` / `blocks 1, 3`. */
export function fmtBlocks(blocks: readonly number[]): string {
  return `${blocks.length === 1 ? 'block' : 'blocks'} ${blocks.join(', ')}`;
}

/** "h[4]–h[9]", or "h[4]" for a single layer. */
export function fmtLayerRange(start: number, end: number): string {
  return start === end ? layerLabel(start) : `${layerLabel(start)}${DASH}${layerLabel(end)}`;
}

/**
 * Token text made visible: newlines and tabs become symbols, an empty piece becomes ∅. The result
 * is only ever assigned through `textContent`, so markup in a prompt stays characters.
 */
export function tokenLabel(text: string): string {
  if (text.length === 0) return '∅';
  // A token of spaces only (SentencePiece's word-start piece "▁" before an unknown word) would be a blank box.
  if (/^ +$/.test(text)) return '␣'.repeat(text.length);
  return text.replace(/\r\n|\n|\r/g, '↵').replace(/\t/g, '→');
}
