/**
 * A quantising load reads each float weight from its file a few rows at a time (model/rowReader.ts) on two
 * threads (parallel/quantPool.ts quantizeStoredOnCores). The codes must be exactly those of quantising the whole
 * float32 weight as the store reads it (quantizeBlockwise over openWeights().read), for every stored float dtype,
 * split or not, chunked or not; a file cut short must fail with the tensor named, on either thread's rows.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { DT, GraphBuilder } from '../../../src/engine/graph/builder';
import { quantizeBlockwise, toFloat16, toFloat16Into, type Quantized } from '../../../src/engine/graph/quant';
import { serializeExternal, serializeExternalAsync } from '../../../src/engine/graph/serialize';
import { eachRowChunk, emptyScratch, floatPieces, releaseRowBuffers } from '../../../src/engine/model/rowReader';
import { loadModelFiles } from '../../../src/engine/model/load';
import { openWeights } from '../../../src/engine/model/safetensors';
import { QUANT_PARALLEL_MIN_VALUES } from '../../../src/engine/parallel/limits';
import * as pool from '../../../src/engine/parallel/quantPool';
import { SinkLensError } from '../../../src/shared/errors';
import { mulberry32 } from '../../../tools/modelgen/prng';
import { writeSafetensors, type StorageDtype } from '../../../tools/modelgen/safetensors';
import { ARCH_SPECS, generateModel } from '../../support/genModel';
import { writeGgufModel } from '../../support/ggufModel';

const dir = mkdtempSync(join(tmpdir(), 'sinklens-rowreader-'));
/** A model folder of its own for one weight file: `<dir>/<name>/model.safetensors`. */
function modelFile(name: string): { folder: string; path: string } {
  const folder = join(dir, name);
  mkdirSync(folder);
  return { folder, path: join(folder, 'model.safetensors') };
}

/** Values of very different ranges per block, zeros, and (for the float dtypes that hold them) a NaN and an infinity. */
function values(n: number, seed: number): Float32Array {
  const r = mulberry32(seed).next;
  const w = Float32Array.from({ length: n }, (_, i) => (r() * 2 - 1) * (i % 257 === 0 ? 3 : 0.04));
  w.fill(0, 100, 140);
  w[n - 9] = Number.NaN;
  w[n - 500] = Number.NEGATIVE_INFINITY;
  return w;
}

const bytesOf = (a: ArrayBufferView | null): Buffer | null => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : null);
function assertSame(a: Quantized, b: Quantized, what: string): void {
  assert.ok(bytesOf(a.packed)?.equals(bytesOf(b.packed) as Buffer), `${what}: packed codes`);
  assert.ok(bytesOf(a.scales)?.equals(bytesOf(b.scales) as Buffer), `${what}: scales`);
  assert.deepEqual(bytesOf(a.zeros), bytesOf(b.zeros), `${what}: zero points`);
}

describe('model/rowReader + quantPool.quantizeStoredOnCores: weights quantised from their files', () => {
  after(() => {
    pool.stopQuantWorker();
    rmSync(dir, { recursive: true, force: true });
  });

  const [N, K] = [1029, 1040]; // > QUANT_PARALLEL_MIN_VALUES, N odd (split at row 514), K not a multiple of the block
  for (const dtype of ['BF16', 'F16', 'F32'] as StorageDtype[]) {
    it(`${dtype}: the bytes of quantising the whole float32 weight, on two threads and on one`, () => {
      assert.ok(N * K >= QUANT_PARALLEL_MIN_VALUES);
      const { folder, path } = modelFile(dtype);
      writeSafetensors(path, [
        { name: 'pad', dtype: 'F32', dims: [3], data: new Float32Array([1, 2, 3]) }, // the weight does not start at the data's start
        { name: 'w', dtype, dims: [N, K], data: values(N * K, dtype.length) },
      ]);
      const store = openWeights(folder);
      try {
        const rows = store.rowsOf?.('w');
        assert.ok(rows, 'a safetensors store locates a float tensor');
        assert.equal(rows.dtype, dtype);
        const whole = store.read('w');
        for (const [bits, symmetric] of [[4, false], [8, true]] as const) {
          const ref = quantizeBlockwise(whole, N, K, bits, symmetric);
          const before = pool.workerSplits;
          assertSame(pool.quantizeStoredOnCores(rows, N, K, bits, symmetric, 2), ref, `${dtype} ${bits}-bit, two threads`);
          assert.equal(pool.workerSplits, before + 1, 'the worker read and quantised half of the rows');
          assertSame(pool.quantizeStoredOnCores(rows, N, K, bits, symmetric, 1), ref, `${dtype} ${bits}-bit, one thread`);
          assert.equal(pool.workerSplits, before + 1);
        }
      } finally {
        store.close();
        rmSync(path);
      }
    });
  }

  it('hands over every row once, in chunks of whole rows, the same values as the whole read', () => {
    const { folder, path } = modelFile('chunks');
    const data = values(37 * 100, 7);
    writeSafetensors(path, [{ name: 'w', dtype: 'BF16', dims: [37, 100], data }]);
    const store = openWeights(folder);
    try {
      const rows = store.rowsOf?.('w');
      assert.ok(rows);
      const whole = store.read('w');
      const seen: [number, number][] = [];
      eachRowChunk(rows, 100, 5, 37, emptyScratch(), (chunk, r0, r1) => {
        seen.push([r0, r1]);
        assert.equal(chunk.length, (r1 - r0) * 100);
        assert.deepEqual(Array.from(chunk), Array.from(whole.subarray(r0 * 100, r1 * 100)), `rows ${r0}..${r1}`);
      }, 750); // 7 rows a chunk
      assert.deepEqual(seen, [[5, 12], [12, 19], [19, 26], [26, 33], [33, 37]]);
    } finally {
      store.close();
      rmSync(path);
    }
  });

  for (const [where, keep] of [['the worker\'s rows (the second half)', 0.8], ['this thread\'s rows (the first half)', 0.3]] as const) {
    it(`a file cut short in ${where}: a corruptWeights error naming the tensor, and the next weight still splits`, () => {
      const { folder, path } = modelFile(`cut${keep}`);
      writeSafetensors(path, [{ name: 'w', dtype: 'BF16', dims: [N, K], data: values(N * K, 3) }]);
      const store = openWeights(folder);
      const rows = store.rowsOf?.('w');
      store.close();
      assert.ok(rows);
      truncateSync(path, rows.offset + Math.floor(rows.byteLength * keep));
      assert.throws(
        () => pool.quantizeStoredOnCores(rows, N, K, 4, false, 2),
        (e: unknown) => e instanceof SinkLensError && e.code === 'corruptWeights' && /"w" in model\.safetensors could not be read fully/.test(e.message),
      );
      rmSync(path);
      const w = values(N * K, 4);
      const before = pool.workerSplits;
      assertSame(pool.quantizeOnCores(w, N, K, 4, false, 2), quantizeBlockwise(w, N, K, 4, false), 'the next weight');
      assert.equal(pool.workerSplits, before + 1, 'a fresh worker took half of it');
    });
  }

  it('floatPieces: the float32 (or narrowed float16) bytes in pieces, each valid until the one after the next is taken', () => {
    const { folder, path } = modelFile('pieces');
    const [n, k] = [53, 96];
    writeSafetensors(path, [
      { name: 'b', dtype: 'BF16', dims: [n, k], data: values(n * k, 21) },
      { name: 'h', dtype: 'F16', dims: [n, k], data: values(n * k, 22) },
    ]);
    const store = openWeights(folder);
    try {
      for (const name of ['b', 'h']) {
        const rows = store.rowsOf?.(name);
        assert.ok(rows);
        const whole = store.read(name);
        for (const narrow of [undefined, toFloat16Into]) {
          const want = narrow ? Buffer.from(toFloat16(whole).buffer) : Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength);
          const got: Buffer[] = [];
          let previous: { view: Uint8Array; copy: Buffer } | null = null;
          for (const piece of floatPieces(rows, [n, k], narrow, 1000)) { // 10 rows a piece: 6 pieces, the last of 3 rows
            if (previous) assert.ok(Buffer.from(previous.view).equals(previous.copy), 'the previous piece is intact while the next is made');
            previous = { view: piece, copy: Buffer.from(piece) };
            got.push(Buffer.from(piece));
          }
          assert.equal(got.length, 6);
          assert.ok(Buffer.concat(got).equals(want), `${name}${narrow ? ' as float16' : ''}: the same bytes as the whole read`);
        }
      }
    } finally {
      store.close();
      releaseRowBuffers();
    }
  });

  it('the serializer writes an initializer from its pieces, and refuses pieces that do not add up to its length', async () => {
    const target = { path: join(dir, 'pieces.onnx.data'), location: 'pieces.onnx.data' };
    const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 251);
    const build = (cut: number): GraphBuilder => {
      const g = new GraphBuilder();
      const bytes = (): Uint8Array => data;
      g.derived('w', 'w', [750], DT.FLOAT, data.length, bytes, () => [data.subarray(0, 1200), data.subarray(1200, cut)]);
      return g;
    };
    serializeExternal(build(3000), target);
    assert.ok(readFileSync(target.path).subarray(0, 3000).equals(data), 'sync: the pieces in order');
    await serializeExternalAsync(build(3000), target);
    assert.ok(readFileSync(target.path).subarray(0, 3000).equals(data), 'async: the pieces in order');
    for (const cut of [2999, 3000 + 1]) {
      const g = new GraphBuilder();
      g.derived('w', 'w', [750], DT.FLOAT, data.length, () => data, () => [data.subarray(0, 1200), new Uint8Array(cut - 1200)]);
      await assert.rejects(serializeExternalAsync(g, target), /serialize: w has (more than )?\d+ bytes in pieces, planned 3000/);
      assert.throws(() => serializeExternal(g, target), /serialize: w has (more than )?\d+ bytes in pieces, planned 3000/);
    }
  });

  it('a GGUF file\'s float tensors are read by rows where read() gives them as stored (not llama.cpp\'s permuted q/k)', async () => {
    const spec = ARCH_SPECS.find((x) => x.name === 'llama-gqa-tied');
    assert.ok(spec);
    const model = join(dir, 'gguf-src');
    generateModel(model, spec);
    const path = writeGgufModel(model, join(dir, 'm.gguf'), { quant: 'F16' }).path;
    const files = await loadModelFiles(path);
    try {
      const layer = files.weights.layers[0];
      assert.ok(layer);
      for (const ref of [layer.up.weight, layer.down.weight, layer.v.weight]) {
        assert.ok(ref.rows, `${ref.key} has rows`);
        assert.equal(ref.rows.dtype, 'F16');
        const K = ref.dims[1] as number;
        const pieces = Buffer.concat(Array.from(floatPieces(ref.rows, ref.dims, undefined, 3 * K), (p) => Buffer.from(p))); // copied as each is made
        const whole = ref.load();
        assert.ok(pieces.equals(Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength)), `${ref.key}: the pieces are read()'s values`);
      }
      for (const ref of [layer.q.weight, layer.k.weight]) assert.equal(ref.rows, undefined, `${ref.key}: permuted in the file, so never read by rows`);
    } finally {
      files.store.close();
      releaseRowBuffers();
    }
  });
});

