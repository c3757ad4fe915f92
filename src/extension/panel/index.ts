/**
 * Registration of everything panel-related, called once from activate():
 *   const panel = registerPanel(context, deps);
 *   panel.open();                          // command sinklens.openPanel
 *   panel.showResult(result, source, pf);  // after an analysis (source.offset: offset of the text in the document)
 *   panel.showProgress(p); panel.showError(e); panel.state();
 * It installs the WebviewPanelSerializer for 'sinklens.panel' (the panel survives a window reload;
 * needs the activation event `onWebviewPanel:sinklens.panel`) and the 'sinklens.summaryView' provider.
 * Results go to the shared store even while the panel is closed, so opening it later shows the last one.
 */
import * as vscode from 'vscode';
import type { Progress } from '../../shared/engineApi';
import type { ErrorData } from '../../shared/errors';
import type { PanelSource } from '../../shared/protocol/panel';
import type { AnalysisResult } from '../../shared/result';
import { PANEL_VIEW_TYPE, PanelController, panelStore, type PanelDeps, type PanelStateInfo } from './panelController';
import { SUMMARY_VIEW_ID, SummaryViewProvider } from './summaryView';

export { PANEL_VIEW_TYPE, PanelController, panelStore, SUMMARY_VIEW_ID, SummaryViewProvider };
export type { PanelDeps, PanelStateInfo };

export interface PanelHost extends vscode.Disposable {
  open(preserveFocus?: boolean): PanelController;
  showResult(result: AnalysisResult, source: PanelSource, preserveFocus?: boolean): void;
  showProgress(p: Progress): void;
  showError(e: ErrorData): void;
  isOpen(): boolean;
  state(): PanelStateInfo;
}

export function registerPanel(context: { subscriptions: { dispose(): unknown }[] }, deps: PanelDeps): PanelHost {
  const open = (preserveFocus = false): PanelController => PanelController.createOrShow(deps, { preserveFocus });
  const summary = new SummaryViewProvider(deps, panelStore, () => void open(false));
  const disposables: vscode.Disposable[] = [
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => {
        PanelController.revive(panel, deps);
      },
    }),
    vscode.window.registerWebviewViewProvider(SUMMARY_VIEW_ID, summary),
    summary,
  ];
  const host: PanelHost = {
    open,
    showResult: (result, source, preserveFocus) => {
      panelStore.setResult(result, source);
      if (preserveFocus !== undefined) open(preserveFocus);
    },
    showProgress: (p) => panelStore.setProgress(p),
    showError: (e) => panelStore.setError(e),
    isOpen: () => PanelController.instance !== undefined,
    state: () => PanelController.state(),
    dispose: () => {
      PanelController.instance?.dispose();
      for (const d of disposables.splice(0)) d.dispose();
    },
  };
  context.subscriptions.push(host);
  return host;
}
