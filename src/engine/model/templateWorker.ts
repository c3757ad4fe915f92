/**
 * Worker thread that renders chat templates (@huggingface/jinja) for templateSandbox.ts. A template comes
 * from the model folder, so it is untrusted code: it runs here, where the caller can stop it at a deadline
 * and where V8's heap limit for this thread (not the engine's) catches a runaway output.
 *
 * Protocol: the caller posts { source, contexts, shared } and blocks on shared[0]; the reply is written
 * into the same SharedArrayBuffer: state (1 ok, 2 error), byte length, then UTF-8 JSON (string[] or message).
 */
import { Template } from '@huggingface/jinja';
import { parentPort } from 'node:worker_threads';

export interface RenderJob {
  source: string;
  contexts: Record<string, unknown>[];
  shared: SharedArrayBuffer;
}

const HEADER = 8;

function reply(shared: SharedArrayBuffer, state: 1 | 2, payload: unknown): void {
  const ctrl = new Int32Array(shared, 0, 2);
  const data = new Uint8Array(shared, HEADER);
  let bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  if (bytes.length > data.length) {
    state = 2;
    bytes = Buffer.from(JSON.stringify(`the rendering is larger than ${data.length} bytes`), 'utf8');
  }
  data.set(bytes.subarray(0, data.length));
  Atomics.store(ctrl, 1, bytes.length);
  Atomics.store(ctrl, 0, state);
  Atomics.notify(ctrl, 0);
}

function render(job: RenderJob): void {
  try {
    const template = new Template(job.source);
    reply(job.shared, 1, job.contexts.map((c) => template.render(c)));
  } catch (e) {
    reply(job.shared, 2, e instanceof Error ? e.message : String(e));
  }
}

parentPort?.on('message', (job: RenderJob) => render(job));
