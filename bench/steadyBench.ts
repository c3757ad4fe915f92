/**
 * The steady-state rows of `npm run bench`, in separate processes: a bare process (the logits-only forward)
 * and an analysis process (the instrumented forward + every metric, loaded as `Engine.load` does) alternate;
 * each warms up with a few calls, then times several, and each analysis process is divided by its paired
 * bare process. What a user's engine settles to after its first analyses. The interleaved rows (both
 * sessions in one process) read lower: a second session in the process slowed the bare forward by 12-28%
 * and the instrumented one by 0-8% at T = 256 on this VM (docs/PERFORMANCE.md, "Two sessions in one process").
 */
import { forwardAndMeasure, metricsPool, warmUp } from '../src/engine/analysis';
import { resolveOptions } from '../src/engine/options';
import { loadSubject, median, row, subjectRunner } from './subject';

export interface Steady {
  mode: 'steady-bare' | 'steady-analysis';
  T: number;
  /** Median over the timed calls: the whole call, and (analysis) its first paint. */
  ms: number;
  paintMs: number;
  /** Process CPU time per timed call (all threads). */
  cpuMs: number;
}

const WARM_CALLS = 3;
const TIMED_CALLS = 7;

export async function measureSteady(dir: string, mode: Steady['mode'], T: number, threads: number): Promise<Steady> {
  const subject = await loadSubject(dir);
  const config = subject.config;
  const analysis = mode === 'steady-analysis';
  if (analysis) void metricsPool.warmFor(config.hiddenSize);
  const runner = await subjectRunner(config, subject.weights, threads, analysis ? 'full' : 'bare');
  subject.close();
  const model = { config, runner, tokenizer: { tokenText: (id: number) => `#${id}` } };
  if (analysis) await warmUp(model);
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const o = resolveOptions({});
  let paint = NaN;
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    if (analysis) await forwardAndMeasure(model, ids, o, {}, { onForward: () => (paint = performance.now() - t0) });
    else await runner.forward({ ids });
    return performance.now() - t0;
  };
  for (let i = 0; i < WARM_CALLS; i++) await once();
  const times: number[] = [];
  const paints: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < TIMED_CALLS; i++) {
    times.push(await once());
    paints.push(paint);
  }
  const c = process.cpuUsage(c0);
  await runner.dispose();
  return { mode, T, ms: median(times), paintMs: analysis ? median(paints) : NaN, cpuMs: (c.user + c.system) / 1000 / TIMED_CALLS };
}

/** `rounds` pairs of processes per length; medians of the per-pair ratios, and their spread. */
export function printSteady(Ts: readonly number[], rounds: number, runChild: (mode: Steady['mode'], T: number) => Steady): void {
  if (rounds <= 0) return;
  console.log(
    `\nSteady state, separate processes (${rounds} pairs of a bare and an analysis process, alternating; each: ${WARM_CALLS} calls to warm up, median of ${TIMED_CALLS} timed):`,
  );
  console.log(row(['T', 'bare ms', 'analysis ms', 'x bare', 'paint ms', 'paint x', 'cpu x', 'x bare range']));
  for (const T of Ts) {
    const pairs = Array.from({ length: rounds }, () => [runChild('steady-bare', T), runChild('steady-analysis', T)] as const);
    const ratio = (f: (a: Steady, b: Steady) => number): number[] => pairs.map(([b, a]) => f(a, b));
    const x = ratio((a, b) => a.ms / b.ms);
    console.log(
      row([
        T,
        median(pairs.map(([b]) => b.ms)).toFixed(0),
        median(pairs.map(([, a]) => a.ms)).toFixed(0),
        median(x).toFixed(3),
        median(pairs.map(([, a]) => a.paintMs)).toFixed(0),
        median(ratio((a, b) => a.paintMs / b.ms)).toFixed(3),
        median(ratio((a, b) => a.cpuMs / b.cpuMs)).toFixed(3),
        `${Math.min(...x).toFixed(2)}-${Math.max(...x).toFixed(2)}`,
      ]),
    );
  }
}
