/**
 * The host end of the study view's protocol (shared/protocol/study.ts), vscode-free so it is unit-tested
 * with a fake webview: answers the view's Ready with the study (again after a reload), routes row clicks
 * and export requests, keeps the view's last render report, and drops anything malformed (logged).
 */
import { WebviewLog } from '../../shared/protocol/panel';
import { readStudyViewMessage, StudyExport, StudyOpenPrompt, StudyRendered, StudyShow, StudyViewReady, type StudyExportRequest, type StudyRenderReport } from '../../shared/protocol/study';
import type { StudyResult } from '../../shared/study';
import type { Logger, WebviewPort } from '../panel/panelChannel';

export interface StudyHandlers {
  openPrompt(modelIndex: number, promptIndex: number): void;
  exportStudy(req: StudyExportRequest): void;
}

let seq = 0;

export class StudyChannel {
  private ready = false;
  private report: StudyRenderReport | null = null;
  private readonly sub: { dispose(): void };

  constructor(
    private readonly webview: WebviewPort,
    private study: StudyResult,
    private readonly handlers: StudyHandlers,
    private readonly log: Logger,
  ) {
    this.sub = webview.onDidReceiveMessage((m) => this.receive(m));
  }

  current(): StudyResult {
    return this.study;
  }

  /** What the view last reported drawing (null before its first render of the current study). */
  rendered(): StudyRenderReport | null {
    return this.report;
  }

  /** Shows another study (a rerun); sent now when the view is ready, else on its Ready. */
  show(study: StudyResult): void {
    this.study = study;
    this.report = null;
    if (this.ready) this.post();
  }

  receive(raw: unknown): void {
    const rawMsg = raw as { method?: unknown; params?: { level?: unknown; message?: unknown } } | null;
    if (rawMsg?.method === WebviewLog.method) {
      const level = rawMsg.params?.level;
      const text = `study view: ${String(rawMsg.params?.message)}`;
      if (level === 'error' || level === 'warn' || level === 'info') this.log[level](text);
      return;
    }
    const m = readStudyViewMessage(raw);
    if (!m) {
      this.log.warn(`study view: dropped a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (StudyViewReady.is(m)) {
      this.ready = true;
      this.post();
    } else if (StudyOpenPrompt.is(m)) this.handlers.openPrompt(m.params.modelIndex, m.params.promptIndex);
    else if (StudyRendered.is(m)) {
      this.report = m.params;
      this.log.info(`study view drew ${m.params.panels.map((p) => `${p.metric}: ${p.series} curve(s) x ${p.points}`).join(', ')}; ${m.params.rows} row(s)`);
    } else if (StudyExport.is(m)) this.handlers.exportStudy(m.params);
  }

  /** The view was hidden (its document is destroyed): wait for its next Ready. */
  markNotReady(): void {
    this.ready = false;
  }

  dispose(): void {
    this.sub.dispose();
  }

  private post(): void {
    void Promise.resolve(this.webview.postMessage({ id: `sh${++seq}`, method: StudyShow.method, params: { study: this.study } })).catch((e: unknown) =>
      this.log.warn(`study view: post failed: ${(e as Error).message}`),
    );
  }
}
