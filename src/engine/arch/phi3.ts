/**
 * Phi-3 / Phi-4-mini (Microsoft): the Llama layout with fused projections (`self_attn.qkv_proj` rows
 * q | k | v, `mlp.gate_up_proj` rows gate | up, split into the canonical slots), partial rotary
 * (`partial_rotary_factor`, Phi-4-mini 0.75) and `longrope` (`su`) RoPE scaling: short factors up to
 * original_max_position_embeddings tokens, long factors beyond (chosen per forward), cos/sin scaled by
 * the attention factor. `sliding_window` (Phi-3-mini-4k: 2047; null = none) applies to every layer, as
 * Phi3Model picks the sliding-window causal mask whenever the config sets one.
 */
import type { ArchAdapter } from './adapter';
import { llamaLikeConfig, llamaLikeWeights } from './llamaLike';
import { uniformWindows } from './windows';

export const phi3Adapter: ArchAdapter = {
  id: 'phi3',
  modelTypes: ['phi3'],
  normalizeConfig: (raw, name) => llamaLikeConfig(raw, name, { arch: 'phi3', defaultTheta: 10000, defaultEps: 1e-5, defaultTie: false, phiRope: true, windows: (r, n, l) => uniformWindows(r, n, l, null) }),
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: false, o: false, mlp: false, qkNorm: false, fused: true }),
};
