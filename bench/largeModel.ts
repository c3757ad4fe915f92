/**
 * Writes a Llama-shaped model folder with random BF16 weights, streamed one tensor at a time (a
 * 1.2B model never sits in memory): the subject of the load benchmark. Only for /tmp: never commit
 * the output.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { configJson } from '../tools/modelgen/configJson';
import type { ModelSpec } from '../tools/modelgen/spec';
import { tokenizerConfigJson, tokenizerJson, vocabLayout } from '../tools/modelgen/tokenizerFiles';

/** Llama-3.2-1B's shape: d 2048, 16 layers, 32/8 heads, ffn 8192, vocab 128256, tied head. */
export const LLAMA_1B: ModelSpec = {
  name: 'llama-1.2b-shaped',
  family: 'llama',
  hidden: 2048,
  layers: 16,
  heads: 32,
  kvHeads: 8,
  intermediate: 8192,
  vocab: 128256,
  maxPositions: 4096,
  tie: true,
  dtype: 'BF16',
};

interface Planned {
  name: string;
  dims: number[];
  /** Uniform(-scale, scale); 0 = the constant 1 (norm weights). */
  scale: number;
}

function plan(s: ModelSpec): Planned[] {
  const d = s.hidden;
  const hd = d / s.heads;
  const kv = (s.kvHeads ?? s.heads) * hd;
  const w = 1 / Math.sqrt(d);
  const out: Planned[] = [{ name: 'model.embed_tokens.weight', dims: [s.vocab, d], scale: 0.02 }];
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}`;
    out.push(
      { name: `${p}.input_layernorm.weight`, dims: [d], scale: 0 },
      { name: `${p}.self_attn.q_proj.weight`, dims: [d, d], scale: w },
      { name: `${p}.self_attn.k_proj.weight`, dims: [kv, d], scale: w },
      { name: `${p}.self_attn.v_proj.weight`, dims: [kv, d], scale: w },
      { name: `${p}.self_attn.o_proj.weight`, dims: [d, d], scale: w },
      { name: `${p}.post_attention_layernorm.weight`, dims: [d], scale: 0 },
      { name: `${p}.mlp.gate_proj.weight`, dims: [s.intermediate, d], scale: w },
      { name: `${p}.mlp.up_proj.weight`, dims: [s.intermediate, d], scale: w },
      { name: `${p}.mlp.down_proj.weight`, dims: [d, s.intermediate], scale: 1 / Math.sqrt(s.intermediate) },
    );
  }
  out.push({ name: 'model.norm.weight', dims: [d], scale: 0 });
  if (!s.tie) out.push({ name: 'lm_head.weight', dims: [s.vocab, d], scale: w });
  return out;
}

/** BF16 bits of uniform(-scale, scale) values from a xorshift32 stream (fast; quality is irrelevant here). */
function fillBf16(out: Uint16Array, scale: number, seed: number): void {
  if (scale === 0) {
    out.fill(0x3f80); // 1.0
    return;
  }
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let x = seed | 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    f[0] = ((x >>> 0) / 4294967296 - 0.5) * 2 * scale;
    out[i] = (u[0] as number) >>> 16;
  }
}

/** Writes config, tokenizer and one model.safetensors (BF16) into `dir`; returns the weight bytes. */
export function writeLargeModel(dir: string, spec: ModelSpec = LLAMA_1B): number {
  mkdirSync(dir, { recursive: true });
  const vocab = vocabLayout(spec.family, spec.vocab);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson(spec, vocab), null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab, true)));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfigJson(vocab, true, spec.maxPositions ?? 4096)));
  const tensors = plan(spec);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.dims.reduce((a, b) => a * b, 1) * 2;
    header[t.name] = { dtype: 'BF16', shape: t.dims, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, json);
    tensors.forEach((t, i) => {
      const data = new Uint16Array(t.dims.reduce((a, b) => a * b, 1));
      fillBf16(data, t.scale, 0x9e3779b1 + i * 7919);
      writeSync(fd, new Uint8Array(data.buffer));
    });
  } finally {
    closeSync(fd);
  }
  return offset;
}

// Only when run as this file: bundled into another program (dist/bench.js), `require.main === module` holds there too.
if (require.main === module && /largeModel\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: largeModel.ts DIR');
  const t0 = performance.now();
  const bytes = writeLargeModel(dir);
  process.stdout.write(`wrote ${(bytes / 1e9).toFixed(2)} GB of BF16 weights to ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
