/**
 * Mistral: the Llama layout without biases. Its sliding window (4096+) is wider than any prompt
 * SinkLens analyses by default, so full causal attention is exact here.
 */
import type { ArchAdapter } from './adapter';
import { llamaLikeConfig, llamaLikeWeights } from './llamaLike';

export const mistralAdapter: ArchAdapter = {
  id: 'mistral',
  modelTypes: ['mistral'],
  normalizeConfig: (raw, name) => llamaLikeConfig(raw, name, { arch: 'mistral', defaultTheta: 10000, defaultEps: 1e-6, defaultTie: false }),
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: false, o: false, mlp: false, qkNorm: false }),
};
