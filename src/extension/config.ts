/**
 * Typed, validated view of the `sinklens.*` settings. vscode-free: the caller passes a getter
 * (`vscode.workspace.getConfiguration('sinklens').get` in the extension, a plain object in tests),
 * so every rule here is unit-tested without a VS Code. An invalid value never throws: it falls
 * back to the default and adds a problem message that names the setting and the fix.
 */
import { SETTING_DEFAULTS as D } from '../shared/defaults';
import { EXECUTION_PROVIDERS, WEIGHTS_MODES, type AnalyzeOptions, type ExecutionProviderChoice, type LoadOptions } from '../shared/engineApi';
import type { ChatTemplateMode, EntropyOptions, PrependBos, WeightsMode } from '../shared/result';

/** Reads one setting by its key relative to `sinklens.` (e.g. `entropy.alpha`). */
export type SettingGetter = (key: string) => unknown;

export interface LocalModelEntry {
  name: string;
  path: string;
}
export interface HubModelEntry {
  name: string;
  repo: string;
  revision: string;
}
export type ModelEntry = LocalModelEntry | HubModelEntry;

export interface Settings {
  models: ModelEntry[];
  /** '' = the built-in demo model; otherwise a configured model's name or a folder path. */
  defaultModel: string;
  promptFiles: string[];
  sinkThreshold: number;
  /** A number, or 'auto' (the engine resolves it from the model and the memory plan). */
  maxTokens: number | 'auto';
  prependBos: PrependBos;
  chatTemplate: ChatTemplateMode;
  entropy: EntropyOptions;
  threads: number;
  /** Precision of the linear layers' weights (a load option). */
  weights: WeightsMode;
  /** onnxruntime execution provider (a load option); unavailable ones fall back to the CPU with a message. */
  executionProvider: ExecutionProviderChoice;
  hubEndpoint: string;
  /** Accept a plain-http hub endpoint off loopback (user settings only). */
  hubAllowInsecureHttp: boolean;
  codeLensEnabled: boolean;
  live: boolean;
  /** Load the selected model in the background once a prompt file is shown (preload.ts). */
  preloadModel: boolean;
  decorations: boolean;
  /** Compute the logit lens on every layer (one unembedding per layer: about L x the LM head). */
  logitLens: boolean;
  /** Compute every token's next-token loss on every analysis (else only with an ablation or interventions). */
  tokenLoss: boolean;
}

/** The settings when nothing is set (values from src/shared/defaults.ts). */
export const DEFAULT_SETTINGS: Settings = {
  models: [],
  defaultModel: D.defaultModel,
  promptFiles: [...D.promptFiles],
  sinkThreshold: D.sinkThreshold,
  maxTokens: D.maxTokens,
  prependBos: D.prependBos,
  chatTemplate: D.chatTemplate,
  entropy: { alpha: D['entropy.alpha'], excludeBos: D['entropy.excludeBos'], center: D['entropy.center'], rowNormalize: D['entropy.rowNormalize'] },
  threads: D.threads,
  weights: D.weights,
  executionProvider: D.executionProvider,
  hubEndpoint: D['hub.endpoint'],
  hubAllowInsecureHttp: D['hub.allowInsecureHttp'],
  codeLensEnabled: D['codeLens.enabled'],
  live: D.live,
  preloadModel: D.preloadModel,
  decorations: D.decorations,
  logitLens: D.logitLens,
  tokenLoss: D.tokenLoss,
};

/** What Restricted Mode changes, for the log and the status bar. */
export const RESTRICTED_NOTE =
  'Restricted Mode: this workspace is not trusted, so its settings for model folders (sinklens.models, sinklens.defaultModel) and the hub (sinklens.hub.*) are ignored; the built-in model and models from your user settings work. Trust the workspace to use them.';

export interface ReadSettings {
  settings: Settings;
  /** One sentence per invalid value: which setting, what was wrong, what was used instead. */
  problems: string[];
}

export function isHubModel(m: ModelEntry): m is HubModelEntry {
  return 'repo' in m;
}

/** Reads and validates every setting; unset values take their defaults silently. */
export function readSettings(get: SettingGetter): ReadSettings {
  const problems: string[] = [];
  const r = new Reader(get, problems);
  const d = DEFAULT_SETTINGS;
  const settings: Settings = {
    models: readModels(get('models'), problems),
    defaultModel: r.string('defaultModel', d.defaultModel),
    promptFiles: r.stringArray('promptFiles', d.promptFiles),
    sinkThreshold: r.number('sinkThreshold', d.sinkThreshold, { min: 0, max: 1 }),
    maxTokens: r.autoOrNumber('maxTokens', d.maxTokens, { min: 2, max: 1 << 16, integer: true }),
    prependBos: r.oneOf('prependBos', ['auto', 'always', 'never'] as const, d.prependBos),
    chatTemplate: r.oneOf('chatTemplate', ['none', 'user', 'system'] as const, d.chatTemplate),
    entropy: {
      alpha: r.number('entropy.alpha', d.entropy.alpha, { min: 0, max: 100, exclusiveMin: true }),
      excludeBos: r.boolean('entropy.excludeBos', d.entropy.excludeBos),
      center: r.boolean('entropy.center', d.entropy.center),
      rowNormalize: r.boolean('entropy.rowNormalize', d.entropy.rowNormalize),
    },
    threads: r.number('threads', d.threads, { min: 0, max: 1024, integer: true }),
    weights: r.oneOf('weights', WEIGHTS_MODES, d.weights),
    executionProvider: r.oneOf('executionProvider', EXECUTION_PROVIDERS, d.executionProvider),
    hubEndpoint: r.url('hub.endpoint', d.hubEndpoint),
    hubAllowInsecureHttp: r.boolean('hub.allowInsecureHttp', d.hubAllowInsecureHttp),
    codeLensEnabled: r.boolean('codeLens.enabled', d.codeLensEnabled),
    live: r.boolean('live', d.live),
    preloadModel: r.boolean('preloadModel', d.preloadModel),
    decorations: r.boolean('decorations', d.decorations),
    logitLens: r.boolean('logitLens', d.logitLens),
    tokenLoss: r.boolean('tokenLoss', d.tokenLoss),
  };
  return { settings, problems };
}

/**
 * The engine's analysis options for these settings (ablation is per request, not a setting).
 * `logitLens` and `tokenLoss` override their settings for one request (the panel's "compute" buttons).
 * Their keys are present only when on, so the cache keys of other runs stay what they were.
 */
export function analyzeOptions(
  s: Settings,
  ablate: AnalyzeOptions['ablate'] = null,
  logitLens: boolean = s.logitLens,
  interventions: AnalyzeOptions['interventions'] = null,
  tokenLoss: boolean = s.tokenLoss,
): AnalyzeOptions {
  return {
    prependBos: s.prependBos,
    chatTemplate: s.chatTemplate,
    maxTokens: s.maxTokens,
    tau: s.sinkThreshold,
    entropy: { ...s.entropy },
    ablate,
    ...(logitLens ? { logitLens: 'all' as const } : {}),
    // Off leaves the engine's 'auto' (the loss only with an ablation or interventions), and the key as it was.
    ...(tokenLoss ? { tokenLoss: true } : {}),
    // Added only when asked, so the cache keys of every other run stay as they were.
    ...(interventions?.length ? { interventions } : {}),
  };
}

export function loadOptions(s: Settings): LoadOptions {
  return { threads: s.threads, weights: s.weights, executionProvider: s.executionProvider };
}

/** Settings whose change means the loaded models must be unloaded (they are load options). */
export const ENGINE_RELOAD_KEYS = ['sinklens.threads', 'sinklens.weights', 'sinklens.executionProvider'];

interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
  exclusiveMin?: boolean;
}

class Reader {
  constructor(
    private readonly get: SettingGetter,
    private readonly problems: string[],
  ) {}

  private value(key: string): unknown {
    return this.get(key);
  }

  private bad(key: string, why: string, fallback: unknown): void {
    this.problems.push(`Setting sinklens.${key} ${why}; using ${JSON.stringify(fallback)}. Fix it in Settings (search "sinklens.${key}").`);
  }

  string(key: string, fallback: string): string {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'string') return v.trim();
    this.bad(key, 'must be a string', fallback);
    return fallback;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'boolean') return v;
    this.bad(key, 'must be true or false', fallback);
    return fallback;
  }

  /** 'auto', or a number checked as number() does. */
  autoOrNumber(key: string, fallback: number | 'auto', rule: NumberRule): number | 'auto' {
    const v = this.value(key);
    if (v === 'auto') return v;
    if (typeof v === 'string') {
      this.bad(key, "must be 'auto' or a number", fallback);
      return fallback;
    }
    return this.number(key, fallback, rule);
  }

  number<F = number>(key: string, fallback: F, rule: NumberRule): number | F {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.bad(key, 'must be a number', fallback);
      return fallback;
    }
    const tooLow = rule.exclusiveMin ? v <= rule.min : v < rule.min;
    if (tooLow || v > rule.max) {
      const lo = rule.exclusiveMin ? `greater than ${rule.min}` : `at least ${rule.min}`;
      this.bad(key, `must be ${lo} and at most ${rule.max} (got ${v})`, fallback);
      return fallback;
    }
    if (rule.integer && !Number.isInteger(v)) {
      this.bad(key, `must be a whole number (got ${v})`, fallback);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    this.bad(key, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`, fallback);
    return fallback;
  }

  stringArray(key: string, fallback: string[]): string[] {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' && x.trim() !== '')) return v.map((x: string) => x.trim());
    this.bad(key, 'must be a list of non-empty glob patterns', fallback);
    return fallback;
  }

  url(key: string, fallback: string): string {
    const v = this.string(key, fallback);
    if (/^https?:\/\/[^\s/]+/.test(v)) return v.replace(/\/+$/, '');
    this.bad(key, `must be an http(s) URL (got ${JSON.stringify(v)})`, fallback);
    return fallback;
  }
}

/** Validates `sinklens.models`: each entry is `{name, path}` or `{name, repo, revision?}`. Bad entries are dropped with a message. */
export function readModels(v: unknown, problems: string[]): ModelEntry[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    problems.push('Setting sinklens.models must be a list of {"name", "path"} or {"name", "repo", "revision"} objects; ignoring it.');
    return [];
  }
  const out: ModelEntry[] = [];
  const seen = new Set<string>();
  v.forEach((e: unknown, i) => {
    const m = readModel(e);
    if (typeof m === 'string') problems.push(`Setting sinklens.models[${i}] ${m}; ignoring that entry.`);
    else if (seen.has(m.name)) problems.push(`Setting sinklens.models[${i}] repeats the name "${m.name}"; ignoring that entry.`);
    else {
      seen.add(m.name);
      out.push(m);
    }
  });
  return out;
}

const REPO_ID = /^[\w.-]+\/[\w.-]+$/;

function readModel(e: unknown): ModelEntry | string {
  if (typeof e !== 'object' || e === null) return 'must be an object';
  const o = e as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof o[k] === 'string' && (o[k] as string).trim() !== '' ? (o[k] as string).trim() : undefined);
  const path = str('path');
  const repo = str('repo');
  if (path !== undefined && repo !== undefined) return 'has both "path" and "repo"; give one';
  if (path !== undefined) return { name: str('name') ?? path, path };
  if (repo !== undefined) {
    if (!REPO_ID.test(repo)) return `has repo "${repo}", which is not a Hugging Face repo id like "org/name"`;
    return { name: str('name') ?? repo, repo, revision: str('revision') ?? 'main' };
  }
  return 'needs a "path" (a local model folder) or a "repo" (a Hugging Face repo id)';
}
