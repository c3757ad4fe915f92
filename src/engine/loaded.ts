/**
 * A loaded model: canonical config, tokenizer, ONNX runner and the display info. Loading is the
 * only expensive, IO-heavy step; the Engine caches the result per folder. Before any weight is
 * read the memory plan is checked; the built graph goes to (or comes from) the graph cache.
 */
import { basename, resolve } from 'node:path';
import type { LoadOptions, Progress } from '../shared/engineApi';
import type { ModelInfo, PrecisionInfo, WeightPrecision } from '../shared/result';
import { resolveCacheConfig } from './cache/config';
import { GraphCache } from './cache/graphCache';
import { fingerprintFile, graphOptionsJson, modelFingerprint } from './cache/key';
import { describeLinearSources, readByRows, storedLinearBytesPerWeight } from './graph/linearSources';
import { createRunnerWith, type CachedRunner } from './graph/runner';
import { loadModelFiles, modelWeightPaths, readModelConfig } from './model/load';
import { sha256Files } from './model/safetensors';
import { sha256OnWorker } from './parallel/quantPool';
import type { Runner } from './graph/types';
import type { PromptTokenizer } from './model/tokenizer';
import type { CanonicalConfig } from './arch/types';
import { assertFits, availableMemory, gb } from './plan/check';
import { BYTES_PER_WEIGHT, largestFitting, mappedWeightBytes, planMemory, quantisedWeights, type Workload } from './plan/memory';
import { chooseWeights, prepackWeights, resolveLoadOptions } from './precision';

export interface LoadedModel {
  id: string;
  key: string;
  dir: string;
  config: CanonicalConfig;
  tokenizer: PromptTokenizer;
  runner: Runner;
  /** The graph cache key and whether the load was a hit; null when not cached (small models). */
  graphCache: CachedRunner['graphCache'];
  info: ModelInfo;
  loadMs: number;
  /** Intra-op threads of the forward session (0 = onnxruntime's default; runtime/cores.ts). */
  threads: number;
  /** The weight precision in force (auto resolved), which the memory plan assumed. */
  precision: WeightPrecision;
  /**
   * Bytes of weights the forward reads in place from the memory-mapped cache file (plan/memory.ts
   * mappedWeightBytes): the OS counts them as available memory, the engine does not offer them to runs.
   */
  mappedBytes: number;
}

/** Knobs for tests and benchmarks (the extension and CLI use the defaults). */
export interface EngineInternals {
  /** Initializer bytes above which graphs use external data (and are cached). */
  externalThresholdBytes?: number;
  /** Bytes available to this process (default: MemAvailable). */
  availableMemory?: () => number;
  /** This process's resident anonymous bytes (default: RssAnon; null where unknown). */
  residentAnonymous?: () => number | null;
  /** onnxruntime's weight prepacking on or off for every load (default: `prepackWeights`, plan/memory.ts). */
  prepack?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface LoadContext {
  onProgress?: (p: Progress) => void;
  /** What the caller will run on the model (default: 512 tokens, every probe, no ablation or lens). */
  workload?: Partial<Workload>;
  onWarn?: (message: string) => void;
  /** The caller keeps using the model between its requests until it unloads it (a study): never unloaded to make room for another. */
  hold?: boolean;
  /** The config is read and the load plan accepted; the weights are read next (seconds to minutes). */
  onPlanned?: (config: CanonicalConfig) => void;
}

export const DEFAULT_WORKLOAD: Workload = { tokens: 512, probes: 'full', ablation: false, lensLayers: 0 };

export async function openModel(id: string, key: string, modelDir: string, opts: LoadOptions, ctx: LoadContext = {}, internals: EngineInternals = {}): Promise<LoadedModel> {
  const t0 = performance.now();
  const o = resolveLoadOptions(opts);
  const dir = resolve(modelDir);
  const config = readModelConfig(dir);
  const workload = { ...DEFAULT_WORKLOAD, ...ctx.workload };
  const available = (internals.availableMemory ?? availableMemory)();
  // 'auto' is resolved here, once: the plan, the graph and the cache key all see the precision in force.
  const pick = o.weights === 'auto' ? chooseWeights(config, available) : { weights: o.weights, reason: null };
  const precision = pick.weights;
  const prepack = internals.prepack ?? prepackWeights(config, precision);
  // The least a load can need (weights read by rows); checked again below with what the files hold (no weight read yet).
  checkLoadPlan(config, { precision, prepack, streamed: true }, workload, available);
  ctx.onPlanned?.(config);
  const graphOpts: LoadOptions = { ...opts, weights: precision };
  const cache = new GraphCache(resolveCacheConfig(opts.cache, internals.env));
  const removed = cache.sweep();
  if (removed.length) ctx.onWarn?.(`removed ${removed.length} folder(s) left by killed runs: ${removed.join(', ')}`);
  const files = await loadModelFiles(dir);
  // Checked again now that the store is open (no weight read yet): GGUF blocks taken as stored have their own size
  // (docs/gguf.md), and weights that cannot be read by rows (transposed, sliced, quantised) are converted whole.
  const stored = storedLinearBytesPerWeight(files.weights, precision, BYTES_PER_WEIGHT);
  try {
    checkLoadPlan(config, { precision, prepack, streamed: readByRows(files.weights) }, workload, available, stored ?? undefined);
  } catch (e) {
    files.store.close();
    throw e;
  }
  const threads = o.threads;
  try {
    const fingerprint = modelFingerprint(files.config, graphOpts, modelWeightPaths(dir).map(fingerprintFile));
    const describe = { model: files.config.name || basename(dir), modelDir: dir, options: graphOptionsJson(graphOpts) };
    const weightFiles = files.store.files();
    const cold = hashWhileWriting(weightFiles, writeProgress(ctx.onProgress));
    const runner = await createRunnerWith(files.config, files.weights, { threads, probes: 'full', weights: precision, executionProvider: o.executionProvider, strictProvider: o.strictProvider }, {
      cache: { cache, fingerprint, describe },
      prepack,
      onWrite: cold.onWrite,
      ...(ctx.onProgress ? { onOpening: openingProgress(ctx.onProgress, precision, prepack) } : {}),
      ...(ctx.onWarn ? { onWarn: ctx.onWarn } : {}),
      ...(internals.externalThresholdBytes !== undefined ? { externalThresholdBytes: internals.externalThresholdBytes } : {}),
    });
    const hashes = await sourceHashes(cache, runner.graphCache, weightFiles, cold.hashing());
    // What was picked and any provider fallback travel with the model info (analyze reports them).
    const { executionProvider, providerNote } = runner.placement;
    const sources = describeLinearSources(files.weights, precision);
    const precisionInfo: PrecisionInfo = { weights: precision, requested: o.weights, executionProvider, reason: pick.reason, providerNote, ...(sources ? { sources } : {}) };
    const info = { ...modelInfo(dir, files.config, files.store.dtypeSummary(), weightFiles, hashes, countParams(files.store)), precision: precisionInfo };
    // An unprepacked CPU session reads its float32 weights in place from the cached graph's memory-mapped file.
    const inPlace = runner.graphCache !== null && executionProvider === 'cpu';
    const mappedBytes = inPlace ? mappedWeightBytes(files.config, precision, prepack, stored ?? undefined) : 0;
    const loadMs = performance.now() - t0;
    return { id, key, dir, config: files.config, tokenizer: files.tokenizer, runner, graphCache: runner.graphCache, info, loadMs, threads: runner.placement.threads, precision, mappedBytes };
  } finally {
    files.store.close();
  }
}

/** Refuses, before any weight is read, a load whose plan does not fit in available memory. */
function checkLoadPlan(config: CanonicalConfig, session: { precision: WeightPrecision; prepack: boolean; streamed: boolean }, workload: Workload, availableBytes: number, linearBytesPerWeight?: number): void {
  const { precision, prepack, streamed } = session;
  const bound = Math.min(workload.tokens, config.maxPositions);
  const stored = linearBytesPerWeight === undefined ? {} : { linearBytesPerWeight };
  const planFor = (tokens: number) => planMemory({ config, precision, prepack, streamed, workload: { ...workload, tokens }, cached: false, ...stored });
  const tokens = workload.autoTokens ? Math.max(1, largestFitting(bound, (t) => planFor(t).peakBytes <= availableBytes)) : bound;
  const plan = planFor(tokens);
  assertFits({
    needBytes: plan.peakBytes,
    availableBytes,
    what: `loading ${config.name || 'the model'} (${precision} weights ${gb(plan.weightsBytes)} GB) and analysing ${tokens} tokens`,
    precision,
    tokens,
    breakdown: `load ${gb(plan.loadBytes)} GB + run ${gb(plan.runBytes)} GB`,
  });
}

/** Weight files' sha256: from the cache entry on a hit (no weight read), else hashed and saved there. */
async function sourceHashes(cache: GraphCache, cached: CachedRunner['graphCache'], files: { path: string }[], started: Promise<string[]> | null): Promise<string[]> {
  const saved = cached?.hit ? cache.describe(cached.key)?.sourceSha256 : undefined;
  if (saved && saved.length === files.length) return saved;
  const hashes = await (started ?? sha256Files(files));
  if (cached) cache.annotate(cached.key, hashes);
  return hashes;
}

/**
 * A cold conversion is under way once bytes are written: hash the weight files meanwhile, on the load's
 * second thread between its quantisation jobs (on this thread while each tensor's write is awaited where
 * there is none), so that neither core is idle. A cache hit writes nothing and so reads no weight.
 */
function hashWhileWriting(files: { path: string }[], report: ((done: number, total: number) => void) | undefined) {
  let hashing: Promise<string[]> | null = null;
  return {
    onWrite(done: number, total: number): void {
      if (!hashing) {
        hashing = sha256Files(files, sha256OnWorker);
        hashing.catch(() => undefined); // awaited later; a failed load must not leave an unhandled rejection
      }
      report?.(done, total);
    },
    hashing: (): Promise<string[]> | null => hashing,
  };
}

/**
 * What the load does while onnxruntime opens the graph, as a load-stage message: silent seconds otherwise (a cached
 * 1.2B int4 graph: 5-8 s of onnxruntime laying out the quantised weights, single-threaded; an 8B one ~7x that).
 */
function openingProgress(onProgress: NonNullable<LoadContext['onProgress']>, precision: string, prepack: boolean): (source: 'cached' | 'converted') => void {
  return (source) => {
    const what = `Opening the ${source} graph`;
    const quantised = prepack && quantisedWeights(precision);
    onProgress({ stage: 'load', fraction: 0.05, message: quantised ? `${what}: onnxruntime lays out the ${precision} weights for its kernels (a few seconds per billion weights)` : what });
  };
}

/** Conversion progress as load-stage messages, at most one per percent (undefined: nobody listens). */
function writeProgress(onProgress: LoadContext['onProgress']): ((done: number, total: number) => void) | undefined {
  if (!onProgress) return undefined;
  let last = -1;
  return (done, total) => {
    const pct = Math.floor((100 * done) / Math.max(1, total));
    if (pct === last) return;
    last = pct;
    onProgress({ stage: 'load', fraction: (0.05 * done) / Math.max(1, total), message: `Converting weights: ${gb(done)} of ${gb(total)} GB (${pct}%)` });
  };
}

/** Stored elements; MXFP4 (U8 `*_blocks` hold two weights a byte, `*_scales` are no weights) counted as weights. */
function countParams(store: { names(): string[]; info(n: string): { shape: readonly number[]; dtype?: string } | undefined }): number {
  let n = 0;
  for (const name of store.names()) {
    const t = store.info(name);
    const numel = (t?.shape ?? []).reduce((a, b) => a * b, 1);
    const packed = t?.dtype === 'U8' ? (name.endsWith('_blocks') ? 2 : name.endsWith('_scales') ? 0 : 1) : 1;
    n += numel * packed;
  }
  return n;
}

function modelInfo(
  dir: string,
  c: CanonicalConfig,
  dtype: string,
  files: { name: string; bytes: number }[],
  hashes: string[],
  params: number,
): ModelInfo {
  return {
    name: c.name || basename(dir),
    dir,
    arch: c.arch,
    modelType: c.modelType,
    layers: c.numLayers,
    heads: c.numHeads,
    kvHeads: c.numKvHeads,
    hiddenSize: c.hiddenSize,
    headDim: c.headDim,
    vocabSize: c.vocabSize,
    maxPositions: c.maxPositions,
    dtype,
    params,
    bosTokenId: c.bosTokenId,
    files: files.map((f, i) => ({ name: f.name, bytes: f.bytes, sha256: hashes[i] ?? '' })),
  };
}
