/**
 * Fuzzing the loaders: ≥ 2000 seeded mutations of safetensors files, shard indexes, config.json,
 * tokenizer files and chat templates per run. Every case must end in a result or a typed SinkLensError,
 * within its time bound: no crash, no hang, no raw TypeError/RangeError/errno.
 *
 * The seed is printed; SINKLENS_FUZZ_SEED=<n> reruns a run, SINKLENS_FUZZ_SEED=random draws a new one, and a
 * failure names its (seed, target, case) so one case can be replayed with SINKLENS_FUZZ_CASE=<target>:<i>.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../../src/engine/model/config';
import { renderChat } from '../../../src/engine/model/chatTemplate';
import { openWeights } from '../../../src/engine/model/safetensors';
import { stopTemplateSandbox } from '../../../src/engine/model/templateSandbox';
import { loadTokenizer } from '../../../src/engine/model/tokenizer';
import { tokenizerFiles } from '../../../src/engine/model/tokenizerFiles';
import { SinkLensError } from '../../../src/shared/errors';
import { mulberry32, type Rng } from '../../../tools/modelgen/prng';
import { ARCH_SPECS, generateModel } from '../../support/genModel';
import { int, mutateBytes, mutateJson, randomTemplate } from './mutate';

const envSeed = process.env.SINKLENS_FUZZ_SEED;
const SEED = envSeed === 'random' ? Math.floor(Math.random() * 2 ** 31) : envSeed ? Number(envSeed) : 20261130;
const ONLY = process.env.SINKLENS_FUZZ_CASE; // e.g. "config:17"
/** With SINKLENS_FUZZ_CASE: copy the case's model folder here, to look at what was mutated. */
const DUMP = process.env.SINKLENS_FUZZ_DUMP;
process.stderr.write(`loader fuzz: seed ${SEED} (SINKLENS_FUZZ_SEED=${SEED} reproduces this run)\n`);

const root = mkdtempSync(join(tmpdir(), 'sinklens-fuzz-'));
let base: string;
let work: string;
const baseFiles: Record<string, Buffer> = {};
before(() => {
  base = join(root, 'base');
  generateModel(base, ARCH_SPECS.find((s) => s.name === 'llama-gqa-tied')!);
  for (const f of ['model.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json']) baseFiles[f] = readFileSync(join(base, f));
  work = join(root, 'work');
});
after(() => {
  stopTemplateSandbox();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh copy of the generated model for one case. */
function fresh(): string {
  rmSync(work, { recursive: true, force: true });
  cpSync(base, work, { recursive: true });
  return work;
}

function headerOf(file: Buffer): { header: unknown; data: Buffer } {
  const n = Number(file.readBigUInt64LE(0));
  return { header: JSON.parse(file.subarray(8, 8 + n).toString('utf8')) as unknown, data: file.subarray(8 + n) };
}

function withHeader(header: unknown, data: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header) ?? 'null', 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

/** Called by a target once its case's files are written. */
function written(dir: string): string {
  if (ONLY && DUMP) cpSync(dir, DUMP, { recursive: true });
  return dir;
}

function readAll(dir: string): void {
  const s = openWeights(dir);
  try {
    for (const n of s.names()) s.read(n);
  } finally {
    s.close();
  }
}

type Target = { name: string; cases: number; budgetMs: number; run(rng: Rng): Promise<void> | void };

const TARGETS: Target[] = [
  {
    name: 'safetensors',
    cases: 700,
    budgetMs: 2000,
    run(rng) {
      const dir = fresh();
      const file = baseFiles['model.safetensors'] as Buffer;
      if (rng.next() < 0.5) writeFileSync(join(dir, 'model.safetensors'), mutateBytes(rng, file));
      else {
        const { header, data } = headerOf(file);
        writeFileSync(join(dir, 'model.safetensors'), withHeader(mutateJson(rng, header), data));
      }
      readAll(written(dir));
    },
  },
  {
    name: 'index',
    cases: 300,
    budgetMs: 2000,
    run(rng) {
      const dir = fresh();
      const names = Object.keys(headerOf(baseFiles['model.safetensors'] as Buffer).header as object).filter((k) => k !== '__metadata__');
      const index = { metadata: { total_size: 1 }, weight_map: Object.fromEntries(names.map((k) => [k, 'model.safetensors'])) };
      writeFileSync(join(dir, 'model.safetensors.index.json'), rng.next() < 0.1 ? Buffer.from('{"weight_map": ') : JSON.stringify(mutateJson(rng, index)));
      readAll(written(dir));
    },
  },
  {
    name: 'config',
    cases: 500,
    budgetMs: 2000,
    run(rng) {
      const dir = fresh();
      const cfg = JSON.parse((baseFiles['config.json'] as Buffer).toString('utf8')) as unknown;
      writeFileSync(join(dir, 'config.json'), JSON.stringify(mutateJson(rng, cfg, int(rng, 1, 4))));
      loadConfig(written(dir));
    },
  },
  {
    name: 'tokenizer',
    cases: 350,
    budgetMs: 3000,
    async run(rng) {
      const dir = fresh();
      const which = rng.next() < 0.7 ? 'tokenizer.json' : 'tokenizer_config.json';
      const src = baseFiles[which] as Buffer;
      const mutated = rng.next() < 0.15 ? mutateBytes(rng, new Uint8Array(Buffer.concat([Buffer.alloc(8), src]))).subarray(8) : Buffer.from(JSON.stringify(mutateJson(rng, JSON.parse(src.toString('utf8')) as unknown)));
      writeFileSync(join(dir, which), mutated);
      written(dir);
      const files = tokenizerFiles(dir);
      const cfg = loadConfig(dir, files);
      const tok = await loadTokenizer(dir, cfg, files);
      tok.encode('hello world, héllo 世界', { prependBos: 'auto', maxTokens: 64 });
    },
  },
  {
    name: 'template',
    cases: 160,
    budgetMs: 3000,
    run(rng) {
      renderChat({ chat_template: randomTemplate(rng), bos_token: '<s>' }, rng.next() < 0.8 ? 'user' : 'system', 'hello there', { timeoutMs: 200, maxBytes: 1 << 16 }, 4096);
    },
  },
];

interface Failure {
  target: string;
  i: number;
  what: string;
}

describe(`loader fuzz (seed ${SEED})`, () => {
  for (const t of TARGETS) {
    it(`${t.name}: ${t.cases} mutated inputs end in a result or a typed error, each in < ${t.budgetMs} ms`, { timeout: 240_000 }, async () => {
      const failures: Failure[] = [];
      let typed = 0;
      for (let i = 0; i < t.cases; i++) {
        if (ONLY && ONLY !== `${t.name}:${i}`) continue;
        // Each case has its own stream, so one case replays without the ones before it.
        const rng = mulberry32((SEED ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(t.name.length, 0x85ebca6b)) >>> 0);
        const t0 = Date.now();
        try {
          await t.run(rng);
        } catch (e) {
          if (SinkLensError.is(e)) typed++;
          else failures.push({ target: t.name, i, what: `untyped ${(e as Error)?.name ?? typeof e}: ${String((e as Error)?.message ?? e).slice(0, 200)}` });
        }
        const ms = Date.now() - t0;
        if (ms > t.budgetMs) failures.push({ target: t.name, i, what: `took ${ms} ms` });
      }
      const report = failures.slice(0, 10).map((f) => `  SINKLENS_FUZZ_SEED=${SEED} SINKLENS_FUZZ_CASE=${f.target}:${f.i} -> ${f.what}`);
      assert.equal(failures.length, 0, `${failures.length} failing case(s):\n${report.join('\n')}`);
      if (!ONLY) assert.ok(typed > 0, 'some mutations were refused (the mutator reaches the checks)');
    });
  }
});
