/**
 * The study view (`<body data-view="study">`): a header (prompt set, models, complete or cancelled),
 * export buttons, the three panels (entropy, sink rate, BOS norm (log) vs depth; line + interquartile
 * band per model) and the per-prompt table, sortable by valley depth, spike layer and max sink rate;
 * a row (click, Enter or Space) opens that prompt's analysis in the panel.
 */
import type { Msg } from '../../shared/protocol/messages';
import { StudyExport, StudyOpenPrompt, StudyRendered, StudyShow, StudyViewReady, type StudyExportRequest } from '../../shared/protocol/study';
import type { StudyResult } from '../../shared/study';
import type { VsCodeApiLike } from '../ipc';
import { fmtNum, layerLabel } from '../model/format';
import { sortRows, studyCharts, studyRows, type SortKey, type StudyCharts, type StudyRow } from '../model/study';
import { el, replaceChildren } from '../render/dom';
import { StudyChartSet, type StudyTheme } from '../render/studyCharts';
import { readChartTheme } from '../render/theme';

const COLUMNS: { key: SortKey | null; label: string; cell: (r: StudyRow) => string }[] = [
  { key: null, label: 'model', cell: (r) => r.model },
  { key: null, label: 'prompt', cell: (r) => `${r.id} (${r.source})` },
  { key: null, label: 'tokens', cell: (r) => String(r.tokens) },
  { key: 'valleyDepth', label: 'valley depth', cell: (r) => (r.valleyLayer === null ? 'no valley' : `${fmtNum(r.valleyDepth)} at ${layerLabel(r.valleyLayer)}`) },
  { key: 'spikeLayer', label: 'spike layer', cell: (r) => (r.spikeLayer === null ? 'none' : layerLabel(r.spikeLayer)) },
  { key: 'maxSinkRate', label: 'max sink rate', cell: (r) => fmtNum(r.maxSinkRate) },
];

let seq = 0;
const post = (api: VsCodeApiLike, call: { method: string }, params: unknown): void => api.postMessage({ id: `sv${++seq}`, method: call.method, params } satisfies Msg);

export class StudyApp {
  private charts: StudyCharts | null = null;
  private rows: StudyRow[] = [];
  private sort: { key: SortKey; descending: boolean } = { key: 'valleyDepth', descending: true };
  private readonly chartSet = new StudyChartSet();
  private readonly canvases = new Map<string, HTMLCanvasElement>();

  constructor(
    private readonly doc: Document,
    private readonly api: VsCodeApiLike,
    private readonly win: Pick<Window, 'addEventListener'>,
  ) {}

  async start(_clientId?: string): Promise<void> {
    this.doc.body.appendChild(el(this.doc, 'main', { id: 'sl-study', class: 'sl-study' }, [el(this.doc, 'p', { class: 'sl-hint', text: 'Waiting for the study…' })]));
    this.win.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
    post(this.api, StudyViewReady, {});
    return Promise.resolve();
  }

  receive(data: unknown): void {
    const m = data as Msg<{ study?: unknown }> | null;
    if (!m || typeof m !== 'object' || !StudyShow.is(m)) return;
    const s = m.params?.study as StudyResult | undefined;
    if (!s || s.kind !== 'sinklens-study' || !Array.isArray(s.models)) return; // Never render what is not a study.
    this.show(s);
  }

  show(study: StudyResult): void {
    // Marks the view as one VS Code restores after a reload (the host shows its kept study again); no study here.
    this.api.setState({ view: 'study' });
    this.charts = studyCharts(study);
    this.rows = studyRows(study);
    const root = this.doc.getElementById('sl-study') as HTMLElement;
    replaceChildren(root, this.header(study), this.chartCards(this.charts), this.table());
    this.chartSet.render(this.charts, this.canvases, this.theme());
    post(this.api, StudyRendered, {
      axis: this.charts.axis,
      panels: this.charts.panels.map((p) => ({ metric: p.metric, series: p.series.length, points: p.series[0]?.xs.length ?? 0 })),
      rows: this.rows.length,
    });
  }

  /** Sorts the table by `key` (a second click on the same column reverses it). */
  sortBy(key: SortKey): void {
    this.sort = this.sort.key === key ? { key, descending: !this.sort.descending } : { key, descending: true };
    const old = this.doc.getElementById('sl-study-table');
    old?.replaceWith(this.table());
  }

  private header(s: StudyResult): HTMLElement {
    const d = this.doc;
    const models = s.models.map((m) => `${m.name} (${m.layers} layers, ${m.prompts.length} prompts${m.failures.length ? `, ${m.failures.length} failed` : ''})`).join('; ');
    const state = s.complete ? '' : ' — cancelled: the aggregates cover the prompts done so far; run it again to resume';
    const button = (label: string, req: () => StudyExportRequest | null) => {
      const b = el(d, 'button', { class: 'sl-study-export', text: label, attrs: { type: 'button' } });
      b.addEventListener('click', () => {
        const r = req();
        if (r) post(this.api, StudyExport, r);
      });
      return b;
    };
    const exports = el(d, 'div', { class: 'sl-study-exports' }, [
      button('Export JSON', () => ({ kind: 'json' })),
      button('CSV: layers', () => ({ kind: 'csv', table: 'layers' })),
      button('CSV: prompts', () => ({ kind: 'csv', table: 'prompts' })),
      button('CSV: tokens', () => ({ kind: 'csv', table: 'tokens' })),
      button('CSV: heads', () => ({ kind: 'csv', table: 'heads' })),
    ]);
    return el(d, 'header', { class: 'sl-study-header' }, [
      el(d, 'h1', { text: `Study: ${s.provenance.promptSet.path}` }),
      el(d, 'p', { id: 'sl-study-summary', text: `${s.prompts.length} prompts × ${s.models.length} model(s): ${models}${state}` }),
      exports,
    ]);
  }

  private chartCards(c: StudyCharts): HTMLElement {
    const d = this.doc;
    this.canvases.clear();
    const cards = c.panels.map((p) => {
      const canvas = el(d, 'canvas', { id: `sl-study-chart-${p.metric}`, attrs: { role: 'img', 'aria-label': `${p.title} vs depth, one line and interquartile band per model` } });
      this.canvases.set(p.metric, canvas);
      const png = el(d, 'button', { class: 'sl-study-export', text: 'PNG', attrs: { type: 'button', title: `Save the ${p.title} chart as PNG` } });
      png.addEventListener('click', () => {
        const dataUrl = this.chartSet.png(p.metric);
        if (dataUrl) post(this.api, StudyExport, { kind: 'png', name: `study-${p.metric}.png`, dataUrl });
      });
      // The same chart as SVG, from the drawn chart's scales and datasets; the host adds the study's provenance.
      const svg = el(d, 'button', { class: 'sl-study-export sl-study-svg', text: 'SVG', attrs: { type: 'button', title: `Save the ${p.title} chart as SVG` } });
      svg.addEventListener('click', () => {
        const spec = this.chartSet.svgSpec(p.metric, p.title);
        if (spec) post(this.api, StudyExport, { kind: 'svg', name: `study-${p.metric}.svg`, spec });
      });
      return el(d, 'figure', { class: 'sl-chart-card' }, [
        el(d, 'figcaption', {}, [el(d, 'span', { class: 'sl-chart-title', text: p.title }), png, svg]),
        el(d, 'div', { class: 'sl-chart-box' }, [canvas]),
      ]);
    });
    return el(d, 'section', { class: 'sl-charts' }, cards);
  }

  private table(): HTMLElement {
    const d = this.doc;
    const head = el(
      d,
      'tr',
      {},
      COLUMNS.map((col) => {
        if (!col.key) return el(d, 'th', { text: col.label, attrs: { scope: 'col' } });
        const key = col.key;
        const active = this.sort.key === key;
        const sortAttr = active ? (this.sort.descending ? 'descending' : 'ascending') : 'none';
        const b = el(d, 'button', { class: 'sl-study-sort', text: `${col.label}${active ? (this.sort.descending ? ' ▼' : ' ▲') : ''}`, attrs: { type: 'button', 'data-key': key } });
        b.addEventListener('click', () => this.sortBy(key));
        return el(d, 'th', { attrs: { scope: 'col', 'aria-sort': sortAttr } }, [b]);
      }),
    );
    const body = sortRows(this.rows, this.sort.key, this.sort.descending).map((r) => {
      const tr = el(d, 'tr', { class: 'sl-study-row', attrs: { tabindex: '0', title: 'Open this prompt\u2019s analysis', 'data-model': String(r.modelIndex), 'data-prompt': String(r.promptIndex) } }, COLUMNS.map((c) => el(d, 'td', { text: c.cell(r) })));
      const open = (): void => post(this.api, StudyOpenPrompt, { modelIndex: r.modelIndex, promptIndex: r.promptIndex });
      tr.addEventListener('click', open);
      tr.addEventListener('keydown', (e: KeyboardEvent) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          open();
        }
      });
      return tr;
    });
    return el(d, 'table', { id: 'sl-study-table', class: 'sl-study-table' }, [el(d, 'thead', {}, [head]), el(d, 'tbody', {}, body)]);
  }

  private theme(): StudyTheme {
    const t = readChartTheme(this.doc);
    return { fg: t.fg, muted: t.muted, grid: t.grid, palette: [t.primary, t.ablated, t.secondary, t.bound, t.spike, '#cca700'] };
  }
}
