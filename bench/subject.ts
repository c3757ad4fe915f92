/**
 * What the benchmark's children share: the generated subject loaded through the engine's own loader,
 * its runners as a load makes them, the median, and the fixed-width table row.
 */
import type { CanonicalConfig } from '../src/engine/arch/types';
import { createRunnerWith, type CachedRunner } from '../src/engine/graph/runner';
import type { ModelWeights } from '../src/engine/weights/types';
import { loadModelFiles } from '../src/engine/model/load';
import { prepackWeights } from '../src/engine/plan/memory';

/** The generated subject through the engine's loader: config and lazy weights; close() after the runners exist. */
export async function loadSubject(dir: string) {
  const files = await loadModelFiles(dir);
  return { config: files.config, weights: files.weights, close: () => files.store.close() };
}

/**
 * A float32 runner of the subject with onnxruntime's weight prepacking as `Engine.load` decides it
 * (`prepackWeights`: not for GPT-2 small), so the ratios compare the forwards a user gets.
 */
export function subjectRunner(config: CanonicalConfig, weights: ModelWeights, threads: number, probes: 'bare' | 'full'): Promise<CachedRunner> {
  return createRunnerWith(config, weights, { threads, probes }, { prepack: prepackWeights(config, 'fp32') });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function row(cells: (string | number)[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(9) : String(c).padStart(11))).join(' ');
}
