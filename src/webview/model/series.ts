/** Chart series extracted from a run: one value per layer (index = layer), null where undefined. */
import type { RunMetrics } from '../../shared/result';

export interface LayerSeries {
  layers: number[];
  bosRatio: (number | null)[];
  entropy: (number | null)[];
  entropyExclBos: (number | null)[];
  entropyUpperBound: (number | null)[];
  sinkRate: (number | null)[];
}

/** A log axis cannot show values <= 0; those points become gaps instead of breaking the scale. */
const positive = (v: number): number | null => (Number.isFinite(v) && v > 0 ? v : null);
const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

export function layerSeries(run: RunMetrics): LayerSeries {
  const ls = [...run.layers].sort((a, b) => a.layer - b.layer);
  return {
    layers: ls.map((l) => l.layer),
    bosRatio: ls.map((l) => positive(l.bosRatio)),
    entropy: ls.map((l) => finite(l.entropy)),
    entropyExclBos: ls.map((l) => finite(l.entropyExclBos)),
    entropyUpperBound: ls.map((l) => finite(l.entropyUpperBound)),
    sinkRate: ls.map((l) => finite(l.sinkRate)),
  };
}

/** Pairs layers with values as chart points, skipping gaps (chart.js draws them as breaks with spanGaps off). */
export function points(layers: readonly number[], values: readonly (number | null)[]): { x: number; y: number | null }[] {
  return layers.map((x, i) => ({ x, y: values[i] ?? null }));
}

/** Log-axis bounds that keep 1 (no BOS excess) visible and pad a little around the data. */
export function logBounds(values: readonly (number | null)[]): { min: number; max: number } {
  const vs = values.filter((v): v is number => v !== null && v > 0);
  const lo = Math.min(1, ...vs);
  const hi = Math.max(1, ...vs);
  return { min: 10 ** Math.floor(Math.log10(lo) - 0.05), max: 10 ** Math.ceil(Math.log10(hi) + 0.05) };
}
