/**
 * `npm run bench`: a GPT-2-small-shaped model at T = 64, 256, 1024. Its random weights are written
 * once per run by the seeded generator (tools/modelgen) to a temp folder, which every child loads
 * through the engine's own loader and which is removed at the end.
 * Side by side in one run, each in its own process so peak RSS is clean:
 *   bare      logits-only forward of the same engine (last position)
 *   probes    the instrumented forward: hidden states, attention to BOS, ablation inputs (every probe of the default path)
 *   full      probes + the d x d Gram matrices the entropy uses when T > d (what `analyze` runs)
 *   analysis  full forward + every metric (what `analyze` does per run)
 *   peak      a [2048 x 2048] x [2048 x 2048] MatMul, best of several: the machine's achievable GEMM rate here
 * Prints ms, ms/token, GFLOP/s vs the measured MatMul peak, the ratios to bare, and peak RSS.
 * Then the ratios in steady state, in separate processes (bench/steadyBench.ts, `--steady N` pairs; the
 * headline: what an engine settles to), again interleaved in one process (drift-robust, but a second
 * session in the process slows the bare forward, so these read lower), and the fresh-process figures: a new process
 * per run whose FIRST forward (bare) or analysis is timed (what the CLI and the first run in VS
 * Code get), bare and analysis processes alternating, with process CPU time beside wall time (on a
 * shared machine wall time measures the neighbours too). "first paint" = the forward's metrics
 * ready (Progress.partial), before the spectra. Then the mixing probe's cost at T = 1024 (`--mixing-t`, 0 skips;
 * bench/mixingBench.ts: probes with vs without the mixing probe, interleaved). Then the weight-precision rows (unless --no-precision)
 * and the load time of a generated model, cold vs from the graph cache (unless --no-load).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forwardAndMeasure } from '../src/engine/analysis';
import { matrixEntropy } from '../src/engine/metrics/entropy';
import { GraphBuilder } from '../src/engine/graph/builder';
import { serializeInline } from '../src/engine/graph/serialize';
import { resolveOptions } from '../src/engine/options';
import { createSession } from '../src/engine/runtime/ort';
import { spectraKernelName } from '../src/engine/metrics/wasmKernel';
import { loadConfig } from '../src/engine/model/config';
import { prepackWeights } from '../src/engine/plan/memory';
import { intraOpThreads } from '../src/engine/runtime/cores';
import { mallocSetting, relaunchWithEngineEnv } from '../src/node/engineEnv';
import { modelSize, shapeSpec, writeRandomModel } from '../tools/modelgen';
import { forwardFlops } from './flops';
import { measureFresh, printFresh, type Fresh } from './freshBench';
import { measureSteady, printSteady, type Steady } from './steadyBench';
import { loadSubject, median, row, subjectRunner } from './subject';
import { LOAD_HEADER, loadRowText, measureLoad } from './loadMeasure';
import { MIXING_CHILD, measureMixing, mixingRowText, type MixingCost } from './mixingBench';
import { PRECISION_CHILD, PRECISION_PAIR_CHILD, precisionChild, precisionPairChild, precisionSection } from './precisionBench';

type Mode = 'bare' | 'probes' | 'full' | 'analysis' | 'peak' | 'pair' | 'fresh-bare' | 'fresh-analysis' | 'fresh-preloaded' | 'steady-bare' | 'steady-analysis';
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
/** The benchmark's subject: a named shape of tools/modelgen, F32 weights, seed 1. */
const SHAPE = 'gpt2-small';

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

async function measureModel(dir: string, mode: Exclude<Mode, 'peak' | 'pair'>, T: number, reps: number): Promise<Measurement> {
  const subject = await loadSubject(dir);
  const config = subject.config;
  const runner = await subjectRunner(config, subject.weights, threads, mode === 'bare' ? 'bare' : 'full');
  subject.close();
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const o = resolveOptions({});
  const model = { config, runner, tokenizer: { tokenText: (id: number) => `#${id}` } };
  const fn =
    mode === 'analysis'
      ? () => forwardAndMeasure(model, ids, o, {})
      : () => runner.forward(mode === 'full' ? { ids, gram: T > config.hiddenSize, gramRows: T <= config.hiddenSize } : { ids });
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
  /** The analysis's forward metrics ready (Progress.partial) / bare. */
  firstPaint: number;
  /** Process CPU time (all threads) of the analysis / of the bare forward: the work, whatever the neighbours do. */
  cpu: number;
  /** Max over layers of |entropy - float64 reference| / reference (entropy and entropy without BOS). */
  entropyRelErr: number;
}

/**
 * The ratios that matter, measured robustly: bare and instrumented runners live in one process and
 * their runs alternate, so drift on a shared machine hits both alike. Calls run back to back: the
 * sessions' threads stop spinning when a run returns (runtime/ort.ts), so no call inherits the
 * previous one's (rounds with a 50 ms idle gap before each call read alike).
 */
async function measurePaired(dir: string, T: number, reps: number): Promise<Paired> {
  const subject = await loadSubject(dir);
  const config = subject.config;
  const bare = await subjectRunner(config, subject.weights, threads, 'bare');
  const full = await subjectRunner(config, subject.weights, threads, 'full');
  subject.close();
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const o = resolveOptions({});
  const model = { config, runner: full, tokenizer: { tokenText: (id: number) => `#${id}` } };
  const gram = T > config.hiddenSize;
  let paintMs = NaN;
  let analysisStart = 0;
  const fns = {
    bare: () => bare.forward({ ids }),
    probes: () => full.forward({ ids }),
    full: () => full.forward({ ids, gram, gramRows: !gram }),
    analysis: () => ((analysisStart = performance.now()), forwardAndMeasure(model, ids, o, {}, { onForward: () => (paintMs = performance.now() - analysisStart) })),
  };
  for (const fn of Object.values(fns)) await fn(); // warm-up
  const ratios: Record<'probes' | 'full' | 'analysis' | 'firstPaint' | 'cpu', number[]> = { probes: [], full: [], analysis: [], firstPaint: [], cpu: [] };
  for (let i = 0; i < reps; i++) {
    const times: Record<string, number> = {};
    const cpu: Record<string, number> = {};
    const entries = Object.entries(fns);
    const rotated = [...entries.slice(i % entries.length), ...entries.slice(0, i % entries.length)]; // no fixed order bias
    for (const [name, fn] of rotated) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await fn();
      times[name] = performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpu[name] = c.user + c.system;
    }
    for (const k of ['probes', 'full', 'analysis'] as const) ratios[k].push((times[k] as number) / (times.bare as number));
    ratios.firstPaint.push(paintMs / (times.bare as number));
    ratios.cpu.push((cpu.analysis as number) / (cpu.bare as number));
  }
  const entropyRelErr = await entropyDeviation(model, ids, o);
  await bare.dispose();
  await full.dispose();
  return {
    entropyRelErr, T, pairs: reps, probes: median(ratios.probes), full: median(ratios.full), analysis: median(ratios.analysis), firstPaint: median(ratios.firstPaint), cpu: median(ratios.cpu) };
}

/**
 * The analysis's entropies (float32 graph Gram, one reduction for both spectra) against a float64
 * reference from the same hidden states: the rows' Gram accumulated in float64, one
 * eigendecomposition per spectrum.
 */
async function entropyDeviation(model: Parameters<typeof forwardAndMeasure>[0], ids: number[], o: ReturnType<typeof resolveOptions>): Promise<number> {
  const { hiddenSize: d, numLayers: L } = model.config;
  const T = ids.length;
  const { run } = await forwardAndMeasure(model, ids, o, {});
  const { hidden } = await model.runner.forward({ ids });
  let worst = 0;
  for (let l = 0; l <= L; l++) {
    const h = hidden.subarray(l * T * d, (l + 1) * T * d); // [T, d]
    const m = run.layers[l];
    const ref = matrixEntropy(h, T, d).entropy;
    // The BOS-excluded entropy is on the main curve's scale (log min(T, d)), not its own.
    const refExcl = matrixEntropy(h, T, d, { alpha: 1, excludeBos: true, center: false, rowNormalize: false }).entropyRaw / Math.log(Math.min(T, d));
    worst = Math.max(worst, Math.abs((m?.entropy ?? NaN) - ref) / ref, Math.abs((m?.entropyExclBos ?? NaN) - refExcl) / refExcl);
  }
  return worst;
}

/** Child: one measurement, printed as JSON on the last line. */
async function child(dir: string, mode: Mode, T: number, reps: number): Promise<void> {
  const m =
    mode === 'peak'
      ? await measurePeak(reps)
      : mode === 'pair'
        ? await measurePaired(dir, T, reps)
        : mode === 'fresh-bare' || mode === 'fresh-analysis' || mode === 'fresh-preloaded'
          ? await measureFresh(dir, mode, T, threads)
          : mode === 'steady-bare' || mode === 'steady-analysis'
            ? await measureSteady(dir, mode, T, threads)
            : await measureModel(dir, mode, T, reps);
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

function runChild<R = Measurement>(dir: string, mode: Mode, T: number, reps: number): R {
  const args = ['--child', mode, '--model', dir, '--t', String(T), '--reps', String(reps), '--threads', String(threads)];
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`bench ${mode} T=${T} failed:\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as R;
}

/** A child selected by its own flag (`--mixing`), JSON on the last line. */
function runFlagChild<R>(dir: string, flag: string, T: number, reps: number): R {
  const args = [`--${flag}`, '--model', dir, '--t', String(T), '--reps', String(reps), '--threads', String(threads)];
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench ${flag} T=${T} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as R;
}

/** Writes the benchmark's model to a fresh temp folder; the caller removes it. */
function generateSubject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sinklens-bench-'));
  const t0 = performance.now();
  writeRandomModel(dir, shapeSpec(SHAPE), { dtype: 'F32', seed: 1 });
  const { params, bytes } = modelSize(shapeSpec(SHAPE), 'F32');
  console.log(`generated ${SHAPE} (${(params / 1e6).toFixed(0)}M parameters, ${(bytes / 2 ** 20).toFixed(0)} MiB F32) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

async function main(): Promise<void> {
  // The engine's environment (glibc's huge-page tunable on Linux), as the CLI and the extension run it.
  const relaunched = await relaunchWithEngineEnv(__filename, process.argv.slice(2));
  if (relaunched !== null) process.exit(relaunched);
  if (process.argv.includes(PRECISION_CHILD)) {
    await precisionChild(arg('model', ''), arg(PRECISION_CHILD.slice(2), 'fp32'), Number(arg('t', '256')), Number(arg('reps', '3')), threads);
    return;
  }
  if (process.argv.includes(PRECISION_PAIR_CHILD)) {
    await precisionPairChild(arg('model', ''), Number(arg('t', '256')), Number(arg('reps', '3')) * 2, threads);
    return;
  }
  if (process.argv.includes(`--${MIXING_CHILD}`)) {
    process.stdout.write(`${JSON.stringify(await measureMixing(arg('model', ''), Number(arg('t', '1024')), Number(arg('reps', '12')), threads))}\n`);
    return;
  }
  if (process.argv.includes('--child')) {
    await child(arg('model', ''), arg('child', 'bare') as Mode, Number(arg('t', '64')), Number(arg('reps', '3')));
    return;
  }
  const dir = generateSubject();
  const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanUp();
      process.exit(130);
    });
  }
  try {
    if (process.argv.includes('--precision-only')) precisionSection(dir, 256, Number(arg('reps', '5')), threads);
    else await report(dir, arg('t', '64,256,1024').split(',').map(Number), Number(arg('reps', '5')));
  } finally {
    cleanUp();
  }
}

async function report(dir: string, Ts: number[], reps: number): Promise<void> {
  const c = shapeSpec(SHAPE);
  console.log(`SinkLens benchmark · GPT-2-small shape (d=${c.hidden}, L=${c.layers}, H=${c.heads}, vocab=${c.vocab}) · random weights · threads=${threads || `0 (the physical cores: ${intraOpThreads(0) || "onnxruntime's default"})`}`);
  const prepacked = prepackWeights(loadConfig(dir), 'fp32');
  const malloc = mallocSetting();
  console.log(`node ${process.version} · ${new Date().toISOString()} · Householder kernel: ${spectraKernelName()} · weights ${prepacked ? '' : 'not '}prepacked (as a load does)${malloc ? ` · ${malloc}` : ''}`);
  const peak = runChild(dir, 'peak', 1024, reps);
  console.log(`MatMul peak (2048^3, best of ${peak.runs}): ${peak.gflops.toFixed(1)} GFLOP/s (${peak.medianMs.toFixed(2)} ms)\n`);
  console.log(row(['T / mode', 'median ms', 'ms/token', 'GFLOP/s', '% of peak', 'x bare', 'peak RSS MB']));
  for (const T of Ts) {
    const r = T >= 1024 ? Math.max(3, Math.floor(reps / 2)) : reps;
    const bare = runChild(dir, 'bare', T, r);
    const modes: Mode[] = T > c.hidden ? ['probes', 'full', 'analysis'] : ['probes', 'analysis'];
    for (const m of [bare, ...modes.map((mode) => runChild(dir, mode, T, r))]) {
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
  printSteady(Ts, Number(arg('steady', '4')), (mode, T) => runChild<Steady>(dir, mode, T, 1));
  console.log('\nInterleaved in one process (median over rounds of time / bare time of the same round; reads lower than the steady rows above: a second session in the process slows the bare forward more):');
  for (const T of Ts) {
    const p = runChild<Paired>(dir, 'pair', T, T >= 1024 ? 8 : 12);
    console.log(`  T=${T}: probes ${p.probes.toFixed(3)}x · probes+Gram ${p.full.toFixed(3)}x · full analysis ${p.analysis.toFixed(3)}x · first paint ${p.firstPaint.toFixed(3)}x · analysis CPU ${p.cpu.toFixed(3)}x bare CPU (${p.pairs} rounds; entropy vs float64: max rel. dev. ${p.entropyRelErr.toExponential(1)})`);
  }
  const mixT = Number(arg('mixing-t', '1024'));
  if (mixT > 0) {
    console.log('\nMixing probe (interleaved in one process: bare, probes, probes built without the mixing probe; median over rounds of the difference / bare):');
    console.log(mixingRowText(runFlagChild<MixingCost>(dir, MIXING_CHILD, mixT, Number(arg('mixing-rounds', '12')))));
  }
  printFresh(Ts, Number(arg('fresh', '3')), (mode, T) => runChild<Fresh>(dir, mode, T, 1));
  if (!process.argv.includes('--no-precision')) precisionSection(dir, 256, reps, threads);
  console.log('\nGFLOP/s counts the forward\'s GEMM work (projections, MLP, QK^T and AV over T x T, last-position LM head);');
  console.log('"x bare" is the ratio to the logits-only forward measured in the same run.');
  if (!process.argv.includes('--no-load')) printLoad();
}

/** 7c: cold vs cached load of a generated Llama-shaped BF16 model, each in a fresh CLI process. */
function printLoad(): void {
  if (!existsSync('/usr/bin/time')) {
    console.log('\nLoad cold vs cached: skipped (needs /usr/bin/time for the peak RSS).');
    return;
  }
  console.log('\nLoad cold vs cached (fresh `sinklens analyze` processes; bench/loadBench.ts runs the larger shapes):');
  const r = measureLoad('small', 64, tmpdir(), [process.execPath, join(__dirname, 'cli.js')], join(__dirname, '..'));
  for (const line of [...LOAD_HEADER, loadRowText(r)]) console.log(line);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
