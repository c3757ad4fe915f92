/**
 * Worker-thread entry (dist/metricsWorker.js): computes one layer's metrics. The per-layer work
 * (two symmetric eigendecompositions of up to d x d, massive activations, bounds) dominates an
 * analysis of a long prompt and is independent across layers, so the engine spreads it over cores.
 */
import { parentPort } from 'node:worker_threads';
import { layerMetrics } from '../metrics';
import type { LayerTask } from './metricsPool';

parentPort?.on('message', (task: LayerTask) => {
  try {
    const outcome = layerMetrics(task.h, task.gram, task.l, task, task.gramRows, task.forward);
    parentPort?.postMessage({ id: task.id, ok: true, outcome });
  } catch (e) {
    parentPort?.postMessage({ id: task.id, ok: false, message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
