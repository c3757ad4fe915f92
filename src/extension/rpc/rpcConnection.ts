/**
 * The bookkeeping half of the engine RPC, vscode-free and process-free so that it is unit-tested
 * with a fake channel: request ids and the pending map (shared/protocol/pending.ts), response and
 * notification validation, progress routing, cancellation (AbortSignal -> EngineCancel) and
 * failing everything at once when the process behind the channel dies.
 */
import type { Progress } from '../../shared/engineApi';
import { SinkLensError, isErrorData, type ErrorData } from '../../shared/errors';
import { isLogLevel, type LogLevel } from '../../shared/log';
import { EngineCancel, EngineDidLog, EngineDidProgress, EngineDidStudyProgress } from '../../shared/protocol/engine';
import type { StudyProgress } from '../../shared/study';
import { isMsg, type Msg, type ParamsOf, type Request, type ResponseOf } from '../../shared/protocol/messages';
import { PendingRequests } from '../../shared/protocol/pending';

/** Where messages go; `send` throws when the channel is closed. */
export interface Channel {
  send(msg: Msg): void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** A study's per-prompt reports (EngineDidStudyProgress). */
  onStudyProgress?: (p: StudyProgress) => void;
  /**
   * On abort, tell the engine but keep waiting for its answer (a study answers with what is done); the engine
   * stops between prompts, so no stuck-engine watch applies. Default: settle at once as cancelled.
   */
  cancelWaits?: boolean;
  /** Reject with `engineTimeout` after this many ms; none by default (analyses of big models are slow). */
  timeoutMs?: number;
}

/** What the connection remembers about a pending request. */
interface RequestMeta {
  type: Request<unknown, unknown>;
  onProgress: ((p: Progress) => void) | undefined;
  onStudyProgress: ((p: StudyProgress) => void) | undefined;
}

export interface RpcHandlers {
  onLog?: (level: LogLevel, message: string) => void;
  /**
   * A cancelled or timed-out request whose engine sent no answer within `graceMs`: the process is stuck in
   * work it cannot interrupt (a long native forward). The owner ends it (EngineProcess restarts the engine).
   */
  onUnresponsive?: (method: string, graceMs: number) => void;
  /** Grace period after a cancel before onUnresponsive fires; default 2000 ms. */
  graceMs?: number;
  /** A message that failed validation (dropped); for the log. */
  onInvalid?: (why: string, raw: unknown) => void;
}

let connectionSeq = 0;

export const CANCEL_GRACE_MS = 2000;

export class RpcConnection {
  private readonly pending: PendingRequests<RequestMeta>;
  private closed: ErrorData | undefined;
  /** Requests settled early (cancel, timeout) whose engine has not answered yet: their grace timers. */
  private readonly draining = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly channel: Channel,
    private readonly handlers: RpcHandlers = {},
  ) {
    this.pending = new PendingRequests(`c${++connectionSeq}-`, { setTimeout, clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) });
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  nextId(): string {
    return this.pending.nextId();
  }

  request<T extends Request<unknown, unknown>>(type: T, params: ParamsOf<T>, opts: RequestOptions = {}): Promise<ResponseOf<T>> {
    if (this.closed) return Promise.reject(SinkLensError.fromData(this.closed));
    if (opts.signal?.aborted) return Promise.reject(cancelledError());
    const id = this.nextId();
    const cancelEngine = (): void => {
      this.trySend({ id: this.nextId(), method: EngineCancel.method, params: { requestId: id } });
      this.watchDrain(id, type.method);
    };
    const onAbort = (): void => {
      if (opts.cancelWaits) {
        this.trySend({ id: this.nextId(), method: EngineCancel.method, params: { requestId: id } });
        return;
      }
      // Tell the engine, and settle now: the UI must not wait for a busy process to notice.
      cancelEngine();
      this.pending.cancel(id, cancelledError().message);
    };
    const result = this.pending.add<ResponseOf<T>>(id, {
      meta: { type, onProgress: opts.onProgress, onStudyProgress: opts.onStudyProgress },
      timeoutMs: opts.timeoutMs,
      onTimeout: cancelEngine,
      timeoutError: () => ({ code: 'engineTimeout', message: `The engine did not answer ${type.method} within ${opts.timeoutMs} ms.` }),
      cleanup: () => opts.signal?.removeEventListener('abort', onAbort),
    });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const sent = this.trySend({ id, method: type.method, params });
    if (sent !== true) {
      this.pending.settle(id, { ok: false, error: { code: 'engineCrashed', message: `Could not send ${type.method} to the engine process: ${sent}` } });
    }
    return result;
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
      const pending = typeof p?.requestId === 'string' ? this.pending.meta(p.requestId) : undefined;
      if (pending && isProgress(p?.progress)) pending.onProgress?.(p.progress);
      return;
    }
    if (EngineDidStudyProgress.is(raw)) {
      const p = raw.params as { requestId?: unknown; progress?: unknown } | null;
      const pending = typeof p?.requestId === 'string' ? this.pending.meta(p.requestId) : undefined;
      if (pending && isStudyProgress(p?.progress)) pending.onStudyProgress?.(p.progress);
      return;
    }
    if (EngineDidLog.is(raw)) {
      const p = raw.params as { level?: unknown; message?: unknown } | null;
      if (typeof p?.message === 'string') this.handlers.onLog?.(isLogLevel(p.level) ? p.level : 'info', p.message);
      return;
    }
    this.handlers.onInvalid?.(`unknown method ${raw.method}`, raw);
  }

  /** Rejects every pending request with `error` and refuses new ones (the process is gone). */
  close(error: ErrorData): void {
    this.closed = error;
    for (const t of this.draining.values()) clearTimeout(t);
    this.draining.clear();
    this.pending.rejectAll(error);
  }

  /** After a cancel: the engine must answer (with anything) within the grace period, or it is reported stuck. */
  private watchDrain(id: string, method: string): void {
    if (this.draining.has(id) || this.closed) return;
    const grace = this.handlers.graceMs ?? CANCEL_GRACE_MS;
    const t = setTimeout(() => {
      this.draining.delete(id);
      if (!this.closed) this.handlers.onUnresponsive?.(method, grace);
    }, grace);
    t.unref?.();
    this.draining.set(id, t);
  }

  private handleResponse(m: Msg): void {
    const id = m.completionId as string;
    const drain = this.draining.get(id);
    if (drain !== undefined) {
      clearTimeout(drain);
      this.draining.delete(id);
    }
    const pending = this.pending.meta(id);
    if (!pending) return; // Answer to a request we already settled (cancelled or timed out).
    const method = pending.type.method;
    const p = m.params as { ok?: unknown; value?: unknown; error?: unknown } | null;
    if (m.method !== pending.type.responseMethod || typeof p !== 'object' || p === null || typeof p.ok !== 'boolean') {
      this.handlers.onInvalid?.(`malformed response to ${method}`, m);
      this.pending.settle(id, { ok: false, error: { code: 'badRequest', message: `The engine sent a malformed response to ${method}.` } });
      return;
    }
    if (p.ok) this.pending.settle(id, { ok: true, value: p.value });
    else this.pending.settle(id, { ok: false, error: isErrorData(p.error) ? p.error : { code: 'internal', message: 'The engine failed without an error message.' } });
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

function isProgress(v: unknown): v is Progress {
  return typeof v === 'object' && v !== null && typeof (v as Progress).stage === 'string';
}

function isStudyProgress(v: unknown): v is StudyProgress {
  const p = v as StudyProgress | null;
  return typeof p === 'object' && p !== null && typeof p.model === 'string' && typeof p.done === 'number' && typeof p.total === 'number';
}
