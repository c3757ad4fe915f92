/** The one safetensors writer (tools/modelgen) against the oracle's reader and the format spec. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertClose } from '../../support/assertClose';
import { requireFixture } from '../../support/fixtures';
import { readSafetensorsDir, readSafetensorsFile } from '../../support/reference/safetensors';
import { mulberry32 } from '../../../tools/modelgen/prng';
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  writeSafetensors,
  writeSafetensorsShards,
  type TensorToWrite,
} from '../../../tools/modelgen/safetensors';

test('f16: known roundings, ties to even, subnormals, overflow', () => {
  const cases: [number, number][] = [
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65520, 0x7c00], // Halfway to the next step past 65504 rounds to even: infinity.
    [1 + 2 ** -11, 0x3c00], // Tie between 0x3c00 and 0x3c01: keep the even one.
    [1 + 3 * 2 ** -11, 0x3c02], // Tie between 0x3c01 and 0x3c02: the even one.
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // Just above the tie rounds up.
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000], // Tie between 0 and the smallest subnormal.
    [3 * 2 ** -25, 0x0002],
    [2 ** -14 - 2 ** -25, 0x0400], // Largest subnormal rounds up into the smallest normal.
    [0, 0],
    [Infinity, 0x7c00],
  ];
  for (const [x, bits] of cases) assert.equal(f32ToF16Bits(x), bits, `f16(${x})`);
  assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN))));
});

test('bf16: known roundings, ties to even', () => {
  const cases: [number, number][] = [
    [1, 0x3f80],
    [-1, 0xbf80],
    [1 + 2 ** -8, 0x3f80],
    [1 + 3 * 2 ** -8, 0x3f82],
    [1 + 2 ** -8 + 2 ** -20, 0x3f81],
    [3.0e38, 0x7f62],
  ];
  for (const [x, bits] of cases) assert.equal(f32ToBf16Bits(x), bits, `bf16(${x})`);
  assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN))));
});

/** Property: the chosen code decodes to a nearest neighbour, and on an exact tie it is the even code. */
function checkNearest(x: number, bits: number, decode: (b: number) => number, what: string): void {
  const v = decode(bits);
  for (const nb of [bits - 1, bits + 1]) {
    const w = decode(nb & 0xffff);
    if (!Number.isFinite(w) || Math.sign(w) !== Math.sign(v)) continue;
    const dv = Math.abs(x - v);
    const dw = Math.abs(x - w);
    assert.ok(dv < dw || (dv === dw && (bits & 1) === 0), `${what}(${x}) -> ${v}, but ${w} is nearer`);
  }
}

test('f16 and bf16 pick the nearest representable value across magnitudes', () => {
  const rng = mulberry32(5);
  for (let i = 0; i < 20000; i++) {
    const x = Math.fround((rng.next() - 0.5) * 2 ** (Math.floor(rng.next() * 40) - 26));
    checkNearest(x, f32ToF16Bits(x), f16BitsToF32, 'f16');
    checkNearest(x, f32ToBf16Bits(x), bf16BitsToF32, 'bf16');
  }
});

function tensors(): TensorToWrite[] {
  const rng = mulberry32(9);
  const mk = (name: string, dtype: TensorToWrite['dtype'], dims: number[]): TensorToWrite => {
    const n = dims.reduce((a, b) => a * b, 1);
    return { name, dtype, dims, data: Float32Array.from({ length: n }, () => Math.fround(rng.normal() * 3)) };
  };
  return [mk('a.weight', 'F32', [3, 5]), mk('b.weight', 'F16', [7]), mk('c.bias', 'BF16', [2, 2, 3]), mk('d', 'F32', [1]), mk('e', 'F16', [4, 4])];
}

function expectedAfterStorage(t: TensorToWrite): Float32Array {
  if (t.dtype === 'F32') return t.data;
  return t.data.map((v) => (t.dtype === 'F16' ? f16BitsToF32(f32ToF16Bits(v)) : bf16BitsToF32(f32ToBf16Bits(v))));
}

/** The tests' folders under one temp folder, removed when the file's tests end. */
const root = mkdtempSync(join(tmpdir(), 'sinklens-st-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('single file round trip: header layout, dims, exact F32, rounded F16/BF16', () => {
  const dir = mkdtempSync(join(root, 'st-'));
  const ts = tensors();
  writeSafetensors(join(dir, 'model.safetensors'), ts, { format: 'pt' });
  const buf = readFileSync(join(dir, 'model.safetensors'));
  const headLen = Number(buf.readBigUInt64LE(0));
  assert.equal(headLen % 8, 0, 'header padded to 8 bytes');
  const header = JSON.parse(buf.subarray(8, 8 + headLen).toString()) as Record<string, { data_offsets: number[] }>;
  assert.deepEqual(header.__metadata__, { format: 'pt' });
  let end = 0;
  for (const t of ts) {
    const [s, e] = header[t.name]!.data_offsets as [number, number];
    assert.equal(s, end, `${t.name} starts where the previous ended`);
    end = e;
  }
  assert.equal(8 + headLen + end, buf.length);
  const back = readSafetensorsFile(join(dir, 'model.safetensors'));
  for (const t of ts) {
    assert.deepEqual(back.get(t.name)!.dims, t.dims);
    assertClose(back.get(t.name)!.data, expectedAfterStorage(t), { rtol: 0, atol: 0 }, t.name);
  }
  assert.deepEqual(readSafetensorsDir(dir).get('c.bias')!.dims, [2, 2, 3]);
});

test('sharded round trip: N files named like save_pretrained, an index that covers every tensor', () => {
  const dir = mkdtempSync(join(root, 'st-'));
  const ts = tensors();
  writeSafetensorsShards(dir, ts, 3);
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, [
    'model-00001-of-00003.safetensors',
    'model-00002-of-00003.safetensors',
    'model-00003-of-00003.safetensors',
    'model.safetensors.index.json',
  ]);
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
  assert.deepEqual(Object.keys(index.weight_map).sort(), ts.map((t) => t.name).sort());
  assert.equal(new Set(Object.values(index.weight_map)).size, 3);
  const back = readSafetensorsDir(dir);
  assert.equal(back.size, ts.length);
  for (const t of ts) assertClose(back.get(t.name)!.data, expectedAfterStorage(t), { rtol: 0, atol: 0 }, t.name);
});

test('the reader reads the real stories260k checkpoint', (t) => {
  const dir = requireFixture(t, 'stories260k');
  if (!dir) return;
  const read = readSafetensorsDir(dir);
  assert.deepEqual(read.get('model.embed_tokens.weight')!.dims, [512, 64]);
  assert.deepEqual(read.get('model.layers.4.mlp.gate_proj.weight')!.dims, [172, 64]);
  assert.deepEqual(read.get('model.layers.0.self_attn.k_proj.weight')!.dims, [32, 64]);
});
