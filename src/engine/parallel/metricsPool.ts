/**
 * Spreads the per-layer metrics of a run over worker threads (one per core, at most 4). Small
 * runs stay on the calling thread: below ~min(T, d) = 96 a worker round trip costs more than the
 * work. Results are identical either way (the same pure functions run on the same data).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerScript, type WorkerScript } from './workerScript';
import type { LayerInput, LayerOutcome, RunMetricsInput } from '../metrics';
import { assembleRun, computeLayer, DEFAULT_ENTROPY, prepareRows, smallGram } from '../metrics';
import type { ForwardLayerMetrics, Warning, RunMetrics } from '../../shared/result';
import { LAYERS_IN_FLIGHT_PER_WORKER, MAX_METRICS_WORKERS } from './limits';

export interface LayerTask extends Omit<LayerInput, 'hidden' | 'gram' | 'gramRows'> {
  id: number;
  l: number;
  h: Float32Array; // [T, d]
  gram: Float32Array | undefined; // [d, d]
  gramRows: Float32Array | undefined; // [T, T]
  /** The layer's forward metrics when the caller has them (computeLayer's `forward`). */
  forward: ForwardLayerMetrics | undefined;
}

type Reply = { id: number; ok: true; outcome: LayerOutcome } | { id: number; ok: false; message: string };

const MIN_PARALLEL_SIZE = 96;
/** Synthetic layers per side and worker in warm() (see there). */
const WARM_ROUNDS = 3;

export class MetricsPool {
  private workers: Worker[] = [];
  private seq = 0;
  /** Layers computed on worker threads so far (for tests and logs). */
  workerTasks = 0;
  /** The most layers out with the workers at once so far (for tests: each holds a copy of its layer). */
  peakInFlight = 0;
  /** The warm-up, once started: later callers wait for the same one. */
  private warming: Promise<void> | null = null;
  private readonly pending = new Map<number, { resolve: (o: LayerOutcome) => void; reject: (e: Error) => void }>();

  constructor(private readonly size = Math.min(MAX_METRICS_WORKERS, Math.max(1, availableParallelism()))) {}

  /**
   * Every layer's metrics; `onLayer` hears each layer as soon as it is done (in completion order).
   * `forward`: every layer's forward metrics when the caller has them (the first paint's), so that
   * no thread computes them again.
   */
  async computeRun(
    input: RunMetricsInput,
    onLayer: (o: LayerOutcome) => void = () => {},
    forward?: readonly ForwardLayerMetrics[],
  ): Promise<{ run: RunMetrics; warnings: Warning[] }> {
    const script = workerScript(__dirname, 'metricsWorker');
    const parallel = this.size > 1 && script !== null && Math.min(input.T, input.d) >= MIN_PARALLEL_SIZE;
    const layers = Array.from({ length: input.L + 1 }, (_, l) => l);
    const outcomes: LayerOutcome[] = parallel
      ? await this.feedWorkers(input, layers, script, onLayer, forward)
      : layers.map((l) => {
          const o = computeLayer(input, l, forward?.[l]);
          onLayer(o);
          return o;
        });
    return assembleRun(input, outcomes);
  }

  /**
   * The layers through the workers, LAYERS_IN_FLIGHT_PER_WORKER at a time per worker: a worker gets
   * its next layer when one of its own is done. Each task carries copies of its layer's rows and Gram
   * (made when it is sent), so only those few layers are copied at once instead of a second copy of
   * the whole [L+1, T, d] states and [L+1, m, m] Grams (2 x 2.1 GiB at T = 4096 on an 8B shape); and
   * a worker that draws cheap layers takes more of them.
   */
  private feedWorkers(
    input: RunMetricsInput,
    layers: readonly number[],
    script: WorkerScript,
    onLayer: (o: LayerOutcome) => void,
    forward: readonly ForwardLayerMetrics[] | undefined,
  ): Promise<LayerOutcome[]> {
    return new Promise((resolve, reject) => {
      const outcomes: LayerOutcome[] = [];
      let next = 0;
      let done = 0;
      const feed = (worker: Worker): void => {
        if (next >= layers.length) return;
        const i = next++;
        const l = layers[i] as number;
        this.submit(input, l, worker, forward?.[l]).then((o) => {
          outcomes[i] = o;
          onLayer(o);
          if (++done === layers.length) resolve(outcomes);
          else feed(worker);
        }, reject);
      };
      const workers = this.startWorkers(script);
      for (let k = 0; k < LAYERS_IN_FLIGHT_PER_WORKER; k++) for (const w of workers) feed(w);
    });
  }

  /**
   * Starts the workers and runs small synthetic layers through each side of the Gram (T > d and
   * T <= d), WARM_ROUNDS times per worker, so the first real analysis in a fresh process finds
   * threads started and the metrics code optimised. V8 optimises a function after enough calls:
   * with one warm layer per side the first analysis still ran interpreted code for its first
   * layers (T = 256 on GPT-2 small: 150 ms of metrics instead of 50). ~0.15 s per worker, once per
   * process, while the model loads; a no-op on one core or without the worker script. Three rounds:
   * one left the first analysis's metrics ~50% slow, six bought no more than three and lengthened
   * a CLI load (the warm-up shares the cores with it) by ~0.1 s.
   */
  warm(): Promise<void> {
    this.warming ??= this.warmNow();
    return this.warming;
  }

  private async warmNow(): Promise<void> {
    const script = workerScript(__dirname, 'metricsWorker');
    if (this.size <= 1 || script === null || this.workers.length > 0) return;
    const jobs: Promise<LayerOutcome>[] = [];
    // Built once (each task sends its own copy of the layer): both Gram sides, to every worker, each round.
    const sides = [warmInput(160, 128), warmInput(128, 160)];
    for (let round = 0; round < WARM_ROUNDS; round++) {
      for (const input of sides) for (const w of this.startWorkers(script)) jobs.push(this.submit(input, 1, w));
    }
    await Promise.all(jobs);
  }

  /** warm() for a model whose layers can reach the workers (hidden size >= MIN_PARALLEL_SIZE); else nothing to warm. */
  warmFor(hiddenSize: number): Promise<void> {
    return hiddenSize >= MIN_PARALLEL_SIZE ? this.warm() : Promise.resolve();
  }

  async dispose(): Promise<void> {
    this.warming = null;
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  private submit(input: RunMetricsInput, l: number, worker: Worker, forward?: ForwardLayerMetrics): Promise<LayerOutcome> {
    const { T, d } = input;
    const task: LayerTask = {
      id: ++this.seq,
      l,
      h: input.hidden.slice(l * T * d, (l + 1) * T * d) as Float32Array,
      gram: input.gram?.slice(l * d * d, (l + 1) * d * d) as Float32Array | undefined,
      gramRows: input.gramRows?.slice(l * T * T, (l + 1) * T * T) as Float32Array | undefined,
      attnToBos: input.attnToBos,
      L: input.L,
      T,
      d,
      H: input.H,
      options: input.options,
      forward,
    };
    return new Promise((resolve, reject) => {
      this.pending.set(task.id, { resolve, reject });
      this.peakInFlight = Math.max(this.peakInFlight, this.pending.size);
      this.workerTasks++;
      worker.ref();
      const transfer = [task.h, task.gram, task.gramRows].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : []));
      worker.postMessage(task, transfer);
    });
  }

  /** The pool's workers, started on first use (one per core, at most 4). */
  private startWorkers(script: WorkerScript): Worker[] {
    while (this.workers.length < this.size) {
      const w = new Worker(script.code, { eval: script.eval });
      w.on('message', (r: Reply) => this.settle(r));
      w.on('error', (e) => this.failAll(e));
      w.unref();
      this.workers.push(w);
    }
    return this.workers;
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) for (const w of this.workers) w.unref(); // Idle workers never keep the process alive.
    if (r.ok) p.resolve(r.outcome);
    else p.reject(new Error(`metrics worker failed: ${r.message}`));
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    void this.dispose();
  }
}

/**
 * A deterministic layer shaped like a real one, so the warm-up leaves the code V8 optimised for
 * real inputs (a path first taken on real data would deoptimise it again): a BOS row ~1000 x the
 * others (scalars above 100 and near 1000 x the median: every branch of the massive-activation
 * summary), and the float32 Gram of the side the engine's graph supplies (X^T X [d, d] when T > d,
 * X X^T [T, T] otherwise). h [2, T, d], attention [1, 1, T].
 */
function warmInput(T: number, d: number): RunMetricsInput {
  const hidden = warmStates(2, T, d); // [2, T, d]
  const cols = T > d;
  const { G: layerGram, m } = smallGram(prepareRows(hidden.subarray(T * d), T, d, DEFAULT_ENTROPY).X, T, d); // layer 1's: [m, m]
  const G = new Float32Array(2 * m * m); // [2, m, m]: layer 1 (the one warmed) at offset m * m
  G.set(layerGram, m * m);
  return {
    hidden,
    attnToBos: new Float32Array(T).fill(0.5), // [1, 1, T]
    lastLogits: new Float32Array(1),
    L: 1,
    T,
    d,
    H: 1,
    ...(cols ? { gram: G } : { gramRows: G }),
    tokenText: () => '',
    options: WARM_OPTIONS,
  };
}

/** The metric options of the synthetic warm-up layers (the defaults an analysis runs with). */
export const WARM_OPTIONS: RunMetricsInput['options'] = { tau: 0.3, includeFirstQuery: false, entropy: DEFAULT_ENTROPY, massiveTopK: 5, lastTopK: 1, boundRank: 'full' };

/**
 * Hidden states [layers, T, d] shaped like real ones for the warm-ups (here and analysis.ts
 * `warmForwardMetrics`): each layer's BOS row ~1000x the others, so every branch of the metrics runs.
 */
export function warmStates(layers: number, T: number, d: number): Float32Array {
  return Float32Array.from({ length: layers * T * d }, (_, i) => Math.sin(i * 0.7 + (i % 13)) * (i % (T * d) < d ? 1000 : 1)); // [layers, T, d]
}
