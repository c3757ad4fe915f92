/**
 * The gpt-oss mixture-of-experts MLP, evaluated sparsely: each expert runs only on the tokens routed
 * to it (NonZero of its routing column, GatherND of those rows), and its output, times the routing
 * weight, is scatter-added back at their rows. The result is transformers' dense inference path (every
 * expert on every token, weighted by routing weights that are zero for unrouted experts) without its
 * E/k-fold compute (gpt-oss-20b: 32/4 = 8x): the experts cost what the active parameters cost. Each
 * expert's projections take the builder's precision like any linear (int4/int8 via MatMulNBits). The
 * router stays float32 in every precision: a quantised router could change which experts a token meets.
 */
import type { MoeConfig } from '../../arch/types';
import type { ExpertWeights, MoeWeights } from '../../weights/types';
import { int, str, type GraphBuilder } from '../builder';
import { makeLinear } from './linear';

/*
 *  x [T,d] ─ router Gemm ─► logits [T,E] ─TopK(k)─► values, indices [T,k] ─Softmax─► w [T,k]
 *          ─ScatterElements into zeros─► routing [T,E]
 *  expert e: rows = NonZero(routing[:, e] > 0) [n] ─ x[rows] [n,d]
 *            ─ (clip(up)+1) * min(gate,limit) * sigmoid(alpha * min(gate,limit)) ─ down ─► [n,d] × routing[rows, e]
 *            ─ScatterND(add) into the running sum ─► [T,d]
 */
export function makeMoe(g: GraphBuilder, prefix: string, x: string, w: MoeWeights, moe: MoeConfig): string {
  const r = w.router;
  const rIn = r.bias ? [x, g.weight(r.weight, `${prefix}/router/weight`), g.weight(r.bias, `${prefix}/router/bias`)] : [x, g.weight(r.weight, `${prefix}/router/weight`)];
  const logits = g.op('Gemm', `${prefix}/router/Gemm`, rIn, { transB: int(1) }); // [T, E]
  const [values, indices] = g.node('TopK', `${prefix}/router/TopK`, [logits, g.i64([moe.topK])], { axis: int(-1) }, 2); // [T, k] each
  const top = g.op('Softmax', `${prefix}/router/Softmax`, [values as string], { axis: int(-1) }); // [T, k]
  const zeros = g.op('Expand', `${prefix}/router/zeros/Expand`, [g.f32([0], []), g.op('Shape', `${prefix}/router/Shape`, [logits])]); // [T, E]
  const routing = g.op('ScatterElements', `${prefix}/router/ScatterElements`, [zeros, indices as string, top], { axis: int(1) }); // [T, E]
  // Sparse: each expert runs only on the tokens routed to it, and its weighted output is added back at their rows.
  let sum = g.op('Expand', `${prefix}/zeros/Expand`, [g.f32([0], []), g.op('Shape', `${prefix}/Shape`, [x])]); // [T, d]
  w.experts.forEach((ex, e) => {
    const p = `${prefix}/experts.${e}`;
    const we = g.op('Gather', `${p}/routing/Gather`, [routing, g.i64([e], [])], { axis: int(1) }); // [T]
    const rows = g.op('NonZero', `${p}/NonZero`, [g.op('Greater', `${p}/Greater`, [we, g.f32([0], [])])]); // [1, n] int64
    const idx = g.op('Reshape', `${p}/rows/Reshape`, [rows, g.i64([-1, 1])]); // [n, 1]
    const xs = g.op('GatherND', `${p}/x/GatherND`, [x, idx]); // [n, d]
    const ws = g.op('GatherND', `${p}/routing/GatherND`, [we, idx]); // [n]
    const out = makeExpert(g, p, xs, ex, moe); // [n, d]
    const weighted = g.op('Mul', `${p}/routing/Mul`, [out, g.op('Unsqueeze', `${p}/routing/Unsqueeze`, [ws, g.i64([1])])]); // [n, d]
    sum = g.op('ScatterND', `${p}/ScatterND`, [sum, idx, weighted], { reduction: str('add') }); // [T, d]
  });
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
