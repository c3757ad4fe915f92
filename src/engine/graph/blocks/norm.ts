/** RMSNorm / LayerNorm over the last axis, one ONNX op each (opset 23 / 17). */
import type { CanonicalConfig } from '../../arch/types';
import type { NormWeights } from '../../weights/types';
import { float, int, type GraphBuilder } from '../builder';

/**
 * `x` [..., n] -> [..., n]. RMS: x / sqrt(mean(x^2) + eps) * w (RMSNormalization-23, computed in
 * float32). Layer: (x - mean) / sqrt(var + eps) * w + b (LayerNormalization-17).
 */
export function makeNorm(g: GraphBuilder, name: string, x: string, w: NormWeights, kind: CanonicalConfig['norm'], eps: number): string {
  const scale = g.weight(w.weight, `${name}/weight`);
  if (kind === 'rms') {
    if (w.bias) throw new Error(`${name}: RMSNorm with a bias is not a canonical layout`);
    return g.op('RMSNormalization', `${name}/RMSNormalization`, [x, scale], { axis: int(-1), epsilon: float(eps) });
  }
  const inputs = w.bias ? [x, scale, g.weight(w.bias, `${name}/bias`)] : [x, scale];
  return g.op('LayerNormalization', `${name}/LayerNormalization`, inputs, { axis: int(-1), epsilon: float(eps) });
}
