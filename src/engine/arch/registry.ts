/** The architecture registry: config.json `model_type` -> adapter. Adding a family = one file + one line here. */
import { SinkLensError } from '../../shared/errors';
import type { ArchAdapter } from './adapter';
import { gpt2Adapter } from './gpt2';
import { gptNeoxAdapter } from './gpt_neox';
import { llamaAdapter } from './llama';
import { mistralAdapter } from './mistral';
import { qwen2Adapter } from './qwen2';
import { qwen3Adapter } from './qwen3';

const ADAPTERS: readonly ArchAdapter[] = [llamaAdapter, mistralAdapter, qwen2Adapter, qwen3Adapter, gpt2Adapter, gptNeoxAdapter];

const REGISTRY: ReadonlyMap<string, ArchAdapter> = new Map(ADAPTERS.flatMap((a) => a.modelTypes.map((t) => [t, a] as const)));

export function supportedModelTypes(): string[] {
  return [...REGISTRY.keys()];
}

export function isSupportedModelType(modelType: unknown): boolean {
  return typeof modelType === 'string' && REGISTRY.has(modelType);
}

export function getAdapter(modelType: unknown): ArchAdapter {
  const a = typeof modelType === 'string' ? REGISTRY.get(modelType) : undefined;
  if (!a) {
    throw new SinkLensError(
      'unsupportedArch',
      `SinkLens does not support model_type ${JSON.stringify(modelType)}. Supported: ${supportedModelTypes().join(', ')}.`,
      'Pick a model of a supported family (e.g. Llama, Qwen2/3, Mistral, GPT-2, Pythia).',
    );
  }
  return a;
}
