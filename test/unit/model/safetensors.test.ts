import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { openWeights, sha256Files } from '../../../src/engine/model/safetensors';
import { assertClose } from '../../support/assertClose';
import { f32Bytes, u16Bytes, writeRawSafetensors, type RawTensor } from '../../../tools/modelgen/safetensors';

const root = mkdtempSync(join(tmpdir(), 'sinklens-st-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const d = join(root, `m${n++}`);
  mkdirSync(d);
  return d;
};

function throwsCode(fn: () => unknown, code: string, ...mustMention: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(SinkLensError.is(e), `expected SinkLensError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const m of mustMention) assert.ok(`${e.message} ${e.detail ?? ''}`.includes(m), `"${e.message}" should mention ${m}`);
    return true;
  });
}

describe('safetensors dtype conversion', () => {
  it('decodes F16 bit patterns exactly (normal, subnormal, signed zero, inf, nan)', () => {
    const dir = freshDir();
    // bits -> value, from the IEEE 754 binary16 definition.
    const cases: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x0400, 2 ** -14],
      [0x8000, -0],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    writeRawSafetensors(join(dir, 'model.safetensors'), {
      h: { dtype: 'F16', shape: [2, 5], bytes: u16Bytes(cases.map((c) => c[0])) },
      nan: { dtype: 'F16', shape: [1], bytes: u16Bytes([0x7e00]) },
    });
    const s = openWeights(dir);
    const got = s.read('h');
    assert.deepEqual(Array.from(got), cases.map((c) => c[1]));
    assert.ok(Object.is(got[7], -0), 'negative zero keeps its sign');
    assert.ok(Number.isNaN(s.read('nan')[0]));
    assert.equal(s.dtypeSummary(), 'F16');
    s.close();
  });

  it('decodes BF16 as the top 16 bits of a float32', () => {
    const dir = freshDir();
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc0a0, -5],
      [0x3eab, 0.333984375],
      [0x4049, 3.140625],
      [0x0000, 0],
      [0x7f80, Infinity],
    ];
    writeRawSafetensors(join(dir, 'model.safetensors'), { b: { dtype: 'BF16', shape: [3, 2], bytes: u16Bytes(cases.map((c) => c[0])) } });
    const s = openWeights(dir);
    assert.deepEqual(Array.from(s.read('b')), cases.map((c) => c[1]));
    s.close();
  });

  it('reads F32, F64 and F16, refuses integer weights, and reports mixed dtypes', () => {
    const dir = freshDir();
    const f64 = new Uint8Array(Float64Array.from([0.5, -1.25, 1e10]).buffer);
    const i64 = new Uint8Array(BigInt64Array.from([3n, -7n]).buffer);
    writeRawSafetensors(join(dir, 'model.safetensors'), {
      a: { dtype: 'F32', shape: [2, 2], bytes: f32Bytes([1.5, -2.5, 3.25, 1e-7]) },
      b: { dtype: 'F64', shape: [3], bytes: f64 },
      c: { dtype: 'I64', shape: [2], bytes: i64 },
      h: { dtype: 'F16', shape: [1], bytes: u16Bytes([0x3c00]) },
    });
    const s = openWeights(dir);
    assertClose(s.read('a'), [1.5, -2.5, 3.25, Math.fround(1e-7)], { rtol: 0, atol: 0 });
    assert.deepEqual(Array.from(s.read('b')), [0.5, -1.25, 1e10]);
    // Integer tensors are buffers or masks, never weights: reading one as a weight is refused, naming it.
    assert.throws(() => s.read('c'), (e: Error) => /Tensor "c" in model\.safetensors has dtype I64; model weights must be floating point/.test(e.message));
    assert.equal(s.dtypeSummary(), 'F16+F32+F64+I64');
    assert.deepEqual(s.info('a').shape, [2, 2]);
    assert.equal(s.numElements(), 4 + 3 + 2 + 1);
    s.close();
  });
});

describe('sharded weights', () => {
  it('follows model.safetensors.index.json across shards', async () => {
    const dir = freshDir();
    writeRawSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { x: { dtype: 'F32', shape: [2], bytes: f32Bytes([1, 2]) } });
    writeRawSafetensors(join(dir, 'model-00002-of-00002.safetensors'), { y: { dtype: 'BF16', shape: [1], bytes: u16Bytes([0x4000]) } });
    const index = { metadata: { total_size: 10 }, weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' } };
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const s = openWeights(dir);
    assert.deepEqual(s.names().sort(), ['x', 'y']);
    assert.deepEqual(Array.from(s.read('x')), [1, 2]);
    assert.deepEqual(Array.from(s.read('y')), [2]);
    assert.equal(s.info('y').file, join(dir, 'model-00002-of-00002.safetensors'));
    assert.equal(s.dtypeSummary(), 'BF16+F32');
    const files = s.files();
    assert.deepEqual(files.map((f) => f.name), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const hashes = await sha256Files(files);
    const expected = files.map((f) => createHash('sha256').update(readFileSync(f.path)).digest('hex'));
    assert.deepEqual(hashes, expected);
    assert.equal(files[0]?.bytes, readFileSync(files[0]!.path).length);
    s.close();
  });

  it('names a missing shard', () => {
    const dir = freshDir();
    writeRawSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { x: { dtype: 'F32', shape: [1], bytes: f32Bytes([1]) } });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' } }));
    throwsCode(() => openWeights(dir), 'missingWeights', 'model-00002-of-00002.safetensors');
  });

  it('rejects an index that points a tensor at the wrong shard', () => {
    const dir = freshDir();
    writeRawSafetensors(join(dir, 'a.safetensors'), { x: { dtype: 'F32', shape: [1], bytes: f32Bytes([1]) } });
    writeRawSafetensors(join(dir, 'b.safetensors'), { y: { dtype: 'F32', shape: [1], bytes: f32Bytes([1]) } });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: 'b.safetensors', y: 'b.safetensors' } }));
    throwsCode(() => openWeights(dir), 'corruptWeights', '"x"', 'b.safetensors');
  });
});

describe('corrupt and missing weights', () => {
  const one: Record<string, RawTensor> = { 'w.weight': { dtype: 'F32', shape: [2, 3], bytes: f32Bytes([1, 2, 3, 4, 5, 6]) } };
  const write = (opts: Parameters<typeof writeRawSafetensors>[2]): string => {
    const dir = freshDir();
    writeRawSafetensors(join(dir, 'model.safetensors'), one, opts);
    return dir;
  };

  it('accepts the well-formed file', () => {
    const s = openWeights(write({}));
    assert.deepEqual(Array.from(s.read('w.weight')), [1, 2, 3, 4, 5, 6]);
    s.close();
  });
  it('detects a truncated file, naming the file and tensor', () => {
    const full = write({});
    const size = readFileSync(join(full, 'model.safetensors')).length;
    throwsCode(() => openWeights(write({ truncateTo: size - 4 })), 'corruptWeights', 'model.safetensors', 'w.weight');
  });
  it('detects a header length larger than the file', () => {
    throwsCode(() => openWeights(write({ headerLength: 1n << 40n })), 'corruptWeights', 'model.safetensors');
  });
  it('detects a file too short for a header', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'model.safetensors'), Uint8Array.of(1, 2, 3));
    throwsCode(() => openWeights(dir), 'corruptWeights', 'too short');
  });
  it('detects a header that is not JSON', () => {
    throwsCode(() => openWeights(write({ headerText: '{"w.weight": {"dtype": "F32", ' })), 'corruptWeights', 'JSON');
  });
  it('detects offsets out of range', () => {
    throwsCode(() => openWeights(write({ headerPatch: { 'w.weight': { data_offsets: [8, 32] } } })), 'corruptWeights', 'w.weight', 'past the end');
  });
  it('detects offsets that do not match dtype x shape', () => {
    throwsCode(() => openWeights(write({ headerPatch: { 'w.weight': { shape: [2, 2] } } })), 'corruptWeights', 'w.weight', '16 bytes');
  });
  it('detects an unknown dtype', () => {
    throwsCode(() => openWeights(write({ headerPatch: { 'w.weight': { dtype: 'Q4' } } })), 'corruptWeights', 'w.weight', 'Q4');
  });
  it('refuses to convert a known but non-float dtype, naming the tensor', () => {
    const dir = freshDir();
    writeRawSafetensors(join(dir, 'model.safetensors'), { m: { dtype: 'U8', shape: [4], bytes: Uint8Array.of(1, 2, 3, 4) } });
    const s = openWeights(dir);
    throwsCode(() => s.read('m'), 'corruptWeights', '"m"', 'U8');
    s.close();
  });
  it('reports a folder without safetensors, pointing at PyTorch weights when present', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    throwsCode(() => openWeights(dir), 'missingWeights', 'safetensors', 'PyTorch');
  });
  it('reports an unknown tensor name as missing', () => {
    const s = openWeights(write({}));
    throwsCode(() => s.read('nope'), 'missingWeights', 'nope');
    s.close();
  });
});
