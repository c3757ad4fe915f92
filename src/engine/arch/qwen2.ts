/** Qwen2 / Qwen2.5: the Llama layout with q/k/v biases (no o_proj or MLP bias). */
import type { ArchAdapter } from './adapter';
import { llamaLikeConfig, llamaLikeWeights } from './llamaLike';
import { qwenWindows } from './windows';

export const qwen2Adapter: ArchAdapter = {
  id: 'qwen2',
  modelTypes: ['qwen2'],
  normalizeConfig: (raw, name) => llamaLikeConfig(raw, name, { arch: 'qwen2', defaultTheta: 10000, defaultEps: 1e-6, defaultTie: false, windows: qwenWindows }),
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: true, o: false, mlp: false, qkNorm: false }),
};
