/**
 * The compact SinkLens view ('sinklens.summaryView', a WebviewView in the extension's view
 * container): the active prompt's summary (sink-mass strip, valley, phases) and a button that
 * opens the full panel. Same bundle, same protocol, same store and same request handlers as the panel.
 */
import * as vscode from 'vscode';
import { DidChangeSnapshot, DidChangeStatus } from '../../shared/protocol/panel';
import { renderWebviewHtml, webviewOptions } from './html';
import { PanelChannel, type ChannelHandlers } from './panelChannel';
import type { WebviewDeps } from './panelController';
import type { PanelStore } from './panelStore';

export const SUMMARY_VIEW_ID = 'sinklens.summaryView';

export class SummaryViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private channel: PanelChannel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly deps: WebviewDeps,
    store: PanelStore,
    private readonly handlers: ChannelHandlers,
  ) {
    const sub = store.onChange((what) => {
      const b = store.bootstrap();
      if (what === 'snapshot') this.channel?.notifyState(DidChangeSnapshot, { snapshot: b.snapshot });
      else if (what === 'status') this.channel?.notifyState(DidChangeStatus, { status: b.status });
    });
    this.disposables.push({ dispose: () => sub.dispose() });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.channel?.dispose();
    const { webview } = view;
    webview.options = webviewOptions(this.deps.extensionUri, vscode.Uri.joinPath);
    const channel = new PanelChannel(webview, this.handlers, this.deps.log);
    this.channel = channel;
    webview.html = renderWebviewHtml({ webview, extensionUri: this.deps.extensionUri, join: vscode.Uri.joinPath, view: 'summary' }).html;
    this.disposables.push(
      view.onDidChangeVisibility(() => {
        if (!view.visible) channel.markNotReady();
      }),
      view.onDidDispose(() => {
        channel.dispose();
        if (this.channel === channel) this.channel = undefined;
      }),
    );
  }

  dispose(): void {
    this.channel?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
