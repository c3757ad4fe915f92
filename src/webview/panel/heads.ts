/**
 * The head heatmap (sink score per layer and head; click or keyboard selects a head) and the
 * attention map of the selected head, fetched from the host one (block, head) at a time.
 */
import { GetAttention } from '../../shared/protocol/panel';
import type { AnalysisResult, AttentionMap } from '../../shared/result';
import { blockLabel } from '../model/format';
import { renderAxisLabels } from '../render/attnAxes';
import { attentionScale, heatmapScale, renderColorBar } from '../render/colorBar';
import { headGrid } from '../model/heads';
import { cellAt, cellText, drawAttention } from '../render/attnMap';
import { gridKeyTarget, renderHeatmap } from '../render/heatmap';
import { replaceChildren } from '../render/dom';
import { isDarkTheme } from '../render/theme';
import type { PanelContext, Section } from './context';

type Cell = { block: number; head: number };

export class HeadSection implements Section {
  private focus: Cell | null = null;
  /** Numbers the attention requests: only the newest one may draw. */
  private seq = 0;
  private attention: AttentionMap | null = null;

  constructor(private readonly c: PanelContext) {
    const heat = c.$('sl-heatmap');
    const cellOf = (e: Event): Cell | null => {
      const el = (e.target as HTMLElement | null)?.closest?.('.sl-cell') as HTMLElement | null;
      return el ? { block: Number(el.dataset.block), head: Number(el.dataset.head) } : null;
    };
    heat.addEventListener('click', (e) => {
      const cell = cellOf(e);
      if (cell) this.select(cell);
    });
    heat.addEventListener('keydown', (e) => this.key(e, cellOf(e)));
    const canvas = c.$('sl-attn-map') as HTMLCanvasElement;
    canvas.addEventListener('mousemove', (e) => this.hover(canvas, e));
  }

  /** A new snapshot: the attention map shown belongs to the old one. */
  reset(): void {
    this.attention = null;
  }

  render(r: AnalysisResult): void {
    const { doc, ui } = this.c;
    const grid = headGrid(r.baseline);
    const valid = (cell: Cell | null): Cell | null => (cell && grid.layers.includes(cell.block + 1) && cell.head < grid.heads ? cell : null);
    ui.selectedCell = valid(ui.selectedCell);
    this.focus = valid(this.focus);
    const node = renderHeatmap(doc, { grid, selected: ui.selectedCell, focus: this.focus, darkTheme: isDarkTheme(doc), showValues: grid.layers.length <= 16 && grid.heads <= 32 });
    replaceChildren(this.c.$('sl-heatmap'), node);
    replaceChildren(this.c.$('sl-heatmap-scale'), renderColorBar(doc, heatmapScale()));
    if (ui.selectedCell) void this.load(ui.selectedCell);
    else this.c.$('sl-attn-card').hidden = true;
  }

  private async load(cell: Cell): Promise<void> {
    const seq = ++this.seq;
    const title = this.c.$('sl-attn-title');
    this.c.$('sl-attn-card').hidden = false;
    const what = `Attention of head ${cell.head}, ${blockLabel(cell.block)}`;
    title.textContent = `${what} · loading…`;
    try {
      const map = await this.c.ipc.request(GetAttention, cell);
      if (seq !== this.seq) return;
      this.attention = map;
      const canvas = this.c.$('sl-attn-map') as HTMLCanvasElement;
      canvas.hidden = false;
      drawAttention(canvas, map, Math.max(map.tokens, Math.ceil(420 / Math.max(1, map.tokens)) * map.tokens));
      this.renderAxes(map);
      title.textContent = `${what} · ${map.tokens} × ${map.tokens} tokens`;
    } catch (e) {
      if (seq !== this.seq) return;
      title.textContent = `${what}: ${(e as Error).message}`;
    }
  }

  /** Token labels on both axes (about one per 14 px of the map's 420 px) and the √p colour scale. */
  private renderAxes(map: AttentionMap): void {
    const { doc } = this.c;
    const tokens = this.c.result()?.tokens ?? [];
    replaceChildren(this.c.$('sl-attn-keys'), ...renderAxisLabels(doc, tokens, map.tokens, 'keys', 30));
    replaceChildren(this.c.$('sl-attn-queries'), ...renderAxisLabels(doc, tokens, map.tokens, 'queries', 30));
    replaceChildren(this.c.$('sl-attn-scale'), renderColorBar(doc, attentionScale()));
  }

  private select(cell: Cell): void {
    this.c.ui.selectedCell = cell;
    this.focus = cell;
    this.c.save();
    for (const el of Array.from(this.c.$('sl-heatmap').querySelectorAll<HTMLElement>('.sl-cell'))) {
      const on = el.dataset.block === String(cell.block) && el.dataset.head === String(cell.head);
      el.classList.toggle('sl-selected', on);
      el.setAttribute('aria-selected', String(on));
    }
    void this.load(cell);
  }

  private key(e: KeyboardEvent, at: Cell | null): void {
    const r = this.c.result();
    if (!r || !at) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      return this.select(at);
    }
    const next = gridKeyTarget(e.key, at, headGrid(r.baseline));
    if (!next) return;
    e.preventDefault();
    const heat = this.c.$('sl-heatmap');
    heat.querySelector<HTMLElement>('.sl-cell[tabindex="0"]')?.setAttribute('tabindex', '-1');
    const cell = heat.querySelector<HTMLElement>(`.sl-cell[data-block="${next.block}"][data-head="${next.head}"]`);
    cell?.setAttribute('tabindex', '0');
    cell?.focus();
    this.focus = next;
  }

  private hover(canvas: HTMLCanvasElement, e: MouseEvent): void {
    const map = this.attention;
    const r = this.c.result();
    if (!map || !r) return;
    const box = canvas.getBoundingClientRect();
    const scale = canvas.width / Math.max(1, box.width);
    const cell = cellAt((e.clientX - box.left) * scale, (e.clientY - box.top) * scale, canvas.width, map.tokens);
    if (cell) this.c.$('sl-attn-hover').textContent = cellText(map, r.tokens, cell.q, cell.k);
  }
}
