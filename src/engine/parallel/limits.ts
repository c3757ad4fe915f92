/**
 * The metrics pool's and the conversion's limits, in a module of their own so the memory plan (plan/memory.ts,
 * pure) can count what they hold without importing worker threads or files.
 */

/** Worker threads of the metrics pool: one per core, at most this many. */
export const MAX_METRICS_WORKERS = 4;

/** Layers sent to a worker before its first is back: the next is already there when one ends. */
export const LAYERS_IN_FLIGHT_PER_WORKER = 2;

/** Linear weights with at least this many values (~12 ms of quantisation) are quantised on two threads on a cold int8/int4 load (quantPool.ts). */
export const QUANT_PARALLEL_MIN_VALUES = 1 << 20;

/** Values per chunk of a weight read by rows (model/rowReader.ts): 16 MiB of float32 and 8 MiB of 16-bit values per buffer. */
export const ROW_CHUNK_VALUES = 1 << 22;
