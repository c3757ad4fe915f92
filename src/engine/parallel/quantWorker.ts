/**
 * Worker thread that block-quantises a share of one weight's rows for quantPool.ts (a cold int8/int4
 * load). Protocol: the caller posts a QuantJob and blocks on ctrl[0]; the rows are written straight into
 * the shared output buffers, then ctrl[0] becomes 1 (done) or 2 (failed: the caller quantises those rows itself).
 * The rows come in a shared buffer, or the worker reads them from the weight's file a chunk at a time.
 * A HashJob asks for a file's sha256, answered as a message; it is hashed a slice per event-loop turn, so
 * quantisation jobs posted meanwhile run between slices.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { quantizedBytes, quantizeRows, type NBitsLayout, type Quantized } from '../graph/quant';
import { eachRowChunk, emptyScratch } from '../model/rowReader';
import type { StoredRows } from '../weights/types';

export type QuantJob = {
  layout: NBitsLayout;
  symmetric: boolean;
  n0: number;
  n1: number;
  /** The outputs of the whole weight, rows n0..n1 written (the buffers may be longer; zero points zero-filled). */
  packed: SharedArrayBuffer;
  scales: SharedArrayBuffer;
  zeros: SharedArrayBuffer;
  /** Int32 [1]: 0 while working, 1 done, 2 failed. */
  ctrl: SharedArrayBuffer;
} & (
  | {
      /** Rows n0..n1 of W [N, K], float32, from the buffer's start (the buffer may be longer). */
      rows: SharedArrayBuffer;
    }
  | {
      /** W [N, K] in its file: rows n0..n1 are read from there. */
      file: StoredRows;
    }
);

/** This thread's row buffers for `file` jobs, kept from weight to weight. */
const scratch = emptyScratch();

function run(job: QuantJob): void {
  const ctrl = new Int32Array(job.ctrl);
  let state = 1;
  try {
    const l = job.layout;
    const sizes = quantizedBytes(l, job.symmetric);
    const out: Quantized = {
      layout: l,
      packed: new Uint8Array(job.packed, 0, sizes.packed),
      scales: new Float32Array(job.scales, 0, sizes.scales / 4),
      zeros: job.symmetric ? null : new Uint8Array(job.zeros, 0, sizes.zeros),
    };
    if ('file' in job) eachRowChunk(job.file, l.K, job.n0, job.n1, scratch, (rows, r0, r1) => quantizeRows(rows, r0, r1, out));
    else quantizeRows(new Float32Array(job.rows, 0, (job.n1 - job.n0) * l.K), job.n0, job.n1, out);
  } catch {
    state = 2;
  }
  Atomics.store(ctrl, 0, state);
  Atomics.notify(ctrl, 0);
}

export interface HashJob {
  hash: string;
  id: number;
}

/** Bytes hashed per event-loop turn (~2-3 ms). */
const HASH_SLICE = 4 << 20;

function hashFile({ hash: path, id }: HashJob): void {
  const reply = (m: { sha: string } | { error: string }): void => parentPort?.postMessage({ id, ...m });
  let fd = -1;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    reply({ error: String(e) });
    return;
  }
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(HASH_SLICE);
  let at = 0;
  const slice = (): void => {
    try {
      const n = readSync(fd, buf, 0, HASH_SLICE, at);
      if (n > 0) {
        h.update(buf.subarray(0, n));
        at += n;
        setImmediate(slice);
        return;
      }
      closeSync(fd);
      reply({ sha: h.digest('hex') });
    } catch (e) {
      closeSync(fd);
      reply({ error: String(e) });
    }
  };
  slice();
}

parentPort?.on('message', (job: QuantJob | HashJob) => ('hash' in job ? hashFile(job) : run(job)));
