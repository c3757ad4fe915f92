/** Phase bands and spike markers for the per-layer charts, as x-axis spans over layer indices. */
import type { PhaseBand, PhaseName, Phases, RunMetrics } from '../../shared/result';
import { fmtNum, fmtPercent, layerLabel } from './format';

export interface BandSpan {
  phase: PhaseName;
  label: string;
  /** The bare phase name, drawn when `label` (with the cause) does not fit the band. */
  shortLabel: string;
  /** x extent on the layer axis: a band covering layers [s, e] is drawn from s - 0.5 to e + 0.5. */
  x0: number;
  x1: number;
  /** The band's inclusive layer range, for labels. */
  start: number;
  end: number;
}

export const PHASE_LABELS: Record<PhaseName, string> = { mix: 'Mix', compress: 'Compress', refine: 'Refine' };

/** A band's name; Compress names its cause ("Compress (BOS spike)", "Compress (valley not explained by BOS)"). */
export function bandLabel(phase: PhaseName, phases: Pick<Phases, 'causeLabel'>): string {
  return phase === 'compress' && phases.causeLabel ? `${PHASE_LABELS.compress} (${phases.causeLabel})` : PHASE_LABELS[phase];
}

/**
 * Bands from the phases (`phases.bands` only, nothing inferred here), clipped to the chart's layer
 * axis [0, lastLayer] so the half-layer padding never draws outside the plot. Empty or inverted
 * bands are dropped, and none are drawn when the phases are not informative (a short prompt).
 */
export function phaseBands(phases: Phases, lastLayer: number): BandSpan[] {
  if (phases.informative === false) return [];
  return phases.bands
    .filter((b) => b.end >= b.start)
    .map((b) => ({
      phase: b.phase,
      label: bandLabel(b.phase, phases),
      shortLabel: PHASE_LABELS[b.phase],
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

/** A band's hover text: its name and range, its evidence, then its strength (quantities that apply). */
export function bandNotes(band: PhaseBand, phases: Pick<Phases, 'causeLabel'>): string[] {
  const st = band.strength;
  const strength = [
    st.valleyDepth !== null ? `valley depth ${fmtNum(st.valleyDepth)}` : null,
    `max BOS ratio ${fmtNum(st.bosRatio)}`,
    st.sinkRate !== null ? `sink rate ${fmtNum(st.sinkRate)}` : null,
    st.mixing !== null ? `mixing ${fmtNum(st.mixing)}` : null,
  ].filter((x): x is string => x !== null);
  const range = band.start === band.end ? layerLabel(band.start) : `${layerLabel(band.start)}–${layerLabel(band.end)}`;
  return [`${bandLabel(band.phase, phases)} ${range} (heuristic)`, ...(band.evidence ?? []), `strength: ${strength.join(' · ')}`];
}

/** The hover lines of the band holding `layer` (empty outside every band or when phases are not informative). */
export function bandNotesAt(phases: Phases, layer: number): string[] {
  if (phases.informative === false) return [];
  const b = phases.bands.find((x) => layer >= x.start && layer <= x.end);
  return b ? bandNotes(b, phases) : [];
}

/** Who writes the spike: "block 1 (writes h[2]) · MLP 97%"; null without a spike writer. */
export function spikeWriterLabel(w: RunMetrics['spikeWriter'] | undefined): string | null {
  if (!w) return null;
  return `block ${w.block} (writes ${layerLabel(w.block + 1)}) · ${w.component === 'mlp' ? 'MLP' : 'attention'} ${fmtPercent(w.share)}`;
}
