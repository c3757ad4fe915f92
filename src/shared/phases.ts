/**
 * The depth phases of one run (metrics.md "Depth phases: Mix -> Compress -> Refine"): the bands, the
 * valley and its cause, and the signals that decided the boundaries. Part of the result schema
 * (result.ts re-exports these types). Pure data.
 */

export type PhaseName = 'mix' | 'compress' | 'refine';

/** How strongly a band is supported; null where a quantity does not apply or was not measured. */
export interface PhaseStrength {
  /** Compress only: min(fall before, recovery after) of the entropy minimum (normalised entropy). */
  valleyDepth: number | null;
  /** Largest bosRatio in the band. */
  bosRatio: number;
  /** Mean sink rate over the band's layers that have attention. */
  sinkRate: number | null;
  /** Mean measured mixing (row entropy) over the band's layers. */
  mixing: number | null;
}

export interface PhaseBand {
  phase: PhaseName;
  /** Inclusive layer range [start, end] over h indices. */
  start: number;
  end: number;
  /** Words for the evidence behind this band (shown on hover / under the table). */
  evidence: string[];
  strength: PhaseStrength;
}

/**
 * Why a valley is labelled Compress: 'bos' = a BOS spike at or just before it (the paper's
 * mechanism); 'notBos' = the BOS-excluded entropy dips as well ("valley not explained by BOS").
 */
export type ValleyCause = 'bos' | 'notBos';

export interface Phases {
  /** False when there is no Compress band (no valley, no cause for it, or a short prompt). */
  valley: boolean;
  /** False below the minimum prompt length: then no bands are produced. */
  informative: boolean;
  /** The valley's cause when `valley`; null otherwise. */
  cause: ValleyCause | null;
  /** Human label of the cause ('BOS spike' / 'valley not explained by BOS'); null without a valley. */
  causeLabel: string | null;
  bands: PhaseBand[];
  /** Layer of the entropy minimum. */
  minLayer: number;
  minEntropy: number;
  maxEntropy: number;
  /** Entropy threshold: min + 0.25 (max - min). */
  threshold: number;
  /** Layers added to Compress by the widening rule (bosRatio >= 10 and sinkRate >= 0.5). */
  widenedBy: number[];
  /** Human-readable reasons for each boundary. */
  signals: string[];
}
