/**
 * Live mode (setting `sinklens.live`): after an edit to a prompt file (or to the document of the
 * last analysis), or on switching to another prompt file, re-analyse the prompt section under the
 * cursor once typing pauses. Each new run
 * cancels the stale one (AnalysisController runs one at a time); the engine keeps the model loaded,
 * so a re-run costs only tokenize + forward.
 */
import * as vscode from 'vscode';
import { SinkLensError } from '../shared/errors';
import type { AnalysisController } from './analysisController';
import { documentSections, isPromptDocument } from './codelens';
import type { Ctx } from './ctx';
import type { PanelHost } from './panel/panelHost';
import { sectionAt } from './promptSections';

export const LIVE_DEBOUNCE_MS = 600;

export class LiveMode implements vscode.Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly ctx: Ctx,
    private readonly controller: AnalysisController,
    private readonly panel: PanelHost,
  ) {
    this.subs = [
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0 && this.follows(e.document)) this.schedule();
      }),
      // Following the active prompt: switching to another prompt file re-analyses it (a cache hit when unchanged).
      vscode.window.onDidChangeActiveTextEditor((ed) => {
        if (ed && this.follows(ed.document)) this.schedule();
      }),
      ctx.onDidChangeSettings((e) => {
        if (e?.affectsConfiguration('sinklens.live') && ctx.settings.live) this.schedule(0);
        if (!ctx.settings.live) this.stopTimer();
      }),
    ];
  }

  /** Whether live mode reacts to edits of `doc`. */
  follows(doc: vscode.TextDocument): boolean {
    if (!this.ctx.settings.live) return false;
    const active = vscode.window.activeTextEditor?.document;
    if (active?.uri.toString() !== doc.uri.toString()) return false;
    return isPromptDocument(doc, this.ctx.settings.promptFiles) || this.panel.shown()?.source.uri === doc.uri.toString();
  }

  schedule(ms = LIVE_DEBOUNCE_MS): void {
    this.stopTimer();
    this.timer = setTimeout(() => void this.runNow(), ms);
  }

  /** Analyses the section under the cursor of the active editor; errors go to the log, not to pop-ups. */
  async runNow(): Promise<void> {
    this.timer = undefined;
    const ed = vscode.window.activeTextEditor;
    if (!ed || !this.ctx.settings.live) return;
    const doc = ed.document;
    const sections = documentSections(doc);
    const hit = sectionAt(
      sections.map((s) => s.section),
      doc.offsetAt(ed.selection.active),
    );
    if (!hit) return;
    try {
      await this.controller.analyze({ text: hit.text, uri: doc.uri, offset: hit.start }, { progress: 'window', reveal: false });
    } catch (e) {
      if (!SinkLensError.is(e, 'cancelled')) this.ctx.log.warn(`live analysis failed: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    this.stopTimer();
    for (const d of this.subs) d.dispose();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
