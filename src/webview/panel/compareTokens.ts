/**
 * The comparison's per-token sink mass (#sl-compare-tokens, shown only with a comparison): both runs aligned by
 * character offsets (model/compareView.ts), each piece with both values, pieces only in one run marked.
 */
import type { AnalysisResult } from '../../shared/result';
import { alignedCounts, alignTokens, tokenRun } from '../model/compareView';
import { renderAlignedTokens } from '../render/alignedTokens';
import { replaceChildren } from '../render/dom';
import type { PanelContext, Section } from './context';

export class CompareTokenSection implements Section {
  constructor(private readonly c: PanelContext) {}

  render(r: AnalysisResult): void {
    const box = this.c.$('sl-compare-tokens');
    const cmp = this.c.compare?.();
    box.hidden = !cmp;
    if (!cmp) return replaceChildren(this.c.$('sl-compare-list'));
    const items = alignTokens(tokenRun(cmp.other), tokenRun(r));
    const n = alignedCounts(items);
    this.c.$('sl-compare-caption').textContent =
      `Sink mass per token, mean over all layers: ${cmp.label} → this run · ${n.both} aligned, ${n.before} only in ${cmp.label}, ${n.after} only here`;
    replaceChildren(this.c.$('sl-compare-list'), ...renderAlignedTokens(this.c.doc, items, cmp.label));
  }
}
