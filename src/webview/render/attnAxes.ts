/**
 * Token labels around the attention map (#sl-attn-keys above it, #sl-attn-queries left of it):
 * positioned in percent of the map's side so they line up with the canvas at any size, thinned to
 * at most `maxLabels` per axis (BOS always kept), shortened to fit, the full text in the tooltip.
 */
import type { TokenInfo } from '../../shared/result';
import { tokenLabel } from '../model/format';
import { el } from './dom';

/** Token indices that get a label: every `step`-th, so that at most `maxLabels` show. */
export function thinnedIndices(T: number, maxLabels: number): number[] {
  if (T <= 0) return [];
  const step = Math.max(1, Math.ceil(T / Math.max(1, maxLabels)));
  const out: number[] = [];
  for (let i = 0; i < T; i += step) out.push(i);
  return out;
}

/** A label short enough for the axis: at most `max` characters, an ellipsis where cut. */
export function shortLabel(text: string, max = 8): string {
  const t = tokenLabel(text);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function renderAxisLabels(doc: Document, tokens: readonly TokenInfo[], T: number, axis: 'keys' | 'queries', maxLabels: number): HTMLElement[] {
  return thinnedIndices(T, maxLabels).map((i) => {
    const text = tokens[i]?.text ?? '?';
    const pos = `${(((i + 0.5) / T) * 100).toFixed(3)}%`;
    return el(doc, 'span', {
      class: 'sl-attn-label',
      text: shortLabel(text),
      attrs: { title: `#${i} “${tokenLabel(text)}”` },
      style: axis === 'keys' ? { left: pos } : { top: pos },
    });
  });
}
