/**
 * The compact SinkLens view ('sinklens.summaryView', a WebviewView in the extension's view
 * container): the active prompt's summary (sink-mass strip, valley, phases) and a button that
 * opens the full panel. Same bundle, same protocol and same store as the panel.
 */
import * as vscode from 'vscode';
import { DidChangeSnapshot, DidChangeStatus } from '../../shared/protocol/panel';
import { renderWebviewHtml, webviewOptions } from './html';
import { PanelChannel } from './panelChannel';
import type { PanelDeps } from './panelController';
import { panelHandlers } from './panelHandlers';
import type { PanelStore } from './panelStore';

export const SUMMARY_VIEW_ID = 'sinklens.summaryView';

export class SummaryViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private channel: PanelChannel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly deps: PanelDeps,
    private readonly store: PanelStore,
    private readonly openPanel: () => void,
  ) {
    const sub = store.onChange((what) => {
      const b = store.bootstrap();
      if (what === 'snapshot') this.channel?.notifyState(DidChangeSnapshot, { snapshot: b.snapshot });
      else this.channel?.notifyState(DidChangeStatus, { status: b.status });
    });
    this.disposables.push({ dispose: () => sub.dispose() });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.channel?.dispose();
    const { webview } = view;
    webview.options = webviewOptions(this.deps.extensionUri, vscode.Uri.joinPath);
    const channel = new PanelChannel(webview, panelHandlers(this.store, this.deps, this.openPanel), this.deps.log);
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
