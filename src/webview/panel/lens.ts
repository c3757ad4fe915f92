/**
 * The logit lens: the grid of each layer's top prediction per position when the result has lens
 * data, else a one-line hint whose button (#sl-lens-run) asks the host to re-run with the lens.
 */
import { SetLogitLens } from '../../shared/protocol/panel';
import type { AnalysisResult } from '../../shared/result';
import { hasLens, lensGrid } from '../model/lens';
import { replaceChildren } from '../render/dom';
import { lensSummary, renderLensGrid } from '../render/lensGrid';
import type { PanelContext, Section } from './context';
import { rerunButton } from './layers';

export class LensSection implements Section {
  constructor(private readonly c: PanelContext) {
    rerunButton(c, 'sl-lens-run', SetLogitLens);
  }

  render(r: AnalysisResult): void {
    const on = hasLens(r.baseline);
    this.c.$('sl-lens-body').hidden = !on;
    this.c.$('sl-lens-empty').hidden = on;
    if (!on) return replaceChildren(this.c.$('sl-lens-grid'));
    const grid = lensGrid(r.baseline, r.tokens);
    replaceChildren(this.c.$('sl-lens-grid'), renderLensGrid(this.c.doc, grid, r.tokens));
    this.c.$('sl-lens-summary').textContent = lensSummary(grid);
  }
}
