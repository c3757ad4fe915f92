/**
 * The one place where the host side meets F's panel (src/extension/panel/): results, progress and
 * errors go into the shared PanelStore (so the panel and the summary view always agree), the panel
 * is opened beside the editor on demand, and the panel's requests (attention map of one head,
 * ablation and logit-lens re-runs, reveal tokens in the editor) are served by the engine client and the controller.
 */
import * as vscode from 'vscode';
import type { Progress } from '../shared/engineApi';
import { SinkLensError, type ErrorData } from '../shared/errors';
import type { CharRange, PanelSource } from '../shared/protocol/panel';
import type { AnalysisResult, AttentionMap } from '../shared/result';
import type { AnalysisController, PanelPort } from './analysisController';
import type { PanelState } from './api';
import { loadOptions } from './config';
import type { Ctx } from './ctx';
import { panelStore, registerPanel, type PanelDeps, type PanelHost } from './panel';
import { hasLogitLens } from './panel/panelHandlers';

export class PanelBridge implements PanelPort, vscode.Disposable {
  private controller: AnalysisController | undefined;
  /** F's registration: the panel serializer (survives reloads) and the summary view provider. */
  private readonly host: PanelHost;

  constructor(private readonly ctx: Ctx) {
    this.host = registerPanel({ subscriptions: [] }, this.deps());
  }

  /** Late wiring: the controller needs the bridge and the bridge serves the panel's ablation requests through the controller. */
  connect(controller: AnalysisController): void {
    this.controller = controller;
  }

  /** What F's panel and summary view need from the host. */
  deps(): PanelDeps {
    return {
      extensionUri: this.ctx.context.extensionUri,
      log: this.ctx.log,
      requestAttention: (block, head) => this.attention(block, head),
      requestAblation: (on) => this.ablation(on),
      requestLogitLens: (on) => this.logitLens(on),
      revealTokens: (ranges, uri) => {
        this.reveal(ranges, uri).catch((e: unknown) => this.ctx.log.warn(`reveal tokens failed: ${(e as Error).message}`));
      },
    };
  }

  open(): void {
    this.host.open(false);
  }

  showResult(result: AnalysisResult, source: PanelSource, reveal: boolean): void {
    // The editor keeps the focus when the panel opens: the user is usually still writing the prompt.
    this.host.showResult(result, source, reveal ? true : undefined);
  }

  showProgress(p: Progress): void {
    this.host.showProgress(p);
  }

  showError(e: ErrorData): void {
    this.host.showError(e);
  }

  idle(): void {
    panelStore.setIdle();
  }

  state(): PanelState {
    return this.host.state();
  }

  dispose(): void {
    this.host.dispose();
  }

  private attention(block: number, head: number): Promise<AttentionMap> {
    const snap = panelStore.current();
    if (!snap) return Promise.reject(new SinkLensError('badRequest', 'There is no analysis to show attention for; analyse a prompt first.'));
    const r = snap.result;
    // Tokenisation must match the shown result, so the options come from its settings echo, not from the current settings.
    const options = {
      prependBos: r.settings.prependBos,
      chatTemplate: r.settings.chatTemplate,
      maxTokens: r.settings.maxTokens,
      tau: r.settings.tau,
      includeFirstQuery: r.settings.includeFirstQuery,
      entropy: r.settings.entropy,
    };
    return this.ctx.engine.attention(r.model.dir, loadOptions(this.ctx.settings), { text: r.input.text, options, block, head });
  }

  private ablation(on: boolean): Promise<AnalysisResult | undefined> {
    // A lens already shown survives the ablation re-run.
    return this.rerunShown((r) => ({ ablate: on ? 'auto' : null, logitLens: hasLogitLens(r) || undefined }));
  }

  /** Re-runs the shown analysis with the logit lens on every layer (on) or as the setting says (off), keeping its ablation. */
  private logitLens(on: boolean): Promise<AnalysisResult | undefined> {
    return this.rerunShown((r) => ({ ablate: r.ablation ? 'auto' : null, logitLens: on || undefined }));
  }

  /** Re-analyses the text of the result the panel shows, on its model, with the given overrides. */
  private async rerunShown(
    overrides: (r: AnalysisResult) => { ablate: 'auto' | null; logitLens: true | undefined },
  ): Promise<AnalysisResult | undefined> {
    const snap = panelStore.current();
    if (!snap || !this.controller) return undefined;
    const uri = snap.source.uri === '' ? undefined : vscode.Uri.parse(snap.source.uri);
    return this.controller.analyze(
      { text: snap.result.input.text, uri, offset: snap.source.offset },
      { ...overrides(snap.result), modelDir: snap.result.model.dir, progress: 'notification' },
    );
  }

  /** Selects document ranges (UTF-16 offsets into the document at `uri`) in its editor. */
  private async reveal(ranges: CharRange[], uri: string): Promise<void> {
    if (uri === '' || ranges.length === 0) return;
    const target = vscode.Uri.parse(uri);
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === target.toString());
    const editor =
      visible ??
      (await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target), { viewColumn: vscode.ViewColumn.One, preserveFocus: true }));
    const doc = editor.document;
    const len = doc.getText().length;
    const clamp = (o: number): number => Math.max(0, Math.min(len, o));
    editor.selections = ranges.map((r) => new vscode.Selection(doc.positionAt(clamp(r.start)), doc.positionAt(clamp(r.end))));
    const first = editor.selections[0];
    if (first) editor.revealRange(first, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}
