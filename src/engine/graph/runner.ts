/**
 * createRunner: builds the forward graph from canonical weights, opens one onnxruntime session
 * and answers forward requests. The logit lens and Gram matrices use small side sessions opened
 * on first use; calls are serialised so a runner is safe to call repeatedly and concurrently.
 */
import { SinkLensError } from '../../shared/errors';
import type { CanonicalConfig, ModelWeights } from '../model/types';
import type { Feed, Fetched } from '../runtime/ort';
import { buildGramGraph, buildLensGraph } from './aux';
import { buildForwardGraph } from './model';
import { GRAM, INPUTS, LENS, OUTPUTS } from './probes';
import { openSession, type OwnedSession, type SessionPlacement } from './session';
import type { CreateRunner, ForwardRequest, ForwardResult, Runner, RunnerOptions } from './types';
import { validateRequest } from './validate';

/** Logits held at once by the lens session (positions x vocab), ~128 MB. */
const LENS_CHUNK_FLOATS = 1 << 25;

/** Test/bench knobs beyond the contract's RunnerOptions. */
export type RunnerInternals = Omit<SessionPlacement, 'threads'>;

export const createRunner: CreateRunner = (config, weights, opts) => createRunnerWith(config, weights, opts, {});

export async function createRunnerWith(
  config: CanonicalConfig,
  weights: ModelWeights,
  opts: RunnerOptions,
  internals: RunnerInternals,
): Promise<Runner> {
  const placement: SessionPlacement = { threads: opts.threads, ...internals };
  const main = await openSession(buildForwardGraph(config, weights, opts.probes), placement);
  return new OrtRunner(config, weights, opts, placement, main);
}

function floats(f: Fetched | undefined, name: string): Float32Array {
  if (!f || !(f.data instanceof Float32Array)) throw new SinkLensError('runtimeError', `The model graph returned no float output ${name}.`);
  return f.data;
}

function mask(L: number, blocks: readonly number[] | undefined): Feed {
  const m = new Float32Array(L); // [L]
  for (const b of blocks ?? []) m[b] = 1;
  return { type: 'float32', data: m, dims: [L] };
}

const scalarI64 = (v: number): Feed => ({ type: 'int64', data: BigInt64Array.of(BigInt(v)), dims: [] });

class OrtRunner implements Runner {
  private queue: Promise<unknown> = Promise.resolve();
  private lens: Promise<OwnedSession> | null = null;
  private gram: Promise<OwnedSession> | null = null;
  private disposed = false;

  constructor(
    readonly config: CanonicalConfig,
    private readonly weights: ModelWeights,
    private readonly opts: RunnerOptions,
    private readonly placement: SessionPlacement,
    private readonly main: OwnedSession,
  ) {}

  forward(req: ForwardRequest): Promise<ForwardResult> {
    const run = this.queue.then(() => this.forwardNow(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    const sessions = [Promise.resolve(this.main), this.lens, this.gram].filter((s): s is Promise<OwnedSession> => s !== null);
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
      feeds[INPUTS.ablateMlp] = mask(cfg.numLayers, req.ablateMlp);
      feeds[INPUTS.ablateAttn] = mask(cfg.numLayers, req.ablateAttn);
      feeds[INPUTS.attnMapBlock] = scalarI64(req.attnMap ? req.attnMap.block : -1);
      feeds[INPUTS.attnMapHead] = scalarI64(req.attnMap ? req.attnMap.head : 0);
    }
    const out = await this.main.session.run(feeds);
    const result: ForwardResult = {
      T,
      hidden: full ? floats(out[OUTPUTS.hidden], OUTPUTS.hidden) : new Float32Array(0),
      attnToBos: full ? floats(out[OUTPUTS.attnToBos], OUTPUTS.attnToBos) : new Float32Array(0),
      lastLogits: floats(out[OUTPUTS.logits], OUTPUTS.logits),
    };
    if (req.attnMap) result.attnMap = floats(out[OUTPUTS.attnMap], OUTPUTS.attnMap);
    if (req.logitLens) result.lens = await this.runLens(req.ids, result.hidden, req.logitLens);
    if (req.gram) result.gram = await this.runGram(T, result.hidden);
    return result;
  }

  /** Per requested layer, in position chunks so at most LENS_CHUNK_FLOATS logits exist at once. */
  private async runLens(ids: readonly number[], hidden: Float32Array, lens: NonNullable<ForwardRequest['logitLens']>): Promise<NonNullable<ForwardResult['lens']>> {
    this.lens ??= openSession(buildLensGraph(this.config, this.weights), this.placement);
    const session = (await this.lens).session;
    const { hiddenSize: d, vocabSize: V } = this.config;
    const T = ids.length;
    const k = lens.topK;
    const n = lens.layers.length;
    const chunk = Math.max(1, Math.floor(LENS_CHUNK_FLOATS / V));
    const outIds = new Int32Array(n * T * k); // [n, T, k]
    const values = new Float32Array(n * T * k); // [n, T, k]
    const ce = new Float32Array(n); // [n]
    for (let li = 0; li < n; li++) {
      const l = lens.layers[li] as number;
      let nllSum = 0;
      for (let t0 = 0; t0 < T; t0 += chunk) {
        const C = Math.min(chunk, T - t0);
        const x = hidden.subarray((l * T + t0) * d, (l * T + t0 + C) * d); // [C, d]
        // Next-token targets; the last position has none, any valid id keeps the op in range.
        const targets = BigInt64Array.from({ length: C }, (_, i) => BigInt(ids[t0 + i + 1] ?? 0)); // [C]
        const r = await session.run({
          [LENS.hidden]: { type: 'float32', data: x, dims: [1, C, d] },
          [LENS.targets]: { type: 'int64', data: targets, dims: [C, 1] },
          [LENS.k]: { type: 'int64', data: BigInt64Array.of(BigInt(k)), dims: [1] },
        });
        values.set(floats(r[LENS.values], LENS.values), (li * T + t0) * k);
        const topIds = r[LENS.ids]?.data as BigInt64Array;
        for (let i = 0; i < C * k; i++) outIds[(li * T + t0) * k + i] = Number(topIds[i]);
        const nll = floats(r[LENS.nll], LENS.nll);
        for (let i = 0; i < C; i++) if (t0 + i < T - 1) nllSum += nll[i] as number;
      }
      ce[li] = T > 1 ? nllSum / (T - 1) : Number.NaN;
    }
    return { layers: [...lens.layers], topK: k, ids: outIds, values, crossEntropy: ce };
  }

  private async runGram(T: number, hidden: Float32Array): Promise<Float32Array> {
    this.gram ??= openSession(buildGramGraph(this.config), this.placement);
    const session = (await this.gram).session;
    const dims = [this.config.numLayers + 1, T, this.config.hiddenSize];
    const r = await session.run({ [GRAM.hidden]: { type: 'float32', data: hidden, dims } });
    return floats(r[GRAM.gram], GRAM.gram);
  }
}
