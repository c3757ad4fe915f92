/**
 * Colour legends (.sl-colorbar): a gradient bar with labelled ticks and a caption naming the
 * quantity and its transform. Used under the head heatmap (sink score, linear) and the attention
 * map (weight p, coloured by √p). The stops are pure (`heatmapScale`, `attentionScale`) for tests.
 */
import { fmtNum } from '../model/format';
import { cssColor, heatRgba } from '../model/heat';
import { el } from './dom';

export interface ColorScale {
  caption: string;
  /** CSS colours along the bar, evenly spaced from left to right. */
  colors: string[];
  /** Tick labels at fractions [0, 1] of the bar's width. */
  ticks: { at: number; text: string }[];
}

const N_STOPS = 11;
const along = (f: (t: number) => string): string[] => Array.from({ length: N_STOPS }, (_, i) => f(i / (N_STOPS - 1)));

/** The heatmap's scale: sink score in [0, 1], colour linear in the score (`heatColor`). */
export function heatmapScale(): ColorScale {
  return {
    caption: 'sink score (share of attention on BOS), linear',
    colors: along((t) => cssColor(heatRgba(t, { minAlpha: 0.06 }))),
    ticks: [0, 0.25, 0.5, 0.75, 1].map((v) => ({ at: v, text: fmtNum(v) })),
  };
}

/** The attention map's scale: weight p, colour from √p (`attentionPixels`), so ticks sit at √p. */
export function attentionScale(): ColorScale {
  return {
    caption: 'attention weight p, colour ∝ √p',
    colors: along((s) => cssColor(heatRgba(s, { minAlpha: 0.04, maxAlpha: 1 }))),
    ticks: [0, 0.05, 0.25, 0.5, 1].map((p) => ({ at: Math.sqrt(p), text: fmtNum(p) })),
  };
}

export function renderColorBar(doc: Document, s: ColorScale, id?: string): HTMLElement {
  const bar = el(doc, 'div', { class: 'sl-colorbar-bar', attrs: { 'aria-hidden': 'true' } });
  bar.style.background = `linear-gradient(90deg, ${s.colors.join(', ')})`;
  const ticks = el(
    doc,
    'div',
    { class: 'sl-colorbar-ticks', attrs: { 'aria-hidden': 'true' } },
    s.ticks.map((t) => el(doc, 'span', { class: `sl-colorbar-tick${t.at <= 0 ? ' sl-first' : t.at >= 1 ? ' sl-last' : ''}`, text: t.text, style: { left: `${(t.at * 100).toFixed(2)}%` } })),
  );
  const label = `${s.caption}: ${s.ticks.map((t) => t.text).join(', ')}`;
  return el(doc, 'div', { id, class: 'sl-colorbar', attrs: { role: 'img', 'aria-label': label } }, [bar, ticks, el(doc, 'div', { class: 'sl-colorbar-caption', text: s.caption })]);
}
