/**
 * The webview end of the panel protocol: requests with ids, timeouts and typed responses; commands;
 * validated notifications. The VS Code API object is injected (`acquireVsCodeApi()` in the real
 * webview, a fake in tests), and so is the window that delivers the host's messages.
 */
import { SinkLensError } from '../shared/errors';
import type { Command, Msg, ParamsOf, Request, ResponsePayload } from '../shared/protocol/messages';
import { makeMessage, validatePanelMessage, WebviewLog } from '../shared/protocol/panel';

export interface VsCodeApiLike {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: SinkLensError): void;
  timer: ReturnType<typeof setTimeout>;
}

export type NotificationHandler = (msg: Msg) => void;

export class HostIpc {
  private readonly pending = new Map<string, Pending>();
  private readonly handlers: NotificationHandler[] = [];
  private readonly listener = (e: MessageEvent): void => this.receive(e.data);

  constructor(
    private readonly api: VsCodeApiLike,
    private readonly target: Pick<Window, 'addEventListener' | 'removeEventListener'>,
    private readonly timeoutMs = 60_000,
  ) {
    target.addEventListener('message', this.listener);
  }

  request<P, R>(req: Request<P, R>, params: P, timeoutMs = this.timeoutMs): Promise<R> {
    const msg = makeMessage(req, params, 'wv');
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msg.id);
        reject(new SinkLensError('engineTimeout', `No answer to ${req.method} within ${Math.round(timeoutMs / 1000)} s.`));
      }, timeoutMs);
      this.pending.set(msg.id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.api.postMessage(msg);
    });
  }

  command<C extends Command<unknown>>(cmd: C, params: ParamsOf<C>): void {
    this.api.postMessage(makeMessage(cmd, params, 'wv'));
  }

  onNotification(handler: NotificationHandler): void {
    this.handlers.push(handler);
  }

  log(level: 'info' | 'warn' | 'error', message: string): void {
    this.command(WebviewLog, { level, message });
  }

  receive(data: unknown): void {
    const v = validatePanelMessage(data, 'toWebview');
    if (!v.ok) {
      // Never act on a malformed message; tell the host so it shows up in the log.
      this.log('warn', `webview rejected a message: ${v.error.message}`);
      return;
    }
    const m = v.msg;
    if (m.completionId !== undefined) {
      this.settle(m.completionId, m.params as ResponsePayload<unknown>);
      return;
    }
    for (const h of this.handlers) h(m);
  }

  private settle(id: string, payload: ResponsePayload<unknown>): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (payload.ok) p.resolve(payload.value);
    else p.reject(SinkLensError.fromData(payload.error));
  }

  dispose(): void {
    this.target.removeEventListener('message', this.listener);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new SinkLensError('cancelled', 'The panel was closed.'));
    }
    this.pending.clear();
  }
}
