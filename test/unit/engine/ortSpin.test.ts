/**
 * onnxruntime's intra-op threads stop spinning when a run returns (runtime/ort.ts sessionConfig).
 * Its own file: the check reads the process's CPU time while idle, which any other work of the
 * process (a loaded engine's warm-up, a worker) would disturb.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { DT, GraphBuilder } from '../../../src/engine/graph/builder';
import { serializeInline } from '../../../src/engine/graph/serialize';
import { createSession, ortSessionOptions } from '../../../src/engine/runtime/ort';

const n = 512;

function matMulGraph(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', DT.FLOAT, [n, n]);
  g.output(g.op('MatMul', '/m', [x, g.f32(Array.from({ length: n * n }, (_, i) => (i % 7) / 7), [n, n])]), 'y', DT.FLOAT, [n, n]);
  return serializeInline(g);
}

/** Two runs, then the process's CPU time (all threads) over 200 ms of idling; the least of two tries. */
async function idleCpuMs(run: () => Promise<unknown>): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < 2; i++) {
    await run();
    await run();
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 200));
    const c = process.cpuUsage(c0);
    least = Math.min(least, (c.user + c.system) / 1000);
  }
  return least;
}

describe('onnxruntime threads between runs', () => {
  it("stop spinning when a run returns, where onnxruntime's default keeps a core busy", async () => {
    // After a forward the Gram and the metrics workers need both cores; onnxruntime's default spins
    // its pool thread for the next run (~35-45 ms of a core on this project's 2-core machine).
    const bytes = matMulGraph();
    const feed = new Float32Array(n * n).fill(1); // [n, n]
    const ours = await createSession(bytes, { threads: 2 });
    const oursMs = await idleCpuMs(() => ours.run({ x: { type: 'float32', data: feed, dims: [n, n] } }));
    await ours.release();
    const { extra: _, ...defaults } = ortSessionOptions({ threads: 2 }, 'cpu');
    const control = await InferenceSession.create(bytes, defaults);
    const controlMs = await idleCpuMs(() => control.run({ x: new Tensor('float32', feed, [n, n]) }));
    await control.release();
    assert.ok(oursMs < 10, `our session used ${oursMs.toFixed(1)} ms of CPU while idle (onnxruntime's default: ${controlMs.toFixed(1)} ms)`);
    assert.ok(controlMs > 15, `the control no longer spins (${controlMs.toFixed(1)} ms): this test cannot tell the setting apart`);
  });
});
