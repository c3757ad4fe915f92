/**
 * Llama 2/3 and relatives (TinyLlama, SmolLM, stories260k): RMSNorm, RoPE with optional llama3 or
 * linear rope_scaling, GQA, SwiGLU; biases where `attention_bias` / `mlp_bias` stored them.
 */
import type { ArchAdapter } from './adapter';
import { llamaLikeConfig, llamaLikeWeights } from './llamaLike';

export const llamaAdapter: ArchAdapter = {
  id: 'llama',
  modelTypes: ['llama'],
  normalizeConfig: (raw, name) => llamaLikeConfig(raw, name, { arch: 'llama', defaultTheta: 10000, defaultEps: 1e-6, defaultTie: false }),
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: 'detect', o: 'detect', mlp: 'detect', qkNorm: false }),
};
