/**
 * What each architecture family supports, as users are shown it: the README's table, `sinklens models`
 * and Select Model read this one list. Pure data (no engine code), so the extension and the webview can
 * use it; a test checks it against the engine's registry (ids, model_types) and its GGUF readers.
 */

export interface FamilyInfo {
  /** The registry's architecture id. */
  id: string;
  /** config.json `model_type` values. */
  modelTypes: readonly string[];
  /** Display name. */
  name: string;
  /** Sliding-window attention honoured (on the layers the config windows). */
  slidingWindow: boolean;
  /** Learned attention-sink logits, reported as the learned-sink share. */
  learnedSinks: boolean;
  /** Mixture-of-experts MLP. */
  moe: boolean;
  /** GGUF `general.architecture` values read for this family. */
  gguf: readonly string[];
}

/** Every family runs in each of these weight modes (`sinklens.weights`, `--weights`). */
export const WEIGHT_MODES: readonly string[] = ['fp32', 'fp16', 'int8', 'int4'];

export const FAMILIES: readonly FamilyInfo[] = [
  { id: 'llama', modelTypes: ['llama'], name: 'Llama', slidingWindow: false, learnedSinks: false, moe: false, gguf: ['llama'] },
  { id: 'mistral', modelTypes: ['mistral'], name: 'Mistral', slidingWindow: true, learnedSinks: false, moe: false, gguf: [] },
  { id: 'qwen2', modelTypes: ['qwen2'], name: 'Qwen2 / Qwen2.5', slidingWindow: true, learnedSinks: false, moe: false, gguf: ['qwen2'] },
  { id: 'qwen3', modelTypes: ['qwen3'], name: 'Qwen3', slidingWindow: true, learnedSinks: false, moe: false, gguf: ['qwen3'] },
  { id: 'gpt2', modelTypes: ['gpt2'], name: 'GPT-2', slidingWindow: false, learnedSinks: false, moe: false, gguf: [] },
  { id: 'gpt_neox', modelTypes: ['gpt_neox'], name: 'GPT-NeoX / Pythia', slidingWindow: false, learnedSinks: false, moe: false, gguf: [] },
  { id: 'gemma', modelTypes: ['gemma'], name: 'Gemma', slidingWindow: false, learnedSinks: false, moe: false, gguf: ['gemma'] },
  { id: 'gemma2', modelTypes: ['gemma2'], name: 'Gemma 2', slidingWindow: true, learnedSinks: false, moe: false, gguf: ['gemma2'] },
  { id: 'gemma3', modelTypes: ['gemma3_text', 'gemma3'], name: 'Gemma 3 (text)', slidingWindow: true, learnedSinks: false, moe: false, gguf: ['gemma3'] },
  { id: 'starcoder2', modelTypes: ['starcoder2'], name: 'StarCoder2', slidingWindow: true, learnedSinks: false, moe: false, gguf: [] },
  { id: 'phi3', modelTypes: ['phi3'], name: 'Phi-3 / Phi-4-mini', slidingWindow: true, learnedSinks: false, moe: false, gguf: ['phi3'] },
  { id: 'olmo', modelTypes: ['olmo'], name: 'OLMo', slidingWindow: false, learnedSinks: false, moe: false, gguf: [] },
  { id: 'olmo2', modelTypes: ['olmo2'], name: 'OLMo 2', slidingWindow: false, learnedSinks: false, moe: false, gguf: [] },
  { id: 'granite', modelTypes: ['granite'], name: 'Granite', slidingWindow: false, learnedSinks: false, moe: false, gguf: [] },
  { id: 'opt', modelTypes: ['opt'], name: 'OPT', slidingWindow: false, learnedSinks: false, moe: false, gguf: [] },
  { id: 'gpt_oss', modelTypes: ['gpt_oss'], name: 'gpt-oss', slidingWindow: true, learnedSinks: true, moe: true, gguf: [] },
];

/** The family of a config.json `model_type` or a GGUF architecture, if SinkLens has one. */
export function familyOf(modelType: string | undefined, gguf = false): FamilyInfo | undefined {
  if (modelType === undefined) return undefined;
  return FAMILIES.find((f) => (gguf ? f.gguf : f.modelTypes).includes(modelType));
}

/** One line: "Gemma 2 · fp32/fp16/int8/int4 · sliding window" (+ learned sinks, experts). */
export function familySummary(f: FamilyInfo): string {
  const extra = [f.slidingWindow ? 'sliding window' : '', f.learnedSinks ? 'learned sinks' : '', f.moe ? 'experts (MoE)' : ''].filter(Boolean);
  return [f.name, WEIGHT_MODES.join('/'), ...extra].join(' · ');
}

/** "llama, mistral, …": the model_types a folder may declare (for refusals and hints). */
export function supportedModelTypesLine(): string {
  return FAMILIES.flatMap((f) => f.modelTypes).join(', ');
}
