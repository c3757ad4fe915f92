/**
 * The architecture registry: config.json `model_type` -> adapter. Adding a family is one file
 * (arch/<family>.ts exporting an `ArchAdapter`) plus one entry in BUILT_IN below; see
 * docs/adding-an-architecture.md. `registerArchitecture` is the same door for any other adapter.
 */
import { SinkLensError } from '../../shared/errors';
import type { ArchAdapter } from './adapter';
import { gemmaAdapter, gemma2Adapter, gemma3Adapter } from './gemma';
import { gpt2Adapter } from './gpt2';
import { gptNeoxAdapter } from './gpt_neox';
import { gptOssAdapter } from './gpt_oss';
import { graniteAdapter } from './granite';
import { llamaAdapter } from './llama';
import { mistralAdapter } from './mistral';
import { olmoAdapter } from './olmo';
import { olmo2Adapter } from './olmo2';
import { optAdapter } from './opt';
import { phi3Adapter } from './phi3';
import { qwen2Adapter } from './qwen2';
import { qwen3Adapter } from './qwen3';
import { starcoder2Adapter } from './starcoder2';

const BUILT_IN: readonly ArchAdapter[] = [
  llamaAdapter, mistralAdapter, qwen2Adapter, qwen3Adapter, gpt2Adapter, gptNeoxAdapter,
  gemmaAdapter, gemma2Adapter, gemma3Adapter, starcoder2Adapter,
  phi3Adapter, olmoAdapter, olmo2Adapter, graniteAdapter, optAdapter,
  gptOssAdapter,
];

const BY_MODEL_TYPE = new Map<string, ArchAdapter>();
const BY_ID = new Map<string, ArchAdapter>();

/**
 * Adds a family. Throws when its id or one of its model_types is already registered (a family
 * never silently replaces another). Returns a function that removes it again.
 */
export function registerArchitecture(adapter: ArchAdapter): () => void {
  if (!/^[a-z0-9_]+$/.test(adapter.id)) throw new Error(`Architecture id "${adapter.id}" must be lower-case letters, digits and _.`);
  if (BY_ID.has(adapter.id)) throw new Error(`Architecture "${adapter.id}" is already registered.`);
  if (adapter.modelTypes.length === 0) throw new Error(`Architecture "${adapter.id}" handles no model_type.`);
  const taken = adapter.modelTypes.filter((t) => BY_MODEL_TYPE.has(t));
  if (taken.length) throw new Error(`model_type ${taken.join(', ')} is already handled by "${BY_MODEL_TYPE.get(taken[0] as string)?.id}".`);
  BY_ID.set(adapter.id, adapter);
  for (const t of adapter.modelTypes) BY_MODEL_TYPE.set(t, adapter);
  return () => {
    if (BY_ID.get(adapter.id) !== adapter) return;
    BY_ID.delete(adapter.id);
    for (const t of adapter.modelTypes) BY_MODEL_TYPE.delete(t);
  };
}

for (const a of BUILT_IN) registerArchitecture(a);

/** The registered architecture ids (`llama`, `gpt2`, ...). */
export function architectureIds(): string[] {
  return [...BY_ID.keys()];
}

export function supportedModelTypes(): string[] {
  return [...BY_MODEL_TYPE.keys()];
}

export function isSupportedModelType(modelType: unknown): boolean {
  return typeof modelType === 'string' && BY_MODEL_TYPE.has(modelType);
}

export function getAdapter(modelType: unknown): ArchAdapter {
  const a = typeof modelType === 'string' ? BY_MODEL_TYPE.get(modelType) : undefined;
  if (!a) {
    throw new SinkLensError(
      'unsupportedArch',
      `SinkLens does not support model_type ${JSON.stringify(modelType)}. Supported: ${supportedModelTypes().join(', ')}.`,
      'Pick a model of a supported family (e.g. Llama, Qwen2/3, Mistral, Gemma, GPT-2, Pythia).',
    );
  }
  return a;
}
