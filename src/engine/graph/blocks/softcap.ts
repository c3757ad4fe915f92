/** Gemma 2 final logit soft-capping: logits -> c * tanh(logits / c). */
import type { GraphBuilder } from '../builder';

/** `logits` [..., V] capped at +-cap; identity without a cap. Constants live in `consts` (the main graph inside a Loop body). */
export function softcapLogits(g: GraphBuilder, name: string, logits: string, cap: number | null | undefined, consts: GraphBuilder = g): string {
  if (!cap) return logits;
  const c = consts.f32([cap], []);
  const t = g.op('Tanh', `${name}/softcap/Tanh`, [g.op('Div', `${name}/softcap/Div`, [logits, c])]);
  return g.op('Mul', `${name}/softcap/Mul`, [t, c]);
}
