/**
 * OLMo2 (AI2): the Llama layout with the norms moved. No pre-norms: the attention and MLP outputs go
 * through their own RMSNorm (`post_attention_layernorm`, `post_feedforward_layernorm`) before the
 * residual add, and q/k are RMSNormed over the whole projection (`q_norm` [H*hd], `k_norm` [KV*hd])
 * before RoPE.
 */
import type { ArchAdapter } from './adapter';
import { llamaLikeConfig, llamaLikeWeights } from './llamaLike';

export const olmo2Adapter: ArchAdapter = {
  id: 'olmo2',
  modelTypes: ['olmo2'],
  normalizeConfig: (raw, name) => ({
    ...llamaLikeConfig(raw, name, { arch: 'olmo2', defaultTheta: 10000, defaultEps: 1e-5, defaultTie: false }),
    qkNorm: true,
    qkNormScope: 'full',
    postNorms: true,
  }),
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: 'detect', o: 'detect', mlp: false, qkNorm: 'full', norms: 'post' }),
};
