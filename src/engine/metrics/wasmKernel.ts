/**
 * The Householder reduction's WebAssembly kernel (wasm/tridiagonalize.c: the same algorithm as the
 * JavaScript sweep in eigen.ts, its inner loop in f64x2 SIMD; about 2x faster on 256-2048 wide
 * matrices). Two builds of it: with relaxed-SIMD multiply-adds (fused where the CPU has them, ~20%
 * faster; Node >= 22, VS Code's Electron) and plain SIMD, loaded where the first is refused (Node 20).
 * Instantiated on first use, one instance per thread, with its own memory grown to the largest matrix
 * seen. Falls back to the JavaScript kernel where WebAssembly SIMD is unavailable.
 */
import { TRIDIAGONALIZE_WASM, TRIDIAGONALIZE_WASM_RELAXED } from './wasm/tridiagonalizeWasm';

type Tridiagonalize = (w: number, n: number, diag: number, off: number, scratch: number) => void;

/** Which build runs: 'relaxed' (relaxed-SIMD multiply-adds) or 'simd' (plain f64x2 SIMD). */
export type WasmKernelKind = 'relaxed' | 'simd';

/** The part of the WebAssembly global used here (Node has it; the engine's type libraries do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
};

interface Kernel {
  memory: WasmMemory;
  run: Tridiagonalize;
}

/** The C stack sits below 66560 (wasm-ld's default 64 KiB stack after 1 KiB of data): the matrices start above it. */
const DATA_START = 2 * 65536;
const PAGE = 65536;

const MODULES: Record<WasmKernelKind, string> = { relaxed: TRIDIAGONALIZE_WASM_RELAXED, simd: TRIDIAGONALIZE_WASM };
/** Each build once per thread: its instance, or null where this runtime refuses it. */
const kernels: Partial<Record<WasmKernelKind, Kernel | null>> = {};
/** Every build, best first. */
const BEST_FIRST: readonly WasmKernelKind[] = ['relaxed', 'simd'];
/** The builds to try, best first; empty: the JavaScript kernel. */
let order: readonly WasmKernelKind[] = BEST_FIRST;

function load(kind: WasmKernelKind): Kernel | null {
  try {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
    const module = new WebAssembly.Module(Buffer.from(MODULES[kind], 'base64'));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return { memory, run: instance.exports['tridiagonalize'] as Tridiagonalize };
  } catch {
    return null; // this runtime refuses the build (no relaxed SIMD, or no SIMD at all)
  }
}

/** The build the next reduction in this thread uses, with its kind; null: the JavaScript kernel. */
function active(): { kind: WasmKernelKind; kernel: Kernel } | null {
  for (const kind of order) {
    if (!(kind in kernels)) kernels[kind] = load(kind);
    const kernel = kernels[kind];
    if (kernel) return { kind, kernel };
  }
  return null;
}

/**
 * Which kernel this thread uses, for tests and benchmarks comparing them: true (the default) the best
 * build this runtime loads, a kind only that build (the JavaScript kernel where it is refused), false
 * the JavaScript kernel.
 */
export function useWasmKernel(on: boolean | WasmKernelKind): void {
  order = on === true ? BEST_FIRST : on === false ? [] : [on];
}

/** Whether the next reduction in this thread runs in WebAssembly. */
export function wasmKernelActive(): boolean {
  return active() !== null;
}

/** The WebAssembly build the next reduction in this thread runs, or null for the JavaScript kernel. */
export function wasmKernelKind(): WasmKernelKind | null {
  return active()?.kind ?? null;
}

/** The kernel `wasmKernelKind` names, in words (engine log, benchmark header). */
export function spectraKernelName(): string {
  const kind = wasmKernelKind();
  return kind === 'relaxed' ? 'WebAssembly relaxed SIMD (fused multiply-adds)' : kind === 'simd' ? 'WebAssembly SIMD' : 'JavaScript';
}

/**
 * Tridiagonalises the packed lower triangle `w` [n(n+1)/2] into `diag` [n] and `off` [n] (off[i] couples i and
 * i+1, off[n-1] = 0) in WebAssembly; `w` is left as it was. False when the kernel is off or unavailable.
 */
export function wasmTridiagonalize(w: Float64Array, n: number, diag: Float64Array, off: Float64Array): boolean {
  const kernel = active()?.kernel;
  if (!kernel) return false;
  const packed = (n * (n + 1)) / 2;
  const bytes = DATA_START + (packed + 7 * n) * 8; // w, diag, off, 5 n of scratch
  const have = kernel.memory.buffer.byteLength;
  if (bytes > have) {
    try {
      kernel.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      return false; // past WebAssembly's 4 GiB or out of memory: the JavaScript kernel works on `w` itself
    }
  }
  const f = new Float64Array(kernel.memory.buffer);
  const base = DATA_START / 8;
  f.set(w.subarray(0, packed), base);
  const d = base + packed;
  const o = d + n;
  kernel.run(DATA_START, n, d * 8, o * 8, (o + n) * 8);
  diag.set(f.subarray(d, d + n));
  off.set(f.subarray(o, o + n));
  return true;
}
