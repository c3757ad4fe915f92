/** The head x layer grid of sink scores and the massive-activation table, as plain rows. */
import type { RunMetrics, TokenInfo } from '../../shared/result';

export interface HeadCell {
  block: number;
  layer: number;
  head: number;
  score: number;
  /** The score is within noise of a uniformly attending head's (the layer's headsAtChance). */
  atChance: boolean;
}

/** Grid rows = heads, columns = attention layers (block b on layer b+1). */
export interface HeadGrid {
  heads: number;
  layers: number[];
  /** cells[head][column] */
  cells: HeadCell[][];
  max: number;
}

export function headGrid(run: RunMetrics): HeadGrid {
  const cols = run.layers.filter((l) => l.headSinkScores !== null).sort((a, b) => a.layer - b.layer);
  const heads = Math.max(0, ...cols.map((l) => (l.headSinkScores as number[]).length));
  let max = 0;
  const cells = Array.from({ length: heads }, (_, head) =>
    cols.map((l) => {
      const score = (l.headSinkScores as number[])[head] ?? NaN;
      if (Number.isFinite(score) && score > max) max = score;
      return { block: l.layer - 1, layer: l.layer, head, score, atChance: l.headsAtChance?.includes(head) ?? false };
    }),
  );
  return { heads, layers: cols.map((l) => l.layer), cells, max };
}

export interface MassiveRow {
  layer: number;
  token: number;
  tokenText: string;
  dim: number;
  value: number;
  /** maxAbs / medianAbs of the layer. */
  relative: number;
  /** Whether the layer has scalars passing the Sun et al. absolute test. */
  absolute: boolean;
}

/** The top `perLayer` activations of every layer, largest first within a layer. */
export function massiveRows(run: RunMetrics, tokens: readonly TokenInfo[], perLayer = 3): MassiveRow[] {
  return [...run.layers]
    .sort((a, b) => a.layer - b.layer)
    .flatMap((l) =>
      [...l.massive.top]
        .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
        .slice(0, perLayer)
        .map((m) => ({
          layer: l.layer,
          token: m.token,
          tokenText: tokens[m.token]?.text ?? `#${m.token}`,
          dim: m.dim,
          value: m.value,
          relative: l.massive.relative,
          absolute: l.massive.absoluteCount > 0,
        })),
    );
}
