/**
 * Qwen3: the Llama layout plus per-head RMSNorm on q and k (weights [head_dim]) applied before
 * RoPE; head_dim is explicit in config.json and need not equal hidden / heads. Biases follow
 * `attention_bias` (false in every released checkpoint), detected from the stored tensors.
 */
import type { ArchAdapter } from './adapter';
import { llamaLikeConfig, llamaLikeWeights } from './llamaLike';
import { qwenWindows } from './windows';

export const qwen3Adapter: ArchAdapter = {
  id: 'qwen3',
  modelTypes: ['qwen3'],
  normalizeConfig: (raw, name) => ({
    ...llamaLikeConfig(raw, name, { arch: 'qwen3', defaultTheta: 10000, defaultEps: 1e-6, defaultTie: false, windows: qwenWindows }),
    qkNorm: true,
  }),
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: 'detect', o: 'detect', mlp: false, qkNorm: true }),
};
