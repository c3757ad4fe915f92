/** The runtime wrapper turns onnxruntime failures into typed errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { DT, GraphBuilder } from '../../../src/engine/graph/builder';
import { serializeInline } from '../../../src/engine/graph/serialize';
import { createSession } from '../../../src/engine/runtime/ort';

const isRuntimeError = (e: unknown): boolean => SinkLensError.is(e, 'runtimeError') && typeof e.detail === 'string' && e.detail.length > 0;

describe('runtime/ort', () => {
  it('a model that does not parse is a runtimeError with ORT detail', async () => {
    await assert.rejects(createSession(Uint8Array.of(1, 2, 3, 4), { threads: 1 }), isRuntimeError);
  });

  it('a failing run is a runtimeError, and the session keeps working', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DT.FLOAT, ['n', 3]);
    g.output(g.op('MatMul', '/m', [x, g.f32([1, 2, 3, 4, 5, 6], [3, 2])]), 'y', DT.FLOAT, ['n', 2]);
    const s = await createSession(serializeInline(g), { threads: 1 });
    try {
      await assert.rejects(s.run({ x: { type: 'float32', data: new Float32Array(4), dims: [2, 2] } }), isRuntimeError);
      const r = await s.run({ x: { type: 'float32', data: Float32Array.of(1, 0, 1), dims: [1, 3] } });
      assert.deepEqual(Array.from(r['y']!.data as Float32Array), [6, 8]);
    } finally {
      await s.release();
    }
  });
});
