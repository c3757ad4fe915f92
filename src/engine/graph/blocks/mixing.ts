/**
 * Mixing, measured in the graph (metrics.md "Mixing"): per query head, the mean over sampled
 * queries i >= 1 of the attention-row entropy -Σ_j p_ij log p_ij normalised by log(i+1), and the
 * mean attention mass on keys other than BOS and the query itself, 1 - p_i0 - p_ii.
 *
 * The fused Attention op does not return its probabilities on the default path (asking costs ~70%
 * per block), so the rows are recomputed here from the same q and k (after q/k norm and RoPE), but
 * only for the m queries of the `mix_queries` input: [H, m, T] per block, reduced at once to [H].
 * The runner feeds every query 1..T-1 when T - 1 <= MIX_MAX_QUERIES (exact), else that many
 * evenly spaced ones (the documented sample). Never L x H x T x T, never even H x T x T.
 *
 * Cost: the [H, m, T] tensor is touched by as few full passes as the reduction allows (the scores
 * GEMM of the pre-scaled q rows, one broadcast Add of the causal mask, Softmax, p·s and its sum, two
 * row maxima: one exponential per score, `plainRows`); p_i0 and p_ii are gathered from p in one
 * [H, m, 2] gather, never read through a [m, T] mask. Query heads are laid
 * out [KV, H/KV, m, T], so grouped-query heads share their key head by broadcasting (no copy).
 */
import type { CanonicalConfig } from '../../arch/types';
import { DT, int, ints, type GraphBuilder } from '../builder';

/** Per-model tensors shared by every block, made once from `mix_queries` and the positions. */
export interface MixingInputs {
  /** int64 [m]: the sampled query positions (all >= 1 when T >= 2). */
  queries: string;
  /** float [m, T]: 0 where key j is visible to query S_k (j <= S_k), else -1e30 (added to the scores). */
  causalBias: string;
  /** int64 [KV, H/KV, m, 2]: keys 0 and S_k (BOS and the query itself) for every query head (GatherElements indices). */
  keyIndex: string;
  /** float [m]: -log(S_k + 1), minus the row entropy's maximum (floored at log 2 so T = 1 stays finite). */
  negLogNorm: string;
}

/** The shared tensors: positions [T] int64, queries [m] int64. */
export function makeMixingInputs(g: GraphBuilder, positions: string, queries: string, cfg: CanonicalConfig): MixingInputs {
  const p = '/model/probes/mixing';
  const { numHeads: H, numKvHeads: KV } = cfg;
  const col = g.op('Unsqueeze', `${p}/queries/Unsqueeze`, [queries, g.i64([1])]); // [m, 1]
  const row = g.op('Unsqueeze', `${p}/keys/Unsqueeze`, [positions, g.i64([0])]); // [1, T]
  const causal = g.op('LessOrEqual', `${p}/causal/LessOrEqual`, [row, col]); // [m, T] bool
  // A large finite negative instead of -inf: masked keys get p = 0 and p log p = 0 (never 0 * -inf = NaN).
  const causalBias = g.op('Where', `${p}/causal/Where`, [causal, g.f32([0], []), g.f32([-1e30], [])]); // [m, T]
  const q4 = g.op('Reshape', `${p}/keys/Reshape`, [queries, g.i64([1, 1, -1, 1])]); // [1, 1, m, 1]
  const pair = g.op('Concat', `${p}/keys/Concat`, [g.op('Mul', `${p}/keys/Mul`, [q4, g.i64([0], [])]), q4], { axis: int(3) }); // [1, 1, m, 2]: (0, S_k)
  const m = g.op('Shape', `${p}/keys/Shape`, [queries]); // [1]
  const target = g.op('Concat', `${p}/keys/target/Concat`, [g.i64([KV, H / KV]), m, g.i64([2])], { axis: int(0) }); // [4]
  const keyIndex = g.op('Expand', `${p}/keys/Expand`, [pair, target]); // [KV, H/KV, m, 2]
  const qf = g.op('Cast', `${p}/norm/Cast`, [queries], { to: int(DT.FLOAT) }); // [m] float
  const n = g.op('Add', `${p}/norm/Add`, [qf, g.f32([1], [])]); // [m]: i + 1
  const floor = g.op('Max', `${p}/norm/Max`, [n, g.f32([2], [])]); // [m]
  const negLogNorm = g.op('Neg', `${p}/norm/Neg`, [g.op('Log', `${p}/norm/Log`, [floor])]); // [m]
  return { queries, causalBias, keyIndex, negLogNorm };
}

/**
 * q [1, T, H*hd], k [1, T, KV*hd] (as the Attention op sees them) -> per query head
 * { rowEntropy [H], otherMass [H] }, both means over the sampled queries.
 */
export function makeMixing(g: GraphBuilder, prefix: string, q: string, k: string, cfg: CanonicalConfig, mix: MixingInputs, sinks: string | null = null): { rowEntropy: string; otherMass: string } {
  const { numHeads: H, numKvHeads: KV, headDim: hd } = cfg;
  const G = H / KV; // query heads per key head
  const p = `${prefix}/mixing`;
  const qs = g.op('Gather', `${p}/q/Gather`, [q, mix.queries], { axis: int(1) }); // [1, m, H*hd]
  // The score scale on the m sampled q rows ([m, H*hd]) instead of on the [H, m, T] scores: one pass less over those.
  const qscaled = g.op('Mul', `${p}/q/Mul`, [qs, g.f32([cfg.attnScale], [])]); // [1, m, H*hd]
  const qr = g.op('Reshape', `${p}/q/Reshape`, [qscaled, g.i64([-1, KV, G, hd])]); // [m, KV, G, hd]
  const qt = g.op('Transpose', `${p}/q/Transpose`, [qr], { perm: ints([1, 2, 0, 3]) }); // [KV, G, m, hd]
  const kr = g.op('Reshape', `${p}/k/Reshape`, [k, g.i64([-1, KV, 1, hd])]); // [T, KV, 1, hd]
  const kt = g.op('Transpose', `${p}/k/Transpose`, [kr], { perm: ints([1, 2, 3, 0]) }); // [KV, 1, hd, T]
  let scores = g.op('MatMul', `${p}/scores/MatMul`, [qt, kt]); // [KV, G, m, T] (G broadcast over the key head), scaled
  if (cfg.attnSoftcap) {
    // Gemma 2 soft-capping, as the Attention op applies it: c * tanh(s / c), before the mask.
    const c = cfg.attnSoftcap;
    const t = g.op('Tanh', `${p}/softcap/Tanh`, [g.op('Div', `${p}/softcap/Div`, [scores, g.f32([c], [])])]);
    scores = g.op('Mul', `${p}/softcap/Mul`, [t, g.f32([c], [])]); // [KV, G, m, T]
  }
  const masked = g.op('Add', `${p}/scores/Add`, [scores, mix.causalBias]); // [KV, G, m, T]
  // Learned sinks (gpt-oss): the softmax also runs over each head's sink logit, whose column is then dropped.
  const rows = sinks ? sinkRows(g, p, masked, sinks, KV, G, H) : plainRows(g, p, masked); // [KV, G, m] each
  const hn = g.op('Div', `${p}/entropy/Div`, [rows.negH, mix.negLogNorm]); // [KV, G, m]: H / log(i+1)
  const hm = g.op('Reshape', `${p}/entropy/Reshape`, [hn, g.i64([H, -1])]); // [H, m]
  const rowEntropy = g.op('ReduceMean', `${p}/entropy/ReduceMean`, [hm, g.i64([1])], { keepdims: int(0) }); // [H]
  const keys = g.op('GatherElements', `${p}/keys/GatherElements`, [rows.prob, mix.keyIndex], { axis: int(3) }); // [KV, G, m, 2]: p_i0, p_ii
  const known = g.op('ReduceSum', `${p}/keys/ReduceSum`, [keys, g.i64([-1])], { keepdims: int(0) }); // [KV, G, m]: p_i0 + p_ii
  const rest = g.op('Sub', `${p}/other/Sub`, [g.f32([1], []), known]); // [KV, G, m]
  let rm = g.op('Reshape', `${p}/other/Reshape`, [rest, g.i64([H, -1])]); // [H, m]
  if (rows.sinkMass) rm = g.op('Sub', `${p}/other/sink/Sub`, [rm, rows.sinkMass]); // [H, m]: the sink is no key
  const otherMass = g.op('ReduceMean', `${p}/other/ReduceMean`, [rm, g.i64([1])], { keepdims: int(0) }); // [H]
  return { rowEntropy, otherMass };
}

/** The rows' probabilities p [KV, G, m, T], their sum of p log p (negH [KV, G, m]) and, with learned sinks, p(sink) [H, m]. */
interface Rows {
  prob: string;
  negH: string;
  sinkMass: string | null;
}

/**
 * Softmax rows and sum_j p_j log p_j with one exponential per score: log p_j = s_j - lse, so
 * sum_j p_j log p_j = sum_j p_j s_j - lse (the row sums to 1), and lse = s_max - log p_max, where
 * p_max >= 1/T never underflows. Masked keys have p = 0 and p s = 0 (their scores are finite).
 * LogSoftmax and then Exp took two exponentials per score.
 */
function plainRows(g: GraphBuilder, p: string, masked: string): Rows {
  const prob = g.op('Softmax', `${p}/Softmax`, [masked], { axis: int(-1) }); // [KV, G, m, T]
  const ps = g.op('ReduceSum', `${p}/entropy/ReduceSum`, [g.op('Mul', `${p}/entropy/Mul`, [prob, masked]), g.i64([-1])], { keepdims: int(0) }); // [KV, G, m]
  const sMax = g.op('ReduceMax', `${p}/entropy/max/ReduceMax`, [masked, g.i64([-1])], { keepdims: int(0) }); // [KV, G, m]
  const pMax = g.op('ReduceMax', `${p}/entropy/pmax/ReduceMax`, [prob, g.i64([-1])], { keepdims: int(0) }); // [KV, G, m]
  const lse = g.op('Sub', `${p}/entropy/lse/Sub`, [sMax, g.op('Log', `${p}/entropy/lse/Log`, [pMax])]); // [KV, G, m]
  const negH = g.op('Sub', `${p}/entropy/Sub`, [ps, lse]); // [KV, G, m]: sum_j p_j log p_j
  return { prob, negH, sinkMass: null };
}

/**
 * Learned sinks (gpt-oss): the softmax runs over the keys and each head's sink logit, as the model's
 * does, and the sink column is then dropped: p over the real keys [KV, G, m, T] (rows sum to
 * 1 - p(sink)), their sum of p log p, and p(sink) [H, m].
 */
function sinkRows(g: GraphBuilder, p: string, masked: string, sinks: string, KV: number, G: number, H: number): Rows {
  const { logp, sinkMass } = withSinkColumn(g, p, masked, sinks, KV, G, H);
  const prob = g.op('Exp', `${p}/Exp`, [logp]); // [KV, G, m, T]
  const plogp = g.op('Mul', `${p}/entropy/Mul`, [prob, logp]); // [KV, G, m, T]
  const negH = g.op('ReduceSum', `${p}/entropy/ReduceSum`, [plogp, g.i64([-1])], { keepdims: int(0) }); // [KV, G, m]
  return { prob, negH, sinkMass };
}

/**
 * Learned sinks (gpt-oss): the softmax runs over the keys and each head's sink logit, as the model's
 * does, and the sink column is then dropped: log p over the real keys [KV, G, m, T] (rows sum to
 * 1 - p(sink)) and p(sink) [H, m].
 */
function withSinkColumn(g: GraphBuilder, p: string, masked: string, sinks: string, KV: number, G: number, H: number): { logp: string; sinkMass: string } {
  const rows = g.op('Slice', `${p}/sink/shape/Slice`, [g.op('Shape', `${p}/sink/Shape`, [masked]), g.i64([0]), g.i64([3])]); // [3]: KV, G, m
  const shape = g.op('Concat', `${p}/sink/shape/Concat`, [rows, g.i64([1])], { axis: int(0) }); // [4]
  // Query head h = kv * G + g reads the sink logit sinks[h]: [H] -> [KV, G, 1, 1].
  const col = g.op('Expand', `${p}/sink/Expand`, [g.op('Reshape', `${p}/sink/Reshape`, [sinks, g.i64([KV, G, 1, 1])]), shape]); // [KV, G, m, 1]
  const all = g.op('LogSoftmax', `${p}/LogSoftmax`, [g.op('Concat', `${p}/sink/Concat`, [masked, col], { axis: int(-1) })], { axis: int(-1) }); // [KV, G, m, T+1]
  const logp = g.op('Slice', `${p}/keys/Slice`, [all, g.i64([0]), g.i64([-1]), g.i64([3])]); // [KV, G, m, T]
  const last = g.op('Slice', `${p}/sink/Slice`, [all, g.i64([-1]), g.i64([2 ** 62]), g.i64([3])]); // [KV, G, m, 1]
  const sinkMass = g.op('Exp', `${p}/sink/Exp`, [g.op('Reshape', `${p}/sink/mass/Reshape`, [last, g.i64([H, -1])])]); // [H, m]
  return { logp, sinkMass };
}
