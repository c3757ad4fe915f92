/**
 * The engine's public boundary: load a Hugging Face model folder, analyse prompts, fetch one
 * head's attention map. Used in-process by the CLI and tests, and served over IPC by main.ts.
 *
 * Stages: load (config, weights, tokenizer, ONNX session; cached per folder) -> tokenize -> run
 * (one instrumented forward) -> metrics -> optional ablation run -> result. onnxruntime's run()
 * blocks the thread, so cancellation is checked between stages.
 */
import { createHash } from 'node:crypto';
import type { AnalyzeOptions, AttentionRequest, CacheListing, CacheOptions, EngineApi, LoadOptions, ModelHandle, Progress } from '../shared/engineApi';
import { SinkLensError } from '../shared/errors';
import { describeIntervention } from '../shared/interventions';
import { RESULT_SCHEMA_VERSION, type AblationResult, type AnalysisResult, type AnalysisSettings, type AttentionMap, type Intervention, type PartialResult, type RunMetrics, type Warning } from '../shared/result';
import { buildSettings, forwardAndMeasure, metricsPool, preloadWarmUp, resolveAblationBlocks, resolveAblationTarget, warmUp } from './analysis';
import { resolveCacheConfig } from './cache/config';
import { GraphCache } from './cache/graphCache';
import { MIN_INFORMATIVE_TOKENS } from './metrics/chance';
import { openModel, type EngineInternals, type LoadContext, type LoadedModel } from './loaded';
import { comparedRun, resolveOptions } from './options';
import { resolveLoadOptions } from './precision';
import { compareLoss, compareRuns, compareTopK, summarize } from './metrics';
import { interventionBlocks, interventionRequest } from './intervene';
import { assertFits, availableMemory, gb, residentAnonymousBytes } from './plan/check';
import { maxTokensNote, resolveMaxTokens, type ResolvedMaxTokens } from './plan/maxTokens';
import { runBytes, type Workload } from './plan/memory';

type ProgressFn = (p: Progress) => void;

/** A loaded model's share of this process's anonymous memory: the size when it finished loading, and what its runs added since. */
interface HeldMemory {
  base: number;
  grown: number;
}

export class Engine implements EngineApi {
  private readonly models = new Map<string, LoadedModel>();
  /**
   * Loads under way, by cache key: a second request for the same model and options while the first is
   * loading (an analysis replaced by a newer one, an attention map asked for meanwhile, an analysis during
   * the extension's preload) waits for that load instead of converting and opening the model a second time
   * (twice the memory of a multi-GB model), and hears its progress (a cold conversion's bytes) from then on.
   */
  private readonly loading = new Map<string, { model: Promise<LoadedModel>; listeners: Set<(p: Progress) => void> }>();
  /** Requests using each model right now (analyses, attention maps), by model id: never unloaded to make room. */
  private readonly inUse = new Map<string, number>();
  /** Models a caller holds between its requests until it unloads them (a study's current model): never unloaded to make room. */
  private readonly pinned = new Set<string>();
  /** Per loaded model: memory its runs left held (`creditOf`). */
  private readonly held = new Map<string, HeldMemory>();
  private nextId = 1;

  constructor(private readonly internals: EngineInternals = {}) {}

  /** Loads a model folder (once per folder and options); `ctx` carries load progress and the planned workload. */
  async load(modelDir: string, opts: LoadOptions = {}, ctx: LoadContext = {}): Promise<ModelHandle> {
    const key = cacheKey(modelDir, opts);
    const cached = [...this.models.values()].find((m) => m.key === key);
    if (cached) {
      if (ctx.hold) this.pinned.add(cached.id);
      return { id: cached.id, info: cached.info };
    }
    const { onProgress } = ctx;
    let loading = this.loading.get(key);
    if (!loading) {
      const listeners = new Set<(p: Progress) => void>(onProgress ? [onProgress] : []);
      const multicast = (p: Progress): void => listeners.forEach((l) => l(p));
      loading = { model: this.loadNew(key, modelDir, opts, { ...ctx, onProgress: multicast }), listeners };
      this.loading.set(key, loading);
      void loading.model.then(
        () => this.loading.delete(key),
        () => this.loading.delete(key),
      );
    } else if (onProgress) {
      onProgress({ stage: 'load', fraction: 0.02, message: 'waiting for the load under way' });
      loading.listeners.add(onProgress);
    }
    try {
      const model = await loading.model;
      if (ctx.hold) this.pinned.add(model.id);
      return { id: model.id, info: model.info };
    } finally {
      if (onProgress) loading.listeners.delete(onProgress);
    }
  }

  private async loadNew(key: string, modelDir: string, opts: LoadOptions, ctx: LoadContext): Promise<LoadedModel> {
    const id = `m${this.nextId++}`;
    // The metrics workers warm up while the weights load (they use no model data); the Gram
    // session needs the model, so it warms once loaded, while the user looks at it.
    const onPlanned = (config: { hiddenSize: number }): void => void metricsPool.warmFor(config.hiddenSize).catch(() => undefined);
    const open = (): Promise<LoadedModel> => openModel(id, key, modelDir, opts, { ...ctx, onPlanned }, { ...this.internals, availableMemory: () => this.spareMemory() });
    const model = await this.withRoom(open, null, `load ${modelDir}`, ctx.onWarn);
    this.models.set(id, model);
    this.held.set(id, { base: this.residentAnonymous() ?? 0, grown: 0 });
    warmUp(model).catch(() => undefined);
    return model;
  }

  /**
   * Warms a model loaded ahead of its first analysis (the extension's preload) with one synthetic analysis
   * (analysis.ts `preloadWarmUp`), so that analysis runs as later ones do. An analysis asked for meanwhile
   * waits at most for the warm-up's forward (the runner runs one at a time).
   */
  async warmForFirstAnalysis(handle: ModelHandle): Promise<void> {
    await preloadWarmUp(this.get(handle));
  }

  /** The loaded models' folders, in load order (for logs and tests). */
  loadedModels(): string[] {
    return [...this.models.values()].map((m) => m.dir);
  }

  /** Whether the last load of `handle` opened its graph from the cache (null: not cached, e.g. a small model). */
  graphCacheOf(handle: ModelHandle): { key: string; hit: boolean } | null {
    return this.get(handle).graphCache;
  }

  /** The graph cache's entries (`sinklens cache list`, the Manage Model Cache command). */
  cacheList(opts?: CacheOptions): CacheListing {
    return new GraphCache(resolveCacheConfig(opts, this.internals.env)).list();
  }

  /** Removes cache entries (all, or those whose key starts with `key`). */
  cacheClear(opts?: CacheOptions, key = ''): { entries: number; bytes: number } {
    return new GraphCache(resolveCacheConfig(opts, this.internals.env)).clear(key);
  }

  async analyze(handle: ModelHandle, text: string, opts: AnalyzeOptions = {}, onProgress: ProgressFn = () => {}, signal?: AbortSignal): Promise<AnalysisResult> {
    return this.using(handle, () => this.analyzeNow(handle, text, opts, onProgress, signal));
  }

  private async analyzeNow(handle: ModelHandle, text: string, opts: AnalyzeOptions, onProgress: ProgressFn, signal?: AbortSignal): Promise<AnalysisResult> {
    const t0 = performance.now();
    const model = this.get(handle);
    const o = resolveOptions(opts);
    checkAbort(signal);

    // What 'auto' picked and any provider fallback, on every analysis (the load may have been cached).
    const p = model.info.precision;
    for (const message of [p?.reason, p?.providerNote]) if (message) onProgress({ stage: 'load', fraction: 0.02, message });
    onProgress({ stage: 'tokenize', fraction: 0.05 });
    const tTok = performance.now();
    let limit = this.maxTokensFor(model, o);
    let { enc, maxTokens } = encodePrompt(model, text, limit.maxTokens, o);
    // 'auto' cut the prompt for memory that idle models hold: unload them and take the prompt again.
    if (enc.truncated && limit.limitedBy === 'memory' && (await this.unloadIdle(model.id, 'analyse more of the prompt', (m) => onProgress({ stage: 'tokenize', fraction: 0.05, message: m })))) {
      limit = this.maxTokensFor(model, o);
      ({ enc, maxTokens } = encodePrompt(model, text, limit.maxTokens, o));
    }
    const tokenizeMs = performance.now() - tTok;
    const warnings: Warning[] = [...enc.warnings];
    checkAbort(signal);

    // Refuse an intervention the model or the prompt cannot take before the first forward.
    interventionRequest(o.interventions, model.config, enc.ids.length);
    await this.withRoom(async () => this.checkRunPlan(model, enc.ids.length, o), model.id, `analyse ${enc.ids.length} tokens`, (m) => onProgress({ stage: 'run', fraction: 0.1, message: m }));
    const anonBefore = this.residentAnonymous();
    onProgress({ stage: 'run', fraction: 0.15, message: `${enc.ids.length} tokens` });
    const sha256 = createHash('sha256').update(text).digest('hex');
    const L = model.config.numLayers;
    let done = 0;
    const base = await forwardAndMeasure(model, enc.ids, o, {}, {
      onForward: (f) => {
        const partial: PartialResult = { schemaVersion: RESULT_SCHEMA_VERSION, input: { sha256 }, tokens: enc.tokens, model: model.info, ...f };
        onProgress({ stage: 'metrics', fraction: 0.3, message: 'forward done; computing the spectra', partial });
      },
      onLayer: (layer) => onProgress({ stage: 'metrics', fraction: 0.3 + (0.3 * ++done) / (L + 1), message: `entropy of h[${layer.layer}]`, layer }),
    });
    checkAbort(signal);

    let ablation: AnalysisResult['ablation'] = null;
    const blocks = resolveAblationBlocks(o.ablate, base.run, model.config.numLayers, warnings);
    const target = resolveAblationTarget(o.ablateTarget, blocks ?? [], base.run);
    const applied: Intervention[] = [...(blocks !== null ? [{ target, blocks, position: 'bos' as const, op: 'zero' as const }] : []), ...o.interventions];
    if (applied.length) {
      onProgress({ stage: 'ablate', fraction: 0.6, message: applied.map(describeIntervention).join('; ') });
      const abl = await forwardAndMeasure(model, enc.ids, o, interventionRequest(applied, model.config, enc.ids.length));
      ablation = compareIntervened(base.run, abl.run, applied);
      base.runMs += abl.runMs;
      base.metricsMs += abl.metricsMs;
      warnings.push(...abl.warnings.map((w) => ({ ...w, message: `ablated run: ${w.message}` })));
    }
    this.noteGrowth(model, anonBefore);
    warnings.push(...base.warnings);
    if (enc.ids.length < MIN_INFORMATIVE_TOKENS) {
      warnings.push({
        code: 'shortPrompt',
        message: `Only ${enc.ids.length} tokens (< ${MIN_INFORMATIVE_TOKENS}): sink rates and phases are not informative (a uniformly attending head already scores ${base.run.chanceSinkScore.toFixed(2)}); no phase bands.`,
      });
    }
    onProgress({ stage: 'done', fraction: 1 });

    return {
      schemaVersion: RESULT_SCHEMA_VERSION,
      createdAt: new Date().toISOString(),
      input: { text, sha256 },
      tokens: enc.tokens,
      model: model.info,
      settings: withMaxTokensNote(buildSettings(o, enc, model, maxTokens, blocks, base.run, target), o.maxTokens, limit, model.config.maxPositions),
      baseline: base.run,
      ablation,
      summary: summarize(base.run, enc.ids.length),
      warnings,
      timings: {
        loadMs: model.loadMs,
        tokenizeMs,
        runMs: base.runMs,
        metricsMs: base.metricsMs,
        totalMs: performance.now() - t0,
      },
    };
  }

  async attention(handle: ModelHandle, req: AttentionRequest, signal?: AbortSignal): Promise<AttentionMap> {
    return this.using(handle, () => this.attentionNow(handle, req, signal));
  }

  private async attentionNow(handle: ModelHandle, req: AttentionRequest, signal?: AbortSignal): Promise<AttentionMap> {
    const model = this.get(handle);
    const o = resolveOptions(req.options);
    const { numLayers, numHeads } = model.config;
    if (!Number.isInteger(req.block) || req.block < 0 || req.block >= numLayers) {
      throw new SinkLensError('badRequest', `Block ${req.block} does not exist: the model has blocks 0..${numLayers - 1}.`);
    }
    if (!Number.isInteger(req.head) || req.head < 0 || req.head >= numHeads) {
      throw new SinkLensError('badRequest', `Head ${req.head} does not exist: the model has heads 0..${numHeads - 1}.`);
    }
    const { enc } = encodePrompt(model, req.text, this.maxTokensFor(model, o).maxTokens, o);
    checkAbort(signal);
    const anonBefore = this.residentAnonymous();
    const out = await model.runner.forward({ ids: enc.ids, attnMap: { block: req.block, head: req.head } });
    this.noteGrowth(model, anonBefore);
    if (!out.attnMap) throw new SinkLensError('internal', 'The runner did not return the requested attention map.');
    return { block: req.block, head: req.head, tokens: out.T, data: Array.from(out.attnMap) };
  }

  /** Releases one model (or all). */
  async unload(modelDir?: string): Promise<void> {
    for (const m of [...this.models.values()]) if (modelDir === undefined || m.dir === modelDir) await this.unloadModel(m);
  }

  async dispose(): Promise<void> {
    await this.unload();
    await metricsPool.dispose(); // Restarted lazily if another Engine in this process analyses again.
  }

  /** Runs `f` with the model marked in use (never unloaded to make room meanwhile). */
  private async using<T>(handle: ModelHandle, f: () => Promise<T>): Promise<T> {
    const id = this.get(handle).id;
    this.inUse.set(id, (this.inUse.get(id) ?? 0) + 1);
    try {
      return await f();
    } finally {
      const n = (this.inUse.get(id) ?? 1) - 1;
      if (n > 0) this.inUse.set(id, n);
      else this.inUse.delete(id);
    }
  }

  /**
   * Runs `f`; if it is refused for memory (`insufficientMemory`: a load's or a run's plan) while models that no
   * request is using and no caller holds are loaded (a model selected before, a preload's), unloads those and
   * runs `f` once more, saying which were unloaded. `keep`: the model the request itself uses.
   */
  private async withRoom<T>(f: () => Promise<T>, keep: string | null, what: string, say?: (message: string) => void): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (!SinkLensError.is(e, 'insufficientMemory') || !(await this.unloadIdle(keep, what, say))) throw e;
      return f();
    }
  }

  /** Unloads the models no request is using and no caller holds (but `keep`), saying which; false when there were none. */
  private async unloadIdle(keep: string | null, what: string, say?: (message: string) => void): Promise<boolean> {
    const idle = [...this.models.values()].filter((m) => m.id !== keep && !this.inUse.has(m.id) && !this.pinned.has(m.id));
    for (const m of idle) await this.unloadModel(m);
    if (idle.length) say?.(`Unloaded ${idle.map((m) => m.info.name).join(', ')} (loaded, not in use) to make room to ${what}.`);
    return idle.length > 0;
  }

  private async unloadModel(m: LoadedModel): Promise<void> {
    this.models.delete(m.id);
    this.held.delete(m.id);
    this.pinned.delete(m.id);
    await m.runner.dispose();
  }

  /** maxTokens as a number: 'auto' from the model's positions, the run's memory plan and the cap. */
  private maxTokensFor(model: LoadedModel, o: ReturnType<typeof resolveOptions>): ResolvedMaxTokens {
    return resolveMaxTokens(o.maxTokens, model.config, runWorkload(model, o), this.runAvailable(model));
  }

  /**
   * Memory a run of `model` can have: what the OS has available, plus what the model's earlier runs
   * left held in this process (onnxruntime's arena keeps its peak for the session's life, malloc keeps
   * freed blocks, the metrics workers keep their largest eigen workspace), which its next run reuses.
   * Without that credit a run that fitted once would be refused the second time on a full machine.
   */
  private runAvailable(model: LoadedModel): number {
    return this.spareMemory() + this.creditOf(model);
  }

  /**
   * What the OS has available less the weights loaded models read in place from memory-mapped files: the
   * kernel counts those pages as reclaimable cache, but every forward needs them resident, so a run or a
   * load that took them would make each forward fault its weights back in from disk.
   */
  private spareMemory(): number {
    const mapped = [...this.models.values()].reduce((sum, m) => sum + m.mappedBytes, 0);
    return Math.max(0, (this.internals.availableMemory ?? availableMemory)() - mapped);
  }

  /**
   * The anonymous memory the model's runs grew this process by, at most what the process still holds
   * above its size when the model finished loading (memory given back to the OS is no credit).
   */
  private creditOf(model: LoadedModel): number {
    const h = this.held.get(model.id);
    const now = this.residentAnonymous();
    return h && now !== null ? Math.max(0, Math.min(h.grown, now - h.base)) : 0;
  }

  /** Adds what a run of `model` grew the process's anonymous memory by (from `before`, read just before the run). */
  private noteGrowth(model: LoadedModel, before: number | null): void {
    const h = this.held.get(model.id);
    const after = this.residentAnonymous();
    if (h && before !== null && after !== null && after > before) h.grown += after - before;
  }

  private residentAnonymous(): number | null {
    return (this.internals.residentAnonymous ?? residentAnonymousBytes)();
  }

  /** Refuses a run whose activations would not fit beside the loaded model. */
  private checkRunPlan(model: LoadedModel, tokens: number, o: ReturnType<typeof resolveOptions>): void {
    const workload = runWorkload(model, o);
    const { ablation, lensLayers } = workload;
    const need = runBytes(model.config, { ...workload, tokens });
    assertFits({
      needBytes: need,
      availableBytes: this.runAvailable(model),
      what: `analysing ${tokens} tokens with ${model.info.name}`,
      precision: model.precision,
      tokens,
      breakdown: `activations ${gb(need)} GB${ablation ? ' (with the ablated run)' : ''}${lensLayers ? `, logit lens on ${lensLayers} layers` : ''}${o.tokenLoss ? ', next-token loss' : ''}`,
    });
  }

  private get(handle: ModelHandle): LoadedModel {
    const m = this.models.get(handle.id);
    if (!m) throw new SinkLensError('badRequest', `Model handle ${handle.id} is not loaded (it was disposed); load the model again.`);
    return m;
  }
}

/** Tokenizes exactly as every request for this text and these options does (analysis and attention maps alike). */
function encodePrompt(model: LoadedModel, text: string, maxTokens: number, o: ReturnType<typeof resolveOptions>) {
  return { enc: model.tokenizer.encode(text, { prependBos: o.prependBos, chatTemplate: o.chatTemplate, maxTokens }), maxTokens };
}

function cacheKey(dir: string, opts: LoadOptions): string {
  const o = resolveLoadOptions(opts);
  return [dir, o.threads, o.weights, o.executionProvider, o.strictProvider].join('\u0000');
}

/** The memory plan's view of one analysis of the loaded model (both the maxTokens resolution and the check before it). */
function runWorkload(model: LoadedModel, o: ReturnType<typeof resolveOptions>): Omit<Workload, 'tokens'> {
  const lensLayers = o.logitLens === null ? 0 : o.logitLens === 'all' ? model.config.numLayers + 1 : o.logitLens.length;
  return { probes: 'full', ablation: comparedRun(o), lensLayers, tokenLoss: o.tokenLoss, precision: model.precision };
}

/** The settings echo with the note saying what 'auto' (or the positions cap) resolved maxTokens to. */
function withMaxTokensNote(s: AnalysisSettings, setting: number | 'auto', limit: ResolvedMaxTokens, positions: number): AnalysisSettings {
  // A number capped at the positions is noted with the truncation (notes.ts); 'auto' always says what it resolved to.
  const note = setting === 'auto' ? maxTokensNote(setting, limit, positions) : null;
  return note ? { ...s, notes: [note, ...s.notes] } : s;
}

/** The per-layer comparison plus what the interventions did to the loss and the last top-k. */
function compareIntervened(base: RunMetrics, after: RunMetrics, applied: Intervention[]): AblationResult {
  const first = applied.find((i) => i.target !== 'head');
  const target = first?.target === 'mlp' ? 'mlp' : 'attn';
  return {
    ...compareRuns(base, after, interventionBlocks(applied), target),
    interventions: applied,
    loss: base.tokenLoss && after.tokenLoss ? compareLoss(base.tokenLoss, after.tokenLoss) : null,
    topK: compareTopK(base.lastTopK, after.lastTopK),
  };
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SinkLensError('cancelled', 'The analysis was cancelled.');
}
