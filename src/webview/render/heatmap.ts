/**
 * The head x block grid of sink scores (#sl-heatmap): rows are query heads, columns the blocks
 * (block b writes h[b+1]). Cells are keyboard focusable (roving tabindex, arrow keys) and carry
 * aria-labels; Enter or a click asks for that head's attention map.
 */
import { blockLabel, fmtNum } from '../model/format';
import { heatColor, heatRgba, textOnHeat } from '../model/heat';
import type { HeadGrid } from '../model/heads';
import { el } from './dom';

export interface HeatmapData {
  grid: HeadGrid;
  selected: { block: number; head: number } | null;
  /** Cell that holds the tab stop. */
  focus: { block: number; head: number } | null;
  darkTheme: boolean;
  /** Show the scores as text inside the cells (small grids only). */
  showValues: boolean;
}

/** Sink scores are probabilities in [0, 1]: the colour uses that fixed scale so runs compare. */
export function renderHeatmap(doc: Document, d: HeatmapData): HTMLElement {
  const g = d.grid;
  const table = el(doc, 'div', { class: 'sl-grid', attrs: { role: 'grid', 'aria-label': 'Sink score per head and block' } });
  table.style.setProperty('--sl-cols', String(g.layers.length));
  const head = el(doc, 'div', { class: 'sl-grid-row sl-grid-head', attrs: { role: 'row' } }, [
    el(doc, 'span', { class: 'sl-grid-corner', text: 'head \\ block', attrs: { role: 'columnheader', 'aria-label': 'head \\ block', title: 'rows: heads · columns: blocks (block b writes h[b+1])' } }),
    ...g.layers.map((l) => el(doc, 'span', { class: 'sl-grid-colhead', text: String(l - 1), attrs: { role: 'columnheader', title: blockLabel(l - 1), 'aria-label': blockLabel(l - 1) } })),
  ]);
  table.appendChild(head);
  const focus = d.focus ?? d.selected ?? (g.cells[0]?.[0] ? { block: g.cells[0][0].block, head: 0 } : null);
  g.cells.forEach((row, h) => {
    const cells = row.map((c) => {
      const isSel = d.selected?.block === c.block && d.selected.head === c.head;
      const isFocus = focus?.block === c.block && focus.head === c.head;
      const ink = textOnHeat(heatRgba(c.score, { minAlpha: 0.06 }), d.darkTheme);
      return el(doc, 'span', {
        class: `sl-cell sl-ink-${ink}${isSel ? ' sl-selected' : ''}${c.atChance ? ' sl-head-chance' : ''}`,
        text: d.showValues ? `${fmtNum(c.score)}${c.atChance ? '≈' : ''}` : '',
        attrs: {
          role: 'gridcell',
          tabindex: isFocus ? '0' : '-1',
          'data-block': String(c.block),
          'data-head': String(c.head),
          'aria-selected': String(isSel),
          'aria-label': `${blockLabel(c.block)}, head ${c.head}: sink score ${fmtNum(c.score)}${c.atChance ? ' (at chance: a uniform head scores as much)' : ''}`,
          ...(c.atChance ? { title: 'at chance: within a factor 2 of the score of a uniformly attending head' } : {}),
        },
        style: { backgroundColor: heatColor(c.score) },
      });
    });
    table.appendChild(el(doc, 'div', { class: 'sl-grid-row', attrs: { role: 'row' } }, [el(doc, 'span', { class: 'sl-grid-rowhead', text: `H${h}`, attrs: { role: 'rowheader' } }), ...cells]));
  });
  return table;
}

/** Arrow-key move inside the grid: returns the next (block, head), clamped to the grid. */
export function gridKeyTarget(key: string, at: { block: number; head: number }, grid: HeadGrid): { block: number; head: number } | null {
  const blocks = grid.layers.map((l) => l - 1);
  const col = blocks.indexOf(at.block);
  if (col < 0) return null;
  const move: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const m = move[key];
  if (!m) return null;
  const c = Math.min(blocks.length - 1, Math.max(0, col + m[0]));
  const h = Math.min(grid.heads - 1, Math.max(0, at.head + m[1]));
  return { block: blocks[c] as number, head: h };
}
