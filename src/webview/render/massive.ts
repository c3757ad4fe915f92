/** #sl-massive: the largest activations per layer, and the dimensions that keep recurring. */
import type { RunMetrics } from '../../shared/result';
import { fmtLayerRange, fmtNum, layerLabel, tokenLabel } from '../model/format';
import type { MassiveRow } from '../model/heads';
import { el } from './dom';

export function renderMassive(doc: Document, rows: readonly MassiveRow[], recurring: RunMetrics['recurringDims']): HTMLElement[] {
  const numeric = new Set(['dim', 'value', '× median']);
  const head = el(
    doc,
    'tr',
    {},
    ['layer', 'token', 'dim', 'value', '× median'].map((t) => el(doc, 'th', { text: t, ...(numeric.has(t) ? { class: 'sl-num' } : {}), attrs: { scope: 'col' } })),
  );
  let lastLayer = -1;
  const body = rows.map((r) => {
    const first = r.layer !== lastLayer;
    lastLayer = r.layer;
    return el(doc, 'tr', { class: first ? 'sl-row-first' : '' }, [
      // Further rows of a layer leave the cell blank for the eye; a screen reader still hears the layer.
      first ? el(doc, 'th', { text: layerLabel(r.layer), attrs: { scope: 'row' } }) : el(doc, 'td', { attrs: { 'aria-label': layerLabel(r.layer) } }),
      el(doc, 'td', { class: 'sl-mono', text: `${tokenLabel(r.tokenText)} #${r.token}` }),
      el(doc, 'td', { class: 'sl-num', text: String(r.dim) }),
      el(doc, 'td', { class: 'sl-num', text: fmtNum(r.value) }),
      el(doc, 'td', { class: `sl-num${r.absolute ? ' sl-massive-hit' : ''}`, text: first ? fmtNum(r.relative) : '' }),
    ]);
  });
  const table = el(doc, 'table', { class: 'sl-table' }, [el(doc, 'thead', {}, [head]), el(doc, 'tbody', {}, body)]);
  const dims = recurring.length
    ? recurring.map((d) =>
        el(doc, 'span', { class: 'sl-chip', attrs: { title: recurringTitle(d) } }, [
          el(doc, 'span', { class: 'sl-chip-label', text: `dim ${d.dim}` }),
          el(doc, 'span', { class: 'sl-chip-value', text: `${d.test ?? 'relative'} · max ${fmtNum(d.maxAbs)} · ${layersText(d.layers)}` }),
        ]),
      )
    : [el(doc, 'span', { class: 'sl-muted', text: 'none' })];
  // In the engine's order (by magnitude), never re-sorted here.
  const rec = el(doc, 'div', { class: 'sl-recurring' }, [el(doc, 'span', { class: 'sl-muted', text: 'Recurring dims (pass a massive test): ' }), ...dims]);
  return [rec, table];
}

/** "L2–L6" for a contiguous run, else a comma list. */
export function layersText(layers: readonly number[]): string {
  const s = [...layers].sort((a, b) => a - b);
  if (s.length === 0) return '';
  const contiguous = s.every((v, i) => i === 0 || v === (s[i - 1] as number) + 1);
  return contiguous ? fmtLayerRange(s[0] as number, s[s.length - 1] as number) : s.map(layerLabel).join(', ');
}

/** The hover text of a recurring dim: which test it passes, stated. */
export function recurringTitle(d: RunMetrics['recurringDims'][number]): string {
  const test = d.test === 'absolute' ? 'absolute test (|v| > 100 and > 1000 × median)' : 'relative test (> 1000 × median |h|)';
  return `dim ${d.dim}: passes the ${test}; max |v| ${fmtNum(d.maxAbs)}; top scalar in ${layersText(d.layers)}`;
}
