/**
 * View-model of the logit lens (metrics.md "Logit lens"): per layer h[l], the top-1 token the final
 * norm + unembedding predicts at each position, compared with the actual next token, and the mean
 * next-token cross-entropy per layer. Pure: the panel renders what these return.
 */
import type { LayerMetrics, RunMetrics, TokenInfo } from '../../shared/result';

export interface LensCell {
  /** Top-1 predicted token id and its decoded text. */
  id: number;
  text: string;
  /** Equals the actual next token (tokens[i+1].id); null at the last position (there is no next token). */
  hit: boolean | null;
  /** The lowest layer from which every layer up to the last lensed one predicts the next token. */
  lockIn: boolean;
}

export interface LensRow {
  layer: number;
  cells: LensCell[];
  crossEntropy: number | null;
}

export interface LensGrid {
  /** Rows in layer order h[0..L]; only layers the lens covered. */
  rows: LensRow[];
  /** Per position, the layer where its prediction locks in (see LensCell.lockIn); null if it never does. */
  lockIn: (number | null)[];
}

export interface LensSeries {
  layers: number[];
  /** Mean next-token cross-entropy (nats) per layer; null where the lens was not computed or is undefined. */
  crossEntropy: (number | null)[];
}

type Lensed = LayerMetrics & { logitLens: NonNullable<LayerMetrics['logitLens']> };

function lensed(run: RunMetrics): Lensed[] {
  return run.layers.filter((l): l is Lensed => l.logitLens != null).sort((a, b) => a.layer - b.layer);
}

export function hasLens(run: RunMetrics): boolean {
  return run.layers.some((l) => l.logitLens != null);
}

/** hits[row][i]: whether row's top-1 at position i is the actual next token (null at the last position). */
export function nextTokenHits(top1: readonly number[], tokens: readonly TokenInfo[]): (boolean | null)[] {
  return tokens.map((_, i) => {
    const next = tokens[i + 1];
    return next === undefined ? null : top1[i] === next.id;
  });
}

/**
 * For each position, the first row index from which every later row is a hit (the prediction
 * "locks in" there and stays); null when the last row misses or there is no next token.
 */
export function lockInRows(hits: readonly (readonly (boolean | null)[])[], T: number): (number | null)[] {
  return Array.from({ length: T }, (_, i) => {
    let first: number | null = null;
    for (let r = hits.length - 1; r >= 0; r--) {
      if (hits[r]?.[i] !== true) break;
      first = r;
    }
    return first;
  });
}

export function lensGrid(run: RunMetrics, tokens: readonly TokenInfo[]): LensGrid {
  const ls = lensed(run);
  const hits = ls.map((l) => nextTokenHits(l.logitLens.top1, tokens));
  const lockRow = lockInRows(hits, tokens.length);
  const rows = ls.map((l, r) => ({
    layer: l.layer,
    crossEntropy: finite(l.logitLens.crossEntropy),
    cells: tokens.map((_, i) => ({
      id: l.logitLens.top1[i] ?? -1,
      text: l.logitLens.top1Text[i] ?? '',
      hit: hits[r]?.[i] ?? null,
      lockIn: lockRow[i] === r,
    })),
  }));
  return { rows, lockIn: lockRow.map((r) => (r === null ? null : (ls[r]?.layer ?? null))) };
}

/** The cross-entropy curve over every layer of the run (gaps where the lens is missing). */
export function lensSeries(run: RunMetrics): LensSeries {
  const ls = [...run.layers].sort((a, b) => a.layer - b.layer);
  return { layers: ls.map((l) => l.layer), crossEntropy: ls.map((l) => finite(l.logitLens?.crossEntropy ?? null)) };
}

function finite(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
