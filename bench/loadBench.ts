/**
 * `npm run bench:load` (benchmark 7c): load time cold vs cached, and peak RSS against the memory
 * plan's estimate, on generated Llama-shaped BF16 models written under /tmp (deleted afterwards).
 * Each load is a fresh `sinklens analyze` process under /usr/bin/time, so RSS and timings are
 * what a user gets. Shapes: small (d 768, 12 layers, vocab 32000), mid (d 1024, 16 layers,
 * vocab 50304), 1b (Llama-3.2-1B: d 2048, 16 layers, 32/8 heads, ffn 8192, vocab 128256).
 *   npx tsx bench/loadBench.ts [--shapes small,mid,1b] [--tokens 256] [--root /tmp]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/engine/model/config';
import { planMemory } from '../src/engine/plan/memory';
import type { ModelSpec } from '../test/support/gen/spec';
import { LLAMA_1B, writeLargeModel } from './largeModel';

const SHAPES: Record<string, ModelSpec> = {
  small: { ...LLAMA_1B, name: 'llama-small', hidden: 768, layers: 12, heads: 12, kvHeads: 4, intermediate: 2048, vocab: 32000 },
  mid: { ...LLAMA_1B, name: 'llama-mid', hidden: 1024, layers: 16, heads: 16, kvHeads: 8, intermediate: 4096, vocab: 50304 },
  '1b': LLAMA_1B,
};

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const ROOT = resolve(__dirname, '..');
const GB = 1024 ** 3;

interface Run {
  loadS: number;
  wallS: number;
  peakGB: number;
  tokens: number;
}

function analyze(dir: string, promptFile: string, cacheDir: string, tokens: number): Run {
  const out = join(cacheDir, '..', 'result.json');
  const cli = [process.execPath, '--import', 'tsx', join(ROOT, 'src/engine/cli/main.ts')];
  const args = ['analyze', '--model', dir, '--file', promptFile, '--json', out, '--no-table', '--quiet', '--max-tokens', String(tokens), '--cache-dir', cacheDir];
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %M %e', ...cli, ...args], { cwd: ROOT, encoding: 'utf8' });
  const m = /TIME (\d+) ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`analyze failed (${r.status}): ${r.stderr}`);
  const res = JSON.parse(readFileSync(out, 'utf8')) as { timings: { loadMs: number }; tokens: unknown[] };
  return { loadS: res.timings.loadMs / 1000, wallS: Number(m[2]), peakGB: (Number(m[1]) * 1024) / GB, tokens: res.tokens.length };
}

function prompt(dir: string, tokens: number): string {
  const vocab = (JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  const words = Object.keys(vocab).filter((w) => /^[a-z]{3,}$/.test(w));
  return Array.from({ length: tokens }, (_, i) => words[(i * 7919) % words.length]).join(' ');
}

function main(): void {
  const tokens = Number(arg('tokens', '256'));
  const rows: string[] = ['| shape | weights (BF16) | T | cold load | cached load | peak RSS cold | peak RSS cached | plan (cold / cached) |', '|---|---|---|---|---|---|---|---|'];
  for (const name of arg('shapes', 'small,mid').split(',')) {
    const spec = SHAPES[name];
    if (!spec) throw new Error(`unknown shape ${name}`);
    const work = mkdtempSync(join(arg('root', '/tmp'), `sinklens-loadbench-${name}-`));
    try {
      const dir = join(work, 'model');
      const bytes = writeLargeModel(dir, spec);
      const promptFile = join(work, 'prompt.txt');
      writeFileSync(promptFile, prompt(dir, tokens));
      const cacheDir = join(work, 'cache');
      const cold = analyze(dir, promptFile, cacheDir, tokens);
      const cached = analyze(dir, promptFile, cacheDir, tokens);
      const config = loadConfig(dir);
      const workload = { tokens: cold.tokens, probes: 'full' as const, ablation: false, lensLayers: 0 };
      const planCold = planMemory({ config, precision: 'fp32', workload, cached: false }).peakBytes / GB;
      const planWarm = planMemory({ config, precision: 'fp32', workload, cached: true }).peakBytes / GB;
      const f = (x: number, d = 1) => x.toFixed(d);
      rows.push(`| ${name} | ${f(bytes / GB, 2)} GB | ${cold.tokens} | ${f(cold.loadS)} s | ${f(cached.loadS)} s | ${f(cold.peakGB, 2)} GB | ${f(cached.peakGB, 2)} GB | ${f(planCold, 2)} / ${f(planWarm, 2)} GB |`);
      process.stdout.write(`${rows.at(-1)}\n`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  process.stdout.write(`\n${rows.join('\n')}\n`);
}

main();
