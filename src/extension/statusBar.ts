/**
 * The status bar item: the current model (click -> Select Model), a spinner while an analysis
 * runs, and a warning icon when the configured model cannot be resolved.
 */
import * as vscode from 'vscode';
import type { AnalysisController } from './analysisController';
import type { Ctx } from './ctx';
import { modelTooltip } from './markdown';

export class ModelStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly ctx: Ctx,
    private readonly controller: AnalysisController,
  ) {
    this.item = vscode.window.createStatusBarItem('sinklens.model', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'SinkLens Model';
    this.item.command = 'sinklens.selectModel';
    this.subs = [ctx.onDidChangeSettings(() => this.update()), controller.onDidChangeBusy(() => this.update()), vscode.workspace.onDidGrantWorkspaceTrust(() => this.update())];
    this.update();
    this.item.show();
  }

  update(): void {
    const r = this.ctx.resolveModel();
    const live = this.ctx.settings.live ? ' $(sync)' : '';
    const icon = this.controller.busy ? '$(loading~spin)' : r.ok ? '$(pulse)' : '$(warning)';
    const label = r.ok ? r.model.label : 'no model';
    this.item.text = `${icon} SinkLens: ${label}${live}`;
    // Model names and paths come from folders and settings: escaped, and the tooltip is untrusted (no command links).
    const tip = new vscode.MarkdownString(modelTooltip(r.ok ? { ok: true, label: r.model.label, dir: r.model.dir } : { ok: false, message: r.message }, this.ctx.settings.live, this.ctx.restricted));
    tip.isTrusted = false;
    tip.supportHtml = false;
    this.item.tooltip = tip;
    this.item.backgroundColor = r.ok ? undefined : new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
    this.item.dispose();
  }
}
