/**
 * The host end of the panel protocol for one webview (panel or summary view): validates every
 * incoming message, answers requests by id (errors as `{code, message}` data), and queues posts
 * until the webview's Ready request arrives. After a reload (hidden with retainContextWhenHidden
 * off, or window reload) the webview sends Ready again and gets the full state again.
 * No vscode import at runtime: unit-tested with a fake webview.
 */
import type { SvgChartSpec } from '../../shared/chartSvg';
import { toErrorData } from '../../shared/errors';
import { requestMethodOf, responseMethodOf, type Msg, type Notification, type ParamsOf, type Request, type ResponsePayload } from '../../shared/protocol/messages';
import {
  GetAttention,
  makeMessage,
  makeResponse,
  OpenPanel,
  PanelReady,
  SaveChartImage,
  SaveChartSvg,
  RevealTokens,
  SetAblation,
  SetLogitLens,
  SetTokenLoss,
  validatePanelMessage,
  WebviewLog,
  type CharRange,
  type PanelBootstrap,
  type PanelView,
  type WebviewLogLevel,
} from '../../shared/protocol/panel';
import type { AttentionMap, Intervention } from '../../shared/result';

/** The part of `vscode.Webview` the channel uses. */
export interface WebviewPort {
  postMessage(msg: unknown): Thenable<boolean> | Promise<boolean>;
  onDidReceiveMessage(listener: (msg: unknown) => void): { dispose(): void };
}

/** Where the channel logs (the SinkLens LogOutputChannel); the webview logs at these levels too. */
export type Logger = Record<WebviewLogLevel, (message: string) => void>;

export interface ChannelHandlers {
  bootstrap(): PanelBootstrap;
  getAttention(block: number, head: number): Promise<AttentionMap>;
  setAblation(on: boolean, interventions?: Intervention[]): Promise<{ rerun: boolean }>;
  setLogitLens(on: boolean): Promise<{ rerun: boolean }>;
  setTokenLoss(on: boolean): Promise<{ rerun: boolean }>;
  revealTokens(ranges: CharRange[]): void;
  openPanel(): void;
  /** Save one chart's PNG (absent: the view has no charts to save). */
  saveChartImage?(name: string, dataUrl: string): void;
  saveChartSvg?(name: string, spec: SvgChartSpec): void;
}

export class PanelChannel {
  private ready = false;
  private view: PanelView | undefined;
  private queue: Msg[] = [];
  private readonly sub: { dispose(): void };

  constructor(
    private readonly webview: WebviewPort,
    private readonly handlers: ChannelHandlers,
    private readonly log: Logger,
  ) {
    this.sub = webview.onDidReceiveMessage((m) => void this.receive(m));
  }

  isReady(): boolean {
    return this.ready;
  }

  /** The webview document is gone (hidden, disposed): queue until it says Ready again. */
  markNotReady(): void {
    this.ready = false;
  }

  notify<N extends Notification<unknown>>(n: N, params: ParamsOf<N>): void {
    const msg = makeMessage(n, params, 'host');
    if (this.ready) void this.post(msg);
    else this.queue.push(msg);
  }

  /**
   * A state change while not ready is dropped rather than queued: the Ready answer carries the
   * complete current state, which supersedes it.
   */
  notifyState<N extends Notification<unknown>>(n: N, params: ParamsOf<N>): void {
    if (this.ready) void this.post(makeMessage(n, params, 'host'));
  }

  async receive(raw: unknown): Promise<void> {
    const v = validatePanelMessage(raw, 'toHost');
    if (!v.ok) {
      this.log.warn(`panel: rejected a message from the webview: ${v.error.message}`);
      const r = raw as { id?: unknown; method?: unknown };
      // Answer malformed requests so the webview's promise settles instead of timing out.
      if (typeof r?.id === 'string' && typeof r.method === 'string' && requestMethodOf(r.method) === undefined) {
        void this.post({ id: `host-bad-${r.id}`, method: responseMethodOf(r.method), completionId: r.id, params: { ok: false, error: v.error } });
      }
      return;
    }
    const m = v.msg;
    if (PanelReady.is(m)) return this.onReady(m);
    if (GetAttention.is(m)) return this.answer(GetAttention, m, () => this.handlers.getAttention(m.params.block, m.params.head));
    if (SetAblation.is(m)) return this.answer(SetAblation, m, () => this.handlers.setAblation(m.params.on, m.params.interventions));
    if (SetLogitLens.is(m)) return this.answer(SetLogitLens, m, () => this.handlers.setLogitLens(m.params.on));
    if (SetTokenLoss.is(m)) return this.answer(SetTokenLoss, m, () => this.handlers.setTokenLoss(m.params.on));
    if (RevealTokens.is(m)) return this.handlers.revealTokens(m.params.ranges);
    if (OpenPanel.is(m)) return this.handlers.openPanel();
    if (SaveChartImage.is(m)) return this.handlers.saveChartImage?.(m.params.name, m.params.dataUrl);
    if (SaveChartSvg.is(m)) return this.handlers.saveChartSvg?.(m.params.name, m.params.spec);
    if (WebviewLog.is(m)) return this.log[m.params.level](`panel (${this.view ?? '?'}): ${m.params.message}`);
  }

  private async onReady(m: Msg<ParamsOf<typeof PanelReady>>): Promise<void> {
    this.view = m.params.view;
    this.ready = true;
    await this.post(makeResponse(PanelReady, m.id, { ok: true, value: this.handlers.bootstrap() }, 'host'));
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) await this.post(q);
  }

  private async answer<R>(req: Request<unknown, R>, m: Msg, run: () => Promise<R>): Promise<void> {
    let payload: ResponsePayload<R>;
    try {
      payload = { ok: true, value: await run() };
    } catch (e) {
      const error = toErrorData(e);
      payload = { ok: false, error: { code: error.code, message: error.message } };
    }
    await this.post(makeResponse(req, m.id, payload, 'host'));
  }

  private async post(msg: Msg): Promise<void> {
    try {
      const delivered = await this.webview.postMessage(msg);
      if (!delivered) this.log.warn(`panel: ${msg.method} was not delivered (webview not visible)`);
    } catch (e) {
      this.log.warn(`panel: posting ${msg.method} failed: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    this.sub.dispose();
    this.queue = [];
    this.ready = false;
  }
}
