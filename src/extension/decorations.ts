/**
 * Heat highlight of per-token sink mass over the analysed text in the editor (setting
 * `sinklens.decorations`). Token char offsets + the section's offset -> document ranges
 * (tokenHeat.ts, unit-tested); one decoration type per heat level. Any edit of the document
 * clears its highlight, because the offsets no longer match the text.
 */
import * as vscode from 'vscode';
import type { AnalysisEvent, Ctx } from './ctx';
import { heatSpans, spansByLevel, type HeatSpan } from './tokenHeat';

const LEVELS = 5;

interface Applied {
  uri: string;
  version: number;
  spans: HeatSpan[];
}

export class SinkDecorations implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];
  private applied: Applied | undefined;
  /** Ranges last handed to setDecorations per document uri (read by the test hook `decorationCount`). */
  private readonly painted = new Map<string, number>();
  private readonly subs: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.types = Array.from({ length: LEVELS }, (_, i) =>
      vscode.window.createTextEditorDecorationType({
        // Alpha grows with the level; a translucent orange reads on light, dark and high-contrast themes.
        backgroundColor: `rgba(255, 120, 0, ${(0.08 + (0.5 * (i + 1)) / LEVELS).toFixed(2)})`,
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    );
    this.subs = [
      ctx.onDidAnalyze((ev) => this.onResult(ev)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.applied && e.document.uri.toString() === this.applied.uri && e.contentChanges.length > 0) this.clear();
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.paint()),
      ctx.onDidChangeSettings(() => {
        if (!ctx.settings.decorations) this.clear();
      }),
    ];
  }

  clear(): void {
    this.applied = undefined;
    this.painted.clear();
    for (const ed of vscode.window.visibleTextEditors) for (const t of this.types) ed.setDecorations(t, []);
  }

  /** How many ranges are currently set on the visible editors of `uri` (0 = none). For the extension-host tests. */
  count(uri: string): number {
    return this.painted.get(uri) ?? 0;
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
    for (const t of this.types) t.dispose();
  }

  private onResult(ev: AnalysisEvent): void {
    if (!this.ctx.settings.decorations || ev.uri === undefined) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === ev.uri?.toString());
    // Only paint when the document still holds exactly the analysed text at that offset.
    if (!doc || doc.getText().slice(ev.offset, ev.offset + ev.result.input.text.length) !== ev.result.input.text) return;
    this.clear();
    this.applied = { uri: doc.uri.toString(), version: doc.version, spans: heatSpans(ev.result, ev.offset, LEVELS) };
    this.paint();
  }

  private paint(): void {
    const a = this.applied;
    if (!a) return;
    for (const ed of vscode.window.visibleTextEditors) {
      if (ed.document.uri.toString() !== a.uri || ed.document.version !== a.version) continue;
      const byLevel = spansByLevel(a.spans, LEVELS);
      this.painted.set(a.uri, byLevel.reduce((n, spans) => n + spans.length, 0));
      this.types.forEach((t, level) => {
        const spans = byLevel[level] ?? [];
        ed.setDecorations(
          t,
          spans.map((s) => ({
            range: new vscode.Range(ed.document.positionAt(s.start), ed.document.positionAt(s.end)),
            hoverMessage: `sink mass ${s.value.toFixed(3)} (mean over layers)`,
          })),
        );
      });
    }
  }
}
