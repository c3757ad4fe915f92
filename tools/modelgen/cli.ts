/**
 * Command line of the model generator (run with tsx: `npm run modelgen -- <command>`):
 *
 *   gen --shape <name> --out <dir> [--dtype bf16|f16|f32] [--seed N] [--shard-size 5GB] [--force]
 *       writes a random-weight model folder of a named shape (config.json, tokenizer.json,
 *       safetensors) that SinkLens loads like a downloaded one; streams tensor by tensor. Files are
 *       split at --shard-size (default 5GB, save_pretrained's default max_shard_size).
 *   shapes
 *       lists the shapes with their parameter counts and sizes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { modelSize, writeRandomModel } from './generate';
import type { StorageDtype } from './safetensors';
import { SHAPES, shapeSpec } from './shapes';

const DTYPES: Record<string, StorageDtype> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };
const UNITS: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30 };

class UsageError extends Error {}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value`);
  return v;
}

/** "5GB", "500MiB", "1e9" -> bytes. */
export function parseBytes(text: string): number {
  const m = /^([0-9.e+]+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[(m?.[2] ?? '').toUpperCase()];
  const n = Number(m?.[1]);
  if (!m || unit === undefined || !(n > 0)) throw new UsageError(`not a size: "${text}" (e.g. 5GB, 500MiB)`);
  return Math.round(n * unit);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

function listShapes(): void {
  for (const [name, spec] of Object.entries(SHAPES)) {
    const { params, bytes } = modelSize(spec, 'BF16');
    console.log(`${name.padEnd(12)} ${spec.family.padEnd(8)} d ${spec.hidden}, ${spec.layers} layers, ${spec.heads}/${spec.kvHeads ?? spec.heads} heads, ffn ${spec.intermediate}, vocab ${spec.vocab}: ${(params / 1e9).toFixed(3)}B parameters, ${gib(bytes)} in BF16`);
  }
}

function gen(argv: string[]): void {
  const shape = flag(argv, 'shape');
  const outFlag = flag(argv, 'out');
  if (!shape || !outFlag) throw new UsageError('gen needs --shape and --out');
  const dtypeName = (flag(argv, 'dtype') ?? 'bf16').toLowerCase();
  const dtype = DTYPES[dtypeName];
  if (!dtype) throw new UsageError(`--dtype must be one of ${Object.keys(DTYPES).join(', ')}`);
  const seed = Number(flag(argv, 'seed') ?? '1');
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  const shardBytes = parseBytes(flag(argv, 'shard-size') ?? '5GB');
  const out = resolve(outFlag);
  if (existsSync(out) && readdirSync(out).length > 0 && !argv.includes('--force')) throw new UsageError(`${out} is not empty (use --force to write into it)`);
  const spec = shapeSpec(shape);
  const { params, bytes } = modelSize(spec, dtype);
  console.log(`${shape}: ${(params / 1e9).toFixed(3)}B parameters, ${gib(bytes)} of ${dtype} weights -> ${out}`);
  const t0 = Date.now();
  let shown = -1;
  writeRandomModel(out, spec, {
    dtype,
    seed,
    shardBytes,
    onProgress: (done, total) => {
      const pct = Math.floor((100 * done) / total);
      if (pct === shown) return;
      shown = pct;
      process.stderr.write(`\r${pct}% ${gib(done)} / ${gib(total)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    },
  });
  process.stderr.write('\n');
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s, peak RSS ${rss.toFixed(0)} MiB`);
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  if (command === 'gen') gen(rest);
  else if (command === 'shapes') listShapes();
  else throw new UsageError(`unknown command "${command ?? ''}"; use gen or shapes`);
}

// Only when run as this file: bundled into another program (dist/bench.js), `require.main === module` holds there too.
if (require.main === module && /cli\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`modelgen: ${e.message}\nusage: npm run modelgen -- gen --shape <${Object.keys(SHAPES).join('|')}> --out <dir> [--dtype bf16|f16|f32] [--seed N] [--shard-size 5GB]`);
    process.exit(2);
  }
}
