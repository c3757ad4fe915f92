/**
 * Interventions and the next-token loss inside the forward graph ('full' probes only). Both are
 * switched by graph inputs, so one cached graph serves every intervention and every prompt:
 * - a block's attention or MLP write at one position is replaced by keep * write[p] + mean * (the
 *   mean of that write over the other positions) — zero (0, 0), mean (0, 1), scale by k (k, 0);
 *   (1, 0) leaves the row as it was (a ScatterND writes row p only);
 * - the final layer's next-token cross-entropy per position, behind an If so a run without it
 *   never makes the [T, V] logits.
 */
import type { CanonicalConfig } from '../arch/types';
import type { ModelWeights } from '../weights/types';
import { DT, graph, int, type GraphBuilder } from './builder';
import { makeHead } from './blocks/head';
import { INPUTS, OUTPUTS } from './probes';

/** What every block's write intervention shares: the count of "other" positions. */
export interface InterveneCtx {
  /** float scalar: max(T - 1, 1), the divisor of the mean over the other positions. */
  others: string;
}

/** Declares the intervention inputs and the shared tensors. */
export function makeInterveneInputs(g: GraphBuilder, cfg: CanonicalConfig, positions: string): InterveneCtx {
  const L = cfg.numLayers;
  g.input(INPUTS.interveneMlp, DT.FLOAT, [L, 2]);
  g.input(INPUTS.interveneAttn, DT.FLOAT, [L, 2]);
  g.input(INPUTS.interveneMlpPos, DT.INT64, [L]);
  g.input(INPUTS.interveneAttnPos, DT.INT64, [L]);
  g.input(INPUTS.headMask, DT.FLOAT, [L, cfg.numHeads]);
  const n = '/model/intervene/others';
  const T = g.op('Shape', `${n}/Shape`, [positions]); // [1]
  const Tf = g.op('Cast', `${n}/Cast`, [g.op('Reshape', `${n}/Reshape`, [T, g.i64([], [0])])], { to: int(DT.FLOAT) }); // scalar
  const others = g.op('Max', `${n}/Max`, [g.op('Sub', `${n}/Sub`, [Tf, g.f32([1], [])]), g.f32([1], [])]); // scalar
  return { others };
}

/*
 *  out [T,d] ─ReduceSum(0)─► sum [1,d]            p = pos[l]; row = out[p] [1,d]
 *  mean = (sum - row) / max(T-1, 1)               edited = keep * row + mean_w * mean   [1,d]
 *  ScatterND(out, [[p]], edited) ─► [T,d]         (rows other than p are the input's)
 *  ScatterND is the last reader of `out`, so onnxruntime writes the one row in place: no [T, d] pass and no new
 *  [T, d] buffer per write, where a Where over an [T, 1] mask cost ~3% of the forward with 24 writes.
 */
export function interveneWrite(g: GraphBuilder, x: InterveneCtx, name: string, out: string, which: 'mlp' | 'attn', l: number): string {
  const coefIn = which === 'mlp' ? INPUTS.interveneMlp : INPUTS.interveneAttn;
  const posIn = which === 'mlp' ? INPUTS.interveneMlpPos : INPUTS.interveneAttnPos;
  const layer = g.i64([l], []);
  const p = g.op('Gather', `${name}/pos/Gather`, [posIn, layer], { axis: int(0) }); // scalar int64
  const coef = g.op('Gather', `${name}/coef/Gather`, [coefIn, layer], { axis: int(0) }); // [2]
  const keep = g.op('Gather', `${name}/keep/Gather`, [coef, g.i64([0], [])], { axis: int(0) }); // scalar
  const meanW = g.op('Gather', `${name}/mean_w/Gather`, [coef, g.i64([1], [])], { axis: int(0) }); // scalar
  const row = g.op('Gather', `${name}/row/Gather`, [out, g.op('Unsqueeze', `${name}/pos/Unsqueeze`, [p, g.i64([0])])], { axis: int(0) }); // [1, d]
  const sum = g.op('ReduceSum', `${name}/sum/ReduceSum`, [out, g.i64([0])], { keepdims: int(1) }); // [1, d]
  const mean = g.op('Div', `${name}/mean/Div`, [g.op('Sub', `${name}/mean/Sub`, [sum, row]), x.others]); // [1, d]
  const kept = g.op('Mul', `${name}/keep/Mul`, [row, keep]); // [1, d]
  const edited = g.op('Add', `${name}/edited/Add`, [kept, g.op('Mul', `${name}/mean/Mul`, [mean, meanW])]); // [1, d]
  const at = g.op('Unsqueeze', `${name}/at/Unsqueeze`, [p, g.i64([0, 1])]); // [1, 1] int64
  return g.op('ScatterND', `${name}/ScatterND`, [out, at, edited]); // [T, d]
}

/*
 *  If(loss_on > 0)
 *    then: h[L] [T,d] ─ final norm ─ lm_head ─► logits [T,V] ─┬─ ReduceLogSumExp ─► lse [T,1] ─┐
 *                                                           └─ GatherElements(lens_targets) ─Sub─► nll [T] ─Slice(0..T-1)─► [T-1]
 *    else: [1] zeros
 */
export function makeTokenLoss(g: GraphBuilder, cfg: CanonicalConfig, w: ModelWeights, h: string): void {
  const on = g.input(INPUTS.lossOn, DT.INT64, [1]);
  const n = '/model/loss';
  const cond = g.op('Greater', `${n}/on/Greater`, [g.op('Reshape', `${n}/on/Reshape`, [on, g.i64([], [0])]), g.i64([0], [])]);
  const then = g.subgraph();
  // The same unembedding as the last logits and the lens (final norm, project_out, logits scaling, soft-cap).
  const logits = makeHead(then, { norm: `${n}/norm`, head: `${n}/lm_head` }, h, cfg, w, g); // [T, V]
  const lse = then.op('ReduceLogSumExp', `${n}/ReduceLogSumExp`, [logits, g.i64([-1])], { keepdims: int(1) }); // [T, 1]
  const picked = then.op('GatherElements', `${n}/GatherElements`, [logits, INPUTS.lensTargets], { axis: int(1) }); // [T, 1]
  const nll = then.op('Reshape', `${n}/nll/Reshape`, [then.op('Sub', `${n}/nll/Sub`, [lse, picked]), g.i64([-1])]); // [T]
  const cut = then.op('Slice', `${n}/nll/Slice`, [nll, g.i64([0]), g.i64([-1]), g.i64([0])]); // [T-1]
  then.branchOutput(cut, DT.FLOAT);
  const otherwise = g.subgraph();
  otherwise.branchOutput(otherwise.op('Identity', `${n}/off/Identity`, [g.f32([0], [1])]), DT.FLOAT);
  const [loss] = g.node('If', `${n}/If`, [cond], { then_branch: graph(then), else_branch: graph(otherwise) }, 1);
  g.output(loss as string, OUTPUTS.tokenLoss, DT.FLOAT, null);
}
