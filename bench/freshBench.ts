/**
 * The fresh-process rows of `npm run bench`: a new process per call whose FIRST forward (bare) or
 * analysis is timed, what the CLI gets, with bare and analysis processes alternating and each analysis
 * divided by its paired bare process; and the first analysis of a process whose model was preloaded
 * (the extension's `engine/load`: load, `preloadWarmUp`, then the user's first analysis later), what
 * the first run in VS Code gets.
 */
import { forwardAndMeasure, metricsPool, preloadWarmUp, warmUp } from '../src/engine/analysis';
import { resolveOptions } from '../src/engine/options';
import { loadSubject, median, row, subjectRunner } from './subject';

export interface Fresh {
  mode: 'fresh-bare' | 'fresh-analysis' | 'fresh-preloaded';
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
  const analysis = mode !== 'fresh-bare';
  // As Engine.load does: the metrics workers warm up while the weights load, the Gram session after.
  if (analysis) void metricsPool.warmFor(config.hiddenSize);
  const runner = await subjectRunner(config, subject.weights, threads, analysis ? 'full' : 'bare');
  subject.close();
  const model = { config, runner, tokenizer: { tokenText: (id: number) => `#${id}` } };
  if (mode === 'fresh-analysis') await warmUp(model);
  if (mode === 'fresh-preloaded') await preloadWarmUp(model);
  const loadMs = performance.now() - t0;
  if (mode === 'fresh-preloaded') await new Promise((r) => setTimeout(r, 500)); // the user's first request comes later
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

/** Fresh processes (bare, analysis, preloaded analysis in turn); medians over `reps` rounds. */
export function printFresh(Ts: readonly number[], reps: number, runChild: (mode: Fresh['mode'], T: number) => Fresh): void {
  if (reps <= 0) return;
  const runs = Ts.map((T) => {
    const r = { T, bare: [] as Fresh[], analysis: [] as Fresh[], preloaded: [] as Fresh[] };
    for (let i = 0; i < reps; i++) {
      r.bare.push(runChild('fresh-bare', T));
      r.analysis.push(runChild('fresh-analysis', T));
      r.preloaded.push(runChild('fresh-preloaded', T));
    }
    return r;
  });
  const med = (xs: Fresh[], f: (x: Fresh) => number): number => median(xs.map(f));
  /** Per round: an analysis process's time over the paired bare process's first (or second) call. */
  const perPair = (xs: Fresh[], bare: Fresh[], f: (x: Fresh) => number, by: (b: Fresh) => number = (b) => b.firstMs): number[] => xs.map((a, i) => f(a) / by(bare[i] as Fresh));
  const ranges: string[] = [];
  console.log(`\nFresh process, first call (what the CLI gets: load, then analyse at once; median of ${reps} processes each, bare and analysis alternating):`);
  console.log(row(['T', 'bare ms', 'bare cpu', 'analysis ms', 'analysis cpu', 'x bare', 'paint ms', 'paint x', '2nd run x', 'load ms']));
  for (const { T, bare, analysis } of runs) {
    const xBare = perPair(analysis, bare, (x) => x.firstMs);
    const paintX = perPair(analysis, bare, (x) => x.paintMs);
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
        median(perPair(analysis, bare, (a) => a.secondMs, (b) => b.secondMs)).toFixed(3),
        med(analysis, (x) => x.loadMs).toFixed(0),
      ]),
    );
    ranges.push(`T=${T}: x bare ${spread(xBare)}, paint x ${spread(paintX)}`);
  }
  console.log('"x bare" and "paint x" divide by the bare first call of the paired process; "2nd run x" compares the second calls.');
  console.log(`Spread (lowest-highest): ${ranges.join(' · ')}`);
  console.log('\nFresh process, first analysis after a preload (what the first run in VS Code gets: the model loaded and warmed by engine/load, the analysis asked for later):');
  console.log(row(['T', 'analysis ms', 'x bare', 'x warm bare', 'paint ms', 'paint x', 'p. warm x', 'preload ms']));
  const pre: string[] = [];
  for (const { T, bare, preloaded } of runs) {
    const xBare = perPair(preloaded, bare, (x) => x.firstMs);
    const xWarm = perPair(preloaded, bare, (x) => x.firstMs, (b) => b.secondMs);
    console.log(
      row([
        T,
        med(preloaded, (x) => x.firstMs).toFixed(0),
        median(xBare).toFixed(3),
        median(xWarm).toFixed(3),
        med(preloaded, (x) => x.paintMs).toFixed(0),
        median(perPair(preloaded, bare, (x) => x.paintMs)).toFixed(3),
        median(perPair(preloaded, bare, (x) => x.paintMs, (b) => b.secondMs)).toFixed(3),
        med(preloaded, (x) => x.loadMs).toFixed(0),
      ]),
    );
    pre.push(`T=${T}: x bare ${spread(xBare)}, x warm bare ${spread(xWarm)}`);
  }
  console.log('"x bare": over the bare process\'s first call (as above); "x warm bare" and "p. warm x": over its second call (a warm bare forward).');
  console.log(`Spread (lowest-highest): ${pre.join(' · ')}`);
}
