/**
 * Bench row 7b: the GPT-2-small shape (random weights) with its linear layers in fp32, fp16, int8
 * and int4: session load time, median full analysis at T = 256, peak RSS, and the max deviation
 * of every headline metric from fp32. Each precision runs in its own process (clean peak RSS);
 * the fp32 child's metrics are the reference.
 */
import { spawnSync } from 'node:child_process';
import { forwardAndMeasure } from '../src/engine/analysis';
import { createRunner } from '../src/engine/graph/runner';
import { DEVIATION_KEYS, deviation } from '../src/engine/metrics/deviation';
import { loadModelFiles } from '../src/engine/model/load';
import { resolveOptions } from '../src/engine/options';
import type { RunMetrics, WeightPrecision } from '../src/shared/result';

export const PRECISION_CHILD = '--precision-child';
/** The child that interleaves forwards of every precision in one process (robust ratios on a busy machine). */
export const PRECISION_PAIR_CHILD = '--precision-pair-child';
const PRECISIONS: readonly WeightPrecision[] = ['fp32', 'fp16', 'int8', 'int4'];

interface PrecisionMeasurement {
  weights: WeightPrecision;
  T: number;
  loadMs: number;
  loadedRssMb: number;
  medianMs: number;
  peakRssMb: number;
  run: RunMetrics;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

/** Child: load in one precision, time the full analysis, print the measurement as JSON. */
export async function precisionChild(dir: string, weightsArg: string, T: number, reps: number, threads: number): Promise<void> {
  const weights = PRECISIONS.find((p) => p === weightsArg);
  if (!weights) throw new Error(`bench: unknown precision ${weightsArg}`);
  const t0 = performance.now();
  const files = await loadModelFiles(dir);
  const config = files.config;
  const runner = await createRunner(config, files.weights, { threads, probes: 'full', weights });
  files.store.close();
  const loadMs = performance.now() - t0;
  (globalThis as { gc?: () => void }).gc?.();
  const loadedRssMb = process.memoryUsage().rss / 2 ** 20; // the session at rest, before any run
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const o = resolveOptions({});
  const model = { config, runner, tokenizer: { tokenText: (id: number) => `#${id}` } };
  let run = (await forwardAndMeasure(model, ids, o, {})).run; // warm-up, and the metrics compared
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    run = (await forwardAndMeasure(model, ids, o, {})).run;
    times.push(performance.now() - t);
  }
  await runner.dispose();
  const m: PrecisionMeasurement = { weights, T, loadMs, loadedRssMb, medianMs: median(times), peakRssMb: process.resourceUsage().maxRSS / 1024, run };
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

/**
 * Child: one runner per precision in this process; each round runs the instrumented forward of every
 * precision (order rotated) and records its time over fp32's in the same round. Prints the medians.
 */
export async function precisionPairChild(dir: string, T: number, rounds: number, threads: number): Promise<void> {
  const files = await loadModelFiles(dir);
  const config = files.config;
  const runners = [];
  for (const weights of PRECISIONS) runners.push(await createRunner(config, files.weights, { threads, probes: 'full', weights }));
  files.store.close();
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  for (const r of runners) await r.forward({ ids }); // warm-up
  const ratios: number[][] = PRECISIONS.map(() => []);
  for (let i = 0; i < rounds; i++) {
    const times: number[] = [];
    for (let j = 0; j < runners.length; j++) {
      const k = (i + j) % runners.length;
      const t0 = performance.now();
      await (runners[k] as (typeof runners)[number]).forward({ ids });
      times[k] = performance.now() - t0;
    }
    times.forEach((t, k) => ratios[k]?.push(t / (times[0] as number)));
  }
  for (const r of runners) await r.dispose();
  process.stdout.write(`${JSON.stringify(Object.fromEntries(PRECISIONS.map((p, k) => [p, median(ratios[k] as number[])])))}\n`);
}

function spawnChild(args: string[]): string {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

/** Parent: one child per precision, then the table, then the interleaved forward ratios. */
export function precisionSection(dir: string, T: number, reps: number, threads: number): void {
  const common = ['--model', dir, '--t', String(T), '--reps', String(reps), '--threads', String(threads)];
  const runs = PRECISIONS.map((w) => JSON.parse(spawnChild([PRECISION_CHILD, w, ...common])) as PrecisionMeasurement);
  const ref = runs[0] as PrecisionMeasurement;
  console.log(`\nWeight precisions (7b): full analysis at T=${T}, median of ${reps}; deviation = max over layers vs fp32 (bosRatio relative):`);
  console.log(['weights', 'load ms', 'RSS loaded', 'analysis ms', 'x fp32', 'peak RSS MB', ...DEVIATION_KEYS].map((c) => c.padStart(11)).join(' '));
  for (const m of runs) {
    const d = deviation(m.run, ref.run);
    const cells = [m.weights, m.loadMs.toFixed(0), m.loadedRssMb.toFixed(0), m.medianMs.toFixed(1), (m.medianMs / ref.medianMs).toFixed(2), m.peakRssMb.toFixed(0), ...DEVIATION_KEYS.map((k) => d[k].toExponential(1))];
    console.log(cells.map((c) => c.padStart(11)).join(' '));
  }
  const pair = JSON.parse(spawnChild([PRECISION_PAIR_CHILD, ...common])) as Record<string, number>;
  console.log(`  interleaved in one process, instrumented forward / fp32's of the same round (median of ${reps * 2} rounds): ${PRECISIONS.map((p) => `${p} ${(pair[p] ?? NaN).toFixed(2)}x`).join(' · ')}`);
}
