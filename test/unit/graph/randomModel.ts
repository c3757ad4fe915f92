/** Seeded random canonical models built directly as CanonicalConfig + lazy WeightRefs (no files). */
import { mulberry32 } from '../../support/gen/prng';
import type { CanonicalConfig } from '../../../src/engine/arch/types';
import type { LayerWeights, LinearWeights, ModelWeights, NormWeights, WeightRef } from '../../../src/engine/weights/types';

export function mulberry(seed: number): () => number {
  return mulberry32(seed).next;
}

export function llamaConfig(over: Partial<CanonicalConfig> = {}): CanonicalConfig {
  return {
    arch: 'llama',
    modelType: 'llama',
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    intermediateSize: 48,
    vocabSize: 50,
    maxPositions: 64,
    norm: 'rms',
    normEps: 1e-5,
    act: 'silu',
    gatedMlp: true,
    position: 'rope',
    rope: { theta: 10000, rotaryDim: 8, scaling: null },
    attnScale: 1 / Math.sqrt(8),
    parallelResidual: false,
    qkNorm: false,
    tieWordEmbeddings: true,
    bosTokenId: 1,
    eosTokenId: 2,
    name: 'random-llama',
    ...over,
  };
}

/** Counts loads per key, to check that each weight is read once per session build. */
export interface RandomWeights {
  weights: ModelWeights;
  loads: Map<string, number>;
  /** Like closing a weight store: every later load() throws. */
  close(): void;
  reopen(): void;
}

/** Random weights for `cfg` (scale ~0.3, norms around 1), deterministic in `seed`. */
export function randomWeights(cfg: CanonicalConfig, seed: number, opts: { bias?: boolean } = {}): RandomWeights {
  const rnd = mulberry(seed);
  const loads = new Map<string, number>();
  let closed = false;
  const ref = (key: string, dims: number[], around = 0, scale = 0.3): WeightRef => {
    const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => around + scale * (2 * rnd() - 1));
    const load = (): Float32Array => {
      if (closed) throw new Error(`weight ${key} loaded after the store was closed`);
      loads.set(key, (loads.get(key) ?? 0) + 1);
      return data.slice();
    };
    return { key, dims, load };
  };
  const norm = (key: string, n: number): NormWeights => ({
    weight: ref(`${key}.weight`, [n], 1, 0.2),
    bias: cfg.norm === 'layer' ? ref(`${key}.bias`, [n], 0, 0.1) : null,
  });
  const lin = (key: string, out: number, inp: number): LinearWeights => ({
    weight: ref(`${key}.weight`, [out, inp]),
    bias: opts.bias ? ref(`${key}.bias`, [out], 0, 0.1) : null,
  });
  const { hiddenSize: d, numHeads: H, numKvHeads: KV, headDim: hd, intermediateSize: ff, vocabSize: V } = cfg;
  const layers: LayerWeights[] = Array.from({ length: cfg.numLayers }, (_, l) => ({
    attnNorm: norm(`l${l}.attn_norm`, d),
    q: lin(`l${l}.q`, H * hd, d),
    k: lin(`l${l}.k`, KV * hd, d),
    v: lin(`l${l}.v`, KV * hd, d),
    o: lin(`l${l}.o`, d, H * hd),
    qNorm: cfg.qkNorm ? { weight: ref(`l${l}.q_norm`, [hd], 1, 0.2), bias: null } : null,
    kNorm: cfg.qkNorm ? { weight: ref(`l${l}.k_norm`, [hd], 1, 0.2), bias: null } : null,
    mlpNorm: norm(`l${l}.mlp_norm`, d),
    gate: cfg.gatedMlp ? lin(`l${l}.gate`, ff, d) : null,
    up: lin(`l${l}.up`, ff, d),
    down: lin(`l${l}.down`, d, ff),
  }));
  const embed = ref('embed', [V, d], 0, 1);
  return {
    loads,
    close: () => void (closed = true),
    reopen: () => void (closed = false),
    weights: {
      embed,
      positions: cfg.position === 'learned' ? ref('pos', [cfg.maxPositions, d], 0, 0.5) : null,
      layers,
      finalNorm: norm('final_norm', d),
      lmHead: cfg.tieWordEmbeddings ? embed : ref('lm_head', [V, d]),
      lmHeadBias: null,
    },
  };
}

export function randomIds(n: number, vocab: number, seed: number): number[] {
  const rnd = mulberry(seed);
  return Array.from({ length: n }, () => Math.floor(rnd() * vocab));
}
