/**
 * Small side graphs built only when first asked, so the default forward never pays for them:
 * the logit lens (final norm + unembedding on chosen hidden states) and the per-layer Gram
 * matrices. Both take the forward's `hidden_states` as input.
 */
import type { CanonicalConfig, ModelWeights } from '../model/types';
import { DT, int, ints, GraphBuilder } from './builder';
import { makeLinear } from './blocks/linear';
import { makeNorm } from './blocks/norm';
import { GRAM, LENS } from './probes';

/*
 *  lens_hidden [n,C,d] ─Reshape─► [N,d] ─ final norm ─ lm_head ─► logits [N,V] ─┬─ TopK(k) ─► values, ids [N,k]
 *                                                                               └─ LogSoftmax ─ GatherElements(targets) ─ Neg ─► nll [N]
 */
export function buildLensGraph(cfg: CanonicalConfig, w: ModelWeights): GraphBuilder {
  const g = new GraphBuilder();
  const hidden = g.input(LENS.hidden, DT.FLOAT, ['n', 'C', cfg.hiddenSize]);
  const targets = g.input(LENS.targets, DT.INT64, ['N', 1]);
  const k = g.input(LENS.k, DT.INT64, [1]);
  const flat = g.op('Reshape', '/lens/Reshape', [hidden, g.i64([-1, cfg.hiddenSize])]); // [N, d]
  const normed = makeNorm(g, '/model/norm', flat, w.finalNorm, cfg.norm, cfg.normEps);
  const logits = makeLinear(g, '/lm_head', normed, { weight: w.lmHead, bias: w.lmHeadBias }); // [N, V]
  const [values, ids] = g.node('TopK', '/lens/TopK', [logits, k], { axis: int(-1) }, 2);
  const logp = g.op('LogSoftmax', '/lens/LogSoftmax', [logits], { axis: int(-1) }); // [N, V]
  const picked = g.op('GatherElements', '/lens/GatherElements', [logp, targets], { axis: int(1) }); // [N, 1]
  const nll = g.op('Neg', '/lens/Neg', [g.op('Reshape', '/lens/nll/Reshape', [picked, g.i64([-1])])]); // [N]
  g.output(values as string, LENS.values, DT.FLOAT, ['N', 'k']);
  g.output(ids as string, LENS.ids, DT.INT64, ['N', 'k']);
  g.output(nll, LENS.nll, DT.FLOAT, ['N']);
  return g;
}

/** gram_hidden [L+1, T, d] -> X^T X per layer -> [L+1, d, d]. */
export function buildGramGraph(cfg: CanonicalConfig): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.input(GRAM.hidden, DT.FLOAT, [cfg.numLayers + 1, 'T', cfg.hiddenSize]);
  const xt = g.op('Transpose', '/gram/Transpose', [x], { perm: ints([0, 2, 1]) }); // [L+1, d, T]
  g.output(g.op('MatMul', '/gram/MatMul', [xt, x]), GRAM.gram, DT.FLOAT, [cfg.numLayers + 1, cfg.hiddenSize, cfg.hiddenSize]);
  return g;
}
