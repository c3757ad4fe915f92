/**
 * The memory plan: peak resident memory of loading a model and of one analysis, estimated from
 * the canonical shapes alone (no weight is read), so an oversize request is refused with one
 * clear line instead of thrashing or being killed. Pure: every number comes from the input.
 * Validated against measured peak RSS in docs/PERFORMANCE.md.
 */
import type { CanonicalConfig } from '../arch/types';
import { DEFAULT_QUANT_SCHEME, QUANT_BLOCK } from '../graph/quant';
import { LAYERS_IN_FLIGHT_PER_WORKER, MAX_METRICS_WORKERS, QUANT_PARALLEL_MIN_VALUES, ROW_CHUNK_VALUES } from '../parallel/limits';

const F32 = 4;

/**
 * Bytes per weight of a MatMulNBits matrix in the default scheme: the codes, one float32 scale per
 * block of QUANT_BLOCK, and a zero point (bits wide) per block where the scheme has them.
 */
export function nbitsBytesPerWeight(bits: 4 | 8): number {
  const zeroPoint = DEFAULT_QUANT_SCHEME.zeroPoints[bits] ? bits / 8 : 0;
  return bits / 8 + (F32 + zeroPoint) / QUANT_BLOCK;
}

/** Resident bytes per linear-layer weight in the session, scales and zero points included. */
export const BYTES_PER_WEIGHT: Readonly<Record<string, number>> = {
  fp32: 4,
  // onnxruntime's CPU kernels compute fp16 linears in float32 (Cast folded at session creation),
  // so in memory an fp16 weight costs what an fp32 one does; on disk it is 2 bytes.
  fp16: 4,
  int8: nbitsBytesPerWeight(8), // 1 byte + a float32 scale per block of 32 (symmetric: no zero points)
  int4: nbitsBytesPerWeight(4), // 0.5 byte + a float32 scale and a 4-bit zero point per block of 32
};

/** Bytes per linear-layer weight in the cached graph file. */
export const DISK_BYTES_PER_WEIGHT: Readonly<Record<string, number>> = { ...BYTES_PER_WEIGHT, fp16: 2 };

/** Node, onnxruntime, the tokenizer and the metrics workers, measured idle (~0.2 GB) plus headroom. */
export const RUNTIME_BASE_BYTES = 320 * 1024 ** 2;

export interface Workload {
  /** Tokens of the prompt (an upper bound before tokenizing). */
  tokens: number;
  /** Weight precision of the linears ('fp32' when absent): int8/int4 add MatMulNBits' quantised inputs. */
  precision?: string;
  probes: 'full' | 'bare';
  /** A second, ablated forward whose results are compared with the first. */
  ablation: boolean;
  /** Layers of the logit lens (0 = off). */
  lensLayers: number;
  /** The next-token loss over the prompt: a transient [T, V] logits tensor and its log-sum-exp (absent = off). */
  tokenLoss?: boolean;
  /**
   * maxTokens is 'auto': `tokens` is only an upper bound, and the load plan checks the largest
   * prompt that fits under it instead of refusing (the analysis is cut there).
   */
  autoTokens?: boolean;
}

export interface PlanInput {
  config: CanonicalConfig;
  /** 'fp32' | 'fp16' | 'int8' | 'int4' (BYTES_PER_WEIGHT's keys). */
  precision: string;
  workload: Workload;
  /** The graph is in the cache: no conversion on the way in. */
  cached: boolean;
  /** Resident bytes per linear weight when known from the file (GGUF blocks taken as stored); default: the precision's. */
  linearBytesPerWeight?: number;
  /** Whether the session prepacks its weights (default: `prepackWeights`). */
  prepack?: boolean;
  /**
   * A cold load reads every linear weight and the embedding a few rows at a time (`WeightRef.rows`: untransformed
   * float tensors, graph/linearSources.ts `readByRows`), so its conversion holds no whole float32 tensor.
   */
  streamed?: boolean;
}

export interface MemoryPlan {
  /** Peak of the load (weights resident + the conversion's working set on a cold load). */
  loadBytes: number;
  /** Weights resident once loaded. */
  weightsBytes: number;
  /** Extra bytes of one analysis on top of the loaded model. */
  runBytes: number;
  /** loadBytes + runBytes: the process's expected peak. */
  peakBytes: number;
  /** Bytes of the cached graph on disk. */
  diskBytes: number;
}


/** Parameter counts by kind: the linears take the precision, the rest stays float32. */
export function paramCounts(c: CanonicalConfig): { linear: number; embed: number; head: number; other: number } {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const ff = c.intermediateSize;
  // A mixture of experts holds every expert's gated MLP (they all run: blocks/moe.ts); its router stays float32.
  const experts = c.moe?.numExperts ?? 1;
  const perLayer = d * q + 2 * d * kv + q * d + experts * (c.gatedMlp ? 3 : 2) * d * ff;
  const embed = c.vocabSize * d + (c.position === 'learned' ? c.maxPositions * d : 0);
  // Norm weights and biases, and linear biases (an upper bound: counted even when absent). RoPE has no table:
  // its cos/sin are computed in the graph from the prompt's positions (a [T, rotaryDim] activation).
  const biases = q + 2 * kv + d + experts * ((c.gatedMlp ? 2 : 1) * ff + d);
  const moeExtra = c.moe ? c.moe.numExperts * (d + 1) + c.numHeads : 0; // router [E, d] + bias, sinks [H]
  return { linear: c.numLayers * perLayer, embed, head: c.vocabSize * d, other: c.numLayers * (4 * d + biases + moeExtra) + 2 * d };
}

/**
 * Bytes of the model's weights in one precision: resident in the session (BYTES_PER_WEIGHT,
 * `where` = 'memory') or in the cached graph file (DISK_BYTES_PER_WEIGHT, 'disk'). The one estimate of weight
 * bytes: the memory plan and `weights: 'auto'` (precision.ts) both use it. `linearBytesPerWeight` replaces the
 * precision's rate for the layers' linears when a GGUF file's blocks are taken as stored (linearSources.ts).
 * `prepack` (default: `prepackWeights`) is whether the session prepacks its weights: a prepacked tied head is a
 * second, float32 copy of the embedding table in memory; unprepacked, the head's MatMul reads the table in place.
 */
export function weightBytes(c: CanonicalConfig, precision: string, where: 'memory' | 'disk' = 'memory', linearBytesPerWeight?: number, prepack = prepackWeights(c, precision)): number {
  const bpw = linearBytesPerWeight ?? bytesPerWeight(precision, where === 'memory' ? BYTES_PER_WEIGHT : DISK_BYTES_PER_WEIGHT);
  const n = paramCounts(c);
  // An untied head in int4 mode is quantised to DEFAULT_QUANT_SCHEME.headBitsInInt4 bits (blocks/linear.ts).
  const untiedBpw = precision === 'int4' ? nbitsBytesPerWeight(DEFAULT_QUANT_SCHEME.headBitsInInt4) : bpw;
  const tiedCopy = where === 'memory' && prepack ? n.head * F32 : 0;
  const head = c.tieWordEmbeddings ? tiedCopy : n.head * untiedBpw;
  // Shape constants, masks and indicator columns of the graph: a few hundred bytes per block.
  const constants = 16 * 1024 + 4 * 1024 * c.numLayers;
  return n.linear * bpw + n.embed * F32 + head + n.other * F32 + constants;
}

/** int8 and int4: the linears are MatMulNBits blocks (quantised at conversion, prepacked by onnxruntime). */
export function quantisedWeights(precision: string): boolean {
  return precision === 'int8' || precision === 'int4';
}

/** float32 weights above which a load skips onnxruntime's prepacking (prepackWeights): 64 MiB. */
export const PREPACK_MAX_BYTES = 64 * 2 ** 20;

/**
 * Whether the forward session prepacks its weights (runtime/ort.ts SessionOptions.prepack). Quantised
 * linears always do (MatMulNBits takes its compute layout from it). float32 weights do up to
 * PREPACK_MAX_BYTES (their size prepacked, the tied head's copy included), so the small models (the demo
 * model, stories260k) keep it at no cost. Above, the load is what a user waits for: prepacking took 2-4 s per
 * GiB at every load (GPT-2 small's cached load 3.0-3.5 -> 0.7-1.0 s without it, and its first analysis of 61
 * or 241 tokens was faster too; the Llama-3.2-1B shape's 10-11 -> 0.8 s) and a second copy of the weights,
 * for later analyses of short prompts ~40 ms faster on GPT-2 small (61 tokens) and forwards no faster from
 * ~1k tokens: ~65 analyses per load to break even (docs/PERFORMANCE.md).
 */
export function prepackWeights(c: CanonicalConfig, precision: string): boolean {
  return quantisedWeights(precision) || weightBytes(c, 'fp32', 'memory', undefined, true) <= PREPACK_MAX_BYTES;
}

/**
 * Bytes of weights the forward reads in place from the memory-mapped graph file, every forward: the float32
 * initializers of an unprepacked session (fp32: all of them; fp16: all but the linears and an untied head,
 * which onnxruntime casts to float32 copies of its own at session creation). The kernel counts these pages as
 * reclaimable page cache (MemAvailable includes them, RssAnon does not), yet a run that pushed them out would
 * fault them back in on every forward, so the engine keeps them out of the memory it offers a run or another
 * load (api.ts). A prepacked session reads none in place (its kernels hold copies; the embedding's Gather
 * touches only the prompt's rows).
 */
export function mappedWeightBytes(c: CanonicalConfig, precision: string, prepack = prepackWeights(c, precision), linearBytesPerWeight?: number): number {
  if (prepack || (precision !== 'fp32' && precision !== 'fp16')) return 0;
  const file = weightBytes(c, precision, 'disk', linearBytesPerWeight, prepack);
  if (precision === 'fp32') return file;
  const n = paramCounts(c);
  return file - (n.linear + (c.tieWordEmbeddings ? 0 : n.head)) * bytesPerWeight('fp16', DISK_BYTES_PER_WEIGHT);
}

export function bytesPerWeight(precision: string, table: Readonly<Record<string, number>> = BYTES_PER_WEIGHT): number {
  const b = table[precision];
  if (b === undefined) throw new Error(`memory plan: unknown precision '${precision}' (known: ${Object.keys(table).join(', ')})`);
  return b;
}

/**
 * The V8 heaps of the main thread and the two metrics workers grow during an analysis (result
 * objects, the workers' WebAssembly memory): ~32 MiB measured on a 16-token run of the 1b shape.
 */
export const RUN_BASE_BYTES = 96 * 1024 ** 2;

/** Layers out with the metrics workers at once, each with a copy of its rows and Gram (parallel/metricsPool.ts). */
const LAYERS_IN_FLIGHT = MAX_METRICS_WORKERS * LAYERS_IN_FLIGHT_PER_WORKER;

/**
 * onnxruntime's arena in the forward session (`SessionOptions.arena`, runtime/ort.ts) serves every buffer of a
 * forward, its outputs included, from regions it reserves as it grows (each twice the last) and keeps for the
 * session's life; fragmentation makes it grow over the first runs. Measured with `bench/runMemory.ts` (repeated
 * analyses of one prompt), the runs' peaks less what lives outside the arena came to 0.9-1.1x the forward's live
 * bytes at its peak (`runBytes`) on the 1.2B shape and GPT-2 small, and on the 8B shape at 1024 tokens to 1.3x after
 * two runs, 1.4x after three and 1.5x after six (+3% a run by then): 2.5x leaves room for that creep.
 */
export const ARENA_GROWTH = 2.5;

/**
 * One block's activation buffers, bytes each: gate, up and their product [T, ff], six [T, d] (norms,
 * residual adds, the attention output and projection), q, k, v, the value heads' indicator columns,
 * the Attention kernel's probabilities [H, T, T], a mixture's routing [T, E] and sums [T, d], and with
 * int8/int4 weights MatMulNBits' int8-quantised input of each linear ([T, K] bytes plus a float32
 * scale and sum per block of QUANT_BLOCK).
 */
export function blockBuffers(c: CanonicalConfig, T: number, precision = 'fp32'): number[] {
  const { hiddenSize: d, headDim: hd, intermediateSize: ff } = c;
  const q = c.numHeads * hd;
  const moe = c.moe ? [T * c.moe.numExperts * F32, T * d * F32, T * d * F32] : [];
  const ffn = [T * ff * F32, T * ff * F32, T * ff * F32];
  const rows = Array.from({ length: 6 }, () => T * d * F32);
  const heads = [T * q * F32, T * c.numKvHeads * hd * F32, T * c.numKvHeads * hd * F32, 2 * T * hd * F32];
  const quantised = (K: number) => T * K * (1 + (2 * F32) / QUANT_BLOCK);
  const inputs = quantisedWeights(precision) ? [...[d, d, d, d, d].map(quantised), quantised(q), quantised(ff)] : [];
  return [...ffn, ...rows, ...heads, c.numHeads * T * T * F32, ...moe, ...inputs];
}

/** The largest T in [1, hi] with fits(T) (fits is monotone: true up to some T); 0 when even 1 does not fit. */
export function largestFitting(hi: number, fits: (tokens: number) => boolean): number {
  if (hi < 1 || !fits(1)) return 0;
  let lo = 1;
  let top = Math.floor(hi);
  while (lo < top) {
    const mid = Math.ceil((lo + top) / 2);
    if (fits(mid)) lo = mid;
    else top = mid - 1;
  }
  return lo;
}

/**
 * One analysis on top of the loaded model, as the process's peak over its size once loaded (docs/PERFORMANCE.md
 * "The run's memory with the arena"; pinned in memoryPlan.test.ts against the peaks `bench/runMemory.ts` measured
 * over repeated runs, where each run starts from what the earlier ones left held: a long-lived engine credits that
 * to the next run, `Engine.runAvailable`, so the term must cover the held memory and the run's growth together):
 * - in onnxruntime's arena (ARENA_GROWTH x) the forward's live bytes at its peak: every block's output kept for the
 *   stacked hidden-state probe and that stack ([L+1, T, d] each), one block's working set (`blockBuffers`: MLP
 *   activations, q/k/v, the Attention kernel's probabilities [H, T, T] and two [T, T] masks), the token loss's
 *   [T, V] logits (its log-sum-exp adds [T, 1]: measured +0.94 [T, V] in all at T = 1024 on the 1.2B shape), the
 *   logit lens's [T, V] logits and log-softmax;
 * - outside it: the probes' JS copy and the copy the Gram session reads ([L+1, T, d] each), the layers in flight
 *   with the metrics workers, the Gram side the entropy reads (X X^T [T, T] up to T = d, X^T X [d, d] beyond) as
 *   the Gram session returns it (no arena there) and its JS copy, the eigen workspaces of the workers (float64,
 *   with the WebAssembly kernel's copy; up to four workers, one per core), the attention to BOS, an ablation's
 *   second set of probes, and the V8 heaps.
 * Every term grows with T, so `maxTokens: 'auto'` can bisect on it.
 */
export function runBytes(c: CanonicalConfig, w: Workload): number {
  const T = Math.max(1, w.tokens);
  const d = c.hiddenSize;
  const L = c.numLayers;
  const layerRows = T * d * F32;
  const hidden = (L + 1) * layerRows;
  const masks = 2 * T * T * F32;
  if (w.probes === 'bare') return blockBuffers(c, T).reduce((sum, b) => sum + b, 0) + masks + layerRows;
  const block = blockBuffers(c, T, w.precision).reduce((sum, b) => sum + b, 0) + masks;
  const lens = w.lensLayers > 0 ? 2 * T * c.vocabSize * F32 : 0;
  const loss = w.tokenLoss ? T * c.vocabSize * F32 : 0;
  const forward = 2 * hidden + block + lens + loss;
  const m = Math.min(T, d);
  const layerGram = T > 1 ? m * m * F32 : 0;
  const gram = 2 * (L + 1) * layerGram + LAYERS_IN_FLIGHT * layerGram;
  // Per metrics worker (as many as the pool may start): the float64 Gram copy, the border form and its packed
  // triangle, and the WebAssembly kernel's copy of that triangle (its memory keeps the largest size it has seen).
  const eigen = MAX_METRICS_WORKERS * 3.5 * m * m * 8;
  const bos = L * c.numHeads * T * F32;
  const ablation = w.ablation ? hidden + bos : 0;
  return RUN_BASE_BYTES + ARENA_GROWTH * forward + 2 * hidden + LAYERS_IN_FLIGHT * layerRows + gram + eigen + 2 * bos + ablation;
}

/**
 * The conversion's working set on a cold load: two tensors in flight (the one being written and the
 * next one being converted), each its source bytes (2 for BF16/F16; an F32 source is used in place,
 * 4) plus float32, sized by the largest tensor (the embedding), plus one transposed linear (GPT-2's
 * Conv1D layout). Measured on the 1b shape: 1.8 GiB while converting, 3.1 GiB planned. int8/int4: the
 * buffers shared with the quantising worker (parallel/quantPool.ts), kept for the largest linear where it has
 * a worker: half its rows in float32 and its codes, scales and zero points at 8 bits (~1.16 bytes a weight at most).
 * Weights read by rows (`streamed`) need far less (streamedConversionBytes); the smaller of the two is planned.
 */
function conversionBytes(c: CanonicalConfig, precision: string, streamed: boolean): number {
  const largest = c.vocabSize * c.hiddenSize;
  const linear = c.hiddenSize * Math.max(c.intermediateSize, 3 * c.hiddenSize);
  const byRows = streamed ? streamedConversionBytes(c, precision, largest, linear) : Infinity;
  // gpt-oss: the two fused expert tensors of a layer (gate_up and down, all experts) are held while its
  // experts are sliced out, float32 for bf16 checkpoints (arch/gpt_oss.ts); MXFP4 holds 1/8 of that.
  const experts = c.moe ? c.moe.numExperts * 3 * c.hiddenSize * c.intermediateSize * F32 : 0;
  const quantWorker = quantisedWeights(precision) && linear >= QUANT_PARALLEL_MIN_VALUES ? linear * (F32 / 2 + 1.16) : 0;
  return Math.min(byRows, 2 * largest * (2 + F32) + linear * F32 + experts + quantWorker);
}

/**
 * The conversion's working set when every weight is read by rows: the serializer's two piece buffers (float32, the
 * stored 16 bits and the float16 narrowing of a chunk each) and, for int8/int4, each thread's chunk buffers and
 * three quantised copies of the largest quantised linear (its codes, the worker's shared buffers, the one before it
 * still being written) at ~1.16 bytes a weight (8 bits). Measured on the 1.2B shape: cold peaks 4.21 GB in int4
 * (cached 4.13) and 4.99 GB in fp32, i.e. the resident weights dominate.
 */
function streamedConversionBytes(c: CanonicalConfig, precision: string, largest: number, linear: number): number {
  const pieces = 2 * Math.min(ROW_CHUNK_VALUES, largest) * (F32 + 2 + 2);
  if (!quantisedWeights(precision)) return pieces;
  const quantisedLargest = c.tieWordEmbeddings ? linear : Math.max(linear, largest);
  return pieces + 2 * Math.min(ROW_CHUNK_VALUES, linear) * (F32 + 2) + 3 * quantisedLargest * 1.16;
}

/** The tokenizer's vocabulary and merges in the JS heap: ~1 KiB per token (measured on a 128k vocabulary). */
const TOKENIZER_BYTES_PER_TOKEN = 1024;
/**
 * Allocator overhead and the load's transients (a tensor read beside its packed copy) on top of the
 * resident weights: measured load peaks were 2-9% above the plain sum (1b int4/int8, 8B int4).
 */
const WEIGHTS_MARGIN = 1.06;

/**
 * Bytes per weight of MatMulNBits' prepacked copy on the CPU: the codes, a float32 scale and a float32
 * block sum per block of QUANT_BLOCK (the layout of its int8-compute path).
 */
export function packedBytesPerWeight(bits: 4 | 8): number {
  return bits / 8 + (2 * F32) / QUANT_BLOCK;
}

/**
 * `MatMulNBits` prepacks its weights into buffers of its own when the session is created and releases
 * the initializers it packed, so a quantised linear is resident at its packed size, a little above its
 * stored one (scales and zero points become scales and block sums): this is that difference.
 * Measured (`/proc/self/smaps` after a cached load, docs/PERFORMANCE.md "The run's memory, measured"):
 * anonymous memory of ~0.72 bytes a weight in int4 (the 1b and 8B shapes) and ~1.3 in int8 (1b), with
 * the cache file's pages of the packed tensors no longer resident.
 */
export function prepackBytes(c: CanonicalConfig, precision: string, linearBytesPerWeight?: number): number {
  if (precision !== 'int8' && precision !== 'int4') return 0;
  const stored = linearBytesPerWeight ?? bytesPerWeight(precision);
  return paramCounts(c).linear * Math.max(0, packedBytesPerWeight(precision === 'int8' ? 8 : 4) - stored);
}

/**
 * The next-token loss reads the LM head in a node of its own (inside its `If` branch, graph/intervene.ts), and
 * onnxruntime prepacks a head weight once per node that reads it: one more copy of the head, float32 when tied or
 * in fp32/fp16, else the quantised head's bytes. Measured on the 1b shape in int4 (tied, 128256 x 2048): the cached
 * 16-token peak rose from 3.19 to 3.92 GiB when the loss branch came in, above the plan until this term was added.
 * An unprepacked session makes no copy (its MatMul reads the head in place).
 */
export function lossHeadBytes(c: CanonicalConfig, precision: string, prepack = prepackWeights(c, precision)): number {
  if (!prepack) return 0;
  const n = paramCounts(c);
  if (c.tieWordEmbeddings || precision === 'fp32' || precision === 'fp16') return n.head * F32;
  return n.head * (precision === 'int4' ? nbitsBytesPerWeight(DEFAULT_QUANT_SCHEME.headBitsInInt4) : bytesPerWeight(precision));
}

export function planMemory(p: PlanInput): MemoryPlan {
  const linear = p.linearBytesPerWeight;
  const prepack = p.prepack ?? prepackWeights(p.config, p.precision);
  const weightsBytes = weightBytes(p.config, p.precision, 'memory', linear, prepack);
  const prepacked = (prepackBytes(p.config, p.precision, linear) + lossHeadBytes(p.config, p.precision, prepack)) * WEIGHTS_MARGIN;
  const base = RUNTIME_BASE_BYTES + p.config.vocabSize * TOKENIZER_BYTES_PER_TOKEN + prepacked;
  const loadBytes = base + Math.max(weightsBytes * WEIGHTS_MARGIN, p.cached ? 0 : conversionBytes(p.config, p.precision, p.streamed ?? false));
  const run = runBytes(p.config, { precision: p.precision, ...p.workload });
  const diskBytes = weightBytes(p.config, p.precision, 'disk', linear);
  return { loadBytes, weightsBytes, runBytes: run, peakBytes: loadBytes + run, diskBytes };
}

/** Precisions from the most to the least exact, as `auto` tries them (fp16 saves no memory on CPU). */
export const AUTO_ORDER: readonly string[] = ['fp32', 'int8', 'int4'];

/** The most exact precision whose plan fits in `availableBytes` (the least exact when none does). */
export function autoPrecision(config: CanonicalConfig, workload: Workload, availableBytes: number, cached = false): string {
  const fits = AUTO_ORDER.find((precision) => planMemory({ config, precision, workload, cached }).peakBytes <= availableBytes);
  return fits ?? (AUTO_ORDER[AUTO_ORDER.length - 1] as string);
}
