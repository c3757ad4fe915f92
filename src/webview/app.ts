/**
 * The full panel: holds the snapshot the host pushed, the persisted UI state, and renders.
 * It owns no results across reloads: on start it sends `PanelReady` and renders the bootstrap the
 * host answers with (the host keeps the last result).
 */
import type { PanelSnapshot, PanelStatus } from '../shared/protocol/panel';
import { DidChangeSnapshot, DidChangeStatus, GetAttention, PanelReady, RevealTokens, SetAblation, SetLogitLens } from '../shared/protocol/panel';
import type { AttentionMap, RunMetrics } from '../shared/result';
import type { HostIpc, VsCodeApiLike } from './ipc';
import { phaseBands, spikeLayers } from './model/bands';
import { fmtLayerRange, fmtNum, layerLabel } from './model/format';
import { headGrid, massiveRows } from './model/heads';
import { domainMax, normalise } from './model/heat';
import { hasLens, lensGrid, lensSeries } from './model/lens';
import { clampRange, meanTokenSinkMass, selectionRanges, spanSelection, tokenLayerValues, type LayerRange } from './model/layers';
import { layerSeries } from './model/series';
import { cellAt, cellText, drawAttention } from './render/attnMap';
import { LayerCharts } from './render/charts';
import { el, replaceChildren } from './render/dom';
import { renderHeader, renderWarnings } from './render/header';
import { gridKeyTarget, renderHeatmap } from './render/heatmap';
import { lensSummary, renderLensGrid } from './render/lensGrid';
import { renderMassive } from './render/massive';
import { buildPanelSkeleton } from './render/skeleton';
import { statusText } from './render/status';
import { isDarkTheme, readChartTheme } from './render/theme';
import { renderTokenCard, renderTokens, stripKeyTarget } from './render/tokenStrip';
import { sanitizeUiState, type UiState } from './state';

type Cell = { block: number; head: number };

export class PanelApp {
  private snapshot: PanelSnapshot | null = null;
  private status: PanelStatus = { kind: 'idle' };
  private ui: UiState;
  private anchor = 0;
  private stripFocus = 0;
  private cellFocus: Cell | null = null;
  private attnSeq = 0;
  private attention: AttentionMap | null = null;
  private restoredScroll = false;
  private readonly charts: LayerCharts;
  private readonly $: (id: string) => HTMLElement;

  constructor(
    private readonly doc: Document,
    private readonly ipc: HostIpc,
    private readonly api: VsCodeApiLike,
  ) {
    this.ui = sanitizeUiState(api.getState());
    doc.body.appendChild(buildPanelSkeleton(doc));
    this.$ = (id) => doc.getElementById(id) as HTMLElement;
    this.charts = new LayerCharts({
      bos: this.$('sl-chart-bos') as HTMLCanvasElement,
      entropy: this.$('sl-chart-entropy') as HTMLCanvasElement,
      sink: this.$('sl-chart-sink') as HTMLCanvasElement,
      lens: this.$('sl-chart-lens') as HTMLCanvasElement,
    });
    this.wire();
  }

  /** Handshake: the host answers with the full state, then pushes changes as notifications. */
  async start(clientId: string): Promise<void> {
    this.ipc.onNotification((m) => {
      if (DidChangeSnapshot.is(m)) this.setSnapshot(m.params.snapshot);
      else if (DidChangeStatus.is(m)) this.setStatus(m.params.status);
    });
    const boot = await this.ipc.request(PanelReady, { clientId, view: 'panel' });
    this.setStatus(boot.status);
    this.setSnapshot(boot.snapshot);
  }

  state(): { snapshot: PanelSnapshot | null; ui: UiState } {
    return { snapshot: this.snapshot, ui: this.ui };
  }

  setStatus(status: PanelStatus): void {
    this.status = status;
    const s = statusText(status, this.snapshot !== null);
    const node = this.$('sl-status');
    node.textContent = s.text;
    node.className = `sl-status sl-status-${s.kind}`;
  }

  setSnapshot(snapshot: PanelSnapshot | null): void {
    const hadAblation = this.snapshot?.result.ablation != null;
    this.snapshot = snapshot;
    this.attention = null;
    this.$('sl-root').classList.toggle('sl-no-result', snapshot === null);
    if (snapshot === null) return this.setStatus(this.status);
    const r = snapshot.result;
    // A result that now carries an ablation (the user or the toggle command asked for it) shows it.
    if (r.ablation && !hadAblation) this.ui.ablationOverlay = true;
    this.ui.layerRange = clampRange(this.ui.layerRange, r.baseline);
    this.ui.selectedTokens = this.ui.selectedTokens.filter((i) => i < r.tokens.length);
    this.stripFocus = Math.min(this.stripFocus, Math.max(0, r.tokens.length - 1));
    replaceChildren(this.$('sl-header-body'), ...renderHeader(this.doc, r));
    replaceChildren(this.$('sl-warnings'), ...renderWarnings(this.doc, r));
    this.renderRangeSelects(r.baseline);
    this.renderStrip();
    this.renderLayers();
    this.renderHeads();
    this.renderLens();
    replaceChildren(this.$('sl-massive'), ...renderMassive(this.doc, massiveRows(r.baseline, r.tokens, 2), r.baseline.recurringDims));
    this.setStatus(this.status);
    this.save();
    if (!this.restoredScroll) {
      this.restoredScroll = true;
      this.doc.defaultView?.scrollTo?.(0, this.ui.scrollY);
    }
  }

  private save(): void {
    this.api.setState(this.ui);
  }

  private renderRangeSelects(run: RunMetrics): void {
    const layers = run.layers.filter((l) => l.tokenSinkMass !== null).map((l) => l.layer);
    const range = this.ui.layerRange;
    for (const [id, value] of [['sl-range-from', range?.[0]], ['sl-range-to', range?.[1]]] as const) {
      const sel = this.$(id) as HTMLSelectElement;
      replaceChildren(sel, ...layers.map((l) => el(this.doc, 'option', { text: layerLabel(l), attrs: { value: String(l) } })));
      if (value !== undefined) sel.value = String(value);
      sel.disabled = layers.length === 0;
    }
  }

  private renderStrip(): void {
    const r = this.snapshot?.result;
    if (!r) return;
    const range = this.ui.layerRange;
    const values = range ? meanTokenSinkMass(r.baseline.layers, range, r.tokens.length) : new Array<number>(r.tokens.length).fill(0);
    // BOS attends only to itself (mass 1 by construction): keep it out of the colour domain.
    const exclude = new Set(r.settings.bosPrepended ? [0] : []);
    const max = domainMax(values, exclude);
    const data = { tokens: r.tokens, values, heat: normalise(values, max), selected: new Set(this.ui.selectedTokens), focus: this.stripFocus, darkTheme: isDarkTheme(this.doc) };
    replaceChildren(this.$('sl-token-strip'), ...renderTokens(this.doc, data));
    this.$('sl-legend').textContent = range ? `${fmtLayerRange(range[0], range[1])} · max ${fmtNum(max)}` : 'no attention layers';
  }

  private renderLayers(): void {
    const r = this.snapshot?.result;
    if (!r) return;
    const overlay = this.ui.ablationOverlay && r.ablation !== null;
    const toggle = this.$('sl-ablation-toggle') as HTMLElement & { checked?: boolean };
    toggle.checked = this.ui.ablationOverlay;
    toggle.toggleAttribute('checked', this.ui.ablationOverlay);
    const lastLayer = Math.max(...r.baseline.layers.map((l) => l.layer));
    this.charts.render(
      {
        series: layerSeries(r.baseline),
        ablated: overlay && r.ablation ? layerSeries(r.ablation.run) : null,
        bands: phaseBands(r.baseline.phases, lastLayer),
        spikes: spikeLayers(r.baseline.spikeBlocks),
        lastLayer,
        lens: hasLens(r.baseline) ? { base: lensSeries(r.baseline), ablated: r.ablation && hasLens(r.ablation.run) ? lensSeries(r.ablation.run) : null } : null,
      },
      readChartTheme(this.doc),
    );
    this.renderAblationSummary(overlay);
    const p = r.baseline.phases;
    const bands = p.bands.map((b) => el(this.doc, 'span', { class: `sl-phase sl-phase-${b.phase}`, text: `${b.phase} ${fmtLayerRange(b.start, b.end)}` }));
    const valley = p.valley ? `valley at ${layerLabel(p.minLayer)} (entropy ${fmtNum(p.minEntropy)})` : 'no compression valley';
    replaceChildren(this.$('sl-phases'), ...bands, el(this.doc, 'span', { class: 'sl-hint', text: valley, attrs: { title: p.signals.join('\n') } }));
  }

  /** The lens grid when the result has lens data, else the one-line hint with its re-run button. */
  private renderLens(): void {
    const r = this.snapshot?.result;
    if (!r) return;
    const on = hasLens(r.baseline);
    this.$('sl-lens-body').hidden = !on;
    this.$('sl-lens-empty').hidden = on;
    if (!on) return replaceChildren(this.$('sl-lens-grid'));
    const grid = lensGrid(r.baseline, r.tokens);
    replaceChildren(this.$('sl-lens-grid'), renderLensGrid(this.doc, grid, r.tokens));
    this.$('sl-lens-summary').textContent = lensSummary(grid);
  }

  private requestLens(): void {
    const button = this.$('sl-lens-run') as HTMLButtonElement;
    button.disabled = true;
    this.ipc
      .request(SetLogitLens, { on: true }, 10 * 60_000)
      .catch((e: Error) => this.setStatus({ kind: 'error', error: { code: 'internal', message: e.message } }))
      .finally(() => {
        button.disabled = false;
      });
  }

  private renderAblationSummary(overlay: boolean): void {
    const box = this.$('sl-ablation-summary');
    const a = this.snapshot?.result.ablation;
    box.hidden = !(overlay && a);
    if (!overlay || !a) return replaceChildren(box);
    const e = a.effect;
    const yes = (v: boolean, t: string, f: string): HTMLElement => el(this.doc, 'span', { class: v ? 'sl-good' : 'sl-bad', text: v ? t : f });
    replaceChildren(
      box,
      el(this.doc, 'span', { text: `Zeroed the BOS ${a.target.toUpperCase()} write in block ${a.blocks.join(', ')}: ` }),
      yes(e.spikeRemoved, 'spike removed', 'spike remains'),
      el(this.doc, 'span', { text: ' · ' }),
      yes(e.valleyRemoved, 'valley removed', 'valley remains'),
      el(this.doc, 'span', { text: ` · max sink rate ${fmtNum(e.sinkRateBefore)} → ${fmtNum(e.sinkRateAfter)}` }),
    );
  }

  private renderHeads(): void {
    const r = this.snapshot?.result;
    if (!r) return;
    const grid = headGrid(r.baseline);
    const valid = (c: Cell | null): Cell | null => (c && grid.layers.includes(c.block + 1) && c.head < grid.heads ? c : null);
    this.ui.selectedCell = valid(this.ui.selectedCell);
    this.cellFocus = valid(this.cellFocus);
    const node = renderHeatmap(this.doc, { grid, selected: this.ui.selectedCell, focus: this.cellFocus, darkTheme: isDarkTheme(this.doc), showValues: grid.layers.length <= 16 && grid.heads <= 32 });
    replaceChildren(this.$('sl-heatmap'), node);
    if (this.ui.selectedCell) void this.loadAttention(this.ui.selectedCell);
    else this.$('sl-attn-card').hidden = true;
  }

  private async loadAttention(cell: Cell): Promise<void> {
    const seq = ++this.attnSeq;
    const card = this.$('sl-attn-card');
    card.hidden = false;
    this.$('sl-attn-title').textContent = `Attention of head ${cell.head}, ${layerLabel(cell.block + 1)} (block ${cell.block}) · loading…`;
    try {
      const map = await this.ipc.request(GetAttention, cell);
      if (seq !== this.attnSeq) return;
      this.attention = map;
      const canvas = this.$('sl-attn-map') as HTMLCanvasElement;
      canvas.hidden = false;
      drawAttention(canvas, map, Math.max(map.tokens, Math.ceil(420 / Math.max(1, map.tokens)) * map.tokens));
      this.$('sl-attn-title').textContent = `Attention of head ${cell.head}, ${layerLabel(cell.block + 1)} (block ${cell.block}) · ${map.tokens} × ${map.tokens}, colour √p`;
    } catch (e) {
      if (seq !== this.attnSeq) return;
      this.$('sl-attn-title').textContent = `Attention of head ${cell.head}, block ${cell.block}: ${(e as Error).message}`;
    }
  }

  private selectCell(cell: Cell): void {
    this.ui.selectedCell = cell;
    this.cellFocus = cell;
    this.save();
    for (const c of Array.from(this.$('sl-heatmap').querySelectorAll<HTMLElement>('.sl-cell'))) {
      const on = c.dataset.block === String(cell.block) && c.dataset.head === String(cell.head);
      c.classList.toggle('sl-selected', on);
      c.setAttribute('aria-selected', String(on));
    }
    void this.loadAttention(cell);
  }

  private selectTokens(indices: number[]): void {
    const r = this.snapshot?.result;
    if (!r) return;
    this.ui.selectedTokens = indices;
    this.save();
    const set = new Set(indices);
    for (const t of Array.from(this.$('sl-token-strip').querySelectorAll<HTMLElement>('.sl-token'))) {
      const on = set.has(Number(t.dataset.index));
      t.classList.toggle('sl-selected', on);
      t.setAttribute('aria-selected', String(on));
    }
    const ranges = selectionRanges(r.tokens, indices);
    this.$('sl-selection').textContent = indices.length ? `${indices.length} token${indices.length > 1 ? 's' : ''} selected` : '';
    if (ranges.length) this.ipc.command(RevealTokens, { ranges });
  }

  private setAblation(on: boolean): void {
    this.ui.ablationOverlay = on;
    this.save();
    const r = this.snapshot?.result;
    if (on && r && !r.ablation) {
      this.ipc.request(SetAblation, { on }, 10 * 60_000).catch((e: Error) => {
        this.ui.ablationOverlay = false;
        this.setStatus({ kind: 'error', error: { code: 'internal', message: e.message } });
        this.renderLayers();
      });
      return;
    }
    this.renderLayers();
  }

  private wire(): void {
    const strip = this.$('sl-token-strip');
    const tokenOf = (e: Event): number | null => {
      const t = (e.target as HTMLElement | null)?.closest?.('.sl-token') as HTMLElement | null;
      return t ? Number(t.dataset.index) : null;
    };
    strip.addEventListener('click', (e) => {
      const i = tokenOf(e);
      if (i === null) return;
      this.clickToken(i, e as MouseEvent);
    });
    strip.addEventListener('keydown', (e) => this.stripKey(e));
    strip.addEventListener('mouseover', (e) => this.showTokenCard(tokenOf(e), e.target as HTMLElement));
    strip.addEventListener('focusin', (e) => this.showTokenCard(tokenOf(e), e.target as HTMLElement));
    strip.addEventListener('mouseleave', () => this.hideTooltip());
    strip.addEventListener('focusout', () => this.hideTooltip());

    const heat = this.$('sl-heatmap');
    const cellOf = (e: Event): Cell | null => {
      const c = (e.target as HTMLElement | null)?.closest?.('.sl-cell') as HTMLElement | null;
      return c ? { block: Number(c.dataset.block), head: Number(c.dataset.head) } : null;
    };
    heat.addEventListener('click', (e) => {
      const c = cellOf(e);
      if (c) this.selectCell(c);
    });
    heat.addEventListener('keydown', (e) => this.gridKey(e, cellOf(e)));

    for (const id of ['sl-range-from', 'sl-range-to']) this.$(id).addEventListener('change', () => this.rangeChanged());
    this.$('sl-ablation-toggle').addEventListener('change', (e) => this.setAblation((e.target as { checked?: boolean }).checked === true));

    this.$('sl-lens-run').addEventListener('click', () => this.requestLens());

    const canvas = this.$('sl-attn-map') as HTMLCanvasElement;
    canvas.addEventListener('mousemove', (e) => this.attnHover(canvas, e));

    const win = this.doc.defaultView;
    let timer: ReturnType<typeof setTimeout> | undefined;
    win?.addEventListener('scroll', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.ui.scrollY = win.scrollY;
        this.save();
      }, 200);
    });
    // VS Code swaps the body's theme class on a theme change: recolour the charts and the ink.
    new (win?.MutationObserver ?? MutationObserver)(() => {
      if (this.snapshot) {
        this.renderStrip();
        this.renderLayers();
        this.renderHeads();
      }
    }).observe(this.doc.body, { attributes: true, attributeFilter: ['class'] });
  }

  private clickToken(i: number, e: { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }): void {
    this.stripFocus = i;
    let sel: number[];
    if (e.shiftKey) sel = spanSelection(this.anchor, i);
    else if (e.ctrlKey || e.metaKey) {
      sel = this.ui.selectedTokens.includes(i) ? this.ui.selectedTokens.filter((x) => x !== i) : [...this.ui.selectedTokens, i];
      this.anchor = i;
    } else {
      sel = [i];
      this.anchor = i;
    }
    this.selectTokens(sel);
  }

  private stripKey(e: KeyboardEvent): void {
    const n = this.snapshot?.result.tokens.length ?? 0;
    if (n === 0) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      return this.clickToken(this.stripFocus, e);
    }
    if (e.key === 'Escape') return this.selectTokens([]);
    const next = stripKeyTarget(e.key, this.stripFocus, n);
    if (next === null) return;
    e.preventDefault();
    this.moveStripFocus(next);
    if (e.shiftKey) this.selectTokens(spanSelection(this.anchor, next));
  }

  private moveStripFocus(next: number): void {
    const tokens = this.$('sl-token-strip').querySelectorAll<HTMLElement>('.sl-token');
    tokens[this.stripFocus]?.setAttribute('tabindex', '-1');
    this.stripFocus = next;
    const t = tokens[next];
    t?.setAttribute('tabindex', '0');
    t?.focus();
  }

  private gridKey(e: KeyboardEvent, at: Cell | null): void {
    const r = this.snapshot?.result;
    if (!r || !at) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      return this.selectCell(at);
    }
    const next = gridKeyTarget(e.key, at, headGrid(r.baseline));
    if (!next) return;
    e.preventDefault();
    const heat = this.$('sl-heatmap');
    heat.querySelector<HTMLElement>('.sl-cell[tabindex="0"]')?.setAttribute('tabindex', '-1');
    const cell = heat.querySelector<HTMLElement>(`.sl-cell[data-block="${next.block}"][data-head="${next.head}"]`);
    cell?.setAttribute('tabindex', '0');
    cell?.focus();
    this.cellFocus = next;
  }

  private rangeChanged(): void {
    const from = Number((this.$('sl-range-from') as HTMLSelectElement).value);
    const to = Number((this.$('sl-range-to') as HTMLSelectElement).value);
    const r = this.snapshot?.result;
    if (!r) return;
    this.ui.layerRange = clampRange([from, to] as LayerRange, r.baseline);
    this.save();
    this.renderRangeSelects(r.baseline);
    this.renderStrip();
  }

  private showTokenCard(i: number | null, anchor: HTMLElement): void {
    const r = this.snapshot?.result;
    const token = i === null ? undefined : r?.tokens[i];
    if (!r || !token || i === null) return;
    const tip = this.$('sl-tooltip');
    replaceChildren(tip, renderTokenCard(this.doc, token, tokenLayerValues(r.baseline.layers, i)));
    tip.hidden = false;
    const box = anchor.getBoundingClientRect();
    const win = this.doc.defaultView;
    const width = win?.innerWidth ?? 800;
    tip.style.left = `${Math.max(4, Math.min(box.left + (win?.scrollX ?? 0), width - 260))}px`;
    tip.style.top = `${box.bottom + (win?.scrollY ?? 0) + 6}px`;
  }

  private hideTooltip(): void {
    this.$('sl-tooltip').hidden = true;
  }

  private attnHover(canvas: HTMLCanvasElement, e: MouseEvent): void {
    const map = this.attention;
    const r = this.snapshot?.result;
    if (!map || !r) return;
    const box = canvas.getBoundingClientRect();
    const scale = canvas.width / Math.max(1, box.width);
    const c = cellAt((e.clientX - box.left) * scale, (e.clientY - box.top) * scale, canvas.width, map.tokens);
    if (c) this.$('sl-attn-hover').textContent = cellText(map, r.tokens, c.q, c.k);
  }
}
