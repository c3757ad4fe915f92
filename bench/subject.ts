/**
 * What the benchmark's children share: the generated subject loaded through the engine's own loader,
 * the median, and the fixed-width table row.
 */
import { loadModelFiles } from '../src/engine/model/load';

/** The generated subject through the engine's loader: config and lazy weights; close() after the runners exist. */
export async function loadSubject(dir: string) {
  const files = await loadModelFiles(dir);
  return { config: files.config, weights: files.weights, close: () => files.store.close() };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function row(cells: (string | number)[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(9) : String(c).padStart(11))).join(' ');
}
