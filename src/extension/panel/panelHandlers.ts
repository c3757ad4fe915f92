/**
 * What the host does for each webview request, shared by the panel and the summary view.
 * No vscode import at runtime (unit-tested with fakes).
 */
import type { SvgChartSpec } from '../../shared/chartSvg';
import type { CharRange } from '../../shared/protocol/panel';
import type { AnalysisResult, AttentionMap, Intervention } from '../../shared/result';
import type { ChannelHandlers } from './panelChannel';
import type { PanelStore } from './panelStore';

export interface HandlerDeps {
  /** Full T x T attention of one (block, head) for the current result's text and settings. */
  requestAttention(block: number, head: number): Promise<AttentionMap>;
  /**
   * Re-run the current text with `ablate: 'auto'` (on), or with these interventions, and return the new result,
   * or undefined if there is nothing to re-run.
   */
  requestAblation(on: boolean, interventions?: Intervention[]): Promise<AnalysisResult | undefined>;
  /** Re-run the current text with `logitLens: 'all'` and return the new result, or undefined if there is nothing to re-run. */
  requestLogitLens(on: boolean): Promise<AnalysisResult | undefined>;
  /** Re-run the current text with `tokenLoss: true` and return the new result, or undefined if there is nothing to re-run. */
  requestTokenLoss(on: boolean): Promise<AnalysisResult | undefined>;
  /** Highlight these document ranges (UTF-16 offsets into the document at `uri`) in its editor. */
  revealTokens(ranges: CharRange[], uri: string): void;
  /** Save a chart of the shown result as PNG (with its provenance beside it). */
  saveChartImage?(name: string, dataUrl: string, result: AnalysisResult): void;
  /** Save a chart of the shown result as SVG (provenance inside the file and beside it). */
  saveChartSvg?(name: string, spec: SvgChartSpec, result: AnalysisResult): void;
}

/** Whether a result carries logit-lens data (on any baseline layer). */
export function hasLogitLens(r: AnalysisResult): boolean {
  return r.baseline.layers.some((l) => l.logitLens != null);
}

/** Whether the shown result's compared run is exactly these interventions (and no `ablate` besides). */
export function sameInterventions(r: AnalysisResult, list: readonly Intervention[]): boolean {
  return r.settings.ablate === null && JSON.stringify(r.ablation?.interventions ?? null) === JSON.stringify(list);
}

export function panelHandlers(store: PanelStore, deps: HandlerDeps, openPanel: () => void): ChannelHandlers {
  /** Re-runs the shown result when asked (on) and `lacks` it, keeping its source; says whether it did. */
  const rerunFor = async (on: boolean, lacks: (r: AnalysisResult) => boolean, run: () => Promise<AnalysisResult | undefined>): Promise<{ rerun: boolean }> => {
    const snap = store.current();
    if (!on || !snap || !lacks(snap.result)) return { rerun: false };
    const result = await run();
    if (result) store.setResult(result, snap.source);
    return { rerun: result !== undefined };
  };
  return {
    bootstrap: () => store.bootstrap(),
    getAttention: (block, head) => deps.requestAttention(block, head),
    // The overlay itself is the webview's business; the host only re-runs when the data is missing.
    setAblation: (on, interventions) =>
      rerunFor(on, (r) => !(interventions ? sameInterventions(r, interventions) : r.ablation), () => deps.requestAblation(true, interventions)),
    // Like the ablation: the host only re-runs when the shown result lacks the data.
    setLogitLens: (on) => rerunFor(on, (r) => !hasLogitLens(r), () => deps.requestLogitLens(true)),
    // A one-token prompt predicts nothing: no loss to compute.
    setTokenLoss: (on) => rerunFor(on, (r) => !r.baseline.tokenLoss && r.tokens.length >= 2, () => deps.requestTokenLoss(true)),
    revealTokens: (ranges) => {
      const snap = store.current();
      if (!snap) return;
      // The webview speaks offsets into the analysed text; the editor wants document offsets.
      const off = snap.source.offset;
      deps.revealTokens(
        ranges.map((r) => ({ start: r.start + off, end: r.end + off })),
        snap.source.uri,
      );
    },
    openPanel,
    saveChartImage: (name, dataUrl) => {
      const snap = store.current();
      if (snap) deps.saveChartImage?.(name, dataUrl, snap.result);
    },
    saveChartSvg: (name, spec) => {
      const snap = store.current();
      if (snap) deps.saveChartSvg?.(name, spec, snap.result);
    },
  };
}
