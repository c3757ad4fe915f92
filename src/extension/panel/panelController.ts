/**
 * One analysis panel (viewType 'sinklens.panel'): a webview panel beside the editor, created by the
 * PanelHost on demand or adopted from VS Code after a window reload (WebviewPanelSerializer).
 *
 * State lives in the host's `PanelStore` (the last result and the run status), not in the webview:
 * with retainContextWhenHidden off, VS Code destroys the webview document when the panel is hidden,
 * and the webview asks for the complete state again with its Ready request when it comes back.
 */
import * as vscode from 'vscode';
import { DidChangeSnapshot, DidChangeStatus, DidReceivePartial } from '../../shared/protocol/panel';
import { renderWebviewHtml, webviewOptions } from './html';
import { PanelChannel, type ChannelHandlers, type Logger } from './panelChannel';
import type { PanelStore } from './panelStore';

export const PANEL_VIEW_TYPE = 'sinklens.panel';

/** What every SinkLens webview (panel or summary view) needs to load. */
export interface WebviewDeps {
  extensionUri: vscode.Uri;
  log: Logger;
}

/** Creates the webview panel beside the active editor (the host then wraps it in a PanelController). */
export function createWebviewPanel(extensionUri: vscode.Uri, preserveFocus: boolean): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(
    PANEL_VIEW_TYPE,
    'SinkLens',
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
    { ...webviewOptions(extensionUri, vscode.Uri.joinPath), retainContextWhenHidden: false, enableFindWidget: true },
  );
}

export class PanelController implements vscode.Disposable {
  private readonly channel: PanelChannel;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  /** `onDispose` runs once, when the user closes the panel or the host disposes it. */
  constructor(
    private readonly panel: vscode.WebviewPanel,
    deps: WebviewDeps,
    store: PanelStore,
    handlers: ChannelHandlers,
    private readonly onDispose: () => void,
  ) {
    const { webview } = panel;
    webview.options = webviewOptions(deps.extensionUri, vscode.Uri.joinPath);
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'panel', 'icon.svg');
    this.channel = new PanelChannel(webview, handlers, deps.log);
    webview.html = renderWebviewHtml({ webview, extensionUri: deps.extensionUri, join: vscode.Uri.joinPath, view: 'panel' }).html;
    const sub = store.onChange((what) => {
      const b = store.bootstrap();
      if (what === 'snapshot') this.channel.notifyState(DidChangeSnapshot, { snapshot: b.snapshot });
      else if (what === 'status') this.channel.notifyState(DidChangeStatus, { status: b.status });
      else {
        // First paint of a running analysis (the panel only; the summary view waits for the result).
        const u = store.lastPartial();
        if (u) this.channel.notifyState(DidReceivePartial, u);
      }
    });
    this.disposables.push(
      { dispose: () => sub.dispose() },
      panel.onDidDispose(() => this.dispose()),
      // Hidden = the webview document is destroyed; it re-sends Ready when shown again.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.channel.markNotReady();
      }),
    );
  }

  /** Whether the webview answered Ready (and is still there). */
  isReady(): boolean {
    return !this.disposed && this.channel.isReady();
  }

  reveal(preserveFocus: boolean): void {
    if (!this.disposed) this.panel.reveal(undefined, preserveFocus);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.channel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    this.onDispose();
  }
}
