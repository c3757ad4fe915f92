/**
 * The small per-block probe outputs — mixing [L, H] x2, BOS writes [L, 3], learned-sink share
 * [L, H] — leave the graph through one chain built after every other node:
 *
 *   row_l = Concat(mix_row_entropy_l [H], mix_other_mass_l [H], bos_writes_l [3] (, sink_share_l [H]))  [1, P]
 *   acc_0 = row_0;  acc_l = Concat(acc_{l-1}, row_l)                                                    [l+1, P]
 *   each output = Slice(acc_{L-1}, its columns)                                                         [L, k]
 *
 * Why a chain: onnxruntime orders a graph's nodes by a depth-first walk back from its last nodes,
 * inputs of higher node index first. With one Concat per output, the walk reached the whole forward
 * through the hidden states before any probe, so every block's probes ran after the last block:
 * each block's q and k (the mixing probe's inputs) stayed allocated to the end of the run, and the
 * MLP's activations got fresh memory in every layer instead of reusing freed buffers. Walking back
 * from the chain reaches acc_0 first, so block l's probes run right after block l. The rows and the
 * chain are built after the blocks (higher node indices), the Slices last of all.
 */
import { DT, int, type GraphBuilder } from './builder';
import { OUTPUTS } from './probes';

export interface BlockRow {
  /** [H] each, or null when the mixing probe is left out (its outputs are zeros then). */
  rowEntropy: string | null;
  otherMass: string | null;
  /** [3]. */
  writes: string;
  /** [H], models with learned sinks only. */
  sinkShare: string | null;
}

/** Emits the outputs of the per-block probes (see above); call it after every other node of the graph. */
export function emitBlockProbeOutputs(g: GraphBuilder, blocks: readonly BlockRow[], H: number): void {
  const L = blocks.length;
  const first = blocks[0];
  if (!first) throw new Error('emitBlockProbeOutputs: no blocks');
  const mixing = first.rowEntropy !== null && first.otherMass !== null;
  const sinks = first.sinkShare !== null;
  const cols: { output: string; width: number }[] = [
    ...(mixing ? [{ output: OUTPUTS.mixRowEntropy, width: H }, { output: OUTPUTS.mixOtherMass, width: H }] : []),
    { output: OUTPUTS.bosWrites, width: 3 },
    ...(sinks ? [{ output: OUTPUTS.attnSinkShare, width: H }] : []),
  ];
  // Rows in reverse block order, so row_0 has the highest index of them: the walk takes acc_0 = row_0
  // before row_1 at the first link (every later acc is a chain node, made after all rows).
  const rows: string[] = new Array<string>(L);
  for (let l = L - 1; l >= 0; l--) {
    const b = blocks[l] as BlockRow;
    const parts = [...(mixing ? [b.rowEntropy, b.otherMass] : []), b.writes, ...(sinks ? [b.sinkShare] : [])];
    if (parts.some((p) => p === null)) throw new Error(`emitBlockProbeOutputs: block ${l} lacks a probe the others have`);
    const row = g.op('Concat', `/model/probes/blocks.${l}/row/Concat`, parts as string[], { axis: int(0) }); // [P]
    rows[l] = g.op('Unsqueeze', `/model/probes/blocks.${l}/row/Unsqueeze`, [row, g.i64([0])]); // [1, P]
  }
  let acc = rows[0] as string;
  for (let l = 1; l < L; l++) acc = g.op('Concat', `/model/probes/blocks.${l}/chain/Concat`, [acc, rows[l] as string], { axis: int(0) }); // [l+1, P]
  if (!mixing) {
    const zeros = g.f32(new Array<number>(L * H).fill(0), [L, H]);
    g.output(zeros, OUTPUTS.mixRowEntropy, DT.FLOAT, [L, H]);
    g.output(zeros, OUTPUTS.mixOtherMass, DT.FLOAT, [L, H]);
  }
  let at = 0;
  for (const c of cols) {
    const name = `/model/probes/${c.output}/Slice`;
    const cut = g.op('Slice', name, [acc, g.i64([at]), g.i64([at + c.width]), g.i64([1])]); // [L, width]
    g.output(cut, c.output, DT.FLOAT, [L, c.width]);
    at += c.width;
  }
}
