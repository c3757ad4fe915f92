/**
 * The oracle's own safetensors reader (from the format spec, independent of the engine's loader):
 * every tensor of a file or model folder, widened to float32 exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bf16BitsToF32, f16BitsToF32 } from '../../../tools/modelgen/float16';

export interface ReadTensor {
  dims: number[];
  data: Float32Array;
}

/** Reads every tensor of one .safetensors file, widened to float32. */
export function readSafetensorsFile(path: string): Map<string, ReadTensor> {
  const buf = readFileSync(path);
  const headLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headLen).toString('utf8')) as Record<string, unknown>;
  const base = 8 + headLen;
  const out = new Map<string, ReadTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = raw as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [start, end] = info.data_offsets;
    out.set(name, { dims: info.shape, data: decode(buf, base + start, base + end, info.dtype, name) });
  }
  return out;
}

function decode(buf: Buffer, start: number, end: number, dtype: string, name: string): Float32Array {
  if (dtype === 'F32') {
    const out = new Float32Array((end - start) / 4);
    for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(start + 4 * i);
    return out;
  }
  if (dtype === 'F16' || dtype === 'BF16') {
    const out = new Float32Array((end - start) / 2);
    for (let i = 0; i < out.length; i++) {
      const bits = buf.readUInt16LE(start + 2 * i);
      out[i] = dtype === 'F16' ? f16BitsToF32(bits) : bf16BitsToF32(bits);
    }
    return out;
  }
  if (dtype === 'U8') return Float32Array.from(buf.subarray(start, end)); // MXFP4 blocks / scales: the byte values
  throw new Error(`${name}: unsupported dtype ${dtype}`);
}

/** Reads a model folder: the single model.safetensors, or every shard named by model.safetensors.index.json. */
export function readSafetensorsDir(dir: string): Map<string, ReadTensor> {
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (!existsSync(indexPath)) return readSafetensorsFile(join(dir, 'model.safetensors'));
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
  const out = new Map<string, ReadTensor>();
  for (const file of new Set(Object.values(index.weight_map))) {
    for (const [name, t] of readSafetensorsFile(join(dir, file))) {
      if (index.weight_map[name] !== file) throw new Error(`${name} found in ${file}, index says ${index.weight_map[name]}`);
      out.set(name, t);
    }
  }
  for (const name of Object.keys(index.weight_map)) {
    if (!out.has(name)) throw new Error(`${name} is in the index but in no shard`);
  }
  return out;
}
