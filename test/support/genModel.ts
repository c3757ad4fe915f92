/**
 * The tests' view of the seeded model generator (tools/modelgen): the tiny specs every
 * architecture test iterates over, prompts and ids drawn from a seed, and the planted model.
 * Tiny random Hugging Face model folders (config.json in the family's own dialect, safetensors in
 * F32/F16/BF16, optionally sharded, a real tokenizer.json) test the engine on every supported
 * architecture without network or checked-in weights.
 */
import { mulberry32, writeMxfp4Model, writeRandomModel, type GeneratedModel, type ModelSpec } from '../../tools/modelgen';

export type { ModelSpec, GenFamily, GeneratedModel, VocabLayout } from '../../tools/modelgen';
export { writeModelFolder } from '../../tools/modelgen';
export { generatePlantedModel, type PlantedOptions, type PlantedModel } from './planted';

/**
 * Phi-3, OLMo, OLMo2, Granite and OPT with their quirks on. Phi-3: fused projections, partial rotary
 * (6 of 12 dims), longrope with original 16 of 64 positions (T = 24 takes the long factors; the
 * longrope test also runs T <= 16), BF16. OLMo: clip_qkv small enough to clip, sharded. OPT: pre-LN,
 * and post-LN with word_embed_proj_dim 32 != hidden 48 (opt-350m's layout).
 */
const MORE_SPECS: readonly ModelSpec[] = [
  {
    name: 'phi3-longrope-bf16',
    family: 'phi3',
    hidden: 48,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    intermediate: 96,
    vocab: 88,
    maxPositions: 64,
    dtype: 'BF16',
    seed: 21,
    partialRotary: 0.5,
    originalMaxPositions: 16,
    slidingWindow: 10,
    ropeScaling: { type: 'longrope', short_factor: [1, 1.5, 2.5], long_factor: [1.5, 4, 9] },
  },
  { name: 'olmo-clip-sharded', family: 'olmo', hidden: 32, layers: 3, heads: 4, kvHeads: 4, intermediate: 64, vocab: 72, shards: 2, seed: 22, clipQkv: 0.8 },
  { name: 'olmo2-postnorm', family: 'olmo2', hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 80, vocab: 76, seed: 23 },
  {
    name: 'granite-multipliers',
    family: 'granite',
    hidden: 32,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    intermediate: 64,
    vocab: 80,
    tie: true,
    seed: 24,
    granite: { embedding: 4, residual: 0.5, attention: 0.1, logits: 3 },
  },
  { name: 'opt-preln', family: 'opt', tie: true, hidden: 32, layers: 2, heads: 4, intermediate: 128, vocab: 70, maxPositions: 64, seed: 25 },
  { name: 'opt-postln-proj-f16', family: 'opt', tie: true, hidden: 48, layers: 3, heads: 4, intermediate: 96, vocab: 66, maxPositions: 48, dtype: 'F16', seed: 26, preLn: false, wordEmbedProjDim: 32 },
];

/** The specs every architecture test iterates over (tiny: hidden 32-64, 2-3 layers, vocab 64-100). */
export const ARCH_SPECS: readonly ModelSpec[] = [
  { name: 'llama-gqa-tied', family: 'llama', hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 64, vocab: 80, tie: true, seed: 11 },
  {
    name: 'llama-untied-llama3rope-bf16',
    family: 'llama',
    hidden: 48,
    layers: 3,
    heads: 4,
    kvHeads: 4,
    headDim: 12,
    intermediate: 96,
    vocab: 96,
    tie: false,
    dtype: 'BF16',
    seed: 12,
    ropeTheta: 500000,
    // Small original context so every frequency band (kept, interpolated, divided) is exercised.
    ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
    attentionBias: true,
    mlpBias: true,
  },
  { name: 'llama-linear-rope', family: 'llama', hidden: 32, layers: 2, heads: 2, kvHeads: 1, intermediate: 64, vocab: 64, seed: 13, ropeScaling: { type: 'linear', factor: 2 } },
  { name: 'mistral-sharded-f16', family: 'mistral', hidden: 64, layers: 3, heads: 8, kvHeads: 2, intermediate: 128, vocab: 100, dtype: 'F16', shards: 3, seed: 14 },
  { name: 'qwen2-bias', family: 'qwen2', hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 80, vocab: 72, tie: true, seed: 15 },
  { name: 'qwen3-qknorm', family: 'qwen3', hidden: 48, layers: 2, heads: 4, kvHeads: 2, headDim: 16, intermediate: 96, vocab: 90, tie: false, seed: 16 },
  // Windows shorter than the 24-token test prompt, so the band mask matters (BOS leaves the view of queries i >= W).
  { name: 'mistral-window', family: 'mistral', hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 64, vocab: 80, slidingWindow: 7, seed: 20 },
  { name: 'qwen2-window-upper', family: 'qwen2', hidden: 32, layers: 3, heads: 4, kvHeads: 2, intermediate: 64, vocab: 72, slidingWindow: 5, maxWindowLayers: 1, seed: 21 },
  // Gemma: (1 + w) norms, sqrt(d) embedding scale (bf16-rounded for the BF16 model), GeGLU; head_dim != d / H.
  { name: 'gemma-bf16', family: 'gemma', hidden: 48, layers: 2, heads: 4, kvHeads: 1, headDim: 16, intermediate: 96, vocab: 80, tie: true, dtype: 'BF16', seed: 22 },
  // Gemma 2: soft-caps that bite, post-norms, query_pre_attn_scalar != head_dim, head_dim != d / H, windows on layers 0 and 2.
  {
    name: 'gemma2-softcap-window-sharded',
    family: 'gemma2',
    hidden: 32,
    layers: 3,
    heads: 4,
    kvHeads: 2,
    headDim: 12,
    intermediate: 64,
    vocab: 72,
    queryPreAttnScalar: 20,
    attnSoftcap: 4,
    finalSoftcap: 2.5,
    slidingWindow: 6,
    tie: true,
    shards: 2,
    seed: 23,
  },
  // Gemma 3: q/k norms, local RoPE base on sliding layers, global theta + linear scaling, pattern 3 (2 local : 1 global).
  {
    name: 'gemma3-pattern',
    family: 'gemma3_text',
    hidden: 32,
    layers: 3,
    heads: 2,
    kvHeads: 1,
    headDim: 24,
    intermediate: 64,
    vocab: 64,
    slidingWindow: 5,
    slidingWindowPattern: 3,
    ropeTheta: 1000000,
    ropeLocalTheta: 10000,
    ropeScaling: { rope_type: 'linear', factor: 8 },
    queryPreAttnScalar: 24,
    tie: false,
    seed: 24,
  },
  { name: 'gemma3-layer-types-f16', family: 'gemma3_text', hidden: 32, layers: 2, heads: 4, kvHeads: 4, headDim: 8, intermediate: 64, vocab: 64, slidingWindow: 4, slidingWindowPattern: 2, layerTypes: true, tie: true, dtype: 'F16', seed: 25 },
  { name: 'starcoder2-window', family: 'starcoder2', hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocab: 70, tie: true, slidingWindow: 6, seed: 26 },
  { name: 'gpt2-tied', family: 'gpt2', hidden: 32, layers: 2, heads: 4, intermediate: 128, vocab: 70, maxPositions: 64, seed: 17 },
  { name: 'gpt-neox-parallel', family: 'gpt_neox', hidden: 64, layers: 2, heads: 4, intermediate: 256, vocab: 84, rotaryPct: 0.25, parallelResidual: true, seed: 18 },
  { name: 'gpt-neox-sequential', family: 'gpt_neox', hidden: 32, layers: 3, heads: 2, intermediate: 128, vocab: 64, rotaryPct: 0.5, parallelResidual: false, seed: 19 },
  ...MORE_SPECS,
];

/**
 * gpt-oss shapes (learned sinks, MoE with E = 4 and k = 2, YaRN with every ramp region, sliding
 * window 6 on layers 0 and 2): kept apart from ARCH_SPECS because the oracle's gpt-oss is its own
 * forward (test/support/reference/gptOss.ts). d and ff are multiples of 32 for the MXFP4 variant.
 */
export const GPT_OSS_SPECS: readonly ModelSpec[] = [
  {
    name: 'gpt-oss-moe',
    family: 'gpt_oss',
    hidden: 32,
    layers: 3,
    heads: 4,
    kvHeads: 2,
    headDim: 8,
    intermediate: 32,
    vocab: 80,
    experts: 4,
    topK: 2,
    slidingWindow: 6,
    maxPositions: 128,
    ropeTheta: 10000,
    ropeScaling: { rope_type: 'yarn', factor: 8, beta_fast: 32, beta_slow: 1, truncate: false, original_max_position_embeddings: 256 },
    seed: 21,
  },
  { name: 'gpt-oss-mxfp4', family: 'gpt_oss', hidden: 32, layers: 2, heads: 4, kvHeads: 1, headDim: 16, intermediate: 64, vocab: 72, experts: 4, topK: 2, slidingWindow: 5, mxfp4: true, seed: 22 },
];

/** Generates a complete random model folder for `spec` (deterministic in spec.seed). */
export function generateModel(dir: string, spec: ModelSpec): GeneratedModel {
  return spec.mxfp4 ? writeMxfp4Model(dir, spec) : writeRandomModel(dir, spec);
}

/** n token ids uniform in [0, vocab), deterministic in seed. */
export function randomIds(n: number, vocab: number, seed: number): number[] {
  const rnd = mulberry32(seed).next;
  return Array.from({ length: n }, () => Math.floor(rnd() * vocab));
}

/** A prompt of n words from the model's vocabulary (seeded), e.g. for encode -> forward tests. */
export function samplePrompt(model: GeneratedModel, n: number, seed = 7): string {
  const rng = mulberry32(seed);
  const words = model.vocab.words;
  return Array.from({ length: n }, () => words[Math.floor(rng.next() * words.length)]).join(' ');
}
