/** The panel header (#sl-header content) and the warnings list (#sl-warnings content). */
import type { AnalysisResult } from '../../shared/result';
import { fmtMs, fmtNum, fmtParams } from '../model/format';
import { overlayView } from '../model/overlay';
import { chip, el } from './dom';

export function settingsText(r: AnalysisResult): string {
  const s = r.settings;
  const e = s.entropy;
  const flags = [e.excludeBos ? 'excl. BOS' : '', e.center ? 'centred' : '', e.rowNormalize ? 'row-normalised' : ''].filter(Boolean);
  const entropy = `entropy α=${fmtNum(e.alpha)}${flags.length ? ` (${flags.join(', ')})` : ''}`;
  return [`τ=${fmtNum(s.tau)}`, entropy, `BOS ${s.prependBos}${s.bosPrepended ? '' : ' (none)'}`, `max ${s.maxTokens} tok`].join(' · ');
}

/** `early`: the first paint of a running analysis (no settings echo or timings yet). */
export function renderHeader(doc: Document, r: AnalysisResult, early = false): HTMLElement[] {
  const m = r.model;
  const title = el(doc, 'div', { class: 'sl-title' }, [
    el(doc, 'h1', { class: 'sl-model', text: m.name, attrs: { title: m.dir } }),
    el(doc, 'span', { class: 'sl-arch', text: `${m.arch}${m.modelType !== m.arch ? ` (${m.modelType})` : ''}` }),
  ]);
  const chips = el(doc, 'div', { class: 'sl-chips' }, [
    chip(doc, 'tokens', String(r.tokens.length), r.settings.truncated ? 'truncated to maxTokens' : undefined),
    chip(doc, 'layers', String(m.layers)),
    chip(doc, 'heads', m.kvHeads && m.kvHeads !== m.heads ? `${m.heads} (${m.kvHeads} kv)` : String(m.heads)),
    chip(doc, 'params', fmtParams(m.params)),
    chip(doc, 'dtype', m.dtype),
    precisionChip(doc, r),
    chip(doc, 'run', fmtMs(r.timings.totalMs), `load ${fmtMs(r.timings.loadMs)} · run ${fmtMs(r.timings.runMs)} · metrics ${fmtMs(r.timings.metricsMs)}`),
  ]);
  // The ablation note is filled by the layer section from the same state as the overlay checkbox (model/overlay.ts).
  const settings = early
    ? el(doc, 'div', { class: 'sl-settings' }, [el(doc, 'span', { text: 'forward done; computing the spectra… · ' }), el(doc, 'span', { id: 'sl-header-ablation', text: 'no ablation' })])
    : el(doc, 'div', { class: 'sl-settings' }, [
        el(doc, 'span', { text: `${settingsText(r)} · ` }),
        el(doc, 'span', { id: 'sl-header-ablation', text: overlayView(r, false, false).header }),
      ]);
  return [title, chips, settings];
}

/** Linear-weight precision and execution provider; results saved before these existed ran fp32 on the CPU. */
function precisionChip(doc: Document, r: AnalysisResult): HTMLElement {
  const p = r.model.precision ?? { weights: 'fp32', requested: 'fp32', executionProvider: 'cpu', reason: null, providerNote: null };
  const value = `${p.weights}${p.requested === 'auto' ? ' (auto)' : ''}${p.executionProvider !== 'cpu' ? ` · ${p.executionProvider}` : ''}`;
  const title = [p.reason, p.sources ? `GGUF linears: ${p.sources}` : null, p.providerNote].filter(Boolean).join('\n') || undefined;
  return chip(doc, 'weights', value, title);
}

export function renderWarnings(doc: Document, r: AnalysisResult): HTMLElement[] {
  return r.warnings.map((w) =>
    el(doc, 'div', { class: `sl-warning sl-warning-${w.code}`, attrs: { role: 'note' } }, [
      el(doc, 'span', { class: 'sl-warning-icon', text: '⚠', attrs: { 'aria-hidden': 'true' } }),
      el(doc, 'span', { text: w.message }),
    ]),
  );
}

/** The "Settings in force" list (#sl-notes-list): every non-obvious choice the engine echoed, one line each. */
export function renderNotes(doc: Document, r: AnalysisResult): HTMLElement[] {
  return (r.settings.notes ?? []).map((n) => el(doc, 'li', { text: n }));
}
