/**
 * The loss strip: one cell per token with the token and, under it, the loss of predicting it (or its
 * change under an intervention), so the numbers read without hovering. Shading grows with |value|:
 * warm where a token got harder to predict (or its loss is high), cool where it got easier.
 * Text only through `textContent`.
 */
import type { LossStripView, TopKView } from '../model/intervention';
import { el } from './dom';

function shade(heat: number, direction: 'up' | 'down' | 'none'): string {
  // At most 0.34 opaque: the theme's foreground keeps a 4.5:1 contrast on it in dark and light themes (axe-checked).
  const a = (0.04 + 0.3 * heat).toFixed(3);
  return direction === 'down' ? `rgba(55, 148, 255, ${a})` : `rgba(209, 134, 22, ${a})`;
}

export function renderLossStrip(doc: Document, v: LossStripView): HTMLElement[] {
  const cells = v.cells.map((c) =>
    el(doc, 'span', { class: `sl-loss-cell sl-loss-${c.direction}`, attrs: { 'data-index': String(c.index), role: 'listitem', title: `token ${c.index}` }, style: { backgroundColor: shade(c.heat, c.direction) } }, [
      el(doc, 'span', { class: 'sl-loss-token', text: c.label }),
      el(doc, 'span', { class: 'sl-loss-value', text: c.text }),
    ]),
  );
  return [
    el(doc, 'div', { class: 'sl-loss-title', text: v.title }),
    el(doc, 'div', { class: `sl-loss-strip sl-loss-mode-${v.mode}`, attrs: { role: 'list', 'aria-label': v.title } }, cells),
  ];
}

/** "before: “L” 0.56, “A” 0.13 …" and "after: …", tokens that entered or left the list marked. */
export function renderTopK(doc: Document, v: TopKView): HTMLElement {
  const list = (label: string, items: TopKView['before'], moved: string): HTMLElement =>
    el(doc, 'div', { class: 'sl-topk-row' }, [
      el(doc, 'span', { class: 'sl-topk-label', text: label }),
      ...items.map((i) => el(doc, 'span', { class: `sl-topk-item${i.moved ? ` sl-topk-${moved}` : ''}`, text: `${i.text} ${i.prob}`, attrs: i.moved ? { title: moved === 'left' ? 'not in the top-k after' : 'new in the top-k' } : {} })),
    ]);
  return el(doc, 'div', { class: 'sl-topk' }, [el(doc, 'div', { class: 'sl-topk-verdict', text: v.verdict }), list('before', v.before, 'left'), list('after', v.after, 'entered')]);
}
