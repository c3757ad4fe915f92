/**
 * OLMo (v1, AI2, HF `model_type: olmo`): the Llama layout with LayerNorms that have no parameters
 * (no weight, no bias; eps fixed at 1e-5 in transformers' OlmoLayerNorm) before each sublayer and at
 * the end, and `clip_qkv`: q, k and v clamped to [-c, c] after their projections when set.
 */
import { SinkLensError } from '../../shared/errors';
import type { ArchAdapter, RawConfig } from './adapter';
import { optNum } from './configFields';
import { llamaLikeConfig, llamaLikeWeights } from './llamaLike';
import type { CanonicalConfig } from './types';

function olmoConfig(raw: RawConfig, name: string): CanonicalConfig {
  const clip = optNum(raw, name, 'clip_qkv');
  if (clip !== null && !(clip > 0)) throw new SinkLensError('badConfig', `config.json of ${name}: clip_qkv must be a positive number or null, got ${clip}.`);
  return {
    ...llamaLikeConfig(raw, name, { arch: 'olmo', defaultTheta: 10000, defaultEps: 1e-5, defaultTie: false }),
    norm: 'layer',
    normEps: 1e-5, // OlmoLayerNorm hard-codes it; config.json has no eps field
    clipQkv: clip,
  };
}

export const olmoAdapter: ArchAdapter = {
  id: 'olmo',
  modelTypes: ['olmo'],
  normalizeConfig: olmoConfig,
  mapWeights: (store, cfg) => llamaLikeWeights(store, cfg, { qkv: 'detect', o: 'detect', mlp: false, qkNorm: false, norms: 'unit' }),
};
