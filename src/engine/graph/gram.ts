/**
 * The Gram side graphs, built only when first asked so the default forward never pays for them:
 * per-layer h[l]^T h[l] [d, d] ('cols') or h[l] h[l]^T [T, T] ('rows') from the forward's
 * `hidden_states`. One graph per side: onnxruntime runs every node of a graph whatever the run
 * fetches, so a graph holding both would compute both (at T = 1024 on GPT-2 small the unwanted
 * T x T side cost as much again as the d x d one). They hold no weights, so they can be built after
 * the weight store is closed.
 */
import type { CanonicalConfig } from '../arch/types';
import { DT, ints, GraphBuilder } from './builder';
import { GRAM } from './probes';

export type GramSide = 'cols' | 'rows';

/** gram_hidden [L+1, T, d] -> X^T X per layer [L+1, d, d] ('cols') or X X^T per layer [L+1, T, T] ('rows'). */
export function buildGramGraph(cfg: CanonicalConfig, side: GramSide): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.input(GRAM.hidden, DT.FLOAT, [cfg.numLayers + 1, 'T', cfg.hiddenSize]);
  const xt = g.op('Transpose', '/gram/Transpose', [x], { perm: ints([0, 2, 1]) }); // [L+1, d, T]
  if (side === 'cols') g.output(g.op('MatMul', '/gram/MatMul', [xt, x]), GRAM.gram, DT.FLOAT, [cfg.numLayers + 1, cfg.hiddenSize, cfg.hiddenSize]);
  else g.output(g.op('MatMul', '/gram/rows/MatMul', [x, xt]), GRAM.rows, DT.FLOAT, [cfg.numLayers + 1, 'T', 'T']);
  return g;
}
