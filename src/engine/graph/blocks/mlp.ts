/** The feed-forward block: gated (SwiGLU-style) or plain, with silu / gelu_new / gelu / relu. */
import type { CanonicalConfig } from '../../arch/types';
import type { LayerWeights } from '../../weights/types';
import { str, type GraphBuilder } from '../builder';
import { makeLinear } from './linear';

/** act(x) for `x` [T, ff]. gelu_new is Gelu-20 with the tanh approximation, gelu the erf form. */
function activation(g: GraphBuilder, name: string, x: string, act: CanonicalConfig['act']): string {
  switch (act) {
    case 'silu':
      return g.op('Mul', `${name}/Mul`, [x, g.op('Sigmoid', `${name}/Sigmoid`, [x])]);
    case 'gelu_new':
      return g.op('Gelu', `${name}/Gelu`, [x], { approximate: str('tanh') });
    case 'gelu':
      return g.op('Gelu', `${name}/Gelu`, [x]);
    case 'relu':
      return g.op('Relu', `${name}/Relu`, [x]);
  }
}

/*
 *  gated:  x [T,d] ─┬─ gate_proj ─► act ─┐
 *                   └─ up_proj ──────────Mul─► [T,ff] ─ down_proj ─► [T,d]
 *  plain:  x [T,d] ── up_proj ─► act ─► [T,ff] ─ down_proj ─► [T,d]
 */
export function makeMlp(g: GraphBuilder, prefix: string, x: string, w: LayerWeights, cfg: CanonicalConfig): string {
  const up = makeLinear(g, `${prefix}/up_proj`, x, w.up); // [T, ff]
  let hidden: string;
  if (cfg.gatedMlp) {
    if (!w.gate) throw new Error(`${prefix}: gated MLP without gate weights`);
    const gate = activation(g, `${prefix}/act`, makeLinear(g, `${prefix}/gate_proj`, x, w.gate), cfg.act);
    hidden = g.op('Mul', `${prefix}/gate/Mul`, [gate, up]);
  } else {
    hidden = activation(g, `${prefix}/act`, up, cfg.act);
  }
  return makeLinear(g, `${prefix}/down_proj`, hidden, w.down);
}
