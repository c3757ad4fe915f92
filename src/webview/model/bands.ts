/** Phase bands and spike markers for the per-layer charts, as x-axis spans over layer indices. */
import type { PhaseName, Phases } from '../../shared/result';

export interface BandSpan {
  phase: PhaseName;
  label: string;
  /** x extent on the layer axis: a band covering layers [s, e] is drawn from s - 0.5 to e + 0.5. */
  x0: number;
  x1: number;
  /** The band's inclusive layer range, for labels. */
  start: number;
  end: number;
}

export const PHASE_LABELS: Record<PhaseName, string> = { mix: 'Mix', compress: 'Compress', refine: 'Refine' };

/**
 * Bands from the phases, clipped to the chart's layer axis [0, lastLayer] so the half-layer padding
 * never draws outside the plot. Empty or inverted bands are dropped.
 */
export function phaseBands(phases: Phases, lastLayer: number): BandSpan[] {
  return phases.bands
    .filter((b) => b.end >= b.start)
    .map((b) => ({
      phase: b.phase,
      label: PHASE_LABELS[b.phase],
      start: b.start,
      end: b.end,
      x0: Math.max(-0.5, b.start - 0.5),
      x1: Math.min(lastLayer + 0.5, b.end + 0.5),
    }));
}

/** Block b writes h[b+1]: the spike of block b is marked on layer b+1. */
export function spikeLayers(spikeBlocks: readonly number[]): number[] {
  return [...new Set(spikeBlocks.map((b) => b + 1))].sort((a, b) => a - b);
}

/** The phase a layer falls in, or null outside every band. */
export function phaseAt(phases: Phases, layer: number): PhaseName | null {
  return phases.bands.find((b) => layer >= b.start && layer <= b.end)?.phase ?? null;
}

/** The compress band (the valley), or null when the run has no valley. */
export function valleyBand(phases: Phases): { start: number; end: number } | null {
  if (!phases.valley) return null;
  const b = phases.bands.find((x) => x.phase === 'compress');
  return b ? { start: b.start, end: b.end } : null;
}
