/**
 * The per-layer charts (BOS norm, entropy, sink rate, lens), the phase bands and valley line, and
 * the ablation overlay: its toggle (#sl-ablation-toggle) asks the host to re-run when the shown
 * result has no ablation yet, and its summary says what zeroing the BOS write changed.
 */
import type { Request } from '../../shared/protocol/messages';
import { SaveChartImage, SaveChartSvg, SetAblation } from '../../shared/protocol/panel';
import { interventionSpec } from '../../shared/interventions';
import type { AnalysisResult, Intervention } from '../../shared/result';
import { bandLabel, bandNotes, bandNotesAt, phaseBands, spikeLayers, spikeWriterLabel } from '../model/bands';
import { fmtLayerRange, fmtNum, layerLabel } from '../model/format';
import { overlayView } from '../model/overlay';
import { defaultSpec, interventionsOf, interventionTitle, lossLine, lossStripView, parseSpecs, topKView, withPosition } from '../model/intervention';
import { renderLossStrip, renderTopK } from '../render/lossStrip';
import { hasLens, lensSeries } from '../model/lens';
import { isProvisional } from '../model/provisional';
import { entropyCaption, mixCaption } from '../model/readings';
import { isDefaultEntropy, layerSeries, variantLabel, type LayerSeries } from '../model/series';
import { layerAt, relativeBands, relativeSeries } from '../model/compareView';
import { LayerCharts } from '../render/charts';
import { el, replaceChildren } from '../render/dom';
import { readChartTheme } from '../render/theme';
import type { PanelContext, Section } from './context';

/** A re-run takes as long as an analysis: far longer than the default request timeout. */
export const RERUN_TIMEOUT_MS = 10 * 60_000;

/** A "compute it" button: disabled while the host re-runs the shown analysis with `on: true`; errors go to the status. */
export function rerunButton(c: PanelContext, id: string, request: Request<{ on: boolean }, { rerun: boolean }>): void {
  const button = c.$(id) as HTMLButtonElement;
  button.addEventListener('click', () => {
    button.disabled = true;
    c.ipc
      .request(request, { on: true }, RERUN_TIMEOUT_MS)
      .catch((e: Error) => c.showError(e.message))
      .finally(() => {
        button.disabled = false;
      });
  });
}

export class LayerSection implements Section {
  private readonly charts: LayerCharts;
  /** A SetAblation re-run is in flight (the checkbox stays ticked until its result or error). */
  private pending = false;
  /** The user typed in the intervention field: a new result no longer replaces its text. */
  private specEdited = false;

  constructor(private readonly c: PanelContext) {
    this.charts = new LayerCharts({
      bos: c.$('sl-chart-bos') as HTMLCanvasElement,
      entropy: c.$('sl-chart-entropy') as HTMLCanvasElement,
      sink: c.$('sl-chart-sink') as HTMLCanvasElement,
      mix: c.$('sl-chart-mix') as HTMLCanvasElement,
      lens: c.$('sl-chart-lens') as HTMLCanvasElement,
    });
    for (const b of Array.from(c.doc.querySelectorAll<HTMLElement>('.sl-chart-png'))) {
      const svg = b.classList.contains('sl-chart-svg');
      b.addEventListener('click', () => (svg ? this.saveSvg(b.dataset.chart ?? '', b.dataset.title ?? '') : this.savePng(b.dataset.chart ?? '')));
    }
    c.$('sl-ablation-toggle').addEventListener('change', (e) => this.setAblation((e.target as { checked?: boolean }).checked === true));
    c.$('sl-intervene-run').addEventListener('click', () => this.runIntervention());
    c.$('sl-intervene-pos').addEventListener('click', () => this.atSelectedToken());
    c.$('sl-intervene-spec').addEventListener('input', () => (this.specEdited = true));
    c.$('sl-intervene-spec').addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') this.runIntervention();
    });
  }

  private get spec(): HTMLInputElement {
    return this.c.$('sl-intervene-spec') as HTMLInputElement;
  }

  private hint(text: string, error: boolean): void {
    const h = this.c.$('sl-intervene-hint');
    h.textContent = text;
    h.classList.toggle('sl-error', error);
  }

  /** Runs the typed interventions (the same syntax as the CLI's --intervene) and shows them as the overlay. */
  private runIntervention(): void {
    const parsed = parseSpecs(this.spec.value);
    if (!parsed.ok) return this.hint(parsed.error, true);
    this.hint(`running ${parsed.list.map(interventionSpec).join(' ')}…`, false);
    this.setAblation(true, parsed.list);
  }

  /** Moves every write intervention in the field to the first selected token. */
  private atSelectedToken(): void {
    const t = this.c.ui.selectedTokens[0];
    if (t === undefined) return this.hint('Select a token in the strip first (click it).', true);
    if (this.spec.value.trim() === '') return this.hint('Type an intervention first (e.g. mlp@1:bos=zero).', true);
    this.spec.value = withPosition(this.spec.value, t);
    this.specEdited = true;
    this.hint(`position set to token ${t}`, false);
  }

  /** Asks the host to save one drawn chart (`sl-chart-<kind>`) as PNG. */
  private savePng(canvasId: string): void {
    const kind = canvasId.replace(/^sl-chart-/, '');
    if (kind !== 'bos' && kind !== 'entropy' && kind !== 'sink' && kind !== 'lens') return;
    const dataUrl = this.charts.png(kind);
    if (dataUrl) this.c.ipc.command(SaveChartImage, { name: `sinklens-${kind}.png`, dataUrl });
  }

  /** Asks the host to save one drawn chart as SVG (the host adds the provenance). */
  private saveSvg(canvasId: string, title: string): void {
    const kind = canvasId.replace(/^sl-chart-/, '');
    if (kind !== 'bos' && kind !== 'entropy' && kind !== 'sink' && kind !== 'mix' && kind !== 'lens') return;
    const spec = this.charts.svgSpec(kind, title);
    if (spec) this.c.ipc.command(SaveChartSvg, { name: `sinklens-${kind}.svg`, spec });
  }

  render(r: AnalysisResult): void {
    const { doc, ui } = this.c;
    const view = overlayView(r, ui.ablationOverlay, this.pending);
    const overlay = view.curves;
    const toggle = this.c.$('sl-ablation-toggle') as HTMLElement & { checked?: boolean };
    toggle.checked = view.checked;
    toggle.toggleAttribute('checked', view.checked);
    toggle.dataset.state = overlay ? 'shown' : this.pending ? 'pending' : 'off';
    const note = doc.getElementById('sl-header-ablation');
    // A comparison takes the overlay's place: the other run's curves dashed, the verdict in the header.
    const cmp = this.c.compare?.();
    // Two depths: the h[l] of the verdict are each model's own; the curves share l/L.
    const depths = cmp?.depth === 'relative' ? ` (${cmp.other.model.layers} vs ${r.model.layers} layers, curves on l/L)` : '';
    if (note) note.textContent = cmp ? `vs ${cmp.label}${depths}: ${cmp.verdict}` : view.header;
    const lastLayer = Math.max(...r.baseline.layers.map((l) => l.layer));
    const b = r.baseline;
    const e = r.settings.entropy;
    const early = isProvisional(r);
    const spectra = b.layers.filter((l) => l.entropy !== null).length;
    this.c.$('sl-chart-entropy-note').textContent = early ? `computing… (${spectra} of ${b.layers.length} layers)` : entropyCaption(e);
    this.c.$('sl-chart-mix-note').textContent = early ? 'computing…' : mixCaption(b.mixingQueries, r.tokens.length);
    // Two models of different depths: both runs on relative depth l/L (bands, spikes and tooltips follow).
    const rel = cmp?.depth === 'relative';
    const lastOther = cmp ? Math.max(...cmp.other.baseline.layers.map((l) => l.layer)) : lastLayer;
    const onDepth = (s: LayerSeries, last: number): LayerSeries => (rel ? relativeSeries(s, last) : s);
    const bands = phaseBands(r.baseline.phases, lastLayer);
    const spikes = spikeLayers(r.baseline.spikeBlocks);
    this.charts.render(
      {
        series: onDepth(layerSeries(r.baseline), lastLayer),
        variant: isDefaultEntropy(e) ? null : variantLabel(e),
        chance: Number.isFinite(b.chanceSinkScore) ? b.chanceSinkScore : null,
        spikeLabel: spikeWriterLabel(b.spikeWriter),
        bandNotes: (x) => bandNotesAt(b.phases, rel ? layerAt(x, lastLayer) : x),
        ablated: cmp ? onDepth(layerSeries(cmp.other.baseline), lastOther) : overlay && r.ablation ? layerSeries(r.ablation.run) : null,
        ...(cmp ? { overlayLabel: cmp.label } : {}),
        ...(rel ? { depth: 'relative' as const } : {}),
        bands: rel ? relativeBands(bands, lastLayer) : bands,
        spikes: rel ? spikes.map((l) => l / Math.max(1, lastLayer)) : spikes,
        lastLayer,
        lens: hasLens(r.baseline) ? { base: rel ? { ...lensSeries(r.baseline), layers: lensSeries(r.baseline).layers.map((l) => l / Math.max(1, lastLayer)) } : lensSeries(r.baseline), ablated: r.ablation && hasLens(r.ablation.run) ? lensSeries(r.ablation.run) : null } : null,
      },
      readChartTheme(doc),
    );
    this.renderAblationSummary(r, overlay);
    this.renderPhases(r);
    if (!this.specEdited || this.spec.value.trim() === '') this.spec.value = defaultSpec(r);
  }

  /** The band chips under the charts: hover (or focus) one for its evidence and strength. */
  private renderPhases(r: AnalysisResult): void {
    const { doc } = this.c;
    const p = r.baseline.phases;
    if (isProvisional(r)) return replaceChildren(this.c.$('sl-phases'), el(doc, 'span', { class: 'sl-hint', text: 'phases: computing…' }));
    if (p.informative === false || r.baseline.informative === false) {
      return replaceChildren(this.c.$('sl-phases'), el(doc, 'span', { class: 'sl-hint', text: 'no phases: the prompt is too short for them to be informative' }));
    }
    const bands = p.bands.map((band) =>
      el(doc, 'span', {
        class: `sl-phase sl-phase-${band.phase}`,
        text: `${bandLabel(band.phase, p)} ${fmtLayerRange(band.start, band.end)}`,
        attrs: { title: bandNotes(band, p).join('\n'), tabindex: '0' },
      }),
    );
    const valley = p.valley ? `valley at ${layerLabel(p.minLayer)} (entropy ${fmtNum(p.minEntropy)})` : 'no compression valley';
    replaceChildren(
      this.c.$('sl-phases'),
      ...bands,
      el(doc, 'span', { class: 'sl-hint', text: `${valley} · phases are a heuristic`, attrs: { title: p.signals.join('\n') } }),
    );
  }

  private renderAblationSummary(r: AnalysisResult, overlay: boolean): void {
    const { doc } = this.c;
    const box = this.c.$('sl-ablation-summary');
    const a = r.ablation;
    box.hidden = !(overlay && a);
    if (!overlay || !a) return replaceChildren(box);
    const e = a.effect;
    const yes = (v: boolean, t: string, f: string): HTMLElement => el(doc, 'span', { class: v ? 'sl-good' : 'sl-bad', text: v ? t : f });
    const loss = lossLine(a);
    const topK = topKView(a);
    const strip = lossStripView(r, true);
    replaceChildren(
      box,
      el(doc, 'div', { id: 'sl-ablation-effect' }, [
        el(doc, 'span', { text: `${interventionTitle(interventionsOf(a, r.settings.ablateTarget ?? a.target))}: ` }),
        yes(e.spikeRemoved, 'spike removed', 'spike remains'),
        el(doc, 'span', { text: ' · ' }),
        yes(e.valleyRemoved, 'valley removed', 'valley remains'),
        el(doc, 'span', { text: ` · max sink rate ${fmtNum(e.sinkRateBefore)} → ${fmtNum(e.sinkRateAfter)}` }),
      ]),
      loss ? el(doc, 'div', { id: 'sl-ablation-loss', class: 'sl-ablation-loss', text: loss }) : null,
      topK ? renderTopK(doc, topK) : null,
      strip?.mode === 'delta' ? el(doc, 'div', { id: 'sl-loss-delta', class: 'sl-loss' }, renderLossStrip(doc, strip)) : null,
    );
  }

  /** The overlay is the webview's business; the host re-runs only when the result lacks the ablation (or these interventions). */
  private setAblation(on: boolean, interventions?: Intervention[]): void {
    const { ui } = this.c;
    ui.ablationOverlay = on;
    this.c.save();
    const r = this.c.result();
    if (on && r && (interventions || !r.ablation)) {
      this.pending = true;
      this.render(r);
      this.c.ipc
        .request(SetAblation, interventions ? { on, interventions } : { on }, RERUN_TIMEOUT_MS)
        .then(() => interventions && this.hint('done: the overlay shows the intervention', false))
        .catch((e: Error) => {
          ui.ablationOverlay = false;
          if (interventions) this.hint(e.message, true);
          this.c.showError(e.message);
        })
        .finally(() => {
          this.pending = false;
          const now = this.c.result();
          if (now) this.render(now);
        });
      return;
    }
    if (r) this.render(r);
  }
}
