/** Typed readers over a raw config.json, with errors that name the missing or invalid field. */
import { SinkLensError } from '../../shared/errors';
import type { CanonicalConfig, RopeScaling } from './types';
import type { RawConfig } from './adapter';

function bad(name: string, what: string): SinkLensError {
  return new SinkLensError('badConfig', `config.json of ${name}: ${what}.`, 'Check that the folder holds a complete Hugging Face config.json for this model.');
}

/** hidden / heads, for configs whose head size is implied by the hidden size (keys as the config spells them). */
export function impliedHeadDim(name: string, d: number, dKey: string, heads: number, headsKey: string): number {
  if (d % heads !== 0) throw bad(name, `${dKey} ${d} is not divisible by ${headsKey} ${heads}`);
  return d / heads;
}

/** First present (non-null) key among `keys`, as a finite number; throws when none is present. */
export function num(raw: RawConfig, name: string, ...keys: string[]): number {
  const v = optNum(raw, name, ...keys);
  if (v === null) throw bad(name, `missing "${keys.join('" / "')}"`);
  return v;
}

export function optNum(raw: RawConfig, name: string, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(name, `"${k}" must be a number, got ${JSON.stringify(v)}`);
    return v;
  }
  return null;
}

export function posInt(raw: RawConfig, name: string, ...keys: string[]): number {
  const v = num(raw, name, ...keys);
  if (!Number.isInteger(v) || v <= 0) throw bad(name, `"${keys[0]}" must be a positive integer, got ${v}`);
  return v;
}

export function optBool(raw: RawConfig, key: string, dflt: boolean): boolean {
  const v = raw[key];
  return typeof v === 'boolean' ? v : dflt;
}

/** A token id field that may be an int or a list of ints (eos in generation configs): the first. */
export function tokenId(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (Array.isArray(v) && v.length && typeof v[0] === 'number') return tokenId(v[0]);
  return null;
}

export function activation(raw: RawConfig, name: string, key: string, dflt: string): CanonicalConfig['act'] {
  const v = raw[key] ?? dflt;
  switch (v) {
    case 'silu':
    case 'swish':
      return 'silu';
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return 'gelu_new'; // all three are the tanh approximation
    case 'gelu':
    case 'gelu_python':
      return 'gelu';
    case 'relu':
      return 'relu';
    default:
      throw new SinkLensError('unsupportedArch', `${name} uses activation ${JSON.stringify(v)}, which SinkLens does not implement.`, 'Supported activations: silu, gelu, gelu_new (tanh), relu.');
  }
}

/** rope_theta from v4 (`rope_theta`) or v5 (`rope_parameters.rope_theta`) configs. */
export function ropeTheta(raw: RawConfig, name: string, dflt: number, ...keys: string[]): number {
  const params = raw['rope_parameters'] as RawConfig | null | undefined;
  return optNum(raw, name, 'rope_theta', ...keys) ?? (params ? optNum(params, name, 'rope_theta') : null) ?? dflt;
}

/**
 * Parses `rope_scaling` (v4) or `rope_parameters` (v5). 'default'/absent -> null. `longrope` (and its
 * older name `su`) is read only when the family passes its rotary dim (Phi-3); others refuse it.
 */
export function ropeScaling(raw: RawConfig, name: string, longropeDim?: number): RopeScaling | null {
  const rs = (raw['rope_scaling'] ?? raw['rope_parameters']) as RawConfig | null | undefined;
  if (rs === null || rs === undefined || typeof rs !== 'object') return null;
  const type = rs['rope_type'] ?? rs['type'] ?? 'default';
  if (type === 'default') return null;
  if ((type === 'longrope' || type === 'su') && longropeDim !== undefined) return longrope(raw, rs, name, longropeDim);
  if (type !== 'linear' && type !== 'llama3' && type !== 'yarn') {
    throw new SinkLensError('unsupportedArch', `${name} uses rope_scaling type ${JSON.stringify(type)}, which SinkLens does not implement.`, 'Supported rope_scaling types: llama3, linear, yarn (or none), and longrope for Phi-3.');
  }
  const factor = num(rs, name, 'factor');
  if (type === 'linear') return { type: 'linear', factor };
  if (type === 'yarn') return yarnScaling(rs, name, factor);
  return {
    type: 'llama3',
    factor,
    lowFreqFactor: num(rs, name, 'low_freq_factor'),
    highFreqFactor: num(rs, name, 'high_freq_factor'),
    originalMaxPositions: num(rs, name, 'original_max_position_embeddings'),
  };
}

function factorList(rs: RawConfig, name: string, key: string, n: number): number[] {
  const v = rs[key];
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw bad(name, `rope_scaling.${key} must be ${n} positive numbers (one per rotary frequency)`);
  }
  return v as number[];
}

/**
 * transformers' `_compute_longrope_parameters`: when config.json has a top-level
 * original_max_position_embeddings (Phi-3 always does, default 4096) the factor is
 * max_position_embeddings / original; the attention factor defaults to sqrt(1 + ln(factor) / ln(original)).
 */
function longrope(raw: RawConfig, rs: RawConfig, name: string, dim: number): RopeScaling {
  const maxPos = optNum(raw, name, 'max_position_embeddings') ?? 4096;
  const top = optNum(raw, name, 'original_max_position_embeddings');
  const original = top ?? maxPos;
  const factor = top !== null ? maxPos / top : (optNum(rs, name, 'factor') ?? 1);
  const attentionFactor = optNum(rs, name, 'attention_factor') ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
  return {
    type: 'longrope',
    factor,
    shortFactor: factorList(rs, name, 'short_factor', dim / 2),
    longFactor: factorList(rs, name, 'long_factor', dim / 2),
    originalMaxPositions: original,
    attentionFactor,
  };
}

/**
 * YaRN's fields (transformers' `_compute_yarn_parameters`): beta_fast / beta_slow default to 32 / 1
 * (a 0 or null counts as absent, as there), `truncate` to true, and the attention factor to
 * 0.1 ln(factor) + 1 (or the mscale / mscale_all_dim ratio when both are given).
 */
function yarnScaling(rs: RawConfig, name: string, factor: number): RopeScaling {
  const mscale = (scale: number, m: number): number => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  const m = optNum(rs, name, 'mscale');
  const mAll = optNum(rs, name, 'mscale_all_dim');
  const given = optNum(rs, name, 'attention_factor');
  return {
    type: 'yarn',
    factor,
    betaFast: optNum(rs, name, 'beta_fast') || 32,
    betaSlow: optNum(rs, name, 'beta_slow') || 1,
    originalMaxPositions: num(rs, name, 'original_max_position_embeddings'),
    attentionFactor: given ?? (m && mAll ? mscale(factor, m) / mscale(factor, mAll) : mscale(factor, 1)),
    truncate: optBool(rs, 'truncate', true),
  };
}
