/**
 * The analysis panel (viewType 'sinklens.panel'): one webview panel beside the editor, created or
 * revealed on demand and revived after a window reload by the serializer `registerPanel` installs.
 *
 * State lives in the shared `PanelStore` (the last result and the run status), not in the webview:
 * with retainContextWhenHidden off, VS Code destroys the webview document when the panel is hidden,
 * and the webview asks for the complete state again with its Ready request when it comes back.
 */
import * as vscode from 'vscode';
import type { Progress } from '../../shared/engineApi';
import type { ErrorData } from '../../shared/errors';
import { DidChangeSnapshot, DidChangeStatus, type PanelSource } from '../../shared/protocol/panel';
import type { AnalysisResult } from '../../shared/result';
import { renderWebviewHtml, webviewOptions } from './html';
import { PanelChannel, type Logger } from './panelChannel';
import { panelHandlers, type HandlerDeps } from './panelHandlers';
import { PanelStore } from './panelStore';

export const PANEL_VIEW_TYPE = 'sinklens.panel';

/** What the panel needs from the rest of the extension (E's analysis controller and engine client). */
export interface PanelDeps extends HandlerDeps {
  extensionUri: vscode.Uri;
  log: Logger;
}

export interface PanelStateInfo {
  open: boolean;
  ready: boolean;
  tokens: number;
}

/** One store for the panel and the summary view, so both always show the same result. */
export const panelStore = new PanelStore();

export class PanelController implements vscode.Disposable {
  private static current: PanelController | undefined;
  private readonly channel: PanelChannel;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    deps: PanelDeps,
    private readonly store: PanelStore,
  ) {
    const { webview } = panel;
    webview.options = webviewOptions(deps.extensionUri, vscode.Uri.joinPath);
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'panel', 'icon.svg');
    this.channel = new PanelChannel(webview, panelHandlers(store, deps, () => this.reveal(false)), deps.log);
    webview.html = renderWebviewHtml({ webview, extensionUri: deps.extensionUri, join: vscode.Uri.joinPath, view: 'panel' }).html;
    const sub = store.onChange((what) => this.push(what));
    this.disposables.push(
      { dispose: () => sub.dispose() },
      panel.onDidDispose(() => this.dispose()),
      // Hidden = the webview document is destroyed; it re-sends Ready when shown again.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.channel.markNotReady();
      }),
    );
  }

  /** Reveals the open panel, or creates it beside the active editor. */
  static createOrShow(deps: PanelDeps, opts: { preserveFocus?: boolean; store?: PanelStore } = {}): PanelController {
    const preserveFocus = opts.preserveFocus ?? false;
    const cur = PanelController.current;
    if (cur && !cur.disposed) {
      cur.reveal(preserveFocus);
      return cur;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'SinkLens',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { ...webviewOptions(deps.extensionUri, vscode.Uri.joinPath), retainContextWhenHidden: false, enableFindWidget: true },
    );
    PanelController.current = new PanelController(panel, deps, opts.store ?? panelStore);
    return PanelController.current;
  }

  /** Adopts a panel restored by VS Code after a window reload (WebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, deps: PanelDeps, store: PanelStore = panelStore): PanelController {
    PanelController.current?.dispose();
    PanelController.current = new PanelController(panel, deps, store);
    return PanelController.current;
  }

  /** The open panel, if any. */
  static get instance(): PanelController | undefined {
    return PanelController.current && !PanelController.current.disposed ? PanelController.current : undefined;
  }

  /** For the extension API and tests: whether a panel is open, its webview answered Ready, and the token count shown. */
  static state(store: PanelStore = panelStore): PanelStateInfo {
    const cur = PanelController.instance;
    return { open: cur !== undefined, ready: cur?.isReady() ?? false, tokens: store.current()?.result.tokens.length ?? 0 };
  }

  /** `source.offset` is the char offset of the analysed text in the document `source.uri`. */
  showResult(result: AnalysisResult, source: PanelSource, preserveFocus?: boolean): void {
    this.store.setResult(result, source);
    if (preserveFocus !== undefined) this.reveal(preserveFocus);
  }

  showProgress(p: Progress): void {
    this.store.setProgress(p);
  }

  showError(e: ErrorData): void {
    this.store.setError(e);
  }

  isReady(): boolean {
    return !this.disposed && this.channel.isReady();
  }

  state(): PanelStateInfo {
    return { open: !this.disposed, ready: this.isReady(), tokens: this.store.current()?.result.tokens.length ?? 0 };
  }

  reveal(preserveFocus: boolean): void {
    if (!this.disposed) this.panel.reveal(undefined, preserveFocus);
  }

  private push(what: 'snapshot' | 'status'): void {
    const b = this.store.bootstrap();
    if (what === 'snapshot') this.channel.notifyState(DidChangeSnapshot, { snapshot: b.snapshot });
    else this.channel.notifyState(DidChangeStatus, { status: b.status });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (PanelController.current === this) PanelController.current = undefined;
    this.channel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
