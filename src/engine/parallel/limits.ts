/**
 * The metrics pool's limits, in a module of their own so the memory plan (plan/memory.ts, pure) can
 * count what the pool holds without importing worker threads.
 */

/** Worker threads of the metrics pool: one per core, at most this many. */
export const MAX_METRICS_WORKERS = 4;

/** Layers sent to a worker before its first is back: the next is already there when one ends. */
export const LAYERS_IN_FLIGHT_PER_WORKER = 2;

/** Linear weights with at least this many values (~12 ms of quantisation) are quantised on two threads on a cold int8/int4 load (quantPool.ts). */
export const QUANT_PARALLEL_MIN_VALUES = 1 << 20;
