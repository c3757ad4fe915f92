/**
 * Mistral: the Llama layout without biases, with `sliding_window` (MistralConfig's default 4096;
 * null in v0.2+) applied to every layer.
 */
import type { ArchAdapter } from './adapter';
import { llamaLikeConfig, llamaLikeWeights } from './llamaLike';
import { uniformWindows } from './windows';

export const mistralAdapter: ArchAdapter = {
  id: 'mistral',
  modelTypes: ['mistral'],
  normalizeConfig: (raw, name) => llamaLikeConfig(raw, name, { arch: 'mistral', defaultTheta: 10000, defaultEps: 1e-6, defaultTie: false, windows: (r, n, l) => uniformWindows(r, n, l, 4096) }),
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: false, o: false, mlp: false, qkNorm: false }),
};
