/**
 * The gpt-oss estimate of docs/PERFORMANCE.md ("gpt-oss"): times the instrumented forward of a generated
 * MoE shape (8 experts top-2, d 1024, 2 layers; random F32 weights under /tmp, deleted afterwards), turns
 * it into active linear GFLOP/s, and scales that to gpt-oss-20b's active linear work. An estimate from a
 * scaled measurement, not a run of the 20b model.
 *   npx tsx bench/moeBench.ts [--t 256] [--reps 5] [--weights int4,fp32] [--threads 0]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunner } from '../src/engine/graph/runner';
import { loadModelFiles } from '../src/engine/model/load';
import type { WeightPrecision } from '../src/shared/result';
import { mulberry32, writeRandomModel, type ModelSpec } from '../tools/modelgen';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};

const SPEC: ModelSpec = { name: 'moe-bench', family: 'gpt_oss', hidden: 1024, layers: 2, heads: 16, kvHeads: 2, headDim: 64, intermediate: 1024, vocab: 1000, experts: 8, topK: 2, slidingWindow: 128, maxPositions: 4096, seed: 3 };

/** Active linear weights a token meets: q, k, v, o and top-k experts' gate, up, down, per layer. */
function activeLinear(s: { d: number; q: number; kv: number; ff: number; k: number; L: number }): number {
  return s.L * (2 * s.d * s.q + 2 * s.d * s.kv + s.k * 3 * s.d * s.ff);
}

const BENCH = { d: SPEC.hidden, q: SPEC.heads * (SPEC.headDim ?? 64), kv: (SPEC.kvHeads ?? 1) * (SPEC.headDim ?? 64), ff: SPEC.intermediate, k: SPEC.topK ?? 2, L: SPEC.layers };
const GPT_OSS_20B = { d: 2880, q: 64 * 64, kv: 8 * 64, ff: 2880, k: 4, L: 24 };

async function main(): Promise<void> {
  const T = Number(arg('t', '256'));
  const reps = Number(arg('reps', '5'));
  const dir = mkdtempSync(join(tmpdir(), 'sinklens-moe-bench-'));
  try {
    writeRandomModel(dir, SPEC);
    const rnd = mulberry32(1).next;
    const ids = Array.from({ length: T }, () => Math.floor(rnd() * SPEC.vocab));
    for (const weights of arg('weights', 'int4,fp32').split(',') as WeightPrecision[]) {
      const files = await loadModelFiles(dir);
      const runner = await createRunner(files.config, files.weights, { threads: Number(arg('threads', '0')), probes: 'full', weights });
      files.store.close();
      await runner.forward({ ids });
      const ms: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        await runner.forward({ ids });
        ms.push(performance.now() - t0);
      }
      await runner.dispose();
      const median = ms.sort((a, b) => a - b)[Math.floor(reps / 2)] as number;
      const gflops = (2 * T * activeLinear(BENCH)) / 1e9 / (median / 1000);
      const big = (2 * T * activeLinear(GPT_OSS_20B)) / 1e9;
      process.stdout.write(`${weights} T=${T}: median ${median.toFixed(0)} ms, ${gflops.toFixed(1)} active GFLOP/s → gpt-oss-20b ≈ ${(big / gflops).toFixed(0)} s (${big.toFixed(0)} GFLOP of active linear work)\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
