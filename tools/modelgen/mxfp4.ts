/**
 * MXFP4 expert tensors as gpt-oss checkpoints store them, written from the OCP microscaling format
 * description (independent of the engine's decoder): per group of 32 inputs of one output row, an
 * E8M0 scale byte (2^(s - 127)) and 16 bytes of FP4 E2M1 codes (sign bit 8, magnitude index into
 * {0, 0.5, 1, 1.5, 2, 3, 4, 6}), value 2i in the low nibble and 2i+1 in the high nibble of byte i.
 * `gate_up_proj` [E, d, 2ff] (in, out) becomes `gate_up_proj_blocks` [E, 2ff, d/32, 16] and
 * `gate_up_proj_scales` [E, 2ff, d/32]; `down_proj` likewise; biases stay float.
 */
import { join } from 'node:path';
import { writeModelFolder, type GeneratedModel } from './folder';
import { mulberry32 } from './prng';
import { writeRawSafetensors, type RawTensor, type TensorToWrite } from './safetensors';
import { f32ToBf16Bits, f32ToF16Bits } from './float16';
import type { ModelSpec } from './spec';
import { randomTensors } from './tensors';

const MAGNITUDES = [0, 0.5, 1, 1.5, 2, 3, 4, 6];

/** The nearest E2M1 code of x (ties to the lower magnitude). */
function e2m1Code(x: number): number {
  const a = Math.abs(x);
  let best = 0;
  for (let i = 1; i < MAGNITUDES.length; i++) if (Math.abs(a - (MAGNITUDES[i] as number)) < Math.abs(a - (MAGNITUDES[best] as number))) best = i;
  return (x < 0 && best > 0 ? 8 : 0) | best;
}

/** The decoded value of a code (what a reader must recover). */
export function e2m1Value(code: number): number {
  const m = MAGNITUDES[code & 7] as number;
  return code & 8 ? -m : m;
}

/** w [E, K, N] (in, out) -> blocks [E, N, K/32, 16] and scales [E, N, K/32]. */
export function packMxfp4(w: Float32Array, E: number, K: number, N: number): { blocks: Uint8Array; scales: Uint8Array } {
  if (K % 32 !== 0) throw new Error(`mxfp4: K = ${K} is not a multiple of 32`);
  const G = K / 32;
  const blocks = new Uint8Array(E * N * G * 16);
  const scales = new Uint8Array(E * N * G);
  for (let e = 0; e < E; e++) {
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < G; g++) {
        let amax = 0;
        for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(w[(e * K + g * 32 + i) * N + n] as number));
        // The smallest power of two that brings the group's largest magnitude within 6.
        const exp = amax > 0 ? Math.max(-127, Math.min(127, Math.ceil(Math.log2(amax / 6)))) : -127;
        const row = (e * N + n) * G + g;
        scales[row] = exp + 127;
        for (let i = 0; i < 32; i += 2) {
          const lo = e2m1Code((w[(e * K + g * 32 + i) * N + n] as number) / 2 ** exp);
          const hi = e2m1Code((w[(e * K + g * 32 + i + 1) * N + n] as number) / 2 ** exp);
          blocks[row * 16 + i / 2] = lo | (hi << 4);
        }
      }
    }
  }
  return { blocks, scales };
}

function floatBytes(t: TensorToWrite): RawTensor {
  if (t.dtype === 'F32') return { dtype: 'F32', shape: t.dims, bytes: new Uint8Array(Float32Array.from(t.data).buffer) };
  const bits = Uint16Array.from(t.data, (v) => (t.dtype === 'F16' ? f32ToF16Bits(v) : f32ToBf16Bits(v)));
  return { dtype: t.dtype, shape: t.dims, bytes: new Uint8Array(bits.buffer) };
}

/** A gpt_oss model folder whose experts are stored MXFP4 (in memory: tiny models only). */
export function writeMxfp4Model(dir: string, spec: ModelSpec): GeneratedModel {
  if (spec.family !== 'gpt_oss') throw new Error('mxfp4: only gpt_oss models store MXFP4 experts');
  const s: ModelSpec = { ...spec, mxfp4: true, dtype: spec.dtype ?? 'F32', seed: spec.seed ?? 1 };
  const gen = writeModelFolder(dir, s, []);
  const raw: Record<string, RawTensor> = {};
  for (const t of randomTensors(s, mulberry32(s.seed as number))) {
    const m = /^(.*\.mlp\.experts\.(gate_up_proj|down_proj))$/.exec(t.name);
    if (!m) {
      raw[t.name] = floatBytes(t);
      continue;
    }
    const [E, K, N] = t.dims as [number, number, number];
    const { blocks, scales } = packMxfp4(t.data, E, K, N);
    raw[`${t.name}_blocks`] = { dtype: 'U8', shape: [E, N, K / 32, 16], bytes: blocks };
    raw[`${t.name}_scales`] = { dtype: 'U8', shape: [E, N, K / 32], bytes: scales };
  }
  writeRawSafetensors(join(dir, 'model.safetensors'), raw);
  return { ...gen, tensorNames: Object.keys(raw) };
}
