/**
 * Named real-model shapes for generated random-weight models: the subjects of the benchmark and
 * of the scale tests. Only the shape and config dialect are real; the weights are seeded noise.
 */
import type { ModelSpec } from './spec';

export const SHAPES: Readonly<Record<string, ModelSpec>> = {
  /** openai-community/gpt2: 124M parameters, tied head, learned positions. */
  'gpt2-small': { name: 'gpt2-small-shaped', family: 'gpt2', hidden: 768, layers: 12, heads: 12, intermediate: 3072, vocab: 50257, maxPositions: 1024, tie: true },
  /** meta-llama/Llama-3.2-1B: 1.24B parameters, GQA 32/8, tied head, llama3 RoPE scaling. */
  'llama-1b': {
    name: 'llama-3.2-1b-shaped',
    family: 'llama',
    hidden: 2048,
    layers: 16,
    heads: 32,
    kvHeads: 8,
    headDim: 64,
    intermediate: 8192,
    vocab: 128256,
    maxPositions: 131072,
    tie: true,
    ropeTheta: 500000,
    ropeScaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
  },
  /** meta-llama/Meta-Llama-3-8B: 8.03B parameters, GQA 32/8, untied head. */
  'llama-8b': {
    name: 'llama-3-8b-shaped',
    family: 'llama',
    hidden: 4096,
    layers: 32,
    heads: 32,
    kvHeads: 8,
    intermediate: 14336,
    vocab: 128256,
    maxPositions: 8192,
    tie: false,
    ropeTheta: 500000,
  },
  /** A llama small enough for unit tests of the generator itself. */
  'llama-tiny': { name: 'llama-tiny', family: 'llama', hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocab: 256, maxPositions: 256, tie: false },
};

export function shapeSpec(name: string): ModelSpec {
  const spec = SHAPES[name];
  if (!spec) throw new Error(`unknown shape "${name}"; known: ${Object.keys(SHAPES).join(', ')}`);
  return spec;
}
