/**
 * Causal self-attention of one block with ONNX opset-23 `Attention` (GQA handled by the op via
 * q_num_heads / kv_num_heads). With `probs`, qk_matmul_output_mode=3 also returns the
 * post-softmax probabilities [1, H, T, T]; they stay inside the graph (only column 0 and an
 * on-demand single head leave it).
 */
import type { CanonicalConfig, LayerWeights } from '../../model/types';
import { float, int, type GraphBuilder } from '../builder';
import { makeLinear } from './linear';
import { makeNorm } from './norm';
import { makeRope } from './rope';

export interface AttentionOut {
  out: string; // [T, d]
  probs: string | null; // [1, H, T, T]
}

/*
 *  x [T,d] ─┬─ q_proj ─► [T,H*hd] ─Reshape─► [T,H,hd] ─(q_norm)─(RoPE)─Reshape─► [1,T,H*hd] ─┐
 *           ├─ k_proj ─► [T,KV*hd] ─Reshape─► [T,KV,hd] ─(k_norm)─(RoPE)─Reshape─► [1,T,KV*hd] ─┤
 *           └─ v_proj ─► [T,KV*hd] ─Reshape─────────────────────────────────► [1,T,KV*hd] ─┤
 *                                                                                          ▼
 *                           Attention(is_causal, scale) ─► Y [1,T,H*hd], probs [1,H,T,T]
 *                                           │
 *                       Reshape [T,H*hd] ─ o_proj ─► [T,d]
 */
export function makeAttention(
  g: GraphBuilder,
  prefix: string,
  x: string,
  w: LayerWeights,
  cfg: CanonicalConfig,
  rope: { cos: string; sin: string } | null,
  withProbs: boolean,
): AttentionOut {
  const { numHeads: H, numKvHeads: KV, headDim: hd } = cfg;
  const q = headed(g, `${prefix}/q`, makeLinear(g, `${prefix}/q_proj`, x, w.q), w.qNorm, H, cfg, rope);
  const k = headed(g, `${prefix}/k`, makeLinear(g, `${prefix}/k_proj`, x, w.k), w.kNorm, KV, cfg, rope);
  const v = g.op('Reshape', `${prefix}/v/Reshape`, [makeLinear(g, `${prefix}/v_proj`, x, w.v), g.i64([1, -1, KV * hd])]);
  const attrs = {
    is_causal: int(1),
    q_num_heads: int(H),
    kv_num_heads: int(KV),
    scale: float(cfg.attnScale),
    ...(withProbs ? { qk_matmul_output_mode: int(3) } : {}),
  };
  const outs = g.node('Attention', `${prefix}/Attention`, [q, k, v], attrs, withProbs ? 4 : 1);
  if (withProbs) {
    // Outputs 1 and 2 (present key/value) are not wanted: an empty name omits an optional output.
    const node = g.nodes[g.nodes.length - 1];
    if (node) g.nodes[g.nodes.length - 1] = { ...node, outputs: [outs[0] as string, '', '', outs[3] as string] };
  }
  const y = g.op('Reshape', `${prefix}/Y/Reshape`, [outs[0] as string, g.i64([-1, H * hd])]); // [T, H*hd]
  return { out: makeLinear(g, `${prefix}/o_proj`, y, w.o), probs: withProbs ? (outs[3] as string) : null };
}

/** [T, n*hd] -> optional per-head RMSNorm and RoPE -> [1, T, n*hd]. */
function headed(
  g: GraphBuilder,
  name: string,
  x: string,
  norm: LayerWeights['qNorm'],
  n: number,
  cfg: CanonicalConfig,
  rope: { cos: string; sin: string } | null,
): string {
  const hd = cfg.headDim;
  if (!norm && !rope) return g.op('Reshape', `${name}/Reshape`, [x, g.i64([1, -1, n * hd])]);
  let h = g.op('Reshape', `${name}/heads/Reshape`, [x, g.i64([-1, n, hd])]); // [T, n, hd]
  if (norm) h = makeNorm(g, `${name}_norm`, h, norm, 'rms', cfg.normEps);
  if (rope && cfg.rope) h = makeRope(g, `${name}/rotary`, h, hd, cfg.rope.rotaryDim, rope);
  return g.op('Reshape', `${name}/Reshape`, [h, g.i64([1, -1, n * hd])]); // [1, T, n*hd]
}
