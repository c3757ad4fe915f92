/**
 * The unembedding shared by the last-position logits and the logit lens: final norm (when the model
 * has one), OPT's project_out (when word_embed_proj_dim differs from hidden), the LM head, and
 * Granite's logits_scaling, then Gemma 2's final soft-cap.
 */
import type { CanonicalConfig } from '../../arch/types';
import type { ModelWeights } from '../../weights/types';
import type { GraphBuilder } from '../builder';
import { makeLinear } from './linear';
import { makeNorm } from './norm';
import { softcapLogits } from './softcap';

/*
 *  h [T, d] ─(final norm)─(project_out)─ lm_head ─(÷ logits_scaling)─(soft-cap)─► logits [T, V]
 *  `consts` holds the constants when g is a subgraph (an If branch reads the main graph's initializers).
 */
export function makeHead(g: GraphBuilder, prefix: { norm: string; head: string }, h: string, cfg: CanonicalConfig, w: ModelWeights, consts: GraphBuilder = g): string {
  let x = w.finalNorm ? makeNorm(g, prefix.norm, h, w.finalNorm, cfg.norm, cfg.normEps) : h; // [T, d]
  if (w.embedProjOut) x = makeLinear(g, `${prefix.head}/project_out`, x, w.embedProjOut); // [T, e]
  const logits = makeLinear(g, prefix.head, x, { weight: w.lmHead, bias: w.lmHeadBias }, 'head'); // [T, V]
  const s = cfg.logitsScaling ?? 1;
  const scaled = s === 1 ? logits : g.op('Div', `${prefix.head}/logits_scaling/Div`, [logits, consts.f32([s], [])]); // [T, V]
  return softcapLogits(g, prefix.head, scaled, cfg.finalSoftcap, consts);
}
