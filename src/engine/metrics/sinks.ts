/**
 * Attention sinks (metrics.md "Attention sinks") from attnToBos [L, H, T]: the probability that
 * query i of head k in block b attends to key 0.
 *
 * T = 1 (only BOS): without includeFirstQuery there is no query to average over; scores are then
 * defined as 0 (no evidence of a sink) so that rates and summaries stay numbers.
 */
import { DEFAULT_TAU } from '../../shared/defaults';
import type { FloatArray } from './types';

export { DEFAULT_TAU };

/** s[b][k] = mean_{i=1..T-1} A[b][k][i][0] (i from 0 with includeFirstQuery). Returns [H]. */
export function headSinkScores(attnToBos: FloatArray, block: number, H: number, T: number, includeFirstQuery = false): number[] {
  const first = includeFirstQuery ? 0 : 1;
  const count = T - first;
  const scores: number[] = [];
  for (let k = 0; k < H; k++) {
    const base = (block * H + k) * T;
    let s = 0;
    for (let i = first; i < T; i++) s += attnToBos[base + i] as number;
    scores.push(count > 0 ? s / count : 0);
  }
  return scores;
}

/** Fraction of heads with score >= tau; 0 for no heads. */
export function sinkRate(scores: readonly number[], tau = DEFAULT_TAU): number {
  if (scores.length === 0) return 0;
  let n = 0;
  for (const s of scores) if (s >= tau) n++;
  return n / scores.length;
}

/** mass[i] = mean_k A[b][k][i][0] for every query i (i = 0 included: it is 1 under causal masking). Returns [T]. */
export function tokenSinkMass(attnToBos: FloatArray, block: number, H: number, T: number): number[] {
  const mass = new Array<number>(T).fill(0);
  for (let k = 0; k < H; k++) {
    const base = (block * H + k) * T;
    for (let i = 0; i < T; i++) mass[i] = (mass[i] as number) + (attnToBos[base + i] as number);
  }
  return H > 0 ? mass.map((m) => m / H) : mass;
}

/**
 * The token strip: per-token sink mass averaged over the entries masses[from..to] (inclusive,
 * clamped to the list; null entries, e.g. layer 0, are skipped). Zeros when nothing is averaged.
 */
export function tokenStrip(masses: readonly (readonly number[] | null)[], T: number, from = 0, to = masses.length - 1): number[] {
  const out = new Array<number>(T).fill(0);
  let used = 0;
  for (let l = Math.max(0, from); l <= Math.min(to, masses.length - 1); l++) {
    const m = masses[l];
    if (!m) continue;
    for (let i = 0; i < T; i++) out[i] = (out[i] as number) + (m[i] as number);
    used++;
  }
  return used ? out.map((x) => x / used) : out;
}
