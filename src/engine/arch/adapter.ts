/**
 * The contract every architecture family implements. An adapter turns one dialect of HF
 * `config.json` into the canonical config, and maps HF tensor names (and layouts: Conv1D, fused
 * QKV) onto canonical lazily-loaded weights. Nothing downstream of `arch/` sees HF names.
 */
import type { ArchId, CanonicalConfig } from './types';
import type { ModelWeights, WeightStore } from '../weights/types';

/** config.json as parsed JSON. */
export type RawConfig = Record<string, unknown>;

export interface ArchAdapter {
  id: ArchId;
  /** config.json `model_type` values this adapter handles. */
  modelTypes: string[];
  /** `name` is the display name (folder name or `_name_or_path`). Throws SinkLensError('badConfig'). */
  normalizeConfig(raw: RawConfig, name: string): CanonicalConfig;
  /** Throws SinkLensError('missingWeights' | 'corruptWeights') when a tensor is absent or misshapen. */
  mapWeights(store: WeightStore, cfg: CanonicalConfig): ModelWeights;
}
