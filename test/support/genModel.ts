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
  { name: 'gpt2-tied', family: 'gpt2', hidden: 32, layers: 2, heads: 4, intermediate: 128, vocab: 70, maxPositions: 64, seed: 17 },
  { name: 'gpt-neox-parallel', family: 'gpt_neox', hidden: 64, layers: 2, heads: 4, intermediate: 256, vocab: 84, rotaryPct: 0.25, parallelResidual: true, seed: 18 },
  { name: 'gpt-neox-sequential', family: 'gpt_neox', hidden: 32, layers: 3, heads: 2, intermediate: 128, vocab: 64, rotaryPct: 0.5, parallelResidual: false, seed: 19 },
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
