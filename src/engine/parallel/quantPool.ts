/**
 * Block quantisation of one weight on two cores (a cold int8/int4 load converts every linear weight).
 * The calling thread quantises the first half of the rows while a worker thread (quantWorker.ts)
 * quantises the second half into buffers shared with it, then copied into the weight's own; rows are
 * independent, so the bytes are exactly quantizeBlockwise's. The call stays synchronous (the graph serializer asks for a tensor's
 * bytes and writes them): the caller waits on a SharedArrayBuffer, as templateSandbox.ts does. A worker
 * that fails or is missing costs nothing but the time: the weight is then quantised here.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { allocQuantized, nbitsLayout, quantizeBlockwise, quantizedBytes, quantizeRows, type QuantBits, type Quantized } from '../graph/quant';
import { QUANT_PARALLEL_MIN_VALUES } from './limits';
import type { QuantJob } from './quantWorker';
import { workerScript } from './workerScript';

/**
 * How long the caller waits for the worker's rows before quantising the weight itself: 30 s plus 1 µs a value
 * (the worker does 50-90 million a second here), for a worker that died mid-weight (the engine thread, blocked
 * in the wait, cannot see its exit event).
 */
const workerTimeoutMs = (values: number): number => 30_000 + values / 1000;
/** An idle worker is stopped after this long (a load quantises its weights back to back). */
const IDLE_MS = 5_000;

let worker: Worker | null = null;
let idle: NodeJS.Timeout | null = null;
/** Weights split with the worker so far (tests). */
export let workerSplits = 0;

function getWorker(): Worker | null {
  if (idle) clearTimeout(idle);
  idle = setTimeout(stopQuantWorker, IDLE_MS);
  idle.unref();
  if (worker) return worker;
  const src = workerScript(__dirname, 'quantWorker');
  if (!src) return null;
  let w: Worker;
  try {
    w = new Worker(src.code, { eval: src.eval });
  } catch {
    return null; // No thread to be had (resource limits): the weight is quantised on the calling thread.
  }
  w.unref(); // An idle worker never keeps the process alive.
  w.on('error', () => {}); // Noticed by the caller: it does the rows itself.
  w.on('exit', () => {
    if (worker === w) worker = null;
  });
  worker = w;
  return w;
}

/** Stops the worker; the next split starts a fresh one. */
export function stopQuantWorker(): void {
  if (idle) clearTimeout(idle);
  idle = null;
  const w = worker;
  worker = null;
  shared = null;
  void w?.terminate();
}

/**
 * The buffers shared with the worker, kept from one weight to the next and grown to the largest: SharedArrayBuffers
 * posted to a worker live until its isolate collects its copies of them, and a worker that allocates nothing
 * rarely does, so fresh buffers per weight held ~1.4 GB more at the end of the 1.2B shape's cold int4 load.
 */
interface Shared {
  rows: SharedArrayBuffer;
  packed: SharedArrayBuffer;
  scales: SharedArrayBuffer;
  zeros: SharedArrayBuffer;
}
let shared: Shared | null = null;

function sharedFor(rowBytes: number, sizes: { packed: number; scales: number; zeros: number }): Shared {
  const need = { rows: rowBytes, packed: sizes.packed, scales: sizes.scales, zeros: Math.max(1, sizes.zeros) };
  const fits = (s: Shared): boolean => (Object.keys(need) as (keyof Shared)[]).every((k) => s[k].byteLength >= need[k]);
  if (!shared || !fits(shared)) {
    const old = shared;
    const size = (k: keyof Shared): number => Math.max(need[k], old?.[k].byteLength ?? 0);
    shared = { rows: new SharedArrayBuffer(size('rows')), packed: new SharedArrayBuffer(size('packed')), scales: new SharedArrayBuffer(size('scales')), zeros: new SharedArrayBuffer(size('zeros')) };
  }
  return shared;
}

/** quantizeBlockwise's result, the rows split between this thread and a worker where that pays. */
export function quantizeOnCores(w: Float32Array, N: number, K: number, bits: QuantBits, symmetric: boolean, cores = availableParallelism()): Quantized {
  if (cores < 2 || N < 2 || N * K < QUANT_PARALLEL_MIN_VALUES || w.length !== N * K) return quantizeBlockwise(w, N, K, bits, symmetric);
  const thread = getWorker();
  if (!thread) return quantizeBlockwise(w, N, K, bits, symmetric);
  const l = nbitsLayout(N, K, bits);
  const sizes = quantizedBytes(l, symmetric);
  const out = allocQuantized(l, symmetric, (n) => new ArrayBuffer(n));
  const h = N >> 1; // rows [0, h) here, [h, N) on the worker
  const sh = sharedFor((N - h) * K * 4, sizes);
  new Float32Array(sh.rows, 0, (N - h) * K).set(w.subarray(h * K)); // [N - h, K]: the worker's rows
  if (!symmetric) new Uint8Array(sh.zeros, 0, sizes.zeros).fill(0); // zero points are OR-ed in
  const ctrl = new Int32Array(new SharedArrayBuffer(4));
  const job: QuantJob = { layout: l, symmetric, n0: h, n1: N, ...sh, ctrl: ctrl.buffer as SharedArrayBuffer };
  thread.postMessage(job);
  quantizeRows(w.subarray(0, h * K), 0, h, out);
  const deadline = Date.now() + workerTimeoutMs((N - h) * K);
  while (Atomics.load(ctrl, 0) === 0 && Date.now() < deadline) Atomics.wait(ctrl, 0, 0, deadline - Date.now());
  if (Atomics.load(ctrl, 0) !== 1) {
    // The worker failed or is stuck: stop it and quantise the weight here, into buffers it cannot still be writing.
    stopQuantWorker();
    return quantizeBlockwise(w, N, K, bits, symmetric);
  }
  // The worker's rows, from the shared buffers into this weight's own (the shared ones serve the next weight).
  const copy = (to: Uint8Array | Float32Array, from: SharedArrayBuffer, perRow: number, bytes: number): void => {
    const src = new Uint8Array(from, h * perRow, bytes - h * perRow);
    new Uint8Array(to.buffer, to.byteOffset + h * perRow, src.length).set(src);
  };
  copy(out.packed, sh.packed, l.kBlocks * l.blob, sizes.packed);
  copy(out.scales, sh.scales, l.kBlocks * 4, sizes.scales);
  if (out.zeros) copy(out.zeros, sh.zeros, l.zpRowBytes, sizes.zeros);
  workerSplits++;
  return out;
}
