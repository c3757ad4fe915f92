/**
 * Granite (IBM): the Llama layout plus four scalars from config.json, all 1 by default:
 * `embedding_multiplier` (h[0] = embed * m), `residual_multiplier` (each sublayer output is multiplied
 * by m before it joins the residual), `attention_multiplier` (the softmax scale, replacing
 * 1/sqrt(head_dim)) and `logits_scaling` (logits / s, the logit lens included).
 */
import type { ArchAdapter } from './adapter';
import { optNum } from './configFields';
import { llamaLikeConfig, llamaLikeWeights } from './llamaLike';

export const graniteAdapter: ArchAdapter = {
  id: 'granite',
  modelTypes: ['granite'],
  normalizeConfig: (raw, name) => ({
    ...llamaLikeConfig(raw, name, { arch: 'granite', defaultTheta: 10000, defaultEps: 1e-6, defaultTie: false }),
    attnScale: optNum(raw, name, 'attention_multiplier') ?? 1,
    embeddingMultiplier: optNum(raw, name, 'embedding_multiplier') ?? 1,
    residualMultiplier: optNum(raw, name, 'residual_multiplier') ?? 1,
    logitsScaling: optNum(raw, name, 'logits_scaling') ?? 1,
  }),
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: 'detect', o: 'detect', mlp: 'detect', qkNorm: false }),
};
