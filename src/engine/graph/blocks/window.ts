/**
 * Sliding-window attention masks (transformers' sliding_window_overlay AND causal): query i sees key j
 * iff 0 <= i - j < W. One bool [T, T] mask per distinct window, shared by every layer that uses it,
 * and the matching rows for the mixing probe's sampled queries. Keys beyond the window get p = 0:
 * in a windowed layer BOS (key 0) is invisible to queries i >= W, so their attention to BOS is 0.
 */
import { DT, int, type GraphBuilder } from '../builder';
import type { MixingInputs } from './mixing';

/**
 * bool [rows, T]: 0 <= q - k < W for query positions `q` [rows] and key positions `k` [T] (both int64);
 * W = null is plain causal (0 <= q - k).
 */
export function band(g: GraphBuilder, name: string, q: string, k: string, W: number | null): string {
  const col = g.op('Unsqueeze', `${name}/queries/Unsqueeze`, [q, g.i64([1])]); // [rows, 1]
  const row = g.op('Unsqueeze', `${name}/keys/Unsqueeze`, [k, g.i64([0])]); // [1, T]
  const diff = g.op('Sub', `${name}/Sub`, [col, row]); // [rows, T]: i - j
  const causal = g.op('GreaterOrEqual', `${name}/causal/GreaterOrEqual`, [diff, g.i64([0], [])]); // [rows, T]
  if (W === null) return causal;
  const inside = g.op('Less', `${name}/window/Less`, [diff, g.i64([W], [])]); // [rows, T]
  return g.op('And', `${name}/And`, [causal, inside]); // [rows, T] bool
}

/** The Attention op's attn_mask for window W: bool [T, T] over `positions` [T]. */
export function makeWindowMask(g: GraphBuilder, positions: string, W: number): string {
  return band(g, `/model/mask/window_${W}`, positions, positions, W);
}

/**
 * The mixing probe's inputs for a windowed layer: the visible keys of each sampled query, and the
 * row-entropy normaliser log(number of visible keys) = log(min(i + 1, W)), floored at log 2 like the
 * causal one.
 */
export function windowedMixingInputs(g: GraphBuilder, positions: string, mix: MixingInputs, W: number): MixingInputs {
  const p = `/model/probes/mixing/window_${W}`;
  const causal = band(g, p, mix.queries, positions, W); // [m, T] bool
  const qf = g.op('Cast', `${p}/norm/Cast`, [mix.queries], { to: int(DT.FLOAT) }); // [m] float
  const n = g.op('Min', `${p}/norm/Min`, [g.op('Add', `${p}/norm/Add`, [qf, g.f32([1], [])]), g.f32([W], [])]); // [m]: min(i + 1, W)
  const logNorm = g.op('Log', `${p}/norm/Log`, [g.op('Max', `${p}/norm/Max`, [n, g.f32([2], [])])]); // [m]
  // Added to the scores: 0 where key j is visible, -1e30 elsewhere (p = 0 and p log p = 0, never NaN).
  const causalBias = g.op('Where', `${p}/causal/Where`, [causal, g.f32([0], []), g.f32([-1e30], [])]); // [m, T]
  const negLogNorm = g.op('Neg', `${p}/norm/Neg`, [logNorm]); // [m]
  return { ...mix, causalBias, negLogNorm };
}
