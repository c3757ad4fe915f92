/**
 * The fresh-process rows of `npm run bench`: a new process per call whose FIRST forward (bare) or
 * analysis is timed, what the CLI and the first run in VS Code get, with bare and analysis processes
 * alternating and each analysis divided by its paired bare process.
 */
import { forwardAndMeasure, metricsPool, warmUp } from '../src/engine/analysis';
import { resolveOptions } from '../src/engine/options';
import { loadSubject, median, row, subjectRunner } from './subject';

export interface Fresh {
  mode: 'fresh-bare' | 'fresh-analysis';
  T: number;
  /** Runner creation (weights read from the generated folder, graph built, session created). */
  loadMs: number;
  /** The first call in the process: wall and process CPU (all threads). */
  firstMs: number;
  firstCpuMs: number;
  /** The second call, for the first-run overhead. */
  secondMs: number;
  /** Analysis only: the forward's metrics ready (first paint). */
  paintMs: number;
}

/** A new process, the first call timed: what a user gets from the CLI or the first run in VS Code. */
export async function measureFresh(dir: string, mode: Fresh['mode'], T: number, threads: number): Promise<Fresh> {
  const t0 = performance.now();
  const subject = await loadSubject(dir);
  const config = subject.config;
  // As Engine.load does: the metrics workers warm up while the weights load, the Gram session after.
  if (mode === 'fresh-analysis') void metricsPool.warmFor(config.hiddenSize);
  const runner = await subjectRunner(config, subject.weights, threads, mode === 'fresh-bare' ? 'bare' : 'full');
  subject.close();
  const model = { config, runner, tokenizer: { tokenText: (id: number) => `#${id}` } };
  if (mode === 'fresh-analysis') await warmUp(model);
  const loadMs = performance.now() - t0;
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const o = resolveOptions({});
  let paintMs = NaN;
  const once = async (): Promise<number> => {
    const t1 = performance.now();
    if (mode === 'fresh-bare') await runner.forward({ ids });
    else await forwardAndMeasure(model, ids, o, {}, { onForward: () => (paintMs = performance.now() - t1) });
    return performance.now() - t1;
  };
  const c0 = process.cpuUsage();
  const firstMs = await once();
  const c = process.cpuUsage(c0);
  const firstPaint = paintMs;
  const secondMs = await once();
  await runner.dispose();
  return { mode, T, loadMs, firstMs, firstCpuMs: (c.user + c.system) / 1000, secondMs, paintMs: firstPaint };
}

/** "lowest-highest" of per-pair ratios: single fresh processes scatter by +-15% on a shared machine. */
function spread(xs: readonly number[]): string {
  return `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
}

/** Fresh processes, bare and analysis alternating; medians over `reps` pairs. */
export function printFresh(Ts: readonly number[], reps: number, runChild: (mode: Fresh['mode'], T: number) => Fresh): void {
  if (reps <= 0) return;
  console.log(`\nFresh process, first call (what the CLI and the first run in VS Code get; median of ${reps} process pairs, bare and analysis alternating):`);
  console.log(row(['T', 'bare ms', 'bare cpu', 'analysis ms', 'analysis cpu', 'x bare', 'paint ms', 'paint x', '2nd run x', 'load ms']));
  const ranges: string[] = [];
  for (const T of Ts) {
    const bare: Fresh[] = [];
    const analysis: Fresh[] = [];
    for (let i = 0; i < reps; i++) {
      bare.push(runChild('fresh-bare', T));
      analysis.push(runChild('fresh-analysis', T));
    }
    const med = (xs: Fresh[], f: (x: Fresh) => number): number => median(xs.map(f));
    // Per pair: the analysis process's time over its paired bare process's first call.
    const perPair = (f: (x: Fresh) => number): number[] => analysis.map((a, i) => f(a) / (bare[i] as Fresh).firstMs);
    const xBare = perPair((x) => x.firstMs);
    const paintX = perPair((x) => x.paintMs);
    console.log(
      row([
        T,
        med(bare, (x) => x.firstMs).toFixed(0),
        med(bare, (x) => x.firstCpuMs).toFixed(0),
        med(analysis, (x) => x.firstMs).toFixed(0),
        med(analysis, (x) => x.firstCpuMs).toFixed(0),
        median(xBare).toFixed(3),
        med(analysis, (x) => x.paintMs).toFixed(0),
        median(paintX).toFixed(3),
        median(analysis.map((a, i) => a.secondMs / (bare[i] as Fresh).secondMs)).toFixed(3),
        med(analysis, (x) => x.loadMs).toFixed(0),
      ]),
    );
    ranges.push(`T=${T}: x bare ${spread(xBare)}, paint x ${spread(paintX)}`);
  }
  console.log('"x bare" and "paint x" divide by the bare first call of the paired process; "2nd run x" compares the second calls.');
  console.log(`Spread over the ${reps} pairs (lowest-highest): ${ranges.join(' · ')}`);
}
