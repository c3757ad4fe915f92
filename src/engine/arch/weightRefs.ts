/**
 * Builders of lazily-loaded canonical weights over a WeightStore. Each ref checks the stored shape
 * when it is made (so a mismatch fails at load time, naming the tensor) and transforms the data
 * only when `load()` is called. Keys: the HF tensor name for an untouched tensor, `name#T` for a
 * transpose, `name#<part>` for a slice of a fused tensor — unique per canonical tensor.
 */
import { basename } from 'node:path';
import { SinkLensError } from '../../shared/errors';
import type { LinearWeights, NBitsBlocks, NormWeights, WeightRef, WeightStore } from '../weights/types';

function fileList(store: WeightStore): string {
  return store.files().map((f) => basename(f.path)).join(', ');
}

export function missing(store: WeightStore, name: string, why = ''): SinkLensError {
  return new SinkLensError(
    'missingWeights',
    `The model's weights have no tensor "${name}"${why ? ` (${why})` : ''}.`,
    `Looked in ${fileList(store)} in ${store.dir}. The checkpoint may be incomplete, or not the architecture its config.json says.`,
  );
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Checks that `name` exists with shape `dims` (the stored layout). */
export function expectStored(store: WeightStore, name: string, dims: readonly number[]): void {
  if (!store.has(name)) throw missing(store, name);
  const t = store.info(name);
  if (!sameDims(t.shape, dims)) {
    throw new SinkLensError(
      'corruptWeights',
      `Tensor "${name}" in ${basename(t.file)} has shape [${t.shape.join(', ')}] but the config implies [${dims.join(', ')}].`,
      'config.json and the weights disagree: check that both come from the same model.',
    );
  }
}

/** A tensor used as stored. */
export function direct(store: WeightStore, name: string, dims: readonly number[]): WeightRef {
  expectStored(store, name, dims);
  const stored = store.stored?.(name);
  const rows = stored ? undefined : store.rowsOf?.(name);
  return { key: name, dims, load: () => store.read(name), ...(stored ? { stored } : {}), ...(rows ? { rows } : {}) };
}

/** Tile edge of transpose2d: a 16 x 16 float tile reads and writes 16 cache lines each. */
const TILE = 16;

/**
 * Transposes a stored [rows, cols] matrix to [cols, rows], tile by tile: the row-by-row loop wrote every
 * element to a different cache line (a stride of `rows` floats) and took 1.5-2x as long on GPT-2 small's
 * Conv1D weights (600-850 ms against 300-550 for all 48 of them, alternating runs; 8- and 16-wide tiles
 * were equal, 32 and 64 slower).
 */
export function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols); // [cols, rows]
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(r0 + TILE, rows);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(c0 + TILE, cols);
      for (let r = r0; r < r1; r++) {
        const base = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[base + c] as number;
      }
    }
  }
  return out;
}

/** A stored [in, out] (Conv1D) matrix, exposed as torch Linear [out, in]. */
export function transposed(store: WeightStore, name: string, storedDims: readonly [number, number]): WeightRef {
  expectStored(store, name, storedDims);
  const [rows, cols] = storedDims;
  return { key: `${name}#T`, dims: [cols, rows], load: () => transpose2d(store.read(name), rows, cols) };
}

/**
 * A ref whose data is `pick` applied to a stored tensor (a slice of a fused tensor). `part` makes
 * the key unique; `dims` are the canonical dims of the result.
 */
export function derived(
  store: WeightStore,
  name: string,
  storedDims: readonly number[],
  part: string,
  dims: readonly number[],
  pick: (src: Float32Array) => Float32Array,
): WeightRef {
  expectStored(store, name, storedDims);
  return { key: `${name}#${part}`, dims, load: () => pick(store.read(name)) };
}

export function linear(store: WeightStore, prefix: string, outDim: number, inDim: number, bias: boolean): LinearWeights {
  return {
    weight: direct(store, `${prefix}.weight`, [outDim, inDim]),
    bias: bias ? direct(store, `${prefix}.bias`, [outDim]) : null,
  };
}

export function rmsNorm(store: WeightStore, prefix: string, n: number): NormWeights {
  return { weight: direct(store, `${prefix}.weight`, [n]), bias: null };
}

export function layerNorm(store: WeightStore, prefix: string, n: number): NormWeights {
  return { weight: direct(store, `${prefix}.weight`, [n]), bias: direct(store, `${prefix}.bias`, [n]) };
}

/**
 * Rows [start, start + n) of a stored [rows, cols] tensor (or [rows] when cols is 1 and the tensor is
 * 1-d): one part of a fused projection stored as consecutive row blocks (Phi-3 qkv_proj, gate_up_proj).
 */
export function rowBlock(store: WeightStore, name: string, storedDims: readonly number[], part: string, start: number, n: number): WeightRef {
  const cols = storedDims.length > 1 ? (storedDims[1] as number) : 1;
  const dims = storedDims.length > 1 ? [n, cols] : [n];
  const ref = derived(store, name, storedDims, part, dims, (src) => src.slice(start * cols, (start + n) * cols));
  // A block-quantised fused matrix (a GGUF phi3 attn_qkv / ffn_up) keeps its stored form: blocks run along a row.
  const stored = storedDims.length === 2 ? store.stored?.(name) : undefined;
  if (!stored) return ref;
  const rows = storedDims[0] as number;
  return { ...ref, stored: { ...stored, read: () => sliceNBitsRows(stored.read(), rows, start, n) } };
}

/** Rows [start, start + n) of an [N, K] matrix's MatMulNBits blocks (every array is N equal row chunks). */
export function sliceNBitsRows(b: NBitsBlocks, N: number, start: number, n: number): NBitsBlocks {
  const rows = <T extends Uint8Array | Float32Array>(x: T): T => {
    const per = x.length / N;
    return x.slice(start * per, (start + n) * per) as T;
  };
  return { packed: rows(b.packed), scales: rows(b.scales), zeros: b.zeros && rows(b.zeros), offsets: b.offsets && rows(b.offsets) };
}

/** A norm without parameters (OLMo's LayerNorm): weight 1, no bias, one shared constant per size. */
export function unitNorm(n: number): NormWeights {
  return { weight: { key: `#ones[${n}]`, dims: [n], load: () => new Float32Array(n).fill(1) }, bias: null };
}
