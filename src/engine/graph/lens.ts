/**
 * The logit lens inside the forward graph, behind an If so the default path never runs it: the
 * final norm and the unembedding are the forward's own initializers (no second copy of the LM
 * head, nothing to load after the weight store is closed). A Loop visits the requested layers one
 * at a time, so at most one [T, V] logits tensor exists at once.
 */
import type { CanonicalConfig } from '../arch/types';
import type { ModelWeights } from '../weights/types';
import { DT, graph, int, type GraphBuilder } from './builder';
import { makeHead } from './blocks/head';
import { INPUTS, OUTPUTS } from './probes';

/** Declares the lens inputs and outputs; `hidden` is the stacked [L+1, T, d] probe. */
export function makeLogitLens(g: GraphBuilder, cfg: CanonicalConfig, w: ModelWeights, hidden: string): void {
  const layers = g.input(INPUTS.lensLayers, DT.INT64, ['n']);
  const k = g.input(INPUTS.lensK, DT.INT64, [1]);
  g.input(INPUTS.lensTargets, DT.INT64, ['T', 1]);
  const on = g.op('Greater', '/model/lens/on/Greater', [g.op('Reshape', '/model/lens/on/Reshape', [k, g.i64([], [0])]), g.i64([0], [])]);

  const then = g.subgraph();
  const n = then.op('Shape', '/model/lens/n/Shape', [layers]); // [1]
  const count = then.op('Reshape', '/model/lens/n/Reshape', [n, g.i64([], [0])]); // scalar
  const body = makeLensBody(g, cfg, w, hidden);
  const outs = then.node('Loop', '/model/lens/Loop', [count, ''], { body: graph(body) }, 3);
  outs.forEach((o, i) => then.branchOutput(o, i === 1 ? DT.INT64 : DT.FLOAT));

  const otherwise = g.subgraph();
  otherwise.branchOutput(otherwise.op('Identity', '/model/lens/off/values', [g.f32([0], [1, 1, 1])]), DT.FLOAT);
  otherwise.branchOutput(otherwise.op('Identity', '/model/lens/off/ids', [g.i64([0], [1, 1, 1])]), DT.INT64);
  otherwise.branchOutput(otherwise.op('Identity', '/model/lens/off/nll', [g.f32([0], [1, 1])]), DT.FLOAT);

  const [values, ids, nll] = g.node('If', '/model/lens/If', [on], { then_branch: graph(then), else_branch: graph(otherwise) }, 3);
  g.output(values as string, OUTPUTS.lensValues, DT.FLOAT, null);
  g.output(ids as string, OUTPUTS.lensIds, DT.INT64, null);
  g.output(nll as string, OUTPUTS.lensNll, DT.FLOAT, null);
}

/*
 *  iteration i:  l = lens_layers[i] ─► hidden[l] [T,d] ─ makeHead (final norm, lm_head) ─► logits [T,V]
 *                  logits ─┬─ TopK(lens_k) ─────────────────────────► values, ids [T,k]   (scan outputs)
 *                          ├─ ReduceLogSumExp ─► lse [T,1] ─┐
 *                          └─ GatherElements(targets) [T,1] ─Sub─► nll [T]                (scan output)
 */
function makeLensBody(g: GraphBuilder, cfg: CanonicalConfig, w: ModelWeights, hidden: string): GraphBuilder {
  const b = g.subgraph();
  const iter = b.input('/model/lens/body/iteration', DT.INT64, []);
  const condIn = b.input('/model/lens/body/cond_in', DT.BOOL, []);
  const p = '/model/lens/body';
  const l = b.op('Gather', `${p}/layer/Gather`, [INPUTS.lensLayers, iter], { axis: int(0) }); // scalar
  const h = b.op('Gather', `${p}/hidden/Gather`, [hidden, l], { axis: int(0) }); // [T, d]
  const logits = makeHead(b, { norm: `${p}/norm`, head: `${p}/lm_head` }, h, cfg, w, g); // [T, V]
  const [values, ids] = b.node('TopK', `${p}/TopK`, [logits, INPUTS.lensK], { axis: int(-1) }, 2);
  const lse = b.op('ReduceLogSumExp', `${p}/ReduceLogSumExp`, [logits, g.i64([-1])], { keepdims: int(1) }); // [T, 1]
  const picked = b.op('GatherElements', `${p}/GatherElements`, [logits, INPUTS.lensTargets], { axis: int(1) }); // [T, 1]
  const nll = b.op('Reshape', `${p}/nll/Reshape`, [b.op('Sub', `${p}/nll/Sub`, [lse, picked]), g.i64([-1])]); // [T]
  b.branchOutput(b.op('Identity', `${p}/cond_out`, [condIn]), DT.BOOL);
  b.branchOutput(values as string, DT.FLOAT);
  b.branchOutput(ids as string, DT.INT64);
  b.branchOutput(nll, DT.FLOAT);
  return b;
}
