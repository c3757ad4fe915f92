/**
 * createRunner: builds the forward graph from canonical weights, opens one onnxruntime session
 * and answers forward requests. Every weight is read while the runner is created (the caller may
 * close its weight store right after); the Gram matrices use weightless side sessions (one per side) opened on
 * first use. Calls are serialised so a runner is safe to call repeatedly and concurrently.
 */
import { SinkLensError } from '../../shared/errors';
import type { CanonicalConfig } from '../arch/types';
import type { ModelWeights } from '../weights/types';
import type { Feed, Fetched } from '../runtime/ort';
import { buildGramGraph, type GramSide } from './gram';
import { buildForwardGraph, type GraphKnobs } from './model';
import { GRAM, INPUTS, MIX_MAX_QUERIES, OUTPUTS } from './probes';
import { openSession, type OwnedSession, type SessionPlacement } from './session';
import type { QuantScheme } from './blocks/linear';
import type { CreateRunner, ForwardRequest, ForwardResult, Runner, RunnerOptions, RunnerPlacement } from './types';
import { validateRequest } from './validate';

/** Knobs beyond the contract's RunnerOptions: the graph cache, write progress, test thresholds, the quantisation scheme, measurement knobs of the graph. */
export type RunnerInternals = Omit<SessionPlacement, 'threads' | 'executionProvider' | 'strictProvider'> & { quant?: Partial<QuantScheme>; graph?: GraphKnobs };

/** A runner plus how its graph was obtained (cache key and hit, or null when not cached). */
export type CachedRunner = Runner & { readonly graphCache: OwnedSession['cached'] };

export const createRunner: CreateRunner = (config, weights, opts) => createRunnerWith(config, weights, opts, {});

export async function createRunnerWith(
  config: CanonicalConfig,
  weights: ModelWeights,
  opts: RunnerOptions,
  internals: RunnerInternals,
): Promise<CachedRunner> {
  const { quant, graph, ...sessionInternals } = internals;
  const provider = {
    ...(opts.executionProvider !== undefined ? { executionProvider: opts.executionProvider } : {}),
    ...(opts.strictProvider !== undefined ? { strictProvider: opts.strictProvider } : {}),
  };
  const placement: SessionPlacement = { threads: opts.threads, ...provider, ...sessionInternals };
  const linear = { weights: opts.weights ?? 'fp32', ...(quant ? { quant } : {}) };
  // The forward session with onnxruntime's memory arena (SessionOptions.arena); the Gram sides without, so that
  // their [L+1, m, m] outputs (2.2 GiB at T = 4096 on an 8B shape) are not kept between runs.
  const main = await openSession(buildForwardGraph(config, weights, opts.probes, linear, graph), { ...placement, arena: true });
  // The Gram side sessions have no weights: nothing to cache or report.
  const side: SessionPlacement = {
    threads: opts.threads,
    ...provider,
    ...(internals.externalThresholdBytes !== undefined ? { externalThresholdBytes: internals.externalThresholdBytes } : {}),
  };
  return new OrtRunner(config, opts, side, main);
}

function floats(f: Fetched | undefined, name: string): Float32Array {
  if (!f || !(f.data instanceof Float32Array)) throw new SinkLensError('runtimeError', `The model graph returned no float output ${name}.`);
  return f.data;
}

/** The write-edit inputs of one component: (keep, mean) [L, 2] (1, 0 = untouched) and positions [L]. */
function editFeeds(L: number, component: 'mlp' | 'attn', req: ForwardRequest): [Feed, Feed] {
  const coef = new Float32Array(2 * L); // [L, 2]
  const pos = new BigInt64Array(L); // [L]
  for (let b = 0; b < L; b++) coef[2 * b] = 1;
  for (const b of (component === 'mlp' ? req.ablateMlp : req.ablateAttn) ?? []) coef[2 * b] = 0;
  for (const e of req.edits ?? []) {
    if (e.component !== component) continue;
    coef[2 * e.block] = e.keep;
    coef[2 * e.block + 1] = e.mean;
    pos[e.block] = BigInt(e.position);
  }
  return [
    { type: 'float32', data: coef, dims: [L, 2] },
    { type: 'int64', data: pos, dims: [L] },
  ];
}

/** head_mask [L, H]: 1 everywhere but the heads switched off. */
function headMaskFeed(cfg: CanonicalConfig, off: ForwardRequest['headsOff']): Feed {
  const m = new Float32Array(cfg.numLayers * cfg.numHeads).fill(1); // [L, H]
  for (const { block, head } of off ?? []) m[block * cfg.numHeads + head] = 0;
  return { type: 'float32', data: m, dims: [cfg.numLayers, cfg.numHeads] };
}

/** All the intervention and loss inputs of a full graph. */
function interventionFeeds(cfg: CanonicalConfig, req: ForwardRequest): Record<string, Feed> {
  const [mlp, mlpPos] = editFeeds(cfg.numLayers, 'mlp', req);
  const [attn, attnPos] = editFeeds(cfg.numLayers, 'attn', req);
  return {
    [INPUTS.interveneMlp]: mlp,
    [INPUTS.interveneMlpPos]: mlpPos,
    [INPUTS.interveneAttn]: attn,
    [INPUTS.interveneAttnPos]: attnPos,
    [INPUTS.headMask]: headMaskFeed(cfg, req.headsOff),
    [INPUTS.lossOn]: { type: 'int64', data: BigInt64Array.of(req.tokenLoss ? 1n : 0n), dims: [1] },
  };
}

/**
 * The query positions of the mixing probe: 1..T-1 when they are at most `max`, else `max` evenly
 * spaced ones from 1 to T-1 (both ends included, no repeats). T = 1 has none.
 */
export function mixQueries(T: number, max = MIX_MAX_QUERIES): number[] {
  const n = T - 1;
  if (n <= 0) return [];
  if (n <= max) return Array.from({ length: n }, (_, i) => i + 1);
  if (max <= 1) return [T - 1];
  const out: number[] = [];
  for (let k = 0; k < max; k++) {
    const q = 1 + Math.round((k * (n - 1)) / (max - 1));
    if (out[out.length - 1] !== q) out.push(q);
  }
  return out;
}

const scalarI64 = (v: number): Feed => ({ type: 'int64', data: BigInt64Array.of(BigInt(v)), dims: [] });

/** Lens inputs; k = 0 keeps the lens branch off. Targets are the next ids (0 at the last position). */
function lensFeeds(req: ForwardRequest): Record<string, Feed> {
  const lens = req.logitLens?.layers.length ? req.logitLens : null;
  const T = req.ids.length;
  const layers = lens ? lens.layers : [0];
  return {
    [INPUTS.lensLayers]: { type: 'int64', data: BigInt64Array.from(layers, (l) => BigInt(l)), dims: [layers.length] },
    [INPUTS.lensK]: { type: 'int64', data: BigInt64Array.of(BigInt(lens ? lens.topK : 0)), dims: [1] },
    [INPUTS.lensTargets]: { type: 'int64', data: BigInt64Array.from({ length: T }, (_, t) => BigInt(req.ids[t + 1] ?? 0)), dims: [T, 1] },
  };
}

/** lens_values/ids [n, T, k] and lens_nll [n, T] -> the contract's shape, CE averaged over t < T-1. */
function readLens(out: Record<string, Fetched>, lens: NonNullable<ForwardRequest['logitLens']>, T: number): NonNullable<ForwardResult['lens']> {
  const n = lens.layers.length;
  if (n === 0) return { layers: [], topK: lens.topK, ids: new Int32Array(0), values: new Float32Array(0), crossEntropy: new Float32Array(0) };
  const ids = out[OUTPUTS.lensIds]?.data;
  if (!(ids instanceof BigInt64Array)) throw new SinkLensError('runtimeError', 'The model graph returned no logit-lens ids.');
  const nll = floats(out[OUTPUTS.lensNll], OUTPUTS.lensNll); // [n, T]
  const ce = new Float32Array(n); // [n]
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < T - 1; t++) s += nll[i * T + t] as number;
    ce[i] = T > 1 ? s / (T - 1) : Number.NaN;
  }
  return {
    layers: [...lens.layers],
    topK: lens.topK,
    ids: Int32Array.from(ids, (v) => Number(v)),
    values: floats(out[OUTPUTS.lensValues], OUTPUTS.lensValues),
    crossEntropy: ce,
  };
}

class OrtRunner implements CachedRunner {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly gramSessions: Partial<Record<GramSide, Promise<OwnedSession>>> = {};
  private disposed = false;
  readonly placement: RunnerPlacement;
  private readonly sessionPlacement: SessionPlacement;

  constructor(
    readonly config: CanonicalConfig,
    private readonly opts: RunnerOptions,
    sessionPlacement: SessionPlacement,
    private readonly main: OwnedSession,
  ) {
    const s = main.session;
    this.placement = { executionProvider: s.executionProvider, providerNote: s.providerNote, threads: s.threads };
    // The side sessions go straight to where the main one ended up (no second failed attempt).
    this.sessionPlacement = { ...sessionPlacement, executionProvider: s.executionProvider };
  }

  get graphCache(): OwnedSession['cached'] {
    return this.main.cached;
  }

  forward(req: ForwardRequest): Promise<ForwardResult> {
    const run = this.queue.then(() => this.forwardNow(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  grams(hidden: Float32Array, T: number, sides: { cols?: boolean; rows?: boolean }): Promise<Pick<ForwardResult, 'gram' | 'gramRows'>> {
    const run = this.queue.then(() => this.gramsNow(hidden, T, sides));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    const sessions = [Promise.resolve(this.main), ...Object.values(this.gramSessions)];
    for (const s of sessions) {
      try {
        await (await s).close();
      } catch {
        // A side session that failed to open has nothing to release.
      }
    }
  }

  private async forwardNow(req: ForwardRequest): Promise<ForwardResult> {
    if (this.disposed) throw new SinkLensError('badRequest', 'The model runner was disposed; load the model again.');
    const cfg = this.config;
    validateRequest(cfg, req, this.opts.probes);
    const T = req.ids.length;
    const feeds: Record<string, Feed> = {
      [INPUTS.ids]: { type: 'int64', data: BigInt64Array.from(req.ids, (i) => BigInt(i)), dims: [1, T] },
    };
    const full = this.opts.probes === 'full';
    if (full) {
      Object.assign(feeds, interventionFeeds(cfg, req));
      feeds[INPUTS.attnMapBlock] = scalarI64(req.attnMap ? req.attnMap.block : -1);
      feeds[INPUTS.attnMapHead] = scalarI64(req.attnMap ? req.attnMap.head : 0);
      Object.assign(feeds, lensFeeds(req));
    }
    const queries = full ? mixQueries(T, req.mixQueries ?? MIX_MAX_QUERIES) : [];
    // T = 1 has no query to sample; the graph still needs one row (its output is discarded).
    const fed = queries.length ? queries : [0];
    if (full) feeds[INPUTS.mixQueries] = { type: 'int64', data: BigInt64Array.from(fed, (q) => BigInt(q)), dims: [fed.length] };
    const out = await this.main.session.run(feeds);
    const result: ForwardResult = {
      T,
      hidden: full ? floats(out[OUTPUTS.hidden], OUTPUTS.hidden) : new Float32Array(0),
      attnToBos: full ? floats(out[OUTPUTS.attnToBos], OUTPUTS.attnToBos) : new Float32Array(0),
      lastLogits: floats(out[OUTPUTS.logits], OUTPUTS.logits),
    };
    if (full) {
      result.mixing = { rowEntropy: floats(out[OUTPUTS.mixRowEntropy], OUTPUTS.mixRowEntropy), otherMass: floats(out[OUTPUTS.mixOtherMass], OUTPUTS.mixOtherMass), queries };
      result.bosWrites = floats(out[OUTPUTS.bosWrites], OUTPUTS.bosWrites);
      if (cfg.attnSinks) result.sinkShare = floats(out[OUTPUTS.attnSinkShare], OUTPUTS.attnSinkShare);
    }
    if (req.attnMap) result.attnMap = floats(out[OUTPUTS.attnMap], OUTPUTS.attnMap);
    if (req.logitLens) result.lens = readLens(out, req.logitLens, T);
    if (req.tokenLoss) result.tokenLoss = T > 1 ? floats(out[OUTPUTS.tokenLoss], OUTPUTS.tokenLoss) : new Float32Array(0);
    if (req.gram || req.gramRows) Object.assign(result, await this.gramsNow(result.hidden, T, { cols: req.gram, rows: req.gramRows }));
    return result;
  }

  private async gramsNow(hidden: Float32Array, T: number, sides: { cols?: boolean; rows?: boolean }): Promise<Pick<ForwardResult, 'gram' | 'gramRows'>> {
    if (this.disposed) throw new SinkLensError('badRequest', 'The model runner was disposed; load the model again.');
    const expected = (this.config.numLayers + 1) * T * this.config.hiddenSize;
    if (hidden.length !== expected) throw new SinkLensError('badRequest', `grams: hidden states have ${hidden.length} values, expected ${expected} ([L+1, T, d]).`);
    return {
      ...(sides.cols ? { gram: await this.runGram('cols', T, hidden) } : {}),
      ...(sides.rows ? { gramRows: await this.runGram('rows', T, hidden) } : {}),
    };
  }

  private async runGram(side: GramSide, T: number, hidden: Float32Array): Promise<Float32Array> {
    const session = (await (this.gramSessions[side] ??= openSession(buildGramGraph(this.config, side), { ...this.sessionPlacement, spin: false }))).session;
    const dims = [this.config.numLayers + 1, T, this.config.hiddenSize];
    const name = side === 'cols' ? GRAM.gram : GRAM.rows;
    const r = await session.run({ [GRAM.hidden]: { type: 'float32', data: hidden, dims } });
    return floats(r[name], name);
  }
}
