/**
 * The gpt-oss mixture-of-experts MLP, evaluated densely: every expert runs on every token and the
 * routing weights (zero for the experts a token was not routed to) mix their outputs. That is
 * transformers' inference path and exact, but costs E/k times the active compute of the MLP
 * (gpt-oss-20b: 32/4 = 8x); each expert's projections take the builder's precision like any linear
 * (int4/int8 via MatMulNBits). The router stays float32 in every precision: a quantised router could
 * change which experts a token meets.
 */
import type { MoeConfig } from '../../arch/types';
import type { ExpertWeights, MoeWeights } from '../../weights/types';
import { int, type GraphBuilder } from '../builder';
import { makeLinear } from './linear';

/*
 *  x [T,d] ─ router Gemm ─► logits [T,E] ─TopK(k)─► values, indices [T,k] ─Softmax─► w [T,k]
 *          ─ScatterElements into zeros─► routing [T,E]
 *  x ─ expert e: (clip(up)+1) * min(gate,limit) * sigmoid(alpha * min(gate,limit)) ─ down ─► [T,d]  × routing[:, e]
 *  Σ_e ─► [T,d]
 */
export function makeMoe(g: GraphBuilder, prefix: string, x: string, w: MoeWeights, moe: MoeConfig): string {
  const r = w.router;
  const rIn = r.bias ? [x, g.weight(r.weight, `${prefix}/router/weight`), g.weight(r.bias, `${prefix}/router/bias`)] : [x, g.weight(r.weight, `${prefix}/router/weight`)];
  const logits = g.op('Gemm', `${prefix}/router/Gemm`, rIn, { transB: int(1) }); // [T, E]
  const [values, indices] = g.node('TopK', `${prefix}/router/TopK`, [logits, g.i64([moe.topK])], { axis: int(-1) }, 2); // [T, k] each
  const top = g.op('Softmax', `${prefix}/router/Softmax`, [values as string], { axis: int(-1) }); // [T, k]
  const zeros = g.op('Expand', `${prefix}/router/zeros/Expand`, [g.f32([0], []), g.op('Shape', `${prefix}/router/Shape`, [logits])]); // [T, E]
  const routing = g.op('ScatterElements', `${prefix}/router/ScatterElements`, [zeros, indices as string, top], { axis: int(1) }); // [T, E]
  let sum: string | null = null;
  w.experts.forEach((ex, e) => {
    const out = makeExpert(g, `${prefix}/experts.${e}`, x, ex, moe); // [T, d]
    const we = g.op('Gather', `${prefix}/experts.${e}/routing/Gather`, [routing, g.i64([e], [1])], { axis: int(1) }); // [T, 1]
    const weighted = g.op('Mul', `${prefix}/experts.${e}/routing/Mul`, [out, we]); // [T, d]
    sum = sum === null ? weighted : g.op('Add', `${prefix}/experts.${e}/Add`, [sum, weighted]);
  });
  if (sum === null) throw new Error(`${prefix}: a mixture of experts without experts`);
  return sum;
}

/** One expert's clamped SwiGLU on x [T, d] -> [T, d]. */
function makeExpert(g: GraphBuilder, p: string, x: string, w: ExpertWeights, moe: MoeConfig): string {
  const lim = moe.swigluLimit;
  const gate = g.op('Min', `${p}/gate/Min`, [makeLinear(g, `${p}/gate_proj`, x, w.gate), g.f32([lim], [])]); // [T, ff]
  const up = g.op('Clip', `${p}/up/Clip`, [makeLinear(g, `${p}/up_proj`, x, w.up), g.f32([-lim], []), g.f32([lim], [])]); // [T, ff]
  const sig = g.op('Sigmoid', `${p}/glu/Sigmoid`, [g.op('Mul', `${p}/glu/alpha/Mul`, [gate, g.f32([moe.swigluAlpha], [])])]); // [T, ff]
  const glu = g.op('Mul', `${p}/glu/Mul`, [gate, sig]); // [T, ff]
  const h = g.op('Mul', `${p}/Mul`, [g.op('Add', `${p}/up/Add`, [up, g.f32([1], [])]), glu]); // [T, ff]
  return makeLinear(g, `${p}/down_proj`, h, w.down); // [T, d]
}
