/** Torch-layout linear layers as Gemm(transB=1): the weight stays [out, in] as stored. */
import type { LinearWeights } from '../../weights/types';
import { int, type GraphBuilder } from '../builder';

/** `x` [T, in] -> [T, out] = x W^T + b. */
export function makeLinear(g: GraphBuilder, name: string, x: string, w: LinearWeights): string {
  const weight = g.weight(w.weight, `${name}/weight`);
  const inputs = w.bias ? [x, weight, g.weight(w.bias, `${name}/bias`)] : [x, weight];
  return g.op('Gemm', `${name}/Gemm`, inputs, { transB: int(1) });
}
