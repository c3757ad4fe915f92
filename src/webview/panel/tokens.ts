/**
 * The token strip: per-token sink mass over the chosen layer range (#sl-range-from/to), selection
 * by click, shift/ctrl-click and keyboard (revealed in the editor), and the token card on hover.
 */
import { RevealTokens, SetTokenLoss } from '../../shared/protocol/panel';
import type { AnalysisResult, RunMetrics } from '../../shared/result';
import { fmtLayerRange, fmtNum, layerLabel } from '../model/format';
import { domainMax, normalise } from '../model/heat';
import { clampRange, meanTokenSinkMass, rangeForRun, selectionRanges, spanSelection, tokenLayerValues, type LayerRange } from '../model/layers';
import { el, replaceChildren } from '../render/dom';
import { isDarkTheme } from '../render/theme';
import { renderTokenCard, renderTokens, stripKeyTarget } from '../render/tokenStrip';
import { lossStripView } from '../model/intervention';
import { isProvisional } from '../model/provisional';
import { renderLossStrip } from '../render/lossStrip';
import type { PanelContext, Section } from './context';
import { rerunButton } from './layers';

type Modifiers = { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean };

export class TokenSection implements Section {
  private anchor = 0;
  private focus = 0;

  constructor(private readonly c: PanelContext) {
    const strip = c.$('sl-token-strip');
    const tokenOf = (e: Event): number | null => {
      const t = (e.target as HTMLElement | null)?.closest?.('.sl-token') as HTMLElement | null;
      return t ? Number(t.dataset.index) : null;
    };
    strip.addEventListener('click', (e) => {
      const i = tokenOf(e);
      if (i !== null) this.click(i, e as MouseEvent);
    });
    strip.addEventListener('keydown', (e) => this.key(e));
    strip.addEventListener('mouseover', (e) => this.showCard(tokenOf(e), e.target as HTMLElement));
    strip.addEventListener('focusin', (e) => this.showCard(tokenOf(e), e.target as HTMLElement));
    strip.addEventListener('mouseleave', () => this.hideCard());
    strip.addEventListener('focusout', () => this.hideCard());
    for (const id of ['sl-range-from', 'sl-range-to']) c.$(id).addEventListener('change', () => this.rangeChanged());
    rerunButton(c, 'sl-loss-run', SetTokenLoss);
  }

  /** Keeps the range, the selection and the focus inside the new result, then draws it. */
  render(r: AnalysisResult): void {
    const ui = this.c.ui;
    const next = rangeForRun(ui.layerRange, ui.layerRangeDepth, r.baseline);
    ui.layerRange = next.range;
    ui.layerRangeDepth = next.depth;
    ui.selectedTokens = ui.selectedTokens.filter((i) => i < r.tokens.length);
    this.focus = Math.min(this.focus, Math.max(0, r.tokens.length - 1));
    this.renderRangeSelects(r.baseline);
    this.renderStrip(r);
    this.renderLoss(r);
  }

  /**
   * The baseline's next-token loss under each token (#sl-loss); without one, a hint whose button (#sl-loss-run) asks
   * the host to re-run with it (not while the result is still being computed, nor for a one-token prompt).
   */
  private renderLoss(r: AnalysisResult): void {
    const box = this.c.$('sl-loss');
    const v = lossStripView(r, false);
    box.hidden = v === null;
    replaceChildren(box, ...(v ? renderLossStrip(this.c.doc, v) : []));
    this.c.$('sl-loss-empty').hidden = v !== null || isProvisional(r) || r.tokens.length < 2;
  }

  private renderRangeSelects(run: RunMetrics): void {
    const { doc, ui } = this.c;
    const layers = run.layers.filter((l) => l.tokenSinkMass !== null).map((l) => l.layer);
    const range = ui.layerRange;
    for (const [id, value] of [['sl-range-from', range?.[0]], ['sl-range-to', range?.[1]]] as const) {
      const sel = this.c.$(id) as HTMLSelectElement;
      replaceChildren(sel, ...layers.map((l) => el(doc, 'option', { text: layerLabel(l), attrs: { value: String(l) } })));
      if (value !== undefined) sel.value = String(value);
      sel.disabled = layers.length === 0;
    }
  }

  /** The strip alone (also on a theme change: the ink depends on it). */
  renderStrip(r: AnalysisResult): void {
    const { doc, ui } = this.c;
    const range = ui.layerRange;
    const values = range ? meanTokenSinkMass(r.baseline.layers, range, r.tokens.length) : new Array<number>(r.tokens.length).fill(0);
    // BOS attends only to itself (mass 1 by construction): keep it out of the colour domain.
    const exclude = new Set(r.settings.bosPrepended ? [0] : []);
    const max = domainMax(values, exclude);
    const data = { tokens: r.tokens, values, heat: normalise(values, max), selected: new Set(ui.selectedTokens), focus: this.focus, darkTheme: isDarkTheme(doc) };
    replaceChildren(this.c.$('sl-token-strip'), ...renderTokens(doc, data));
    this.c.$('sl-legend').textContent = range ? `${fmtLayerRange(range[0], range[1])} · max ${fmtNum(max)}` : 'no attention layers';
  }

  private rangeChanged(): void {
    const from = Number((this.c.$('sl-range-from') as HTMLSelectElement).value);
    const to = Number((this.c.$('sl-range-to') as HTMLSelectElement).value);
    const r = this.c.result();
    if (!r) return;
    this.c.ui.layerRange = clampRange([from, to] as LayerRange, r.baseline);
    this.c.save();
    this.renderRangeSelects(r.baseline);
    this.renderStrip(r);
  }

  private click(i: number, e: Modifiers): void {
    const selected = this.c.ui.selectedTokens;
    this.focus = i;
    let sel: number[];
    if (e.shiftKey) sel = spanSelection(this.anchor, i);
    else if (e.ctrlKey || e.metaKey) {
      sel = selected.includes(i) ? selected.filter((x) => x !== i) : [...selected, i];
      this.anchor = i;
    } else {
      sel = [i];
      this.anchor = i;
    }
    this.select(sel);
  }

  private key(e: KeyboardEvent): void {
    const n = this.c.result()?.tokens.length ?? 0;
    if (n === 0) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      return this.click(this.focus, e);
    }
    if (e.key === 'Escape') return this.select([]);
    const next = stripKeyTarget(e.key, this.focus, n);
    if (next === null) return;
    e.preventDefault();
    this.moveFocus(next);
    if (e.shiftKey) this.select(spanSelection(this.anchor, next));
  }

  private moveFocus(next: number): void {
    const tokens = this.c.$('sl-token-strip').querySelectorAll<HTMLElement>('.sl-token');
    tokens[this.focus]?.setAttribute('tabindex', '-1');
    this.focus = next;
    const t = tokens[next];
    t?.setAttribute('tabindex', '0');
    t?.focus();
  }

  /** Marks the selected tokens and highlights their text in the editor. */
  private select(indices: number[]): void {
    const r = this.c.result();
    if (!r) return;
    this.c.ui.selectedTokens = indices;
    this.c.save();
    const set = new Set(indices);
    for (const t of Array.from(this.c.$('sl-token-strip').querySelectorAll<HTMLElement>('.sl-token'))) {
      const on = set.has(Number(t.dataset.index));
      t.classList.toggle('sl-selected', on);
      t.setAttribute('aria-selected', String(on));
    }
    const ranges = selectionRanges(r.tokens, indices);
    this.c.$('sl-selection').textContent = indices.length ? `${indices.length} token${indices.length > 1 ? 's' : ''} selected` : '';
    if (ranges.length) this.c.ipc.command(RevealTokens, { ranges });
  }

  private showCard(i: number | null, anchor: HTMLElement): void {
    const r = this.c.result();
    const token = i === null ? undefined : r?.tokens[i];
    if (!r || !token || i === null) return;
    const { doc } = this.c;
    const tip = this.c.$('sl-tooltip');
    replaceChildren(tip, renderTokenCard(doc, token, tokenLayerValues(r.baseline.layers, i)));
    tip.hidden = false;
    const box = anchor.getBoundingClientRect();
    const win = doc.defaultView;
    const width = win?.innerWidth ?? 800;
    tip.style.left = `${Math.max(4, Math.min(box.left + (win?.scrollX ?? 0), width - 260))}px`;
    tip.style.top = `${box.bottom + (win?.scrollY ?? 0) + 6}px`;
  }

  private hideCard(): void {
    this.c.$('sl-tooltip').hidden = true;
  }
}
