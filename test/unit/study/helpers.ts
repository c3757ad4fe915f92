/** Hand-made prompt records for the study's pure functions (no model involved). */
import type { PromptRecord } from '../../../src/shared/study';

export interface RecordSpec {
  index: number;
  entropy: number[];
  sinkRate?: (number | null)[];
  bosNorm?: number[];
  valleyLayer?: number | null;
  valleyDepth?: number;
  spikeBlocks?: number[];
  maxSinkRate?: number;
  maxBosRatio?: number;
  tokens?: number;
}

export function record(s: RecordSpec): PromptRecord {
  const L1 = s.entropy.length;
  const sinkRate = s.sinkRate ?? [null, ...new Array<number>(L1 - 1).fill(0.5)];
  const bosNorm = s.bosNorm ?? new Array<number>(L1).fill(10);
  const valleyLayer = s.valleyLayer ?? null;
  return {
    index: s.index,
    id: `p${s.index + 1}`,
    source: `set.jsonl:${s.index + 1}`,
    textSha256: 'x',
    tokens: s.tokens ?? 10,
    truncated: false,
    curves: { entropy: s.entropy, entropyExclBos: s.entropy, sinkRate, bosNormLog10: bosNorm.map(Math.log10), bosRatio: bosNorm.map((b) => b / 2) },
    summary: {
      tokens: s.tokens ?? 10,
      maxSinkRate: s.maxSinkRate ?? Math.max(...sinkRate.map((x) => x ?? 0)),
      meanSinkMass: 0.2,
      valley: valleyLayer === null ? null : { start: valleyLayer, end: valleyLayer },
      spikeBlocks: s.spikeBlocks ?? [],
      maxBosRatio: s.maxBosRatio ?? 5,
      chanceSinkScore: 0.1,
      informative: true,
      valleyCause: valleyLayer === null ? null : 'bos',
      spikeWriter: null,
    },
    valleyDepth: s.valleyDepth ?? 0,
    valleyLayer,
    phases: s.entropy.map((_, l) => (valleyLayer === null ? null : l < valleyLayer ? 'mix' : l === valleyLayer ? 'compress' : 'refine')),
    tokenTable: [{ text: '<s>', start: 0, end: 0, special: true, sinkMass: null }],
    headSinkScores: [],
    warnings: [],
    ms: 1,
  };
}
