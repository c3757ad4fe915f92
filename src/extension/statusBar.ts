/**
 * The status bar item: the current model (click -> Select Model), a spinner while an analysis
 * runs, and a warning icon when the configured model cannot be resolved.
 */
import * as vscode from 'vscode';
import type { AnalysisController } from './analysisController';
import type { Ctx } from './ctx';

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
    this.subs = [ctx.onDidChangeSettings(() => this.update()), controller.onDidChangeBusy(() => this.update())];
    this.update();
    this.item.show();
  }

  update(): void {
    const r = this.ctx.resolveModel();
    const live = this.ctx.settings.live ? ' $(sync)' : '';
    const icon = this.controller.busy ? '$(loading~spin)' : r.ok ? '$(pulse)' : '$(warning)';
    const label = r.ok ? r.model.label : 'no model';
    this.item.text = `${icon} SinkLens: ${label}${live}`;
    const tip = new vscode.MarkdownString(
      r.ok ? `**SinkLens model:** ${r.model.label}\n\n\`${r.model.dir}\`` : `**SinkLens:** ${r.message}`,
    );
    tip.appendMarkdown(`\n\nClick to select a model.${this.ctx.settings.live ? ' Live analysis is on.' : ''}`);
    this.item.tooltip = tip;
    this.item.backgroundColor = r.ok ? undefined : new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
    this.item.dispose();
  }
}
