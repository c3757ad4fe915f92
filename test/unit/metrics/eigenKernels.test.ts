/**
 * The Householder reduction's kernels: WebAssembly (wasm/tridiagonalize.c, used by default) in two
 * builds, relaxed-SIMD multiply-adds where the runtime has relaxed SIMD and plain SIMD elsewhere, and
 * the JavaScript sweep (the fallback). Each must give the independent Jacobi reference's spectrum,
 * and the others' to round-off, on random, structured and adversarial matrices; the committed modules
 * must be built from the committed C source.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { borderedSpectra, rankOneSpectra, symmetricEigenvalues } from '../../../src/engine/metrics/eigen';
import { SOURCE_SHA256, TRIDIAGONALIZE_WASM_RELAXED } from '../../../src/engine/metrics/wasm/tridiagonalizeWasm';
import { useWasmKernel, wasmKernelActive, wasmKernelKind, type WasmKernelKind } from '../../../src/engine/metrics/wasmKernel';
import { assertClose } from '../../support/assertClose';
import { PROJECT_ROOT } from '../../support/fixtures';
import { jacobiEigenvalues, randomMatrix, randomSymmetric } from './helpers';

declare const WebAssembly: { validate(bytes: Uint8Array): boolean };
/** Whether this runtime takes the relaxed-SIMD module as it is (Node >= 22; Node 20 only behind a V8 flag). */
const RELAXED_NATIVE = WebAssembly.validate(Buffer.from(TRIDIAGONALIZE_WASM_RELAXED, 'base64'));
// Node 20 implements relaxed SIMD behind --experimental-wasm-relaxed-simd: turned on in this test process
// (before any module is loaded) so that the relaxed build is checked on every Node the tests run on.
if (!RELAXED_NATIVE) setFlagsFromString('--experimental-wasm-relaxed-simd');
const KINDS: readonly WasmKernelKind[] = ['simd', 'relaxed'];

after(() => useWasmKernel(true));

function withKernel<T>(wasm: boolean | WasmKernelKind, f: () => T): T {
  useWasmKernel(wasm);
  try {
    return f();
  } finally {
    useWasmKernel(true);
  }
}

/** Symmetric matrices that stress the reduction: sizes around the two-row and two-column unrolling, zero steps, huge range. */
function cases(): { what: string; n: number; A: Float64Array }[] {
  const out: { what: string; n: number; A: Float64Array }[] = [];
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 33, 64, 131]) out.push({ what: `random n=${n}`, n, A: randomSymmetric(n, 900 + n) });
  // A Gram with a 1e4 x row (a massive activation) and eigenvalues spanning ~1e12.
  const T = 40;
  const d = 37;
  const X = randomMatrix(T, d, 77);
  for (let j = 0; j < d; j++) X[j] = X[j]! * 1e4;
  for (let t = 30; t < T; t++) for (let j = 0; j < d; j++) X[t * d + j] = X[(t - 30) * d + j]! * 1e-4; // near-duplicates, tiny
  const G = new Float64Array(d * d);
  for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) G[i * d + j] += X[t * d + i]! * X[t * d + j]!;
  out.push({ what: 'Gram with a 1e4 x BOS row', n: d, A: G });
  // Block diagonal: whole columns already zero below the diagonal (steps without a reflector).
  const n = 11;
  const B = new Float64Array(n * n);
  const b1 = randomSymmetric(5, 3);
  const b2 = randomSymmetric(6, 4);
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) B[i * n + j] = b1[i * 5 + j]!;
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) B[(5 + i) * n + 5 + j] = b2[i * 6 + j]!;
  out.push({ what: 'block diagonal', n, A: B });
  return out;
}

test('the WebAssembly kernels load in this Node: the relaxed build first where the runtime takes it', () => {
  assert.equal(wasmKernelActive(), true);
  assert.equal(withKernel('simd', wasmKernelKind), 'simd');
  assert.equal(withKernel('relaxed', wasmKernelKind), 'relaxed', 'the relaxed-SIMD module does not load even with --experimental-wasm-relaxed-simd');
  assert.equal(wasmKernelKind(), 'relaxed');
});

test('every kernel gives the Jacobi spectrum, and the others\' to round-off', () => {
  for (const { what, n, A } of cases()) {
    const ref = jacobiEigenvalues(A, n);
    const scale = Math.max(1, ...Array.from(ref, Math.abs));
    const js = withKernel(false, () => symmetricEigenvalues(A, n));
    assertClose(js, ref, { rtol: 0, atol: 1e-12 * scale }, `${what}: js vs Jacobi`);
    for (const kind of KINDS) {
      const wasm = withKernel(kind, () => symmetricEigenvalues(A, n));
      assertClose(wasm, ref, { rtol: 0, atol: 1e-12 * scale }, `${what}: ${kind} vs Jacobi`);
      assertClose(wasm, js, { rtol: 0, atol: 1e-13 * scale }, `${what}: ${kind} vs js`);
    }
  }
});

test('the relaxed build differs from the plain one only at round-off, its multiply-adds fused', () => {
  // The relaxed build must really differ (fused multiply-adds ran), and only at round-off.
  const n = 131;
  const A = randomSymmetric(n, 17);
  const simd = withKernel('simd', () => symmetricEigenvalues(A, n));
  const relaxed = withKernel('relaxed', () => symmetricEigenvalues(A, n));
  assertClose(relaxed, simd, { rtol: 0, atol: 1e-13 * Math.max(...Array.from(simd, Math.abs)) }, 'relaxed vs simd');
  if (process.arch === 'x64' || process.arch === 'arm64') assert.ok(relaxed.some((v, i) => v !== simd[i]), 'the relaxed build gave the plain build\'s eigenvalues bit for bit: no fused multiply-add ran');
});

test('the bordered and rank-one forms agree across kernels (one reduction, two spectra)', () => {
  const n = 57;
  const G = randomSymmetric(n, 5);
  const x = randomMatrix(1, n, 6);
  const forms = () => ({ b: borderedSpectra(G, n), r: rankOneSpectra(G, x, n) });
  const b = withKernel(false, forms);
  for (const kind of KINDS) {
    const a = withKernel(kind, forms);
    for (const k of ['full', 'inner'] as const) assertClose(a.b[k], b.b[k], { rtol: 0, atol: 1e-12 }, `${kind}: bordered ${k}`);
    for (const k of ['base', 'updated'] as const) assertClose(a.r[k], b.r[k], { rtol: 0, atol: 1e-12 }, `${kind}: rank-one ${k}`);
  }
});

test('the kernel memory grows for a larger matrix after a smaller one, and NaN input still gives NaN', () => {
  const small = randomSymmetric(10, 1);
  const big = randomSymmetric(300, 2);
  const js = withKernel(false, () => symmetricEigenvalues(big, 300));
  for (const kind of KINDS) {
    withKernel(kind, () => {
      assertClose(symmetricEigenvalues(small, 10), jacobiEigenvalues(small, 10), { rtol: 0, atol: 1e-12 }, `${kind}: small`);
      assertClose(symmetricEigenvalues(big, 300), js, { rtol: 0, atol: 1e-11 }, `${kind}: big after small`);
      const bad = randomSymmetric(6, 3);
      bad[7] = Number.NaN;
      assert.ok(Array.from(symmetricEigenvalues(bad, 6)).every(Number.isNaN), `${kind}: NaN in, NaN out`);
    });
  }
});

test('the committed WebAssembly module was built from the committed C source (npm run build:wasm after editing it)', () => {
  const c = readFileSync(join(PROJECT_ROOT, 'src/engine/metrics/wasm/tridiagonalize.c'));
  assert.equal(createHash('sha256').update(c).digest('hex'), SOURCE_SHA256);
});
