/**
 * Renders an (untrusted) chat template with a deadline and an output cap. Rendering runs in a worker thread
 * (templateWorker.ts) with its own small heap; the engine thread waits on a SharedArrayBuffer with a timeout,
 * so the tokenizer's API stays synchronous. A template that runs past the deadline, exhausts the worker's
 * heap or renders more than the cap is stopped (the worker is terminated and a fresh one started next time)
 * and reported as one line; the engine itself is never blocked for longer than the deadline.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SinkLensError } from '../../shared/errors';
import { workerScript, type WorkerScript } from '../parallel/workerScript';

export interface SandboxLimits {
  /** Wall-clock deadline for one render call (all contexts), ms. */
  timeoutMs: number;
  /** Cap on the UTF-8 bytes of all renderings together. */
  maxBytes: number;
}

export const DEFAULT_TEMPLATE_LIMITS: SandboxLimits = { timeoutMs: 2000, maxBytes: 8 << 20 };

/** The worker's heap: enough for any real template's rendering, far below what could hurt the engine. */
const WORKER_HEAP_MB = 256;
const HEADER = 8;

let worker: Worker | null = null;

function workerSource(): WorkerScript {
  const src = workerScript(__dirname, 'templateWorker');
  if (src) return src;
  throw new SinkLensError('internal', `The chat-template worker is missing (${join(__dirname, 'templateWorker.js')}); reinstall SinkLens.`);
}

function getWorker(): Worker {
  if (worker) return worker;
  const src = workerSource();
  const w = new Worker(src.code, { eval: src.eval, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 32 } });
  w.unref(); // An idle sandbox never keeps the process alive.
  w.on('error', () => {}); // A worker killed by its heap limit: noticed at the deadline below.
  w.on('exit', () => {
    if (worker === w) worker = null;
  });
  worker = w;
  return w;
}

/** Stops the worker (e.g. at engine shutdown); the next render starts a fresh one. */
export function stopTemplateSandbox(): void {
  const w = worker;
  worker = null;
  void w?.terminate();
}

/**
 * Renders `source` once per context, in the sandbox. Throws a SinkLensError('badRequest') naming the limit
 * that was hit, or carrying the template's own error message (raise_exception, syntax errors).
 */
export function renderTemplateSandboxed(source: string, contexts: Record<string, unknown>[], limits: SandboxLimits = DEFAULT_TEMPLATE_LIMITS): string[] {
  const shared = new SharedArrayBuffer(HEADER + limits.maxBytes);
  const ctrl = new Int32Array(shared, 0, 2);
  const w = getWorker();
  w.postMessage({ source, contexts, shared });
  const deadline = Date.now() + limits.timeoutMs;
  // The engine thread blocks here (its event loop cannot run), so a worker that died of its heap limit is
  // noticed at the deadline too: either way it is terminated and the next render starts a fresh one.
  while (Atomics.load(ctrl, 0) === 0) {
    const left = deadline - Date.now();
    if (left <= 0) {
      stopTemplateSandbox();
      throw new SinkLensError(
        'badRequest',
        `The model's chat template did not finish rendering within ${limits.timeoutMs / 1000} s (a runaway loop or output; the renderer has ${WORKER_HEAP_MB} MB) and was stopped. Analyse the bare prompt instead (CLI: --chat-template none; VS Code: sinklens.chatTemplate = none).`,
      );
    }
    Atomics.wait(ctrl, 0, 0, left);
  }
  const state = Atomics.load(ctrl, 0);
  const n = Atomics.load(ctrl, 1);
  const payload = JSON.parse(Buffer.from(new Uint8Array(shared, HEADER, n)).toString('utf8')) as unknown;
  if (state === 1 && Array.isArray(payload)) return payload as string[];
  const message = String(payload);
  if (/larger than \d+ bytes/.test(message)) {
    throw new SinkLensError('badRequest', `The model's chat template renders more than ${Math.round(limits.maxBytes / 1024)} KiB for this prompt (the cap is 4x the prompt cut) and was stopped. Analyse the bare prompt instead (CLI: --chat-template none).`);
  }
  throw new SinkLensError('badRequest', `The model's chat template failed: ${message}.`, 'Try the other chat template role, or none.');
}
