/**
 * Worker thread that block-quantises a share of one weight's rows for quantPool.ts (a cold int8/int4
 * load). Protocol: the caller posts a QuantJob and blocks on ctrl[0]; the rows are written straight into
 * the shared output buffers, then ctrl[0] becomes 1 (done) or 2 (failed: the caller quantises the weight itself).
 */
import { parentPort } from 'node:worker_threads';
import { quantizedBytes, quantizeRows, type NBitsLayout } from '../graph/quant';

export interface QuantJob {
  layout: NBitsLayout;
  symmetric: boolean;
  /** Rows n0..n1 of W [N, K], float32, from the buffer's start (the buffer may be longer). */
  rows: SharedArrayBuffer;
  n0: number;
  n1: number;
  /** The outputs of the whole weight, rows n0..n1 written (the buffers may be longer; zero points zero-filled). */
  packed: SharedArrayBuffer;
  scales: SharedArrayBuffer;
  zeros: SharedArrayBuffer;
  /** Int32 [1]: 0 while working, 1 done, 2 failed. */
  ctrl: SharedArrayBuffer;
}

function run(job: QuantJob): void {
  const ctrl = new Int32Array(job.ctrl);
  let state = 1;
  try {
    const l = job.layout;
    const sizes = quantizedBytes(l, job.symmetric);
    const out = {
      layout: l,
      packed: new Uint8Array(job.packed, 0, sizes.packed),
      scales: new Float32Array(job.scales, 0, sizes.scales / 4),
      zeros: job.symmetric ? null : new Uint8Array(job.zeros, 0, sizes.zeros),
    };
    quantizeRows(new Float32Array(job.rows, 0, (job.n1 - job.n0) * l.K), job.n0, job.n1, out);
  } catch {
    state = 2;
  }
  Atomics.store(ctrl, 0, state);
  Atomics.notify(ctrl, 0);
}

parentPort?.on('message', (job: QuantJob) => run(job));
