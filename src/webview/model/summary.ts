/** The compact summary of the active prompt (the SinkLens side view): pure view-model. */
import type { AnalysisResult, PhaseName } from '../../shared/result';
import { PHASE_LABELS, phaseBands, valleyBand } from './bands';
import { fmtLayerRange, fmtNum } from './format';
import { domainMax, normalise } from './heat';
import { fullRange, meanTokenSinkMass } from './layers';

export interface SummaryModel {
  title: string;
  line: string;
  valley: string;
  /** Phase segments with their share of the layer axis (sum 1 when the bands cover it). */
  phases: { phase: PhaseName; label: string; share: number }[];
  /** Per-token heat in [0, 1] (mean sink mass over all attention layers). */
  heat: number[];
  tokenTexts: string[];
}

export function summaryModel(r: AnalysisResult): SummaryModel {
  const run = r.baseline;
  const range = fullRange(run);
  const mass = range ? meanTokenSinkMass(run.layers, range, r.tokens.length) : new Array<number>(r.tokens.length).fill(0);
  const heat = normalise(mass, domainMax(mass, new Set(r.settings.bosPrepended ? [0] : [])));
  const v = valleyBand(run.phases);
  const total = run.layers.length;
  // Below 16 tokens the sink rate and the phases are not informative: say so instead of printing them.
  const short = r.summary.informative === false;
  return {
    title: r.model.name,
    line: short ? `${r.tokens.length} tok · too short for sinks/phases` : `sink ${fmtNum(r.summary.maxSinkRate)} · BOS ×${fmtNum(r.summary.maxBosRatio)} · ${r.tokens.length} tok`,
    valley: short ? 'no phases below 16 tokens' : v ? `valley ${fmtLayerRange(v.start, v.end)}` : 'no valley',
    phases: phaseBands(run.phases, Math.max(0, total - 1)).map((b) => ({ phase: b.phase, label: `${PHASE_LABELS[b.phase]} ${fmtLayerRange(b.start, b.end)}`, share: total ? (b.end - b.start + 1) / total : 0 })),
    heat,
    tokenTexts: r.tokens.map((t) => t.text),
  };
}
