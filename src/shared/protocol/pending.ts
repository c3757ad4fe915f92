/**
 * The requesting side's bookkeeping, shared by every channel that sends requests (the extension's
 * engine RPC, the webview's host IPC): request ids, the map of pending requests, a per-request
 * timeout, cancellation and rejecting everything at once when the other side is gone. Each request
 * settles exactly once; a response that arrives after its request settled is ignored.
 * Pure: timers are injected (the shared code sees neither Node nor the DOM).
 */
import { SinkLensError, type ErrorData } from '../errors';
import type { ResponsePayload } from './messages';

/** `setTimeout` / `clearTimeout` of the host environment (or fakes in tests). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PendingOptions<M> {
  /** Whatever the channel needs to know about the request later (its method, a progress callback). */
  meta: M;
  /** Settle with `timeoutError()` after this many ms; no timeout when undefined. */
  timeoutMs?: number;
  timeoutError?: () => ErrorData;
  /** Runs once when the request settles, however it settles (remove listeners, tell the other side). */
  cleanup?: () => void;
  /** Runs when the timeout fires, before the request settles (e.g. send a cancel to the other side). */
  onTimeout?: () => void;
}

interface Entry<M> {
  meta: M;
  resolve(v: unknown): void;
  reject(e: SinkLensError): void;
  timer: unknown;
  cleanup: (() => void) | undefined;
}

export class PendingRequests<M = undefined> {
  private readonly map = new Map<string, Entry<M>>();
  private seq = 0;

  /** Ids are `${prefix}${n}`: make the prefix unique per channel. */
  constructor(
    private readonly prefix: string,
    private readonly timers: Timers,
  ) {}

  get size(): number {
    return this.map.size;
  }

  nextId(): string {
    return `${this.prefix}${++this.seq}`;
  }

  /** Registers request `id`; the promise settles through `settle`, `cancel`, the timeout or `rejectAll`. */
  add<R>(id: string, opts: PendingOptions<M>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : this.timers.setTimeout(() => {
              opts.onTimeout?.();
              this.settle(id, { ok: false, error: opts.timeoutError?.() ?? { code: 'internal', message: `No answer within ${opts.timeoutMs} ms.` } });
            }, opts.timeoutMs);
      this.map.set(id, { meta: opts.meta, resolve: resolve as (v: unknown) => void, reject, timer, cleanup: opts.cleanup });
    });
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  meta(id: string): M | undefined {
    return this.map.get(id)?.meta;
  }

  /** Settles request `id` with a response payload; false when it is not pending (already settled). */
  settle(id: string, payload: ResponsePayload<unknown>): boolean {
    const e = this.map.get(id);
    if (!e) return false;
    this.map.delete(id);
    if (e.timer !== undefined) this.timers.clearTimeout(e.timer);
    e.cleanup?.();
    if (payload.ok) e.resolve(payload.value);
    else e.reject(SinkLensError.fromData(payload.error));
    return true;
  }

  /** Rejects request `id` with `cancelled` (the caller stopped waiting). */
  cancel(id: string, message = 'The request was cancelled.'): boolean {
    return this.settle(id, { ok: false, error: { code: 'cancelled', message } });
  }

  /** Rejects every pending request with `error` (the other side is gone). */
  rejectAll(error: ErrorData): void {
    for (const id of [...this.map.keys()]) this.settle(id, { ok: false, error });
  }
}
