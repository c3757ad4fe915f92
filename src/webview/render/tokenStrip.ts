/**
 * The token strip: one `.sl-token` per token, its background the mean sink mass over the selected
 * layers. Token text is set with `textContent` only. The strip is one tab stop (roving tabindex);
 * the arrow keys move, Enter/Space select, Shift extends. Chat-template tokens (not in the user's
 * text) share the special tokens' styling.
 */
import type { TokenInfo } from '../../shared/result';
import { fmtNum, layerLabel, tokenLabel } from '../model/format';
import { heatColor, heatRgba, textOnHeat } from '../model/heat';
import type { TokenLayerValue } from '../model/layers';
import { el } from './dom';

export interface StripData {
  tokens: readonly TokenInfo[];
  /** Raw mean sink mass per token. */
  values: readonly number[];
  /** Values normalised to [0, 1] for colour. */
  heat: readonly number[];
  selected: ReadonlySet<number>;
  focus: number;
  darkTheme: boolean;
}

export function renderTokens(doc: Document, d: StripData): HTMLElement[] {
  return d.tokens.map((t, i) => {
    const h = d.heat[i] ?? 0;
    const ink = textOnHeat(heatRgba(h, { minAlpha: 0.06 }), d.darkTheme);
    // Tokens not in the text (BOS, a word-start marker "▁" shown as ␣, template tokens) are styled as special.
    const outside = t.special || t.template === true || t.end === t.start;
    const cls = ['sl-token', `sl-ink-${ink}`, outside ? 'sl-special' : '', t.template ? 'sl-template' : '', d.selected.has(i) ? 'sl-selected' : '']
      .filter(Boolean)
      .join(' ');
    return el(doc, 'span', {
      class: cls,
      text: tokenLabel(t.text),
      attrs: {
        'data-index': String(i),
        role: 'option',
        'aria-selected': String(d.selected.has(i)),
        'aria-label': `${t.template ? 'chat template token' : 'token'} ${i} ${tokenLabel(t.text)}${outside && !t.special && !t.template ? ' (not in the text)' : ''}, sink mass ${fmtNum(d.values[i] ?? 0)}`,
        tabindex: i === d.focus ? '0' : '-1',
      },
      style: { backgroundColor: heatColor(h) },
    });
  });
}

/** The hover card: the token and its per-layer norm and sink mass. */
export function renderTokenCard(doc: Document, token: TokenInfo, values: readonly TokenLayerValue[]): HTMLElement {
  const rows = values.map((v) =>
    el(doc, 'tr', {}, [
      el(doc, 'th', { text: layerLabel(v.layer), attrs: { scope: 'row' } }),
      el(doc, 'td', { text: fmtNum(v.norm) }),
      el(doc, 'td', { text: fmtNum(v.sinkMass) }),
    ]),
  );
  const range = token.template ? 'chat template' : token.end > token.start ? `chars ${token.start}–${token.end}` : 'not in the text';
  return el(doc, 'div', { class: 'sl-card' }, [
    el(doc, 'div', { class: 'sl-card-title' }, [
      el(doc, 'span', { class: 'sl-card-token', text: tokenLabel(token.text) }),
      el(doc, 'span', { class: 'sl-card-meta', text: `#${token.index} · id ${token.id} · ${range}` }),
    ]),
    el(doc, 'table', { class: 'sl-card-table' }, [
      el(doc, 'thead', {}, [el(doc, 'tr', {}, [el(doc, 'th', { text: 'layer' }), el(doc, 'th', { text: '‖h‖' }), el(doc, 'th', { text: 'sink mass' })])]),
      el(doc, 'tbody', {}, rows),
    ]),
  ]);
}

/** Next focus index for a key in the strip, or null when the key is not a navigation key. */
export function stripKeyTarget(key: string, focus: number, count: number): number | null {
  const last = count - 1;
  switch (key) {
    case 'ArrowRight':
    case 'ArrowDown':
      return Math.min(last, focus + 1);
    case 'ArrowLeft':
    case 'ArrowUp':
      return Math.max(0, focus - 1);
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return null;
  }
}
