/**
 * Cold vs cached load of a generated Llama-shaped BF16 model, each in a fresh `sinklens analyze`
 * process under /usr/bin/time (peak RSS), beside the memory plan's estimate. Used by
 * bench/loadBench.ts (several shapes) and by `npm run bench` (the small shape).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/engine/model/config';
import { planMemory } from '../src/engine/plan/memory';
import type { ModelSpec } from '../tools/modelgen/spec';
import { LLAMA_1B, writeLargeModel } from './largeModel';

export const SHAPES: Record<string, ModelSpec> = {
  small: { ...LLAMA_1B, name: 'llama-small', hidden: 768, layers: 12, heads: 12, kvHeads: 4, intermediate: 2048, vocab: 32000 },
  mid: { ...LLAMA_1B, name: 'llama-mid', hidden: 1024, layers: 16, heads: 16, kvHeads: 8, intermediate: 4096, vocab: 50304 },
  '1b': LLAMA_1B,
};

const GB = 1024 ** 3;

interface Run {
  loadS: number;
  wallS: number;
  peakGB: number;
  tokens: number;
}

/** `cli`: the command that runs `sinklens` (node + dist/cli.js, or tsx + the source). */
function analyze(cli: string[], cwd: string, dir: string, promptFile: string, cacheDir: string, tokens: number): Run {
  const out = join(cacheDir, '..', 'result.json');
  const args = ['analyze', '--model', dir, '--file', promptFile, '--json', out, '--no-table', '--quiet', '--max-tokens', String(tokens), '--cache-dir', cacheDir];
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %M %e', ...cli, ...args], { cwd, encoding: 'utf8' });
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

export interface LoadRow {
  shape: string;
  weightGB: number;
  cold: Run;
  cached: Run;
  planColdGB: number;
  planCachedGB: number;
}

/** Writes the shape under `root`, loads it cold then cached, deletes everything; returns the numbers. */
export function measureLoad(shape: string, tokens: number, root: string, cli: string[], cwd: string): LoadRow {
  const spec = SHAPES[shape];
  if (!spec) throw new Error(`unknown shape ${shape} (known: ${Object.keys(SHAPES).join(', ')})`);
  const work = mkdtempSync(join(root, `sinklens-loadbench-${shape}-`));
  try {
    const dir = join(work, 'model');
    const bytes = writeLargeModel(dir, spec);
    const promptFile = join(work, 'prompt.txt');
    writeFileSync(promptFile, prompt(dir, tokens));
    const cacheDir = join(work, 'cache');
    const cold = analyze(cli, cwd, dir, promptFile, cacheDir, tokens);
    const cached = analyze(cli, cwd, dir, promptFile, cacheDir, tokens);
    const config = loadConfig(dir);
    const workload = { tokens: cold.tokens, probes: 'full' as const, ablation: false, lensLayers: 0 };
    const planColdGB = planMemory({ config, precision: 'fp32', workload, cached: false }).peakBytes / GB;
    const planCachedGB = planMemory({ config, precision: 'fp32', workload, cached: true }).peakBytes / GB;
    return { shape, weightGB: bytes / GB, cold, cached, planColdGB, planCachedGB };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export const LOAD_HEADER = ['| shape | weights (BF16) | T | cold load | cached load | peak RSS cold | peak RSS cached | plan (cold / cached) |', '|---|---|---|---|---|---|---|---|'];

export function loadRowText(r: LoadRow): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  return `| ${r.shape} | ${f(r.weightGB, 2)} GB | ${r.cold.tokens} | ${f(r.cold.loadS)} s | ${f(r.cached.loadS)} s | ${f(r.cold.peakGB, 2)} GB | ${f(r.cached.peakGB, 2)} GB | ${f(r.planColdGB, 2)} / ${f(r.planCachedGB, 2)} GB |`;
}
