/**
 * The run term of the memory plan against what a run takes: for each prompt length, a fresh process loads the
 * model (from the graph cache), waits for the warm-up, reads its RSS, resets the peak (`echo 5 >
 * /proc/self/clear_refs`), runs one `Engine.analyze` and reads `VmHWM`: the run's peak over the loaded model. Then
 * more analyses of the same prompt (`--runs N` in all, default 2; peak reset before each): their peak over the loaded
 * model is what the plan's run term must cover in a long-lived engine, which credits a model's next run with what its
 * earlier runs left held.
 * Linux only (`/proc`). Prints one table row per length with the plan's `runBytes` beside it.
 *
 *   npm run bench:memory -- --model DIR --weights int4 --tokens 256,1024 [--runs 2] [--loss] [--ablate] [--cache-dir D]
 *
 * Load the model once with the CLI first (`sinklens analyze --model DIR --weights int4 --text hi`) so that every
 * row opens the cached graph.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AnalyzeOptions, LoadOptions } from '../src/shared/engineApi';
import type { WeightPrecision } from '../src/shared/result';
import { metricsPool } from '../src/engine/analysis';
import { Engine } from '../src/engine/api';
import { loadConfig } from '../src/engine/model/config';
import { runBytes } from '../src/engine/plan/memory';
import { engineEnv, engineExecArgv } from '../src/node/engineEnv';
import { vocabPrompt } from './vocabPrompt';

const GiB = 1024 ** 3;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

/** A /proc/self/status field in bytes. */
function status(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/self/status (Linux only)`);
  return Number(m[1]) * 1024;
}

interface Row {
  tokens: number;
  /** RSS (GiB) after the load and the warm-up. */
  loaded: number;
  /** Peak (GiB) of the first analysis over `loaded`. */
  first: number;
  /** The highest peak over `loaded` of the later analyses: each starts from what the earlier ones left held. */
  later: number;
  /** RSS (GiB) after the last analysis, over `loaded`: what a long-lived engine keeps. */
  held: number;
}

async function child(model: string, tokens: number): Promise<void> {
  const engine = new Engine();
  const load: LoadOptions = { weights: (arg('weights') ?? 'fp32') as WeightPrecision, threads: 0, ...(arg('cache-dir') ? { cache: { dir: arg('cache-dir') as string } } : {}) };
  const handle = await engine.load(model, load);
  await metricsPool.warm();
  await new Promise((r) => setTimeout(r, 2000)); // the Gram session's warm-up (Engine.load starts it unawaited)
  const opts: AnalyzeOptions = { maxTokens: tokens, tokenLoss: flag('loss'), ablate: flag('ablate') ? 'auto' : null };
  const text = vocabPrompt(model, tokens);
  const loaded = status('VmRSS');
  const once = async (): Promise<number> => {
    writeFileSync('/proc/self/clear_refs', '5'); // VmHWM := VmRSS
    const r = await engine.analyze(handle, text, opts);
    if (r.tokens.length !== tokens) throw new Error(`prompt is ${r.tokens.length} tokens, asked for ${tokens}`);
    return (status('VmHWM') - loaded) / GiB;
  };
  const first = await once();
  let later = 0;
  for (let i = 1; i < Number(arg('runs') ?? 2); i++) later = Math.max(later, await once());
  const row: Row = { tokens, loaded: loaded / GiB, first, later, held: (status('VmRSS') - loaded) / GiB };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  await engine.dispose();
  process.exit(0);
}

function main(): void {
  const model = arg('model');
  if (!model) throw new Error('--model DIR is required');
  const tokens = (arg('tokens') ?? '256,1024').split(',').map(Number);
  if (arg('child')) return void child(model, Number(arg('child')));
  const config = loadConfig(model);
  const precision = arg('weights') ?? 'fp32';
  const workload = { precision, probes: 'full' as const, lensLayers: 0, tokenLoss: flag('loss'), ablation: flag('ablate') };
  console.log(`| T | RSS loaded | first run's peak | later runs' peak (${arg('runs') ?? 2} runs) | held after them | plan run term |`);
  console.log('|---|---|---|---|---|---|');
  for (const T of tokens) {
    // Each child runs as the engine does (glibc's huge-page tunable on Linux, relaxed SIMD on Node 20: src/node/engineEnv.ts).
    const r = spawnSync(process.execPath, [...engineExecArgv(process.execArgv), __filename, ...process.argv.slice(2), '--child', String(T)], { encoding: 'utf8', maxBuffer: 1 << 26, env: engineEnv(process.env) });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      console.log(`| ${T} | failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')} |`);
      continue;
    }
    const row = JSON.parse(line) as Row;
    const plan = runBytes(config, { ...workload, tokens: T }) / GiB;
    const f = (x: number): string => x.toFixed(2);
    console.log(`| ${T} | ${f(row.loaded)} | ${f(row.first)} | ${f(row.later)} | ${f(row.held)} | ${f(plan)} |`);
  }
}

main();
