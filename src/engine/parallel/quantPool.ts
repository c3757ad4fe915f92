/**
 * The cold load's second thread (quantWorker.ts). Block quantisation of one weight on two cores (a cold
 * int8/int4 load converts every linear weight): the calling thread quantises the first half of the rows while
 * the worker quantises the second half into buffers shared with it, then copied into the weight's own; rows are
 * independent, so the bytes are exactly quantizeBlockwise's. The call stays synchronous (the graph serializer asks
 * for a tensor's bytes and writes them): the caller waits on a SharedArrayBuffer, as templateSandbox.ts does. A
 * worker that fails or is missing costs nothing but the time: the weight is then quantised here.
 * Between those jobs the worker hashes the weight files for the cache entry (sha256OnWorker), which the engine
 * thread did in its own gaps before (~1.5 s of a 1.2B shape's cold load).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { allocQuantized, nbitsLayout, quantizeBlockwise, quantizedBytes, quantizeRows, type QuantBits, type Quantized } from '../graph/quant';
import { QUANT_PARALLEL_MIN_VALUES } from './limits';
import { eachRowChunk, emptyScratch, type RowScratch } from '../model/rowReader';
import type { StoredRows } from '../weights/types';
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

/** Files being hashed on the worker, by request id; each settles when the worker answers or exits. */
const hashing = new Map<number, { on: Worker; resolve: (sha: string) => void; reject: (e: Error) => void }>();
let nextHashId = 1;

/** Whether `w` still owes an answer to a hash request. */
const owesHash = (w: Worker | null): boolean => [...hashing.values()].some((h) => h.on === w);

/** Stops an idle worker unless it still owes a hash. */
function stopWhenIdle(): void {
  if (owesHash(worker)) armIdle();
  else stopQuantWorker();
}

function armIdle(): void {
  if (idle) clearTimeout(idle);
  idle = setTimeout(stopWhenIdle, IDLE_MS);
  idle.unref();
}

/** Settles the hash requests that `w` owes: answered, or rejected when it exited. */
function settleHashes(w: Worker, answer: { id: number; sha?: string; error?: string } | null): void {
  for (const [id, h] of hashing) {
    if (h.on !== w || (answer && answer.id !== id)) continue;
    hashing.delete(id);
    if (answer?.sha) h.resolve(answer.sha);
    else h.reject(new Error(answer?.error ?? 'the hashing thread stopped'));
  }
  if (!owesHash(w)) w.unref(); // nothing owed: it keeps no process alive
}

function getWorker(): Worker | null {
  armIdle();
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
  w.on('message', (m: { id: number; sha?: string; error?: string }) => settleHashes(w, m));
  w.on('exit', () => {
    if (worker === w) worker = null;
    settleHashes(w, null);
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
  scratch = emptyScratch();
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

/**
 * The hex sha256 of a file, read and hashed on the worker between its quantisation jobs (4 MiB at a time, so a job
 * posted meanwhile waits for one slice at most); null when there is no worker to be had. Rejects when the file
 * cannot be read there or the worker stops first: the caller then hashes on its own thread.
 */
export function sha256OnWorker(path: string): Promise<string> | null {
  const w = getWorker();
  if (!w) return null;
  const id = nextHashId++;
  const done = new Promise<string>((resolve, reject) => hashing.set(id, { on: w, resolve, reject }));
  w.ref(); // the answer is awaited: the process must not exit before it
  w.postMessage({ hash: path, id });
  return done;
}

/** What the worker quantises: rows posted in a shared buffer, or rows it reads from the weight's file itself. */
type WorkerRows = { rows: SharedArrayBuffer } | { file: StoredRows };

/**
 * Quantises rows [0, h) with `here` on this thread while the worker quantises rows [h, N) into the shared buffers, then
 * copies the worker's rows into `out`. Returns false, with `out` only partly written, when the worker failed or timed
 * out (it is then stopped: the caller quantises those rows itself). Whatever `here` throws is thrown once the worker is
 * done with the shared buffers.
 */
function splitRows(thread: Worker, out: Quantized, symmetric: boolean, h: number, sh: Shared, source: WorkerRows, here: () => void): boolean {
  const l = out.layout;
  const sizes = quantizedBytes(l, symmetric);
  if (!symmetric) new Uint8Array(sh.zeros, 0, sizes.zeros).fill(0); // zero points are OR-ed in
  const ctrl = new Int32Array(new SharedArrayBuffer(4));
  const job: QuantJob = { layout: l, symmetric, n0: h, n1: l.N, packed: sh.packed, scales: sh.scales, zeros: sh.zeros, ctrl: ctrl.buffer as SharedArrayBuffer, ...source };
  thread.postMessage(job);
  let failure: { error: unknown } | null = null;
  try {
    here();
  } catch (error) {
    failure = { error };
  }
  const deadline = Date.now() + workerTimeoutMs((l.N - h) * l.K);
  while (Atomics.load(ctrl, 0) === 0 && Date.now() < deadline) Atomics.wait(ctrl, 0, 0, deadline - Date.now());
  const done = Atomics.load(ctrl, 0) === 1;
  if (!done) stopQuantWorker(); // failed or stuck: it must not write into buffers the next weight uses
  if (failure) throw failure.error;
  if (!done) return false;
  // The worker's rows, from the shared buffers into this weight's own (the shared ones serve the next weight).
  const copy = (to: Uint8Array | Float32Array, from: SharedArrayBuffer, perRow: number, bytes: number): void => {
    const src = new Uint8Array(from, h * perRow, bytes - h * perRow);
    new Uint8Array(to.buffer, to.byteOffset + h * perRow, src.length).set(src);
  };
  copy(out.packed, sh.packed, l.kBlocks * l.blob, sizes.packed);
  copy(out.scales, sh.scales, l.kBlocks * 4, sizes.scales);
  if (out.zeros) copy(out.zeros, sh.zeros, l.zpRowBytes, sizes.zeros);
  workerSplits++;
  return true;
}

const splits = (cores: number, N: number, K: number): boolean => cores >= 2 && N >= 2 && N * K >= QUANT_PARALLEL_MIN_VALUES;

/** quantizeBlockwise's result, the rows split between this thread and a worker where that pays. */
export function quantizeOnCores(w: Float32Array, N: number, K: number, bits: QuantBits, symmetric: boolean, cores = availableParallelism()): Quantized {
  if (!splits(cores, N, K) || w.length !== N * K) return quantizeBlockwise(w, N, K, bits, symmetric);
  const thread = getWorker();
  if (!thread) return quantizeBlockwise(w, N, K, bits, symmetric);
  const l = nbitsLayout(N, K, bits);
  const out = allocQuantized(l, symmetric, (n) => new ArrayBuffer(n));
  const h = N >> 1; // rows [0, h) here, [h, N) on the worker
  const sh = sharedFor((N - h) * K * 4, quantizedBytes(l, symmetric));
  new Float32Array(sh.rows, 0, (N - h) * K).set(w.subarray(h * K)); // [N - h, K]: the worker's rows
  if (splitRows(thread, out, symmetric, h, sh, { rows: sh.rows }, () => quantizeRows(w.subarray(0, h * K), 0, h, out))) return out;
  return quantizeBlockwise(w, N, K, bits, symmetric);
}

/** This thread's row buffers for weights read from their files (dropped with the worker when idle). */
let scratch: RowScratch = emptyScratch();

/**
 * quantizeBlockwise's result for a float weight [N, K] read from its file: rows [0, N/2) read, widened and
 * quantised here a chunk at a time while the worker does the same with rows [N/2, N) (where that pays), so
 * neither thread holds the weight in float32. The bytes are quantizeBlockwise's of the weight's float32 values.
 */
export function quantizeStoredOnCores(src: StoredRows, N: number, K: number, bits: QuantBits, symmetric: boolean, cores = availableParallelism()): Quantized {
  const l = nbitsLayout(N, K, bits);
  const out = allocQuantized(l, symmetric, (n) => new ArrayBuffer(n));
  const rowsHere = (n0: number, n1: number): void => eachRowChunk(src, K, n0, n1, scratch, (rows, r0, r1) => quantizeRows(rows, r0, r1, out));
  const thread = splits(cores, N, K) ? getWorker() : null;
  const h = N >> 1;
  if (!thread) rowsHere(0, N);
  else if (!splitRows(thread, out, symmetric, h, sharedFor(0, quantizedBytes(l, symmetric)), { file: src }, () => rowsHere(0, h))) rowsHere(h, N); // the worker failed: its rows here
  return out;
}
