/**
 * The bookkeeping half of the engine RPC, vscode-free and process-free so that it is unit-tested
 * with a fake channel: request ids, the pending map, response/notification validation, progress
 * routing, cancellation (AbortSignal -> EngineCancel) and failing everything at once when the
 * process behind the channel dies.
 */
import type { Progress } from '../../shared/engineApi';
import { SinkLensError, isErrorData, type ErrorData } from '../../shared/errors';
import { EngineCancel, EngineDidLog, EngineDidProgress } from '../../shared/protocol/engine';
import { isMsg, type Msg, type ParamsOf, type Request, type ResponseOf } from '../../shared/protocol/messages';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Where messages go; `send` throws when the channel is closed. */
export interface Channel {
  send(msg: Msg): void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Reject with `engineTimeout` after this many ms; none by default (analyses of big models are slow). */
  timeoutMs?: number;
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: SinkLensError) => void;
  onProgress: ((p: Progress) => void) | undefined;
  cleanup: () => void;
}

export interface RpcHandlers {
  onLog?: (level: LogLevel, message: string) => void;
  /** A message that failed validation (dropped); for the log. */
  onInvalid?: (why: string, raw: unknown) => void;
}

let connectionSeq = 0;

export class RpcConnection {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix: string;
  private seq = 0;
  private closed: ErrorData | undefined;

  constructor(
    private readonly channel: Channel,
    private readonly handlers: RpcHandlers = {},
  ) {
    this.prefix = `c${++connectionSeq}-`;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  nextId(): string {
    return `${this.prefix}${++this.seq}`;
  }

  request<T extends Request<unknown, unknown>>(type: T, params: ParamsOf<T>, opts: RequestOptions = {}): Promise<ResponseOf<T>> {
    if (this.closed) return Promise.reject(SinkLensError.fromData(this.closed));
    if (opts.signal?.aborted) return Promise.reject(cancelledError());
    const id = this.nextId();
    return new Promise<ResponseOf<T>>((resolve, reject) => {
      const timers: { timeout?: ReturnType<typeof setTimeout> } = {};
      const onAbort = (): void => {
        // Tell the engine, and settle now: the UI must not wait for a busy process to notice.
        this.trySend({ id: this.nextId(), method: EngineCancel.method, params: { requestId: id } });
        this.settle(id, { ok: false, error: cancelledError().toData() });
      };
      const cleanup = (): void => {
        if (timers.timeout !== undefined) clearTimeout(timers.timeout);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, { method: type.method, resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress, cleanup });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        timers.timeout = setTimeout(() => {
          this.trySend({ id: this.nextId(), method: EngineCancel.method, params: { requestId: id } });
          this.settle(id, { ok: false, error: { code: 'engineTimeout', message: `The engine did not answer ${type.method} within ${opts.timeoutMs} ms.` } });
        }, opts.timeoutMs);
      }
      const sent = this.trySend({ id, method: type.method, params });
      if (sent !== true) {
        this.settle(id, { ok: false, error: { code: 'engineCrashed', message: `Could not send ${type.method} to the engine process: ${sent}` } });
      }
    });
  }

  /** Feeds one incoming message; anything malformed is reported through onInvalid and dropped. */
  handleMessage(raw: unknown): void {
    if (!isMsg(raw)) {
      this.handlers.onInvalid?.('not a protocol message', raw);
      return;
    }
    if (raw.completionId !== undefined) {
      this.handleResponse(raw);
      return;
    }
    if (EngineDidProgress.is(raw)) {
      const p = raw.params as { requestId?: unknown; progress?: unknown } | null;
      const pending = typeof p?.requestId === 'string' ? this.pending.get(p.requestId) : undefined;
      if (pending && isProgress(p?.progress)) pending.onProgress?.(p.progress);
      return;
    }
    if (EngineDidLog.is(raw)) {
      const p = raw.params as { level?: unknown; message?: unknown } | null;
      if (typeof p?.message === 'string') this.handlers.onLog?.(isLevel(p.level) ? p.level : 'info', p.message);
      return;
    }
    this.handlers.onInvalid?.(`unknown method ${raw.method}`, raw);
  }

  /** Rejects every pending request with `error` and refuses new ones (the process is gone). */
  close(error: ErrorData): void {
    this.closed = error;
    for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, error });
  }

  private handleResponse(m: Msg): void {
    const id = m.completionId as string;
    const pending = this.pending.get(id);
    if (!pending) return; // Answer to a request we already settled (cancelled or timed out).
    const p = m.params as { ok?: unknown; value?: unknown; error?: unknown } | null;
    if (m.method !== `${pending.method}/response` || typeof p !== 'object' || p === null || typeof p.ok !== 'boolean') {
      this.handlers.onInvalid?.(`malformed response to ${pending.method}`, m);
      this.settle(id, { ok: false, error: { code: 'badRequest', message: `The engine sent a malformed response to ${pending.method}.` } });
      return;
    }
    if (p.ok) this.settle(id, { ok: true, value: p.value });
    else this.settle(id, { ok: false, error: isErrorData(p.error) ? p.error : { code: 'internal', message: 'The engine failed without an error message.' } });
  }

  private settle(id: string, r: { ok: true; value: unknown } | { ok: false; error: ErrorData }): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.cleanup();
    if (r.ok) pending.resolve(r.value);
    else pending.reject(SinkLensError.fromData(r.error));
  }

  /** true when handed to the channel, else the reason. */
  private trySend(msg: Msg): true | string {
    try {
      this.channel.send(msg);
      return true;
    } catch (e) {
      return (e as Error).message;
    }
  }
}

export function cancelledError(): SinkLensError {
  return new SinkLensError('cancelled', 'The analysis was cancelled.');
}

function isLevel(v: unknown): v is LogLevel {
  return v === 'trace' || v === 'debug' || v === 'info' || v === 'warn' || v === 'error';
}

function isProgress(v: unknown): v is Progress {
  return typeof v === 'object' && v !== null && typeof (v as Progress).stage === 'string';
}
