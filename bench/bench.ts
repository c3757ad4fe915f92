/**
 * `npm run bench`: a GPT-2-small-shaped model (random weights, made locally) at T = 64, 256, 1024.
 * Side by side in one run, each in its own process so peak RSS is clean:
 *   bare      logits-only forward of the same engine (last position)
 *   probes    the instrumented forward: hidden states, attention to BOS, ablation inputs (every probe of the default path)
 *   full      probes + the d x d Gram matrices the entropy uses when T > d (what `analyze` runs)
 *   analysis  full forward + every metric (what `analyze` does per run)
 *   peak      a [2048 x 2048] x [2048 x 2048] MatMul, best of several: the machine's achievable GEMM rate here
 * Prints ms, ms/token, GFLOP/s vs the measured MatMul peak, the ratios to bare, and peak RSS.
 * The interleaved rounds also time the probes with the mixing probe reduced to one query ("mixing
 * off"): probes minus that, over bare, is the mixing probe's cost. `--pairs-only` skips the table;
 * `--mixing-only` times only bare, probes and mixing off (cheaper rounds); `--rounds N` sets the rounds.
 */
import { spawnSync } from 'node:child_process';
import { forwardAndMeasure } from '../src/engine/analysis';
import { GraphBuilder } from '../src/engine/graph/builder';
import { createRunner } from '../src/engine/graph/runner';
import { serializeInline } from '../src/engine/graph/serialize';
import { resolveOptions } from '../src/engine/options';
import { createSession } from '../src/engine/runtime/ort';
import { forwardFlops, gpt2SmallConfig, randomWeights } from './randomModel';

type Mode = 'bare' | 'probes' | 'full' | 'analysis' | 'peak' | 'pair';
interface Measurement {
  mode: Mode;
  T: number;
  medianMs: number;
  runs: number;
  peakRssMb: number;
  gflops: number;
}

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const threads = Number(arg('threads', '0'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function timeIt(reps: number, fn: () => Promise<unknown>, pick: (xs: number[]) => number = median): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return pick(times);
}

async function measurePeak(reps: number): Promise<Measurement> {
  const [m, k, n] = [2048, 2048, 2048];
  const g = new GraphBuilder();
  g.inputs.push({ name: 'x', dataType: 1, dims: [m, k] });
  const w = g.floatTensor('w', [k, n], Float32Array.from({ length: k * n }, (_, i) => ((i * 7919) % 1000) / 1e5));
  const y = g.op('MatMul', '/peak/MatMul', ['x', w]);
  g.outputs.push({ name: y, dataType: 1, dims: [m, n] });
  const session = await createSession(serializeInline(g), { threads });
  const x = Float32Array.from({ length: m * k }, (_, i) => ((i * 104729) % 1000) / 1e3);
  // Best of several: the rate the GEMM kernel reaches on this machine when nothing interferes.
  const ms = await timeIt(reps * 2, () => session.run({ x: { type: 'float32', data: x, dims: [m, k] } }), (xs) => Math.min(...xs));
  await session.release();
  return { mode: 'peak', T: m, medianMs: ms, runs: reps * 2, peakRssMb: 0, gflops: (2 * m * k * n) / ms / 1e6 };
}

async function measureModel(mode: Exclude<Mode, 'peak' | 'pair'>, T: number, reps: number): Promise<Measurement> {
  const config = gpt2SmallConfig();
  const runner = await createRunner(config, randomWeights(config), { threads, probes: mode === 'bare' ? 'bare' : 'full' });
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const o = resolveOptions({});
  const model = { config, runner, tokenizer: { tokenText: (id: number) => `#${id}` } };
  const fn =
    mode === 'analysis'
      ? () => forwardAndMeasure(model, ids, o, {})
      : () => runner.forward(mode === 'full' ? { ids, gram: T > config.hiddenSize } : { ids });
  const ms = await timeIt(reps, fn);
  await runner.dispose();
  return { mode, T, medianMs: ms, runs: reps, peakRssMb: process.resourceUsage().maxRSS / 1024, gflops: forwardFlops(config, T) / ms / 1e6 };
}

interface Paired {
  T: number;
  pairs: number;
  /** Median over interleaved runs of (mode time / bare time of the same round). */
  probes: number;
  full: number;
  analysis: number;
  /** Median of (probes - probes with the mixing probe at one query) / bare: the mixing probe's cost. */
  mixing: number;
}

/**
 * The ratios that matter, measured robustly: bare and instrumented runners live in one process and
 * their runs alternate, so drift on a shared machine hits both alike.
 */
async function measurePaired(T: number, reps: number): Promise<Paired> {
  const config = gpt2SmallConfig();
  const bare = await createRunner(config, randomWeights(config), { threads, probes: 'bare' });
  const full = await createRunner(config, randomWeights(config), { threads, probes: 'full' });
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const o = resolveOptions({});
  const model = { config, runner: full, tokenizer: { tokenText: (id: number) => `#${id}` } };
  const gram = T > config.hiddenSize;
  const mixingOnly = process.argv.includes('--mixing-only');
  const fns: Record<string, () => Promise<unknown>> = {
    bare: () => bare.forward({ ids }),
    probes: () => full.forward({ ids }),
    mixOff: () => full.forward({ ids, mixQueries: 1 }),
    ...(mixingOnly ? {} : { full: () => full.forward({ ids, gram }), analysis: () => forwardAndMeasure(model, ids, o, {}) }),
  };
  for (const fn of Object.values(fns)) await fn(); // warm-up
  const ratios: Record<'probes' | 'full' | 'analysis', number[]> = { probes: [], full: [], analysis: [] };
  const mixing: number[] = [];
  for (let i = 0; i < reps; i++) {
    const times: Record<string, number> = {};
    const entries = Object.entries(fns);
    const rotated = [...entries.slice(i % entries.length), ...entries.slice(0, i % entries.length)]; // no fixed order bias
    for (const [name, fn] of rotated) {
      const t0 = performance.now();
      await fn();
      times[name] = performance.now() - t0;
    }
    for (const k of ['probes', 'full', 'analysis'] as const) ratios[k].push((times[k] ?? Number.NaN) / (times.bare as number));
    mixing.push(((times.probes as number) - (times.mixOff as number)) / (times.bare as number));
  }
  await bare.dispose();
  await full.dispose();
  return { T, pairs: reps, probes: median(ratios.probes), full: median(ratios.full), analysis: median(ratios.analysis), mixing: median(mixing) };
}

/** Child: one measurement, printed as JSON on the last line. */
async function child(mode: Mode, T: number, reps: number): Promise<void> {
  const m = mode === 'peak' ? await measurePeak(reps) : mode === 'pair' ? await measurePaired(T, reps) : await measureModel(mode, T, reps);
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

function runChild<R = Measurement>(mode: Mode, T: number, reps: number): R {
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', mode, '--t', String(T), '--reps', String(reps), '--threads', String(threads), ...(process.argv.includes('--mixing-only') ? ['--mixing-only'] : [])], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`bench ${mode} T=${T} failed:\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as R;
}

/** A ratio for print; a mode not timed (--mixing-only) arrives as JSON null. */
const x3 = (v: number | null): string => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(3));

function row(cells: (string | number)[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(9) : String(c).padStart(11))).join(' ');
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    await child(arg('child', 'bare') as Mode, Number(arg('t', '64')), Number(arg('reps', '3')));
    return;
  }
  const Ts = arg('t', '64,256,1024').split(',').map(Number);
  const reps = Number(arg('reps', '5'));
  const c = gpt2SmallConfig();
  console.log(`SinkLens benchmark · GPT-2-small shape (d=${c.hiddenSize}, L=${c.numLayers}, H=${c.numHeads}, vocab=${c.vocabSize}) · random weights · threads=${threads || 'ORT default'}`);
  console.log(`node ${process.version} · ${new Date().toISOString()}`);
  const pairsOnly = process.argv.includes('--pairs-only');
  const peak = runChild('peak', 1024, pairsOnly ? 1 : reps);
  console.log(`MatMul peak (2048^3, best of ${peak.runs}): ${peak.gflops.toFixed(1)} GFLOP/s (${peak.medianMs.toFixed(2)} ms)\n`);
  console.log(row(['T / mode', 'median ms', 'ms/token', 'GFLOP/s', '% of peak', 'x bare', 'peak RSS MB']));
  for (const T of pairsOnly ? [] : Ts) {
    const r = T >= 1024 ? Math.max(3, Math.floor(reps / 2)) : reps;
    const bare = runChild('bare', T, r);
    const modes: Mode[] = T > c.hiddenSize ? ['probes', 'full', 'analysis'] : ['probes', 'analysis'];
    for (const m of [bare, ...modes.map((mode) => runChild(mode, T, r))]) {
      console.log(
        row([
          `${T} ${m.mode}`,
          m.medianMs.toFixed(1),
          (m.medianMs / T).toFixed(3),
          m.gflops.toFixed(1),
          `${((100 * m.gflops) / peak.gflops).toFixed(0)}%`,
          (m.medianMs / bare.medianMs).toFixed(3),
          m.peakRssMb.toFixed(0),
        ]),
      );
    }
  }
  console.log('\nInterleaved in one process (median over rounds of time / bare time of the same round):');
  for (const T of Ts) {
    const p = runChild<Paired>('pair', T, Number(arg('rounds', T >= 1024 ? '8' : '12')));
    console.log(
      `  T=${T}: probes ${x3(p.probes)}x · probes+Gram ${x3(p.full)}x · full analysis ${x3(p.analysis)}x · mixing probe ${x3(100 * p.mixing)}% of bare  (${p.pairs} rounds)`,
    );
  }
  console.log('\nGFLOP/s counts the forward\'s GEMM work (projections, MLP, QK^T and AV over T x T, last-position LM head);');
  console.log('"x bare" is the ratio to the logits-only forward measured in the same run.');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
