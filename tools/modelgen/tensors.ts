/**
 * Random weights under each family's raw HF tensor names and layouts, as a plan: every tensor's
 * name, dims and normal distribution, in save order. Values are drawn from one seeded stream in
 * that order, so a plan can be materialised in memory (tiny models) or streamed to disk chunk by
 * chunk (real shapes) with the same values. Scales keep activations O(1): Linear weights
 * ~ N(0, 1/in), output projections shrunk by 1/sqrt(2 * layers), norm gains near 1.
 */
import { numel, type StorageDtype, type TensorSource, type TensorToWrite } from './safetensors';
import { normals, type Rng } from './prng';
import { headDimOf, isMoreFamily, type ModelSpec } from './spec';
import { moreTensors } from './moreFamilies';

/** One planned tensor: values ~ N(mean, std^2). */
export interface PlannedTensor {
  name: string;
  dims: number[];
  std: number;
  mean: number;
}

type Emit = (name: string, dims: number[], std: number, mean?: number) => void;

function linear(emit: Emit, name: string, out: number, inn: number, opts: { bias: boolean; gain?: number }): void {
  emit(`${name}.weight`, [out, inn], (opts.gain ?? 1) / Math.sqrt(inn)); // [out, in]
  if (opts.bias) emit(`${name}.bias`, [out], 0.05); // [out]
}

function norm(emit: Emit, name: string, n: number, bias: boolean): void {
  emit(`${name}.weight`, [n], 0.1, 1); // [n]
  if (bias) emit(`${name}.bias`, [n], 0.05); // [n]
}

function llamaLike(spec: ModelSpec, emit: Emit): void {
  const d = spec.hidden;
  const hd = headDimOf(spec);
  const kv = spec.kvHeads ?? spec.heads;
  const outGain = 1 / Math.sqrt(2 * spec.layers);
  const qkvBias = spec.family === 'qwen2' || (spec.attentionBias ?? false);
  const oBias = spec.family === 'llama' && (spec.attentionBias ?? false);
  const mlpBias = spec.family === 'llama' && (spec.mlpBias ?? false);
  // Tied heads read the embedding back as logits: a smaller scale keeps those O(few).
  emit('model.embed_tokens.weight', [spec.vocab, d], spec.tie ? 0.3 : 1); // [vocab, d]
  for (let i = 0; i < spec.layers; i++) {
    const p = `model.layers.${i}.`;
    norm(emit, `${p}input_layernorm`, d, false);
    linear(emit, `${p}self_attn.q_proj`, spec.heads * hd, d, { bias: qkvBias, gain: 2 });
    linear(emit, `${p}self_attn.k_proj`, kv * hd, d, { bias: qkvBias, gain: 2 });
    linear(emit, `${p}self_attn.v_proj`, kv * hd, d, { bias: qkvBias });
    linear(emit, `${p}self_attn.o_proj`, d, spec.heads * hd, { bias: oBias, gain: outGain });
    if (spec.family === 'qwen3') {
      norm(emit, `${p}self_attn.q_norm`, hd, false);
      norm(emit, `${p}self_attn.k_norm`, hd, false);
    }
    norm(emit, `${p}post_attention_layernorm`, d, false);
    linear(emit, `${p}mlp.gate_proj`, spec.intermediate, d, { bias: mlpBias });
    linear(emit, `${p}mlp.up_proj`, spec.intermediate, d, { bias: mlpBias });
    linear(emit, `${p}mlp.down_proj`, d, spec.intermediate, { bias: mlpBias, gain: outGain });
  }
  norm(emit, 'model.norm', d, false);
  if (!(spec.tie ?? false)) linear(emit, 'lm_head', spec.vocab, d, { bias: false });
}

/** GPT-2 Conv1D: weight stored [in, out]. */
function conv1d(emit: Emit, name: string, inn: number, out: number, gain = 1): void {
  emit(`${name}.weight`, [inn, out], gain / Math.sqrt(inn)); // [in, out]
  emit(`${name}.bias`, [out], 0.05); // [out]
}

function gpt2(spec: ModelSpec, emit: Emit): void {
  const d = spec.hidden;
  const pre = spec.gpt2NoPrefix ? '' : 'transformer.';
  const outGain = 1 / Math.sqrt(2 * spec.layers);
  emit(`${pre}wte.weight`, [spec.vocab, d], 0.3); // [vocab, d], tied: keeps logits O(few)
  emit(`${pre}wpe.weight`, [spec.maxPositions ?? 128, d], 0.3); // [maxPos, d]
  for (let i = 0; i < spec.layers; i++) {
    const p = `${pre}h.${i}.`;
    norm(emit, `${p}ln_1`, d, true);
    conv1d(emit, `${p}attn.c_attn`, d, 3 * d, 2); // columns: q | k | v
    conv1d(emit, `${p}attn.c_proj`, d, d, outGain);
    norm(emit, `${p}ln_2`, d, true);
    conv1d(emit, `${p}mlp.c_fc`, d, spec.intermediate);
    conv1d(emit, `${p}mlp.c_proj`, spec.intermediate, d, outGain);
  }
  norm(emit, `${pre}ln_f`, d, true);
}

/** GPT-NeoX: query_key_value rows interleaved per head as [H, 3, hd]. */
function gptNeox(spec: ModelSpec, emit: Emit): void {
  const d = spec.hidden;
  const outGain = 1 / Math.sqrt(2 * spec.layers);
  emit('gpt_neox.embed_in.weight', [spec.vocab, d], 1); // [vocab, d]
  for (let i = 0; i < spec.layers; i++) {
    const p = `gpt_neox.layers.${i}.`;
    norm(emit, `${p}input_layernorm`, d, true);
    norm(emit, `${p}post_attention_layernorm`, d, true);
    linear(emit, `${p}attention.query_key_value`, 3 * d, d, { bias: true, gain: 2 }); // [H*3*hd, d]
    linear(emit, `${p}attention.dense`, d, d, { bias: true, gain: outGain });
    linear(emit, `${p}mlp.dense_h_to_4h`, spec.intermediate, d, { bias: true });
    linear(emit, `${p}mlp.dense_4h_to_h`, d, spec.intermediate, { bias: true, gain: outGain });
  }
  norm(emit, 'gpt_neox.final_layer_norm', d, true);
  if (!(spec.tie ?? false)) linear(emit, 'embed_out', spec.vocab, d, { bias: false });
}

/** Gemma norms store w and scale by (1 + w): drawn around 0 so the gain is near 1. */
function gemmaNorm(emit: Emit, name: string, n: number): void {
  emit(`${name}.weight`, [n], 0.1); // [n]
}

/** Gemma 1/2/3: the Llama names, (1 + w) norms, Gemma 2/3's sublayer post-norms, Gemma 3's q/k norms. */
function gemma(spec: ModelSpec, emit: Emit): void {
  const d = spec.hidden;
  const hd = headDimOf(spec);
  const kv = spec.kvHeads ?? spec.heads;
  const outGain = 1 / Math.sqrt(2 * spec.layers);
  const post = spec.family !== 'gemma';
  // The embedding is scaled by sqrt(d) in the model: unit rows / sqrt(d) keep h[0] O(1) and tied logits O(few).
  emit('model.embed_tokens.weight', [spec.vocab, d], 1 / Math.sqrt(d)); // [vocab, d]
  for (let i = 0; i < spec.layers; i++) {
    const p = `model.layers.${i}.`;
    gemmaNorm(emit, `${p}input_layernorm`, d);
    linear(emit, `${p}self_attn.q_proj`, spec.heads * hd, d, { bias: false, gain: 2 });
    linear(emit, `${p}self_attn.k_proj`, kv * hd, d, { bias: false, gain: 2 });
    linear(emit, `${p}self_attn.v_proj`, kv * hd, d, { bias: false });
    linear(emit, `${p}self_attn.o_proj`, d, spec.heads * hd, { bias: false, gain: outGain });
    if (spec.family === 'gemma3_text') {
      gemmaNorm(emit, `${p}self_attn.q_norm`, hd);
      gemmaNorm(emit, `${p}self_attn.k_norm`, hd);
    }
    gemmaNorm(emit, `${p}post_attention_layernorm`, d);
    if (post) gemmaNorm(emit, `${p}pre_feedforward_layernorm`, d);
    if (post) gemmaNorm(emit, `${p}post_feedforward_layernorm`, d);
    linear(emit, `${p}mlp.gate_proj`, spec.intermediate, d, { bias: false });
    linear(emit, `${p}mlp.up_proj`, spec.intermediate, d, { bias: false });
    linear(emit, `${p}mlp.down_proj`, d, spec.intermediate, { bias: false, gain: outGain });
  }
  gemmaNorm(emit, 'model.norm', d);
  if (!(spec.tie ?? true)) linear(emit, 'lm_head', spec.vocab, d, { bias: false });
}

/** Starcoder2: LayerNorms with bias, biased q/k/v/o (use_bias), plain GELU MLP c_fc / c_proj with biases. */
function starcoder2(spec: ModelSpec, emit: Emit): void {
  const d = spec.hidden;
  const hd = headDimOf(spec);
  const kv = spec.kvHeads ?? spec.heads;
  const outGain = 1 / Math.sqrt(2 * spec.layers);
  emit('model.embed_tokens.weight', [spec.vocab, d], spec.tie ?? true ? 0.3 : 1); // [vocab, d]
  for (let i = 0; i < spec.layers; i++) {
    const p = `model.layers.${i}.`;
    norm(emit, `${p}input_layernorm`, d, true);
    linear(emit, `${p}self_attn.q_proj`, spec.heads * hd, d, { bias: true, gain: 2 });
    linear(emit, `${p}self_attn.k_proj`, kv * hd, d, { bias: true, gain: 2 });
    linear(emit, `${p}self_attn.v_proj`, kv * hd, d, { bias: true });
    linear(emit, `${p}self_attn.o_proj`, d, spec.heads * hd, { bias: true, gain: outGain });
    norm(emit, `${p}post_attention_layernorm`, d, true);
    linear(emit, `${p}mlp.c_fc`, spec.intermediate, d, { bias: true });
    linear(emit, `${p}mlp.c_proj`, d, spec.intermediate, { bias: true, gain: outGain });
  }
  norm(emit, 'model.norm', d, true);
  if (!(spec.tie ?? true)) linear(emit, 'lm_head', spec.vocab, d, { bias: false });
}

/** Every tensor of the model, in save order. */
/**
 * gpt-oss: Llama-like attention with biases and sinks [H]; router [E, d] + bias; experts fused as
 * gate_up_proj [E, d, 2ff] (in, out; gate/up interleaved along out), down_proj [E, ff, d], biases [E, *].
 */
function gptOss(spec: ModelSpec, emit: Emit): void {
  const d = spec.hidden;
  const hd = headDimOf(spec);
  const kv = spec.kvHeads ?? spec.heads;
  const E = spec.experts ?? 4;
  const ff = spec.intermediate;
  const outGain = 1 / Math.sqrt(2 * spec.layers);
  emit('model.embed_tokens.weight', [spec.vocab, d], spec.tie ? 0.3 : 1); // [vocab, d]
  for (let i = 0; i < spec.layers; i++) {
    const p = `model.layers.${i}.`;
    norm(emit, `${p}input_layernorm`, d, false);
    linear(emit, `${p}self_attn.q_proj`, spec.heads * hd, d, { bias: true, gain: 2 });
    linear(emit, `${p}self_attn.k_proj`, kv * hd, d, { bias: true, gain: 2 });
    linear(emit, `${p}self_attn.v_proj`, kv * hd, d, { bias: true });
    linear(emit, `${p}self_attn.o_proj`, d, spec.heads * hd, { bias: true, gain: outGain });
    emit(`${p}self_attn.sinks`, [spec.heads], 1, spec.sinkMean ?? 2); // [H]
    norm(emit, `${p}post_attention_layernorm`, d, false);
    linear(emit, `${p}mlp.router`, E, d, { bias: true, gain: 2 }); // [E, d]
    emit(`${p}mlp.experts.gate_up_proj`, [E, d, 2 * ff], 2 / Math.sqrt(d)); // [E, in, out]
    emit(`${p}mlp.experts.gate_up_proj_bias`, [E, 2 * ff], 0.05); // [E, 2ff]
    emit(`${p}mlp.experts.down_proj`, [E, ff, d], outGain / Math.sqrt(ff)); // [E, in, out]
    emit(`${p}mlp.experts.down_proj_bias`, [E, d], 0.05); // [E, d]
  }
  norm(emit, 'model.norm', d, false);
  if (!(spec.tie ?? false)) linear(emit, 'lm_head', spec.vocab, d, { bias: false });
}

/** Every tensor of the model, in save order. */
export function tensorPlan(spec: ModelSpec): PlannedTensor[] {
  const out: PlannedTensor[] = [];
  const emit: Emit = (name, dims, std, mean = 0) => out.push({ name, dims, std, mean });
  if (spec.family === 'gemma' || spec.family === 'gemma2' || spec.family === 'gemma3_text') {
    gemma(spec, emit);
    return out;
  }
  if (spec.family === 'starcoder2') {
    starcoder2(spec, emit);
    return out;
  }
  if (spec.family === 'gpt2') gpt2(spec, emit);
  else if (spec.family === 'gpt_neox') gptNeox(spec, emit);
  else if (isMoreFamily(spec.family)) moreTensors({ ...spec, family: spec.family }, emit);
  else if (spec.family === 'gpt_oss') gptOss(spec, emit);
  else llamaLike(spec, emit);
  return out;
}

/** Every tensor of the model in memory, in save order, all in the spec's storage dtype. */
export function randomTensors(spec: ModelSpec, rng: Rng): TensorToWrite[] {
  const dtype: StorageDtype = spec.dtype ?? 'F32';
  return tensorPlan(spec).map((p) => ({ name: p.name, dtype, dims: p.dims, data: normals(rng, numel(p.dims), p.std, p.mean) }));
}

/**
 * The same values as randomTensors, as sources that draw `chunk` values at a time into one reused
 * buffer when written. They share `rng`, so they must be produced once each, in order.
 */
export function randomSources(spec: ModelSpec, rng: Rng, chunk = 1 << 20): TensorSource[] {
  const dtype: StorageDtype = spec.dtype ?? 'F32';
  let buf: Float32Array | null = null;
  return tensorPlan(spec).map((p) => ({
    name: p.name,
    dtype,
    dims: p.dims,
    produce(put) {
      buf ??= new Float32Array(chunk);
      for (let left = numel(p.dims); left > 0; left -= chunk) {
        const part = left >= chunk ? buf : buf.subarray(0, left);
        for (let i = 0; i < part.length; i++) part[i] = p.mean + p.std * rng.normal();
        put(part);
      }
    },
  }));
}
