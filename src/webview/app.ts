/**
 * The full panel: holds the snapshot the host pushed and the persisted UI state, and hands each
 * result to its sections (panel/: token strip, layer charts with the ablation overlay, head heatmap
 * with the attention map, logit lens); the header, warnings, massive activations and status line are
 * drawn here. It owns no results across reloads: on start it sends `PanelReady` and renders the
 * bootstrap the host answers with (the host keeps the last result).
 */
import type { PanelSnapshot, PanelStatus } from '../shared/protocol/panel';
import { DidChangeSnapshot, DidChangeStatus, DidReceivePartial, PanelReady } from '../shared/protocol/panel';
import type { AnalysisResult, PartialResult, SpectralLayerMetrics } from '../shared/result';
import type { HostIpc, VsCodeApiLike } from './ipc';
import { massiveRows } from './model/heads';
import { overlayWishAfter } from './model/overlay';
import type { PanelContext } from './panel/context';
import { CompareTokenSection } from './panel/compareTokens';
import { HeadSection } from './panel/heads';
import { LayerSection } from './panel/layers';
import { LensSection } from './panel/lens';
import { TokenSection } from './panel/tokens';
import { replaceChildren } from './render/dom';
import { provisionalResult } from './model/provisional';
import { informativeBanner } from './model/readings';
import { renderHeader, renderNotes, renderWarnings } from './render/header';
import { renderMassive } from './render/massive';
import { buildPanelSkeleton } from './render/skeleton';
import { statusText } from './render/status';
import { sanitizeUiState, type UiState } from './state';

export class PanelApp {
  private snapshot: PanelSnapshot | null = null;
  private status: PanelStatus = { kind: 'idle' };
  private readonly ui: UiState;
  private restoredScroll = false;
  /** The running analysis being painted before its result (its run id, forward metrics and spectra so far). */
  private early: { runId: number; partial: PartialResult; spectra: SpectralLayerMetrics[] } | null = null;
  private readonly ctx: PanelContext;
  private readonly tokens: TokenSection;
  private readonly layers: LayerSection;
  private readonly heads: HeadSection;
  private readonly lens: LensSection;
  private readonly compareTokens: CompareTokenSection;

  constructor(
    private readonly doc: Document,
    private readonly ipc: HostIpc,
    private readonly api: VsCodeApiLike,
  ) {
    this.ui = sanitizeUiState(api.getState());
    doc.body.appendChild(buildPanelSkeleton(doc));
    this.ctx = {
      doc,
      ipc,
      ui: this.ui,
      $: (id) => doc.getElementById(id) as HTMLElement,
      save: () => this.save(),
      result: () => this.snapshot?.result,
      compare: () => this.snapshot?.compare,
      showError: (message) => this.setStatus({ kind: 'error', error: { code: 'internal', message } }),
    };
    this.tokens = new TokenSection(this.ctx);
    this.layers = new LayerSection(this.ctx);
    this.heads = new HeadSection(this.ctx);
    this.lens = new LensSection(this.ctx);
    this.compareTokens = new CompareTokenSection(this.ctx);
    this.wireWindow();
  }

  /** Handshake: the host answers with the full state, then pushes changes as notifications. */
  async start(clientId: string): Promise<void> {
    this.ipc.onNotification((m) => {
      if (DidChangeSnapshot.is(m)) this.setSnapshot(m.params.snapshot);
      else if (DidChangeStatus.is(m)) this.setStatus(m.params.status);
      else if (DidReceivePartial.is(m)) this.setPartial(m.params);
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
    const node = this.ctx.$('sl-status');
    node.textContent = s.text;
    node.className = `sl-status sl-status-${s.kind}`;
  }

  /**
   * First paint: a partial result starts painting its run (unless it re-runs the text shown, as the
   * ablation and lens re-runs do: the shown result stays until the new one); a layer fills its entropy
   * point, but only for the run being painted.
   */
  setPartial(u: { runId: number; partial: PartialResult | null; layer: SpectralLayerMetrics | null }): void {
    if (u.partial) {
      const shown = this.snapshot?.result;
      if (shown && shown.input.sha256 === u.partial.input.sha256 && shown.model.name === u.partial.model.name) return;
      this.early = { runId: u.runId, partial: u.partial, spectra: [] };
    } else if (u.layer && this.early?.runId === u.runId) {
      this.early.spectra.push(u.layer);
    } else return;
    this.renderEarly();
  }

  private renderEarly(): void {
    const e = this.early;
    if (!e) return;
    const r = provisionalResult(e.partial, e.spectra);
    const root = this.ctx.$('sl-root');
    root.classList.remove('sl-no-result');
    root.classList.add('sl-provisional');
    replaceChildren(this.ctx.$('sl-header-body'), ...renderHeader(this.doc, r, true));
    replaceChildren(this.ctx.$('sl-warnings'));
    this.ctx.$('sl-informative').hidden = true;
    this.ctx.$('sl-notes').hidden = true;
    this.tokens.render(r);
    this.layers.render(r);
  }

  setSnapshot(snapshot: PanelSnapshot | null): void {
    const previous = this.snapshot?.result;
    this.early = null;
    this.ctx.$('sl-root').classList.remove('sl-provisional');
    this.snapshot = snapshot;
    this.heads.reset();
    this.ctx.$('sl-root').classList.toggle('sl-no-result', snapshot === null);
    if (snapshot === null) return this.setStatus(this.status);
    const r = snapshot.result;
    this.ui.ablationOverlay = overlayWishAfter(previous, r, this.ui.ablationOverlay);
    replaceChildren(this.ctx.$('sl-header-body'), ...renderHeader(this.doc, r));
    replaceChildren(this.ctx.$('sl-warnings'), ...renderWarnings(this.doc, r));
    this.renderReadings(r);
    for (const section of [this.tokens, this.compareTokens, this.layers, this.heads, this.lens]) section.render(r);
    replaceChildren(this.ctx.$('sl-massive'), ...renderMassive(this.doc, massiveRows(r.baseline, r.tokens, 2), r.baseline.recurringDims));
    this.setStatus(this.status);
    this.save();
    if (!this.restoredScroll) {
      this.restoredScroll = true;
      this.doc.defaultView?.scrollTo?.(0, this.ui.scrollY);
    }
  }

  /** The short-prompt banner and the collapsible "Settings in force" list. */
  private renderReadings(r: AnalysisResult): void {
    const banner = this.ctx.$('sl-informative');
    const text = informativeBanner(r);
    banner.hidden = text === null;
    banner.textContent = text ?? '';
    const notes = renderNotes(this.doc, r);
    replaceChildren(this.ctx.$('sl-notes-list'), ...notes);
    this.ctx.$('sl-notes-title').textContent = `Settings in force (${notes.length})`;
    this.ctx.$('sl-notes').hidden = notes.length === 0;
  }

  private save(): void {
    this.api.setState(this.ui);
  }

  /** Scroll position persistence, and redrawing the coloured parts when VS Code changes theme. */
  private wireWindow(): void {
    const win = this.doc.defaultView;
    let timer: ReturnType<typeof setTimeout> | undefined;
    win?.addEventListener('scroll', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.ui.scrollY = win.scrollY;
        this.save();
      }, 200);
    });
    // The sticky header's height feeds `scroll-padding-top`, so scrolled-to sections are not hidden under it.
    const header = this.doc.getElementById('sl-header');
    const RO = (win as (Window & { ResizeObserver?: typeof ResizeObserver }) | null)?.ResizeObserver;
    if (header && RO) new RO(() => this.doc.documentElement.style.setProperty('--sl-header-h', `${header.offsetHeight}px`)).observe(header);
    // VS Code swaps the body's theme class on a theme change: recolour the charts and the ink.
    new (win?.MutationObserver ?? MutationObserver)(() => {
      if (this.early) return this.renderEarly();
      const r = this.snapshot?.result;
      if (!r) return;
      this.tokens.renderStrip(r);
      this.layers.render(r);
      this.heads.render(r);
    }).observe(this.doc.body, { attributes: true, attributeFilter: ['class'] });
  }
}
