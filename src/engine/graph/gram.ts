/**
 * The Gram side graph, built only when first asked so the default forward never pays for it:
 * per-layer h[l]^T h[l] [d, d] and h[l] h[l]^T [T, T] from the forward's `hidden_states` (a run
 * fetches only the side it needs; onnxruntime computes only what is fetched). It holds no weights,
 * so it can be built after the weight store is closed.
 */
import type { CanonicalConfig } from '../arch/types';
import { DT, ints, GraphBuilder } from './builder';
import { GRAM } from './probes';

/** gram_hidden [L+1, T, d] -> X^T X per layer [L+1, d, d] and X X^T per layer [L+1, T, T]. */
export function buildGramGraph(cfg: CanonicalConfig): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.input(GRAM.hidden, DT.FLOAT, [cfg.numLayers + 1, 'T', cfg.hiddenSize]);
  const xt = g.op('Transpose', '/gram/Transpose', [x], { perm: ints([0, 2, 1]) }); // [L+1, d, T]
  g.output(g.op('MatMul', '/gram/MatMul', [xt, x]), GRAM.gram, DT.FLOAT, [cfg.numLayers + 1, cfg.hiddenSize, cfg.hiddenSize]);
  g.output(g.op('MatMul', '/gram/rows/MatMul', [x, xt]), GRAM.rows, DT.FLOAT, [cfg.numLayers + 1, 'T', 'T']);
  return g;
}
