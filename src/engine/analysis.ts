/**
 * One measured forward pass: run the instrumented graph, then compute every metric of
 * metrics.md from its probes. Also the small policies around it (which blocks to ablate, the
 * settings echo).
 */
import { describeIntervention } from '../shared/interventions';
import type { AnalysisSettings, ForwardLayerMetrics, Intervention, LayerMetrics, RunMetrics, SpectralLayerMetrics, Warning } from '../shared/result';
import { forwardRunMetrics, tokenLossOf, type RunMetricsInput, type RunMetricsOptions } from './metrics';
import type { ForwardRequest } from './graph/types';
import type { LoadedModel } from './loaded';
import { MetricsPool, WARM_OPTIONS, warmStates } from './parallel/metricsPool';
import { resolveOptions, type ResolvedOptions } from './options';
import { paramCounts } from './plan/memory';
import { settingsNotes } from './notes';

export interface Measured {
  run: RunMetrics;
  /** Theorem-bound violations (bugs, surfaced rather than hidden). */
  warnings: Warning[];
  runMs: number;
  metricsMs: number;
}

/** What one measured forward needs of a loaded model (the benchmark passes a bare one). */
export type Measurable = Pick<LoadedModel, 'config' | 'runner'> & { tokenizer: { tokenText(id: number): string } };

/** Shared by every analysis in this process; workers are started on first use and never keep it alive. */
export const metricsPool = new MetricsPool();

/**
 * What the first analysis in a fresh process would otherwise pay for: the metrics workers' start-up
 * and cold metrics code (MetricsPool.warm; Engine.load starts it while the weights load), the first
 * paint's metrics on this thread (`warmForwardMetrics`, synchronously, before anything is awaited),
 * and the Gram side session (created on first use) with its first run — done once, on a one-token
 * input, once the model is loaded. The run fetches only the rows' Gram
 * ([L+1, 1, 1]): the column Gram would be [L+1, d, d] whatever T (4.1 GiB with its JS copy on an 8B
 * shape), and creating the session, not the size of its first output, is what the warm-up is for.
 */
export async function warmUp(model: Measurable): Promise<void> {
  warmForwardMetrics();
  await Promise.all([metricsPool.warmFor(model.config.hiddenSize), warmGramSide(model, 'rows')]);
}

/** Opens a Gram side's session and runs it once on one-token states: hidden [L+1, 1, d] -> [L+1, 1, 1] (rows) or [L+1, d, d] (cols). */
function warmGramSide(model: Measurable, side: 'rows' | 'cols'): Promise<unknown> {
  const { numLayers: L, hiddenSize: d } = model.config;
  return model.runner.grams(new Float32Array((L + 1) * d), 1, { [side]: true });
}

/** The preload's synthetic analysis runs at this many tokens (>= the metrics workers' minimum size) when it is cheap. */
export const PRELOAD_WARM_TOKENS = 128;
/** "Cheap": the synthetic analysis's linear layers cost at most this many FLOPs (~0.2-0.4 s on a laptop core pair). */
const PRELOAD_WARM_FLOPS = 40e9;

/**
 * Tokens of the preload's synthetic analysis (`preloadWarmUp`): PRELOAD_WARM_TOKENS on models small enough for
 * it to take well under a second (GPT-2 small: ~22 GFLOP), else 1 (a forward that still reads every weight).
 */
export function preloadWarmTokens(config: Measurable['config']): number {
  const T = Math.min(PRELOAD_WARM_TOKENS, config.maxPositions);
  return 2 * paramCounts(config).linear * T <= PRELOAD_WARM_FLOPS ? T : 1;
}

/**
 * The warm-up of a model loaded ahead of its first analysis (the extension's preload: nobody waits for it):
 * `warmUp`, then one whole analysis of a synthetic prompt. It leaves what a first real analysis would pay
 * for done: onnxruntime's arena grown and its kernels' first runs, the metrics code compiled at a real
 * layer size on the workers and the cross-layer summary on this thread (GPT-2 small, T = 256: the first
 * analysis 1.39x the bare forward's first call instead of 1.66x, `npm run bench`), and, on large float32 models whose
 * weights stay in the memory-mapped cache file, every weight page faulted in (~1.8 s of the first
 * 256-token analysis of the 1.2B shape). Not run by a plain load: the CLI analyses right after loading,
 * where the same work would only move.
 */
export async function preloadWarmUp(model: Measurable): Promise<void> {
  await warmUp(model);
  if (warmsColumnGram(model.config)) await warmGramSide(model, 'cols');
  const T = preloadWarmTokens(model.config);
  const ids = Array.from({ length: T }, (_, i) => (i * 104729 + 5) % model.config.vocabSize); // a synthetic prompt [T]
  await forwardAndMeasure(model, ids, resolveOptions({}), {}, { onForward: () => {} });
}

/** The largest [L+1, d, d] Gram output the preload makes to warm that side (GPT-2 small: 29 MiB). */
const COLS_WARM_MAX_BYTES = 64 * 1024 ** 2;

/**
 * Whether the preload also opens and first runs the d x d Gram side, which prompts longer than d use: on GPT-2
 * small at T = 1024 the first analysis's Gram then took 70-140 ms instead of 160-170 (the session's creation,
 * ~55 ms, and its first run). Its [L+1, d, d] output is transient but whatever T is, so only where it is small;
 * on larger models the forward dwarfs the gain (a 1B model's: ~10 s at T = 1024).
 */
export function warmsColumnGram(config: Pick<Measurable['config'], 'numLayers' | 'hiddenSize'>): boolean {
  return (config.numLayers + 1) * config.hiddenSize ** 2 * 4 <= COLS_WARM_MAX_BYTES;
}

/** Calls of forwardRunMetrics in the warm-up: 3 left the first paint's metrics at 2-3x steady, 30 at steady. */
const FORWARD_WARM_CALLS = 30;
let forwardWarmed = false;

/**
 * Runs the first paint's metrics (norms, BOS ratio, head sink scores, sink mass, spike blocks) on
 * a small synthetic run, so that V8 has optimised them before the first real forward returns: cold,
 * they took 7-15 ms of the first paint at T = 256 on GPT-2 small instead of 2.3-3 (~0.04x of the
 * forward). ~10 ms once per process. It must run once the model's graph and sessions exist: run
 * before they were built (during the weights' load), the first paint was as slow as without it.
 * Layers shaped like real ones (float32 states with a BOS row 1000x the others, float32
 * attention), as the workers' warm-up does (metricsPool.ts).
 */
export function warmForwardMetrics(): void {
  if (forwardWarmed) return;
  forwardWarmed = true;
  const [L, T, d, H] = [2, 64, 128, 2];
  const hidden = warmStates(L + 1, T, d); // [L+1, T, d]
  const attnToBos = Float32Array.from({ length: L * H * T }, (_, i) => (i % 7) / 7); // [L, H, T]
  for (let k = 0; k < FORWARD_WARM_CALLS; k++) forwardRunMetrics({ hidden, attnToBos, L, T, d, H, options: WARM_OPTIONS });
}

/** Early results of one measured forward, for a UI that paints before the spectra are done. */
export interface MeasureHooks {
  /** The forward's metrics (no spectrum), right after the forward pass. */
  onForward?(f: { layers: ForwardLayerMetrics[]; spikeBlocks: number[]; runMs: number }): void;
  /** One layer's spectral metrics, as soon as that layer is done (completion order). */
  onLayer?(m: SpectralLayerMetrics): void;
}

export async function forwardAndMeasure(
  model: Measurable,
  ids: readonly number[],
  o: ResolvedOptions,
  extra: Pick<ForwardRequest, 'ablateMlp' | 'ablateAttn' | 'edits' | 'headsOff'>,
  hooks: MeasureHooks = {},
): Promise<Measured> {
  const { numLayers: L, hiddenSize: d, numHeads: H } = model.config;
  const T = ids.length;
  // The smaller Gram of every layer comes from the graph (a fast GEMM) instead of a JS loop: d x d
  // for long prompts, T x T otherwise (the spectra with and without BOS both come from it).
  const gram = T > d && !o.entropy.rowNormalize;
  const gramRows = T <= d && T > 1;
  const lensLayers = o.logitLens === 'all' ? range(L + 1) : o.logitLens;
  const t0 = performance.now();
  const out = await model.runner.forward({
    ids,
    ...extra,
    tokenLoss: o.tokenLoss,
    ...(lensLayers ? { logitLens: { layers: lensLayers, topK: o.logitLensTopK } } : {}),
  });
  const t1 = performance.now();
  // The forward's metrics go out before the Gram GEMMs run: they are what a UI paints first.
  const forward = hooks.onForward ? forwardRunMetrics({ hidden: out.hidden, attnToBos: out.attnToBos, L, T, d, H, options: metricOptions(o) }) : null;
  if (forward) hooks.onForward?.({ ...forward, runMs: t1 - t0 });
  Object.assign(out, await model.runner.grams(out.hidden, T, { cols: gram, rows: gramRows }));
  const input: RunMetricsInput = {
    hidden: out.hidden,
    attnToBos: out.attnToBos,
    lastLogits: out.lastLogits,
    L,
    T,
    d,
    H,
    gram: out.gram,
    gramRows: out.gramRows,
    lens: out.lens,
    ...(out.mixing ? { mixing: out.mixing } : {}),
    ...(out.bosWrites ? { bosWrites: out.bosWrites } : {}),
    ...(out.sinkShare ? { sinkShare: out.sinkShare } : {}),
    tokenText: (id: number) => model.tokenizer.tokenText(id),
    options: metricOptions(o),
  };
  // The first paint's forward metrics are the layers' own: passed on, not computed again.
  const { run, warnings } = await metricsPool.computeRun(input, ({ metrics: m }) => hooks.onLayer?.(spectralPart(m)), forward?.layers);
  run.tokenLoss = out.tokenLoss ? tokenLossOf(out.tokenLoss) : null;
  return { run, warnings, runMs: t1 - t0, metricsMs: performance.now() - t1 };
}

function metricOptions(o: ResolvedOptions): RunMetricsOptions {
  return {
    tau: o.tau,
    includeFirstQuery: o.includeFirstQuery,
    entropy: o.entropy,
    massiveTopK: o.massiveTopK,
    lastTopK: o.lastTopK,
    // r in the entropy bound = min(T, d), the generic rank, as the fixtures' independent reference
    // counts it; the literal count of non-zero singular values gives a tighter bound only on
    // rank-deficient layers (e.g. h[0] with repeated tokens). See docs/METRICS.md.
    boundRank: 'full',
  };
}

function spectralPart(m: LayerMetrics): SpectralLayerMetrics {
  const { layer, entropy, entropyRaw, entropyExclBos, anisotropy, anisotropyLowerBound, entropyUpperBound } = m;
  return { layer, entropy, entropyRaw, entropyExclBos, anisotropy, anisotropyLowerBound, entropyUpperBound };
}

/**
 * The ablated component: 'auto' = the one that writes most of the BOS change over the ablated blocks
 * (the summed shares of their bosWrite; the MLP on a tie or without writes), else as asked.
 */
export function resolveAblationTarget(target: ResolvedOptions['ablateTarget'], blocks: readonly number[], base: RunMetrics): 'mlp' | 'attn' {
  if (target !== 'auto') return target;
  let attn = 0;
  let mlp = 0;
  for (const b of blocks) {
    const w = base.layers[b + 1]?.bosWrite;
    if (w) {
      attn += w.attnShare;
      mlp += w.mlpShare;
    }
  }
  return attn > mlp ? 'attn' : 'mlp';
}

/** 'auto' = the spike blocks of the baseline run (a warning when there is none). */
export function resolveAblationBlocks(
  ablate: ResolvedOptions['ablate'],
  base: RunMetrics,
  numLayers: number,
  warnings: Warning[],
): number[] | null {
  if (ablate === null) return null;
  if (ablate === 'auto') {
    if (base.spikeBlocks.length === 0) {
      warnings.push({ code: 'other', message: 'Ablation skipped: no block raises the BOS norm ratio by more than 3x (no spike to remove). Pass explicit blocks to ablate anyway.' });
      return null;
    }
    return [...base.spikeBlocks];
  }
  const bad = ablate.filter((b) => b >= numLayers);
  if (bad.length) {
    warnings.push({ code: 'other', message: `Ignored ablation block(s) ${bad.join(', ')}: the model has blocks 0..${numLayers - 1}.` });
  }
  const ok = ablate.filter((b) => b < numLayers);
  return ok.length ? ok : null;
}

export function buildSettings(
  o: ResolvedOptions,
  enc: { bosPrepended: boolean; truncated: boolean; ids: readonly number[] },
  model: LoadedModel,
  maxTokens: number,
  blocks: number[] | null,
  run: RunMetrics,
  ablateTarget: 'mlp' | 'attn',
): AnalysisSettings {
  const notes = settingsNotes(o, enc, model, maxTokens, run);
  if (blocks) notes.push(`Ablation zeroes the ${ablateTarget} write at BOS in block ${blocks.join(', ')}${o.ablateTarget === 'auto' ? ' (auto: the component that writes most of the BOS change there)' : ''}.`);
  if (o.interventions.length) notes.push(interventionNote(o.interventions));
  if (o.tokenLoss && enc.ids.length > 1) notes.push(`Loss: the final layer's next-token cross-entropy (natural log) at positions 0..${enc.ids.length - 2}, each predicting the prompt's next token; the mean is over ${enc.ids.length - 1} predictions.`);
  notes.push(...precisionNotes(model.info.precision));
  return {
    prependBos: o.prependBos,
    chatTemplate: o.chatTemplate,
    bosPrepended: enc.bosPrepended,
    bosTokenId: model.config.bosTokenId,
    maxTokens,
    truncated: enc.truncated,
    tau: o.tau,
    includeFirstQuery: o.includeFirstQuery,
    entropy: o.entropy,
    ablate: blocks,
    ablateTarget,
    massiveTopK: o.massiveTopK,
    logitLensTopK: o.logitLensTopK,
    threads: model.threads,
    notes,
  };
}

/** One line: what the compared run changes, and that the interventions apply together. */
function interventionNote(list: readonly Intervention[]): string {
  const words = list.map(describeIntervention).join('; ');
  return `Intervention${list.length > 1 ? 's (applied together in one run)' : ''}: ${words}. "Mean" is the mean of that write over the prompt's other positions.`;
}

/** The precision in words when it is not fp32 (and why 'auto' chose it), and a provider fallback. */
function precisionNotes(p: LoadedModel['info']['precision']): string[] {
  if (!p) return [];
  const out: string[] = [];
  if (p.weights !== 'fp32') {
    if (p.reason) out.push(p.reason);
    out.push(`Linear weights in ${p.weights} (${p.weights === 'fp16' ? 'stored fp16, computed fp32' : 'MatMulNBits, block 32'}); metrics differ from fp32 within the tolerances in docs/PERFORMANCE.md.`);
  }
  if (p.sources) out.push(`Linear weights from the GGUF file: ${p.sources} (docs/gguf.md).`);
  if (p.providerNote) out.push(p.providerNote);
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
