/**
 * Measures one model folder under several weight precisions and the deviation of every headline
 * metric from float32 (the accuracy table of docs/PERFORMANCE.md and the tolerances of
 * test/unit/graph/precision.test.ts). The store is opened once; one runner per precision.
 */
import { forwardAndMeasure } from '../../src/engine/analysis';
import type { QuantScheme } from '../../src/engine/graph/blocks/linear';
import { createRunnerWith } from '../../src/engine/graph/runner';
import { loadModelFiles } from '../../src/engine/model/load';
import { resolveOptions } from '../../src/engine/options';
import type { RunMetrics, WeightPrecision } from '../../src/shared/result';
import { deviation, maxDeviation, type Deviation } from '../../src/engine/metrics/deviation';
import { samplePrompt, type GeneratedModel } from './genModel';

/** The prompts of the accuracy table on the fixtures (both speak TinyStories English). */
export const FIXTURE_TEXTS = [
  'Once upon a time there was a little girl named Lily. She loved to play outside in the park with her dog.',
  'The cat sat on the mat. The dog ran to the big red ball and the sun was warm.',
  'Tom and Sue went to the shop to buy some milk, but the shop was closed, so they went home sad.',
];

/** The generated families of the accuracy table (ARCH_SPECS names). */
export const GENERATED = ['llama-gqa-tied', 'llama-untied-llama3rope-bf16', 'mistral-sharded-f16', 'qwen3-qknorm', 'gpt2-tied', 'gpt-neox-parallel'];

/** Three seeded 24-word prompts from a generated model's vocabulary. */
export function generatedPrompts(m: GeneratedModel): string[] {
  return [1, 2, 3].map((seed) => samplePrompt(m, 24, seed));
}

export { DEVIATION_KEYS, deviation, maxDeviation, type Deviation } from '../../src/engine/metrics/deviation';

export interface Variant {
  label: string;
  weights: WeightPrecision;
  quant?: Partial<QuantScheme>;
}

/** Runs `texts` through the folder's model in fp32 and each variant; returns per-variant max deviations. */
export async function measurePrecisions(dir: string, texts: readonly string[], variants: readonly Variant[], threads = 1): Promise<Map<string, Deviation>> {
  const files = await loadModelFiles(dir);
  const o = resolveOptions({});
  try {
    const runAll = async (v: Variant): Promise<RunMetrics[]> => {
      const runner = await createRunnerWith(files.config, files.weights, { threads, probes: 'full', weights: v.weights }, v.quant ? { quant: v.quant } : {});
      try {
        const model = { config: files.config, runner, tokenizer: files.tokenizer };
        const runs: RunMetrics[] = [];
        for (const text of texts) {
          const enc = files.tokenizer.encode(text, { prependBos: 'auto', chatTemplate: 'none', maxTokens: 512 });
          runs.push((await forwardAndMeasure(model, enc.ids, o, {})).run);
        }
        return runs;
      } finally {
        await runner.dispose();
      }
    };
    const ref = await runAll({ label: 'fp32', weights: 'fp32' });
    const out = new Map<string, Deviation>();
    for (const v of variants) {
      const runs = await runAll(v);
      out.set(v.label, runs.map((r, i) => deviation(r, ref[i] as RunMetrics)).reduce(maxDeviation));
    }
    return out;
  } finally {
    files.store.close();
  }
}
