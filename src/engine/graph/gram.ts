/**
 * The Gram side graph, built only when first asked so the default forward never pays for it:
 * per-layer h[l]^T h[l] from the forward's `hidden_states`. It holds no weights, so it can be
 * built after the weight store is closed.
 */
import type { CanonicalConfig } from '../arch/types';
import { DT, ints, GraphBuilder } from './builder';
import { GRAM } from './probes';

/** gram_hidden [L+1, T, d] -> X^T X per layer -> [L+1, d, d]. */
export function buildGramGraph(cfg: CanonicalConfig): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.input(GRAM.hidden, DT.FLOAT, [cfg.numLayers + 1, 'T', cfg.hiddenSize]);
  const xt = g.op('Transpose', '/gram/Transpose', [x], { perm: ints([0, 2, 1]) }); // [L+1, d, T]
  g.output(g.op('MatMul', '/gram/MatMul', [xt, x]), GRAM.gram, DT.FLOAT, [cfg.numLayers + 1, cfg.hiddenSize, cfg.hiddenSize]);
  return g;
}
