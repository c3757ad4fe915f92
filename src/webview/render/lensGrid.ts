/**
 * The logit-lens grid (#sl-lens-grid): a table with one row per layer h[l] and one column per
 * token position, each cell the top-1 token that layer predicts next, marked when it is the actual
 * next token and where that prediction locks in. Token text goes through `textContent` only (via
 * `el`), so a predicted `<script>` stays characters. The row labels and the header stick while the
 * table scrolls.
 */
import type { TokenInfo } from '../../shared/result';
import { fmtNum, layerLabel, tokenLabel } from '../model/format';
import type { LensCell, LensGrid } from '../model/lens';
import { el } from './dom';

function cellTitle(c: LensCell, layer: number, i: number, next: TokenInfo | undefined): string {
  const what = `${layerLabel(layer)}, position ${i}: predicts ${JSON.stringify(c.text)}`;
  if (!next) return `${what} (last position: no next token)`;
  const verdict = c.hit ? ' = the next token' : `; next is ${JSON.stringify(next.text)}`;
  return `${what}${verdict}${c.lockIn ? ' (locks in here)' : ''}`;
}

function cellClass(c: LensCell): string {
  return ['sl-lens-cell', c.hit === true ? 'sl-lens-hit' : '', c.hit === null ? 'sl-lens-last' : '', c.lockIn ? 'sl-lens-lock' : ''].filter(Boolean).join(' ');
}

export function renderLensGrid(doc: Document, grid: LensGrid, tokens: readonly TokenInfo[]): HTMLElement {
  const head = el(doc, 'tr', {}, [
    el(doc, 'th', { class: 'sl-lens-corner', text: 'layer', attrs: { scope: 'col', title: 'rows: layers h[l]; columns: token positions' } }),
    ...tokens.map((t, i) => el(doc, 'th', { class: 'sl-lens-colhead', text: tokenLabel(t.text), attrs: { scope: 'col', title: `position ${i}: ${JSON.stringify(t.text)}` } })),
  ]);
  const rows = grid.rows.map((row) =>
    el(doc, 'tr', { attrs: { 'data-layer': String(row.layer) } }, [
      el(doc, 'th', { class: 'sl-lens-rowhead', text: layerLabel(row.layer), attrs: { scope: 'row', title: `mean next-token cross-entropy ${fmtNum(row.crossEntropy)} nats` } }),
      ...row.cells.map((c, i) => el(doc, 'td', { class: cellClass(c), text: tokenLabel(c.text), attrs: { title: cellTitle(c, row.layer, i, tokens[i + 1]) } })),
    ]),
  );
  return el(doc, 'table', { class: 'sl-lens-table', attrs: { 'aria-label': 'Top-1 logit-lens prediction per layer and position' } }, [
    el(doc, 'thead', {}, [head]),
    el(doc, 'tbody', {}, rows),
  ]);
}

/** One line under the grid: how many positions lock in, and where the cross-entropy is lowest. */
export function lensSummary(grid: LensGrid): string {
  const locked = grid.lockIn.filter((l) => l !== null).length;
  const scored = grid.rows.filter((r) => r.crossEntropy !== null);
  const best = scored.reduce<(typeof scored)[number] | null>((b, r) => (b === null || (r.crossEntropy as number) < (b.crossEntropy as number) ? r : b), null);
  const positions = Math.max(0, grid.lockIn.length - 1);
  const ce = best ? ` · lowest cross-entropy ${fmtNum(best.crossEntropy)} nats at ${layerLabel(best.layer)}` : '';
  return `${locked} of ${positions} next-token predictions lock in${ce}`;
}
