/**
 * Child process of ortTelemetry.test.ts: creates one small session and runs it, either through the engine's
 * runtime wrapper ('engine') or through onnxruntime-node required directly ('raw', the control), then prints
 * the sum of the output so the parent knows the run happened.
 */
import { DT, GraphBuilder } from '../../../src/engine/graph/builder';
import { serializeInline } from '../../../src/engine/graph/serialize';
import { createSession } from '../../../src/engine/runtime/ort';

async function main(): Promise<void> {
  const g = new GraphBuilder();
  const x = g.input('x', DT.FLOAT, [3]);
  g.output(g.op('Add', '/add', [x, g.f32([1, 2, 3], [3])]), 'y', DT.FLOAT, [3]);
  const model = serializeInline(g);
  const input = Float32Array.of(1, 1, 1);
  let y: Float32Array;
  if (process.argv[2] === 'raw') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
    const s = await ort.InferenceSession.create(model);
    y = (await s.run({ x: new ort.Tensor('float32', input, [3]) }))['y']!.data as Float32Array;
    await s.release();
  } else {
    const s = await createSession(model, { threads: 1 });
    y = (await s.run({ x: { type: 'float32', data: input, dims: [3] } }))['y']!.data as Float32Array;
    await s.release();
  }
  process.stdout.write(`sum ${y.reduce((a, v) => a + v, 0)}\n`);
}

void main();
