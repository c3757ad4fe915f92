/**
 * What a study keeps of one analysis: the per-layer curves (entropy, sink rate, log10 BOS norm), the
 * summary, the valley's depth and place, the per-token and per-head tables. A pure function of the
 * AnalysisResult, small enough to journal one line per prompt.
 */
import type { AnalysisResult } from '../../shared/result';
import type { PromptRecord, StudyPrompt } from '../../shared/study';

/**
 * Depth of the entropy dip at its minimum: min(max entropy before it, max entropy after it) - min,
 * the quantity phases.ts compares with its 0.1 threshold. 0 when the minimum is at the first or last layer.
 */
export function valleyDepthOf(curve: readonly (number | null)[]): { layer: number; depth: number } {
  // A layer without an entropy (non-finite hidden states) takes no part in the dip.
  const entropy = curve.map((e) => (e === null || !Number.isFinite(e) ? NaN : e));
  let m = entropy.findIndex((e) => !Number.isNaN(e));
  if (m < 0) return { layer: 0, depth: 0 };
  for (let l = m + 1; l < entropy.length; l++) if ((entropy[l] as number) < (entropy[m] as number)) m = l;
  const finite = (xs: number[]): number[] => xs.filter((x) => !Number.isNaN(x));
  const before = finite(entropy.slice(0, m));
  const after = finite(entropy.slice(m + 1));
  if (before.length === 0 || after.length === 0) return { layer: m, depth: 0 };
  const min = entropy[m] as number;
  return { layer: m, depth: Math.min(Math.max(...before) - min, Math.max(...after) - min) };
}

export function toPromptRecord(prompt: Pick<StudyPrompt, 'index' | 'id' | 'source'>, r: AnalysisResult): PromptRecord {
  const layers = r.baseline.layers;
  const entropy = layers.map((m) => m.entropy);
  const phases = r.baseline.phases;
  const dip = valleyDepthOf(entropy);
  const phaseOf = layers.map((m) => phases.bands.find((b) => m.layer >= b.start && m.layer <= b.end)?.phase ?? null);
  return {
    index: prompt.index,
    id: prompt.id,
    source: prompt.source,
    textSha256: r.input.sha256,
    tokens: r.tokens.length,
    truncated: r.settings.truncated,
    curves: {
      entropy,
      entropyExclBos: layers.map((m) => m.entropyExclBos),
      sinkRate: layers.map((m) => m.sinkRate),
      bosNormLog10: layers.map((m) => Math.log10(Math.max(m.bosNorm, Number.MIN_VALUE))),
      bosRatio: layers.map((m) => m.bosRatio),
    },
    summary: r.summary,
    valleyDepth: phases.valley ? dip.depth : 0,
    valleyLayer: phases.valley ? phases.minLayer : null,
    phases: phaseOf,
    tokenTable: r.tokens.map((t, i) => ({ text: t.text, start: t.start, end: t.end, special: t.special, sinkMass: meanSinkMass(r, i) })),
    headSinkScores: layers.slice(1).map((m) => m.headSinkScores ?? []),
    warnings: r.warnings.map((w) => w.message),
    ms: Math.round(r.timings.totalMs),
  };
}

/** Token i's sink mass (mean over heads of its attention to position 0), averaged over layers h[1..L]. */
function meanSinkMass(r: AnalysisResult, i: number): number | null {
  const xs = r.baseline.layers.map((m) => m.tokenSinkMass?.[i]).filter((x): x is number => typeof x === 'number');
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
}
