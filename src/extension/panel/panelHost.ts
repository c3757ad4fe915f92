/**
 * The panel side of the extension, created once by activate(): it owns the PanelStore (the one
 * "last result" of the extension, shown by the panel and the summary view alike), the panel (at
 * most one, opened on demand, revived after a window reload with the last shown result, kept on
 * disk by panelKeep.ts) and the summary view. It is the AnalysisController's port: results,
 * progress and errors go straight into the store, and both webviews follow the store. The panel's
 * own requests (one head's attention map, ablation and logit-lens re-runs, reveal tokens in the
 * editor) are served here, re-runs through `analyze`.
 */
import * as vscode from 'vscode';
import type { Progress } from '../../shared/engineApi';
import { SinkLensError, type ErrorData } from '../../shared/errors';
import type { CharRange, PanelCompare, PanelSnapshot, PanelSource } from '../../shared/protocol/panel';
import type { AnalysisResult, AttentionMap, Intervention } from '../../shared/result';
import type { AnalysisTarget, PanelPort, RunOptions } from '../analysisController';
import type { PanelState } from '../api';
import { loadOptions } from '../config';
import type { Ctx } from '../ctx';
import type { ChannelHandlers } from './panelChannel';
import { createWebviewPanel, PANEL_VIEW_TYPE, PanelController, type WebviewDeps } from './panelController';
import { hasLogitLens, panelHandlers } from './panelHandlers';
import { keepSnapshot, keptSnapshotPath, readKeptSnapshot } from './panelKeep';
import { PanelStore } from './panelStore';
import { SUMMARY_VIEW_ID, SummaryViewProvider } from './summaryView';
import { saveChartPng, saveChartSvg } from '../study/exports';

/** Runs one analysis (the AnalysisController's `analyze`); the panel's re-runs go through it. */
export type Analyze = (target: AnalysisTarget, opts: RunOptions) => Promise<AnalysisResult>;

export class PanelHost implements PanelPort, vscode.Disposable {
  readonly store = new PanelStore();
  private panel: PanelController | undefined;
  private readonly deps: WebviewDeps;
  private readonly handlers: ChannelHandlers;
  private readonly disposables: vscode.Disposable[] = [];
  /** Set while the kept result is put back into the store (it is not written again). */
  private restoring = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly analyze: Analyze,
  ) {
    this.deps = { extensionUri: ctx.context.extensionUri, log: ctx.log };
    this.handlers = panelHandlers(
      this.store,
      {
        requestAttention: (block, head) => this.attention(block, head),
        requestAblation: (on, interventions) =>
          this.rerunShown((r) => ({ ...shownExtras(r), ...(interventions ? { ablate: null, interventions } : { ablate: on ? 'auto' : null }) })),
        // The lens on every layer (on) or as the setting says (off), keeping the rest of what is shown.
        requestLogitLens: (on) => this.rerunShown((r) => ({ ...shownExtras(r), ...shownIntervention(r), logitLens: on || undefined })),
        // The per-token loss (on), keeping the rest of what is shown.
        requestTokenLoss: (on) => this.rerunShown((r) => ({ ...shownExtras(r), ...shownIntervention(r), tokenLoss: on || undefined })),
        revealTokens: (ranges, uri) => {
          this.reveal(ranges, uri).catch((e: unknown) => ctx.log.warn(`reveal tokens failed: ${(e as Error).message}`));
        },
        saveChartImage: (name, dataUrl, result) => {
          saveChartPng(ctx, name, dataUrl, result).catch((e: unknown) => void vscode.window.showErrorMessage(`SinkLens: export failed: ${(e as Error).message}`));
        },
        saveChartSvg: (name, spec, result) => {
          saveChartSvg(ctx, name, spec, result).catch((e: unknown) => void vscode.window.showErrorMessage(`SinkLens: export failed: ${(e as Error).message}`));
        },
      },
      () => this.open(false),
    );
    const summary = new SummaryViewProvider(this.deps, this.store, this.handlers);
    this.disposables.push(
      // Every shown result (analyses, the panel's re-runs, comparisons) is kept for a window reload.
      this.store.onChange((what) => {
        if (what === 'snapshot' && !this.restoring) this.keep();
      }),
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          this.restoreKept();
          this.adopt(panel);
        },
      }),
      vscode.window.registerWebviewViewProvider(SUMMARY_VIEW_ID, summary),
      summary,
    );
  }

  /** Reveals the open panel, or creates it beside the active editor. */
  open(preserveFocus = false): void {
    if (this.panel) this.panel.reveal(preserveFocus);
    else this.adopt(createWebviewPanel(this.deps.extensionUri, preserveFocus));
  }

  /** The result the panel shows and where its text came from (null before the first analysis). */
  shown(): PanelSnapshot | null {
    return this.store.current();
  }

  // PanelPort: the controller reports here.
  showResult(result: AnalysisResult, source: PanelSource, reveal: boolean): void {
    this.store.setResult(result, source);
    // The editor keeps the focus when the panel opens: the user is usually still writing the prompt.
    if (reveal) this.open(true);
  }

  /** Shows `result` with another run as the overlay and the verdict in the header (Compare with HEAD). */
  showCompared(result: AnalysisResult, source: PanelSource, compare: PanelCompare): void {
    this.store.setResult(result, source, compare);
    this.open(true);
  }

  showProgress(p: Progress): void {
    this.store.setProgress(p);
  }

  showError(e: ErrorData): void {
    this.store.setError(e);
  }

  idle(): void {
    this.store.setIdle();
  }

  /** For the extension API and tests: whether a panel is open, its webview answered Ready, and the token count shown. */
  state(): PanelState {
    return { open: this.panel !== undefined, ready: this.panel?.isReady() ?? false, tokens: this.store.current()?.result.tokens.length ?? 0 };
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** Where the shown result is kept for a window reload: the workspace's storage, else the global one. */
  private keptPath(): string {
    const { storageUri, globalStorageUri } = this.ctx.context;
    return keptSnapshotPath((storageUri ?? globalStorageUri).fsPath);
  }

  /** Keeps the shown result for a reload, after the panel has it (best effort: a failed write only costs the restore). */
  private keep(): void {
    const snap = this.store.current();
    if (!snap) return;
    setImmediate(() => {
      if (this.store.current() !== snap) return; // a newer result is kept instead
      try {
        if (!keepSnapshot(this.keptPath(), snap)) this.ctx.log.info('the shown analysis is too large to keep for a window reload; a reload shows an empty panel');
      } catch (e) {
        this.ctx.log.warn(`could not keep the shown analysis for a reload: ${(e as Error).message}`);
      }
    });
  }

  /** A panel VS Code restores after a reload shows the kept result (when this window has shown none since). */
  private restoreKept(): void {
    if (this.store.current()) return;
    const snap = readKeptSnapshot(this.keptPath());
    if (!snap) return;
    this.restoring = true; // already on disk
    try {
      this.store.setResult(snap.result, snap.source, snap.compare);
    } finally {
      this.restoring = false;
    }
    this.ctx.log.info(`panel restored with the last analysis (${snap.result.model.name}, ${snap.result.tokens.length} tokens)`);
  }

  /** Wraps a webview panel (new, or restored by VS Code) as the one open panel. */
  private adopt(webviewPanel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    const panel: PanelController = new PanelController(webviewPanel, this.deps, this.store, this.handlers, () => {
      if (this.panel === panel) this.panel = undefined;
    });
    this.panel = panel;
  }

  private attention(block: number, head: number): Promise<AttentionMap> {
    const snap = this.store.current();
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

  /** Re-analyses the text of the shown result, on its model, with the given overrides. */
  private async rerunShown(
    overrides: (r: AnalysisResult) => { ablate: 'auto' | null; interventions?: Intervention[]; logitLens: true | undefined; tokenLoss: true | undefined },
  ): Promise<AnalysisResult | undefined> {
    const snap = this.store.current();
    if (!snap) return undefined;
    return this.analyze(targetOf(snap), { ...overrides(snap.result), modelDir: snap.result.model.dir, progress: 'notification' });
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

/** The shown result's compared run as run options: `ablate: 'auto'`, or the interventions it was asked for. */
/** The optional data a shown result carries (lens, per-token loss), asked for again by a re-run of it. */
function shownExtras(r: AnalysisResult): { logitLens: true | undefined; tokenLoss: true | undefined } {
  return { logitLens: hasLogitLens(r) || undefined, tokenLoss: r.baseline.tokenLoss ? true : undefined };
}

function shownIntervention(r: AnalysisResult): { ablate: 'auto' | null; interventions?: Intervention[] } {
  if (!r.ablation) return { ablate: null };
  if (r.settings.ablate !== null || !r.ablation.interventions) return { ablate: 'auto' };
  return { ablate: null, interventions: r.ablation.interventions };
}

/** The analysis target of a shown result: its text, its document ('' = none) and the text's offset there. */
export function targetOf(snap: PanelSnapshot): AnalysisTarget {
  return { text: snap.result.input.text, uri: snap.source.uri === '' ? undefined : vscode.Uri.parse(snap.source.uri), offset: snap.source.offset };
}
