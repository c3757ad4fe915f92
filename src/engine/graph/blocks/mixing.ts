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
 */
import type { CanonicalConfig } from '../../arch/types';
import { DT, int, ints, type GraphBuilder } from '../builder';

/** Per-model tensors shared by every block, made once from `mix_queries` and the positions. */
export interface MixingInputs {
  /** int64 [m]: the sampled query positions (all >= 1 when T >= 2). */
  queries: string;
  /** bool [m, T]: key j is visible to query S_k (j <= S_k). */
  causal: string;
  /** float [m, T]: 1 at key S_k (the query itself), else 0. */
  self: string;
  /** float [m]: log(S_k + 1), the row entropy's maximum (floored at log 2 so T = 1 stays finite). */
  logNorm: string;
}

/** The shared tensors: positions [T] int64, queries [m] int64. */
export function makeMixingInputs(g: GraphBuilder, positions: string, queries: string): MixingInputs {
  const p = '/model/probes/mixing';
  const col = g.op('Unsqueeze', `${p}/queries/Unsqueeze`, [queries, g.i64([1])]); // [m, 1]
  const row = g.op('Unsqueeze', `${p}/keys/Unsqueeze`, [positions, g.i64([0])]); // [1, T]
  const causal = g.op('LessOrEqual', `${p}/causal/LessOrEqual`, [row, col]); // [m, T] bool
  const selfB = g.op('Equal', `${p}/self/Equal`, [row, col]); // [m, T] bool
  const self = g.op('Cast', `${p}/self/Cast`, [selfB], { to: int(DT.FLOAT) }); // [m, T] float
  const qf = g.op('Cast', `${p}/norm/Cast`, [queries], { to: int(DT.FLOAT) }); // [m] float
  const n = g.op('Add', `${p}/norm/Add`, [qf, g.f32([1], [])]); // [m]: i + 1
  const floor = g.op('Max', `${p}/norm/Max`, [n, g.f32([2], [])]); // [m]
  const logNorm = g.op('Log', `${p}/norm/Log`, [floor]); // [m]
  return { queries, causal, self, logNorm };
}

/**
 * q [1, T, H*hd], k [1, T, KV*hd] (as the Attention op sees them) -> per query head
 * { rowEntropy [H], otherMass [H] }, both means over the sampled queries.
 */
export function makeMixing(g: GraphBuilder, prefix: string, q: string, k: string, cfg: CanonicalConfig, mix: MixingInputs, sinks: string | null = null): { rowEntropy: string; otherMass: string } {
  const { numHeads: H, numKvHeads: KV, headDim: hd } = cfg;
  const p = `${prefix}/mixing`;
  const qh = g.op('Reshape', `${p}/q/Reshape`, [q, g.i64([-1, H, hd])]); // [T, H, hd]
  const qs = g.op('Gather', `${p}/q/Gather`, [qh, mix.queries], { axis: int(0) }); // [m, H, hd]
  const qt = g.op('Transpose', `${p}/q/Transpose`, [qs], { perm: ints([1, 0, 2]) }); // [H, m, hd]
  const kh = g.op('Reshape', `${p}/k/Reshape`, [k, g.i64([-1, KV, hd])]); // [T, KV, hd]
  let kt = g.op('Transpose', `${p}/k/Transpose`, [kh], { perm: ints([1, 2, 0]) }); // [KV, hd, T]
  if (KV !== H) {
    // GQA: query head h reads KV head floor(h / (H / KV)), so repeat each KV head H/KV times in place.
    const k4 = g.op('Unsqueeze', `${p}/k/Unsqueeze`, [kt, g.i64([1])]); // [KV, 1, hd, T]
    const shape = g.op('Shape', `${p}/k/Shape`, [k4]); // [4]
    const target = g.op('Mul', `${p}/k/repeat/Mul`, [shape, g.i64([1, H / KV, 1, 1])]); // [KV, H/KV, hd, T]
    const ke = g.op('Expand', `${p}/k/Expand`, [k4, target]); // [KV, H/KV, hd, T]
    kt = g.op('Reshape', `${p}/k/heads/Reshape`, [ke, g.i64([H, hd, -1])]); // [H, hd, T]
  }
  const raw = g.op('MatMul', `${p}/scores/MatMul`, [qt, kt]); // [H, m, T]
  const scores = g.op('Mul', `${p}/scores/Mul`, [raw, g.f32([cfg.attnScale], [])]); // [H, m, T]
  // A large finite negative instead of -inf: masked keys get p = 0 and p log p = 0 (never 0 * -inf = NaN).
  const masked = g.op('Where', `${p}/scores/Where`, [mix.causal, scores, g.f32([-1e30], [])]); // [H, m, T]
  const { logp, sinkMass } = sinks ? withSinkColumn(g, p, masked, sinks) : { logp: g.op('LogSoftmax', `${p}/LogSoftmax`, [masked], { axis: int(-1) }), sinkMass: null }; // [H, m, T]
  const prob = g.op('Exp', `${p}/Exp`, [logp]); // [H, m, T]
  const plogp = g.op('Mul', `${p}/entropy/Mul`, [prob, logp]); // [H, m, T]
  const negH = g.op('ReduceSum', `${p}/entropy/ReduceSum`, [plogp, g.i64([-1])], { keepdims: int(0) }); // [H, m]
  const hn = g.op('Div', `${p}/entropy/Div`, [negH, mix.logNorm]); // [H, m]: -H / log(i+1)
  const meanNeg = g.op('ReduceMean', `${p}/entropy/ReduceMean`, [hn, g.i64([1])], { keepdims: int(0) }); // [H]
  const rowEntropy = g.op('Neg', `${p}/entropy/Neg`, [meanNeg]); // [H]
  const p0 = g.op('Gather', `${p}/bos/Gather`, [prob, g.i64([0], [])], { axis: int(2) }); // [H, m]
  const pself = g.op('ReduceSum', `${p}/self/ReduceSum`, [g.op('Mul', `${p}/self/Mul`, [prob, mix.self]), g.i64([-1])], { keepdims: int(0) }); // [H, m]
  let rest = g.op('Sub', `${p}/other/Sub`, [g.op('Sub', `${p}/other/bos/Sub`, [g.f32([1], []), p0]), pself]); // [H, m]
  if (sinkMass) rest = g.op('Sub', `${p}/other/sink/Sub`, [rest, sinkMass]); // [H, m]: the sink is no key
  const otherMass = g.op('ReduceMean', `${p}/other/ReduceMean`, [rest, g.i64([1])], { keepdims: int(0) }); // [H]
  return { rowEntropy, otherMass };
}

/**
 * Learned sinks (gpt-oss): the softmax runs over the keys and each head's sink logit, as the model's
 * does, and the sink column is then dropped: log p over the real keys [H, m, T] (rows sum to
 * 1 - p(sink)) and p(sink) [H, m].
 */
function withSinkColumn(g: GraphBuilder, p: string, masked: string, sinks: string): { logp: string; sinkMass: string } {
  const rows = g.op('Slice', `${p}/sink/shape/Slice`, [g.op('Shape', `${p}/sink/Shape`, [masked]), g.i64([0]), g.i64([2])]); // [2]: H, m
  const shape = g.op('Concat', `${p}/sink/shape/Concat`, [rows, g.i64([1])], { axis: int(0) }); // [3]
  const col = g.op('Expand', `${p}/sink/Expand`, [g.op('Reshape', `${p}/sink/Reshape`, [sinks, g.i64([-1, 1, 1])]), shape]); // [H, m, 1]
  const all = g.op('LogSoftmax', `${p}/LogSoftmax`, [g.op('Concat', `${p}/sink/Concat`, [masked, col], { axis: int(-1) })], { axis: int(-1) }); // [H, m, T+1]
  const logp = g.op('Slice', `${p}/keys/Slice`, [all, g.i64([0]), g.i64([-1]), g.i64([2])]); // [H, m, T]
  const last = g.op('Slice', `${p}/sink/Slice`, [all, g.i64([-1]), g.i64([2 ** 62]), g.i64([2])]); // [H, m, 1]
  const sinkMass = g.op('Exp', `${p}/sink/Exp`, [g.op('Reshape', `${p}/sink/mass/Reshape`, [last, g.i64([0, 0])])]); // [H, m]
  return { logp, sinkMass };
}
