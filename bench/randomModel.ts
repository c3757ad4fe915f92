/**
 * A GPT-2-small-shaped model with seeded random weights, made in memory as canonical WeightRefs
 * (no files): the benchmark's subject. Weights are generated lazily, one tensor at a time, like
 * the real loader streams them.
 */
import { mulberry32 } from '../test/support/gen/prng';
import type { CanonicalConfig } from '../src/engine/arch/types';
import type { LayerWeights, LinearWeights, ModelWeights, NormWeights, WeightRef } from '../src/engine/weights/types';

export function gpt2SmallConfig(): CanonicalConfig {
  return {
    arch: 'gpt2',
    modelType: 'gpt2',
    name: 'gpt2-small-shaped (random)',
    hiddenSize: 768,
    numLayers: 12,
    numHeads: 12,
    numKvHeads: 12,
    headDim: 64,
    intermediateSize: 3072,
    vocabSize: 50257,
    maxPositions: 1024,
    norm: 'layer',
    normEps: 1e-5,
    act: 'gelu_new',
    gatedMlp: false,
    position: 'learned',
    rope: null,
    attnScale: 1 / Math.sqrt(64),
    parallelResidual: false,
    qkNorm: false,
    tieWordEmbeddings: true,
    bosTokenId: 50256,
    eosTokenId: 50256,
  };
}

let keySeq = 0;
function ref(dims: number[], fill: { scale: number } | { constant: number }): WeightRef {
  const key = `rand/${keySeq++}`;
  const seed = keySeq * 7919;
  return {
    key,
    dims,
    load() {
      const n = dims.reduce((a, b) => a * b, 1);
      const out = new Float32Array(n);
      if ('constant' in fill) out.fill(fill.constant);
      else {
        const r = mulberry32(seed).next;
        for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * fill.scale * Math.sqrt(3);
      }
      return out;
    },
  };
}

function norm(d: number): NormWeights {
  return { weight: ref([d], { constant: 1 }), bias: ref([d], { constant: 0 }) };
}

function linear(out: number, inp: number): LinearWeights {
  return { weight: ref([out, inp], { scale: 0.02 }), bias: ref([out], { scale: 0.01 }) };
}

export function randomWeights(c: CanonicalConfig): ModelWeights {
  const d = c.hiddenSize;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    layers.push({
      attnNorm: norm(d),
      q: linear(c.numHeads * c.headDim, d),
      k: linear(c.numKvHeads * c.headDim, d),
      v: linear(c.numKvHeads * c.headDim, d),
      o: linear(d, c.numHeads * c.headDim),
      qNorm: null,
      kNorm: null,
      mlpNorm: norm(d),
      gate: null,
      up: linear(c.intermediateSize, d),
      down: linear(d, c.intermediateSize),
    });
  }
  const embed = ref([c.vocabSize, d], { scale: 0.02 });
  return {
    embed,
    positions: ref([c.maxPositions, d], { scale: 0.01 }),
    layers,
    finalNorm: norm(d),
    lmHead: embed,
    lmHeadBias: null,
  };
}

/** Forward FLOPs (multiply-add = 2) of one prompt of T tokens, last-position LM head only. */
export function forwardFlops(c: CanonicalConfig, T: number): number {
  const d = c.hiddenSize;
  const proj = 2 * T * d * (c.numHeads * c.headDim + 2 * c.numKvHeads * c.headDim + c.numHeads * c.headDim);
  const mlp = 2 * T * d * c.intermediateSize * (c.gatedMlp ? 3 : 2);
  const attn = 2 * 2 * c.numHeads * c.headDim * T * T; // QK^T and AV over the full square (what the kernels compute)
  return c.numLayers * (proj + mlp + attn) + 2 * d * c.vocabSize;
}
