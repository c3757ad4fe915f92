/**
 * Benchmark 7d (`npm run bench:scale`): the 1.2B Llama shape through the built CLI, each step a
 * fresh `sinklens analyze` process under `/usr/bin/time -v`, so wall time, CPU time (user + sys)
 * and peak RSS are what a user gets. Per precision: a cold load (conversion into an empty cache),
 * then cached loads analysing each prompt length. The memory plan's estimate is printed beside
 * each row. The model folder is generated with `npm run modelgen` beforehand (BF16, under /tmp).
 *
 *   npm run build
 *   npm run modelgen -- gen --shape llama-1b --dtype bf16 --out /tmp/llama1b
 *   npx tsx bench/scaleBench.ts --model /tmp/llama1b [--weights int4,fp32] [--tokens 256,1024,4096]
 *       [--cli bin/sinklens.js] [--cache-dir /tmp/sinklens-scale-cache]
 *   rm -rf /tmp/llama1b /tmp/sinklens-scale-cache
 *
 * A T whose plan does not fit is skipped with the planner's numbers (the CLI would refuse it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { readModelConfig } from '../src/engine/model/load';
import { availableMemory } from '../src/engine/plan/check';
import { planMemory } from '../src/engine/plan/memory';
import { vocabPrompt } from './vocabPrompt';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const GB = 1024 ** 3;

export interface Measured {
  wallS: number;
  cpuS: number;
  peakGB: number;
  loadS: number;
  runS: number;
  metricsS: number;
  tokens: number;
}

/** Parses `/usr/bin/time -v`'s report. */
export function parseTimeV(stderr: string): { wallS: number; cpuS: number; peakGB: number } {
  const num = (re: RegExp): number => Number(re.exec(stderr)?.[1] ?? NaN);
  const user = num(/User time \(seconds\): ([\d.]+)/);
  const sys = num(/System time \(seconds\): ([\d.]+)/);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  const wallS = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  return { wallS, cpuS: user + sys, peakGB: (num(/Maximum resident set size \(kbytes\): (\d+)/) * 1024) / GB };
}

function analyze(cli: string, model: string, weights: string, promptFile: string, tokens: number, cacheDir: string, out: string): Measured {
  const args = [cli, 'analyze', '--model', model, '--weights', weights, '--file', promptFile, '--max-tokens', String(tokens), '--quiet', '--no-table', '--json', out, '--cache-dir', cacheDir];
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`analyze failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const res = JSON.parse(readFileSync(out, 'utf8')) as { timings: { loadMs: number; runMs: number; metricsMs: number }; tokens: unknown[] };
  const t = res.timings;
  return { ...parseTimeV(r.stderr), loadS: t.loadMs / 1000, runS: t.runMs / 1000, metricsS: t.metricsMs / 1000, tokens: res.tokens.length };
}

function row(label: string, weights: string, m: Measured, planGB: number): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  return `| ${label} | ${weights} | ${m.tokens} | ${f(m.wallS)} s | ${f(m.cpuS)} s | ${f(m.loadS)} s | ${f(m.runS)} s | ${f(m.metricsS)} s | ${f(m.peakGB, 2)} GB | ${f(planGB, 2)} GB |`;
}

function main(): void {
  const model = resolve(arg('model', '/tmp/llama1b'));
  const cli = resolve(arg('cli', 'bin/sinklens.js'));
  const cacheRoot = resolve(arg('cache-dir', '/tmp/sinklens-scale-cache'));
  const config = readModelConfig(model);
  const lines = [
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${f1(totalmem() / GB)} GB RAM, ${f1(availableMemory() / GB)} GB available at start; node ${process.version}`,
    '',
    '| step | weights | T | wall | CPU (user+sys) | load | run | metrics | peak RSS | plan |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const work = join(cacheRoot, 'work');
  mkdirSync(work, { recursive: true });
  for (const weights of arg('weights', 'int4,fp32').split(',')) {
    const cacheDir = join(cacheRoot, weights);
    rmSync(cacheDir, { recursive: true, force: true });
    const steps: [string, number][] = [['cold load', 16], ['cached load', 16], ...arg('tokens', '256,1024').split(',').map((t): [string, number] => ['analysis', Number(t)])];
    for (const [label, tokens] of steps) {
      const workload = { tokens, probes: 'full' as const, ablation: false, lensLayers: 0 };
      const plan = planMemory({ config, precision: weights, workload, cached: label !== 'cold load' });
      if (plan.peakBytes > availableMemory()) {
        const skip = `| ${label} | ${weights} | ${tokens} | skipped: plan ${f1(plan.peakBytes / GB)} GB > ${f1(availableMemory() / GB)} GB available |`;
        lines.push(skip);
        process.stdout.write(`${skip}\n`);
        continue;
      }
      const promptFile = join(work, `prompt-${tokens}.txt`);
      writeFileSync(promptFile, vocabPrompt(model, tokens));
      const line = row(label, weights, analyze(cli, model, weights, promptFile, tokens, cacheDir, join(work, 'result.json')), plan.peakBytes / GB);
      lines.push(line);
      process.stdout.write(`${line}\n`);
    }
    rmSync(cacheDir, { recursive: true, force: true });
  }
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

function f1(x: number): string {
  return x.toFixed(1);
}

// Only when run as this file: bundled into another program (dist/bench.js), `require.main === module` holds there too.
if (require.main === module && /scaleBench\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) main();
