/**
 * The study view: a webview panel (viewType 'sinklens.study', at most one) showing the last study run
 * in this window. The HTML comes from the one builder (panel/html.ts, view 'study'); the study travels by
 * postMessage (StudyChannel). Rows open the prompt's analysis in the analysis panel on the row's model.
 *
 * After a window reload VS Code restores the view through the registered serializer: the host keeps the last
 * shown study in the extension's storage (`studies/last.study.json`, written when shown) and shows it again;
 * the webview keeps no study of its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StudyExportRequest, StudyRenderReport } from '../../shared/protocol/study';
import type { StudyResult } from '../../shared/study';
import type { AnalysisTarget, RunOptions } from '../analysisController';
import type { Ctx } from '../ctx';
import { renderWebviewHtml, webviewOptions } from '../panel/html';
import { StudyChannel } from './studyChannel';
import { exportStudy } from './exports';
import { lastStudyPath, readLastStudy } from './studyPlan';

export const STUDY_VIEW_TYPE = 'sinklens.study';

export type Analyze = (target: AnalysisTarget, opts: RunOptions) => Promise<unknown>;

export interface StudyViewState {
  open: boolean;
  /** What the view reported drawing for the current study (null until it has). */
  rendered: StudyRenderReport | null;
}

export class StudyView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private channel: StudyChannel | undefined;
  private readonly serializer: vscode.Disposable;

  constructor(
    private readonly ctx: Ctx,
    private readonly analyze: Analyze,
  ) {
    this.serializer = vscode.window.registerWebviewPanelSerializer(STUDY_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => this.restore(panel),
    });
  }

  show(study: StudyResult): void {
    this.persist(study);
    if (this.panel && this.channel) {
      this.channel.show(study);
      this.panel.reveal(vscode.ViewColumn.Active);
      return;
    }
    const panel = vscode.window.createWebviewPanel(STUDY_VIEW_TYPE, 'SinkLens Study', vscode.ViewColumn.Active, {
      ...webviewOptions(this.ctx.context.extensionUri, vscode.Uri.joinPath),
      retainContextWhenHidden: false,
    });
    this.adopt(panel, study);
  }

  /** A study view VS Code restores after a reload: the last shown study again, or nothing to show (closed). */
  private restore(panel: vscode.WebviewPanel): void {
    const study = readLastStudy(lastStudyPath(this.ctx.context.globalStorageUri.fsPath));
    if (!study) {
      this.ctx.log.info('study view: no saved study to restore; closing the view');
      panel.dispose();
      return;
    }
    panel.webview.options = webviewOptions(this.ctx.context.extensionUri, vscode.Uri.joinPath);
    this.panel?.dispose();
    this.adopt(panel, study);
    this.ctx.log.info(`study view restored (${study.models.length} model(s), ${study.prompts.length} prompt(s))`);
  }

  /** Keeps the shown study for a reload (best effort: a failed write only costs the restore). */
  private persist(study: StudyResult): void {
    const file = lastStudyPath(this.ctx.context.globalStorageUri.fsPath);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(study));
    } catch (e) {
      this.ctx.log.warn(`study view: could not keep the study for a reload: ${(e as Error).message}`);
    }
  }

  private adopt(panel: vscode.WebviewPanel, study: StudyResult): void {
    const channel = new StudyChannel(panel.webview, study, { openPrompt: (m, p) => this.openPrompt(m, p), exportStudy: (r) => this.export(r) }, this.ctx.log);
    panel.webview.html = renderWebviewHtml({ webview: panel.webview, extensionUri: this.ctx.context.extensionUri, join: vscode.Uri.joinPath, view: 'study' }).html;
    panel.onDidChangeViewState(() => {
      if (!panel.visible) channel.markNotReady();
    });
    panel.onDidDispose(() => {
      channel.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
        this.channel = undefined;
      }
    });
    this.panel = panel;
    this.channel = channel;
  }

  state(): StudyViewState {
    return { open: this.panel !== undefined, rendered: this.channel?.rendered() ?? null };
  }

  /** The study shown (for exports from the palette); undefined when no study view is open. */
  current(): StudyResult | undefined {
    return this.channel?.current();
  }

  dispose(): void {
    this.panel?.dispose();
    this.serializer.dispose();
  }

  /** Analyses one prompt of the shown study on the row's model, in the analysis panel. */
  private openPrompt(modelIndex: number, promptIndex: number): void {
    const study = this.channel?.current();
    const model = study?.models[modelIndex];
    const prompt = study?.prompts[promptIndex];
    if (!study || !model || !prompt) return;
    if (prompt.text === undefined) {
      void vscode.window.showWarningMessage(`SinkLens: this study does not carry the text of ${prompt.id}; run the study again to open its prompts.`);
      return;
    }
    const target: AnalysisTarget = { text: prompt.text, uri: promptFile(study.provenance.promptSet.path, prompt.id, prompt.text), offset: 0 };
    this.analyze(target, { modelDir: model.dir, progress: 'notification', reveal: true }).catch((e: unknown) => {
      const err = e as { code?: string; message?: string };
      if (err.code !== 'cancelled') void vscode.window.showErrorMessage(`SinkLens: ${err.message ?? String(e)}`);
    });
  }

  private export(req: StudyExportRequest): void {
    const study = this.channel?.current();
    if (!study) return;
    exportStudy(this.ctx, study, req).catch((e: unknown) => void vscode.window.showErrorMessage(`SinkLens: export failed: ${(e as Error).message}`));
  }
}

/** A folder set's prompt is a whole file: its URI, so the panel can reveal tokens there (undefined for .jsonl/.txt lines). */
function promptFile(setPath: string, id: string, text: string): vscode.Uri | undefined {
  try {
    if (!fs.statSync(setPath).isDirectory()) return undefined;
    const file = path.join(setPath, id);
    return fs.readFileSync(file, 'utf8') === text ? vscode.Uri.file(file) : undefined;
  } catch {
    return undefined;
  }
}

