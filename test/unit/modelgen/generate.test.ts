/**
 * The seeded generator (tools/modelgen): streamed models equal the in-memory ones value for value,
 * files split by byte budget, the real shapes have the published parameter counts, and the CLI's
 * output loads in the engine and runs like the oracle says.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRunner } from '../../../src/engine/graph/runner';
import { loadModelFiles } from '../../../src/engine/model/load';
import { assertClose } from '../../support/assertClose';
import { PROJECT_ROOT } from '../../support/fixtures';
import { ARCH_SPECS, randomIds } from '../../support/genModel';
import { referenceForward } from '../../support/reference';
import { readSafetensorsDir, readSafetensorsFile } from '../../support/reference/safetensors';
import { modelSize, mulberry32, randomTensors, SHAPES, writeRandomModel, type ModelSpec } from '../../../tools/modelgen';
import { parseBytes } from '../../../tools/modelgen/cli';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, type StorageDtype } from '../../../tools/modelgen/safetensors';

const root = mkdtempSync(join(tmpdir(), 'sinklens-modelgen-'));
after(() => rmSync(root, { recursive: true, force: true }));

function stored(dtype: StorageDtype, x: Float32Array): Float32Array {
  if (dtype === 'F32') return x;
  return x.map((v) => (dtype === 'F16' ? f16BitsToF32(f32ToF16Bits(v)) : bf16BitsToF32(f32ToBf16Bits(v))));
}

describe('writeRandomModel', () => {
  const spec = ARCH_SPECS.find((s) => s.name === 'qwen3-qknorm') as ModelSpec;

  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    it(`streams, in chunks that straddle tensors, exactly the values of the in-memory generator (${dtype})`, () => {
      const dir = join(root, `stream-${dtype}`);
      writeRandomModel(dir, spec, { dtype, seed: 5, chunkValues: 7 });
      const back = readSafetensorsDir(dir);
      const want = randomTensors({ ...spec, dtype }, mulberry32(5));
      assert.deepEqual([...back.keys()], want.map((t) => t.name));
      for (const t of want) {
        assert.deepEqual(back.get(t.name)?.dims, t.dims);
        assertClose(back.get(t.name)?.data ?? [], stored(dtype, t.data), { rtol: 0, atol: 0 }, t.name);
      }
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(cfg.torch_dtype, { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype]);
    });
  }

  it('holds at most a chunk of values at a time, whatever the tensor size', () => {
    // One 8M-value (32 MB) F32 embedding written in 256K-value chunks: an in-memory writer would hold 32 MB.
    const wide: ModelSpec = { name: 'wide', family: 'llama', hidden: 1024, layers: 1, heads: 8, intermediate: 64, vocab: 8192, tie: true, seed: 2 };
    const chunkValues = 1 << 18;
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    writeRandomModel(join(root, 'wide'), wide, {
      chunkValues,
      onProgress: () => void (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)),
    });
    // One chunk of float32 values plus its encoded copy, with 1 MB of slack for everything else.
    assert.ok(peak <= 2 * 4 * chunkValues + 2 ** 20, `array buffers grew by ${(peak / 2 ** 20).toFixed(1)} MiB`);
    assert.equal(statSync(join(root, 'wide', 'model.safetensors')).size > modelSize(wide).bytes, true);
  });

  it('splits files by byte budget, in order, with an index that covers every tensor', () => {
    const dir = join(root, 'budget');
    const big = { ...spec, vocab: 400 }; // embedding 400 x 48 F32 = 76,800 bytes, over the budget alone
    const budget = 40_000;
    const progress: number[] = [];
    writeRandomModel(dir, big, { shardBytes: budget, onProgress: (done) => progress.push(done) });
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { metadata: { total_size: number }; weight_map: Record<string, string> };
    const files = [...new Set(Object.values(index.weight_map))];
    assert.ok(files.length >= 3, `${files.length} files`);
    assert.deepEqual(files, [...files].sort(), 'tensors are dealt out in order');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort(), files);
    let total = 0;
    for (const f of files) {
      const tensors = readSafetensorsFile(join(dir, f));
      const bytes = [...tensors.values()].reduce((a, t) => a + 4 * t.data.length, 0);
      assert.ok(bytes <= budget || tensors.size === 1, `${f}: ${bytes} bytes in ${tensors.size} tensors`);
      total += bytes;
    }
    assert.equal(index.metadata.total_size, total);
    assert.equal(total, modelSize(big, 'F32').bytes);
    assert.equal(progress.at(-1), total, 'progress ends at the total');
    assertClose(readSafetensorsDir(dir).get('model.norm.weight')?.data ?? [], randomTensors(big, mulberry32(big.seed ?? 1)).find((t) => t.name === 'model.norm.weight')?.data ?? [], { rtol: 0, atol: 0 }, 'norm');
  });
});

describe('real shapes', () => {
  it('have the parameter counts of the published checkpoints', () => {
    assert.equal(modelSize(SHAPES['gpt2-small'] as ModelSpec).params, 124_439_808); // openai-community/gpt2
    assert.equal(modelSize(SHAPES['llama-1b'] as ModelSpec).params, 1_235_814_400); // meta-llama/Llama-3.2-1B
    assert.equal(modelSize(SHAPES['llama-8b'] as ModelSpec).params, 8_030_261_248); // meta-llama/Meta-Llama-3-8B
    assert.equal(modelSize(SHAPES['llama-8b'] as ModelSpec, 'BF16').bytes, 2 * 8_030_261_248);
  });
});

describe('modelgen CLI', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'tools/modelgen/cli.ts'), ...args], { encoding: 'utf8', cwd: PROJECT_ROOT });

  it('parses sizes', () => {
    assert.equal(parseBytes('5GB'), 5e9);
    assert.equal(parseBytes('500MiB'), 500 * 2 ** 20);
    assert.equal(parseBytes('1e6'), 1e6);
    assert.throws(() => parseBytes('lots'), /not a size/);
  });

  it('gen writes a model the engine loads and runs as the oracle does; a non-empty folder is refused', async () => {
    const out = join(root, 'cli');
    const r = cli('gen', '--shape', 'llama-tiny', '--dtype', 'bf16', '--seed', '3', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(statSync(join(out, 'tokenizer.json')).isFile());
    const files = await loadModelFiles(out);
    try {
      const spec = SHAPES['llama-tiny'] as ModelSpec;
      assert.deepEqual([files.config.hiddenSize, files.config.numLayers, files.config.numHeads, files.config.numKvHeads], [spec.hidden, spec.layers, spec.heads, spec.kvHeads]);
      const enc = files.tokenizer.encode('the cat saw a dog in the park', { maxTokens: 64, prependBos: 'auto' });
      assert.equal(enc.ids[0], files.config.bosTokenId);
      const runner = await createRunner(files.config, files.weights, { threads: 1, probes: 'full' });
      try {
        const ids = randomIds(12, spec.vocab, 4);
        const got = await runner.forward({ ids });
        const ref = referenceForward(out, ids);
        assertClose(got.hidden, ref.hidden, { rtol: 1e-4, atol: 1e-5 }, 'hidden');
      } finally {
        await runner.dispose();
      }
    } finally {
      files.store.close();
    }
    const again = cli('gen', '--shape', 'llama-tiny', '--out', out);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /not empty/);
  });
});
