/**
 * The webview end of the panel protocol: requests with ids, timeouts and typed responses (the shared
 * PendingRequests); commands; validated notifications. The VS Code API object is injected (`acquireVsCodeApi()` in the real
 * webview, a fake in tests), and so is the window that delivers the host's messages.
 */
import type { Command, Msg, ParamsOf, Request, ResponsePayload } from '../shared/protocol/messages';
import { makeMessage, validatePanelMessage, WebviewLog, type WebviewLogLevel } from '../shared/protocol/panel';
import { PendingRequests } from '../shared/protocol/pending';

export interface VsCodeApiLike {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export type NotificationHandler = (msg: Msg) => void;

export class HostIpc {
  private readonly pending = new PendingRequests('wv-req-', { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number) });
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
    const id = this.pending.nextId();
    const answer = this.pending.add<R>(id, {
      meta: undefined,
      timeoutMs,
      // The host did not answer: say so as the panel's own timeout, not as the engine's.
      timeoutError: () => ({ code: 'panelTimeout', message: `No answer to ${req.method} within ${Math.round(timeoutMs / 1000)} s.` }),
    });
    this.api.postMessage({ id, method: req.method, params } satisfies Msg<P>);
    return answer;
  }

  command<C extends Command<unknown>>(cmd: C, params: ParamsOf<C>): void {
    this.api.postMessage(makeMessage(cmd, params, 'wv'));
  }

  onNotification(handler: NotificationHandler): void {
    this.handlers.push(handler);
  }

  log(level: WebviewLogLevel, message: string): void {
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
      this.pending.settle(m.completionId, m.params as ResponsePayload<unknown>);
      return;
    }
    for (const h of this.handlers) h(m);
  }

  dispose(): void {
    this.target.removeEventListener('message', this.listener);
    this.pending.rejectAll({ code: 'cancelled', message: 'The panel was closed.' });
  }
}
