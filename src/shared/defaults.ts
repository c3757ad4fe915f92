/**
 * Every default value of SinkLens, in one place: the engine's analysis options (the CLI and the API
 * use them when an option is left out), the metrics' parameters, and the `sinklens.*` settings that
 * package.json contributes (test/unit/extension/defaults.test.ts checks package.json against
 * SETTING_DEFAULTS). Pure data, imported by every part.
 */
import type { ExecutionProviderChoice } from './engineApi';
import type { ChatTemplateMode, EntropyOptions, PrependBos, WeightsMode } from './result';

/** Sink-rate threshold τ: a head is a sink head when its mean attention to BOS is at least τ. */
export const DEFAULT_TAU = 0.3;
/**
 * Prompts are truncated to this many tokens (BOS included). 'auto' = the smallest of the model's
 * positions, the largest prompt the memory plan admits for the loaded model, and AUTO_MAX_TOKENS_CAP
 * (resolved by the engine; the result's settings carry the number).
 */
export const DEFAULT_MAX_TOKENS = 'auto' as 'auto' | number;
/** The most tokens 'auto' resolves to: an analysis at 4096 tokens is minutes on a laptop CPU. */
export const AUTO_MAX_TOKENS_CAP = 4096;
/** Matrix entropy: Rényi order α = 1 (Shannon), raw rows, BOS included. */
export const DEFAULT_ENTROPY: Readonly<EntropyOptions> = Object.freeze({ alpha: 1, excludeBos: false, center: false, rowNormalize: false });
export const DEFAULT_PREPEND_BOS: PrependBos = 'auto';
export const DEFAULT_CHAT_TEMPLATE: ChatTemplateMode = 'none';
/** The largest activations reported per layer. */
export const DEFAULT_MASSIVE_TOP_K = 5;
/** Predictions per position and layer in the logit lens. */
export const DEFAULT_LENS_TOP_K = 1;
/** Next-token predictions reported for the last position. */
export const DEFAULT_LAST_TOP_K = 10;

/**
 * Whether an analysis computes the per-token next-token loss. 'auto' (the default) = only when it has a compared
 * run (an ablation or interventions), whose loss change is its main readout: the loss is an LM-head pass over every
 * position (~45% of a GPT-2-small forward, ~7–40% on 0.5B–8B models), which a plain analysis would otherwise wait for
 * before its first paint.
 */
export function lossWanted(tokenLoss: boolean | 'auto' | undefined, comparedRun: boolean): boolean {
  return tokenLoss === undefined || tokenLoss === 'auto' ? comparedRun : tokenLoss;
}

/** The engine's analysis options when a field is left out (`AnalyzeOptions`). */
export const DEFAULT_ANALYZE_OPTIONS = {
  prependBos: DEFAULT_PREPEND_BOS,
  chatTemplate: DEFAULT_CHAT_TEMPLATE,
  maxTokens: DEFAULT_MAX_TOKENS,
  tau: DEFAULT_TAU,
  includeFirstQuery: false,
  entropy: DEFAULT_ENTROPY,
  ablateTarget: 'auto',
  tokenLoss: 'auto',
  massiveTopK: DEFAULT_MASSIVE_TOP_K,
  logitLensTopK: DEFAULT_LENS_TOP_K,
  lastTopK: DEFAULT_LAST_TOP_K,
} as const;

export const DEFAULT_PROMPT_FILES: readonly string[] = ['**/*.prompt', '**/*.prompty', '**/*.prompt.md', '**/prompts/**/*.{md,txt}'];
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
/**
 * Run Study's resume journals in the extension's storage: a completed study's journal is removed at once; an
 * unfinished one (cancelled, or the window closed) is kept to resume, but removed after this many days without
 * a write, and only the newest `STUDY_JOURNAL_KEEP` are kept.
 */
export const STUDY_JOURNAL_MAX_AGE_DAYS = 30;
export const STUDY_JOURNAL_KEEP = 20;

/**
 * The default of every contributed setting, by its key under `sinklens.` (package.json's
 * `contributes.configuration` must say the same).
 */
export const SETTING_DEFAULTS = {
  models: [] as readonly never[],
  defaultModel: '',
  promptFiles: DEFAULT_PROMPT_FILES,
  sinkThreshold: DEFAULT_TAU,
  maxTokens: DEFAULT_MAX_TOKENS,
  prependBos: DEFAULT_PREPEND_BOS,
  chatTemplate: DEFAULT_CHAT_TEMPLATE,
  'entropy.alpha': DEFAULT_ENTROPY.alpha,
  'entropy.excludeBos': DEFAULT_ENTROPY.excludeBos,
  'entropy.center': DEFAULT_ENTROPY.center,
  'entropy.rowNormalize': DEFAULT_ENTROPY.rowNormalize,
  /** 0 = onnxruntime's choice. */
  threads: 0,
  /** Precision of the linear layers' weights; auto = from the model size and free memory. */
  weights: 'auto' as WeightsMode,
  executionProvider: 'cpu' as ExecutionProviderChoice,
  /** Model cache folder; '' = the OS cache folder (see src/engine/cache/config.ts). */
  'cache.dir': '',
  /** Model cache size limit in GB (least recently used evicted); 0 = no cache. */
  'cache.maxGB': 20,
  'hub.endpoint': DEFAULT_HUB_ENDPOINT,
  'hub.allowInsecureHttp': false,
  'codeLens.enabled': true,
  live: false,
  /** Load the selected model in the background once a prompt file is shown. */
  preloadModel: true,
  decorations: true,
  logitLens: false,
  /** Per-token next-token loss on every analysis; off = only analyses with an ablation or interventions. */
  tokenLoss: false,
} as const;
