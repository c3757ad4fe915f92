/**
 * Sliding-window attention per layer, from each family's config dialect (transformers' configuration
 * classes). A window W lets query i see keys j with i - W < j <= i (masking_utils.sliding_window_overlay);
 * null is full causal attention. Every reader returns undefined when no layer is windowed, so a
 * fully causal model's canonical config carries no window field at all.
 */
import { SinkLensError } from '../../shared/errors';
import type { RawConfig } from './adapter';
import { optBool, optNum } from './configFields';

export type LayerWindows = readonly (number | null)[] | undefined;

/** `sliding_window` as a positive integer, null (none), or `dflt` when config.json omits it. */
export function windowSize(raw: RawConfig, name: string, dflt: number | null): number | null {
  if (!('sliding_window' in raw)) return dflt;
  const w = optNum(raw, name, 'sliding_window');
  if (w !== null && !(Number.isInteger(w) && w >= 1)) {
    throw new SinkLensError('badConfig', `config.json of ${name}: "sliding_window" must be a positive integer or null, got ${w}.`);
  }
  return w;
}

function anyWindow(ws: (number | null)[]): LayerWindows {
  return ws.some((w) => w !== null) ? ws : undefined;
}

/** The `layer_types` list (transformers >= 4.53) mapped onto windows; null when config.json has none. */
export function layerTypesWindows(raw: RawConfig, name: string, layers: number, window: number | null): (number | null)[] | null {
  const types = raw['layer_types'];
  if (types === undefined || types === null) return null;
  if (!Array.isArray(types) || types.length !== layers) {
    throw new SinkLensError('badConfig', `config.json of ${name}: "layer_types" must list one type per layer (${layers}).`);
  }
  return types.map((t, i) => {
    if (t === 'full_attention') return null;
    if (t !== 'sliding_attention') {
      throw new SinkLensError('unsupportedArch', `${name}: layer ${i} has attention type ${JSON.stringify(t)}, which SinkLens does not implement.`, 'Supported layer_types: full_attention, sliding_attention.');
    }
    if (window === null) throw new SinkLensError('badConfig', `config.json of ${name}: layer ${i} is sliding_attention but "sliding_window" is not set.`);
    return window;
  });
}

/** Mistral and Starcoder2: `sliding_window` (null = none) applies to every layer. */
export function uniformWindows(raw: RawConfig, name: string, layers: number, dflt: number | null): LayerWindows {
  const w = windowSize(raw, name, dflt);
  return anyWindow(layerTypesWindows(raw, name, layers, w) ?? Array.from({ length: layers }, () => w));
}

/**
 * Qwen2 / Qwen3: `sliding_window` counts only when `use_sliding_window` is true; `layer_types` when
 * given, else layers i >= `max_window_layers` are windowed (Qwen2Config's default rule).
 */
export function qwenWindows(raw: RawConfig, name: string, layers: number): LayerWindows {
  const w = optBool(raw, 'use_sliding_window', false) ? windowSize(raw, name, 4096) : null;
  const explicit = layerTypesWindows(raw, name, layers, w);
  if (explicit) return anyWindow(explicit);
  const first = optNum(raw, name, 'max_window_layers') ?? 28;
  return anyWindow(Array.from({ length: layers }, (_, i) => (w !== null && i >= first ? w : null)));
}
