/**
 * The static layout of the full panel, with the element ids the UI test relies on
 * (#sl-header, #sl-token-strip, #sl-chart-*, #sl-heatmap, #sl-attn-map, #sl-massive,
 * #sl-ablation-toggle, #sl-ablation-summary, #sl-loss, #sl-warnings, #sl-status, #sl-logit-lens). Sections are filled by the renderers.
 */
import { el } from './dom';

function section(doc: Document, cls: string, title: string, controls: HTMLElement[], body: HTMLElement[], hint?: string): HTMLElement {
  const head = el(doc, 'div', { class: 'sl-section-head' }, [
    el(doc, 'h2', { text: title }),
    hint ? el(doc, 'span', { class: 'sl-hint', text: hint }) : null,
    el(doc, 'div', { class: 'sl-controls' }, controls),
  ]);
  return el(doc, 'section', { class: `sl-section ${cls}`, attrs: { 'aria-label': title } }, [head, ...body]);
}

function chartCard(doc: Document, id: string, title: string, note: string, label: string): HTMLElement {
  return el(doc, 'figure', { class: 'sl-card sl-chart-card' }, [
    // One line (cut with an ellipsis, full text in the tooltip) so neighbouring plots start at the same height.
    el(doc, 'figcaption', { attrs: { title: `${title} · ${note}` } }, [
      el(doc, 'span', { class: 'sl-chart-title', text: title }),
      el(doc, 'span', { id: `${id}-note`, class: 'sl-hint', text: note }),
      // Saves the drawn chart as PNG (the layer section wires it; the host asks where).
      el(doc, 'button', { class: 'sl-chart-png', text: 'PNG', attrs: { type: 'button', 'data-chart': id, 'aria-label': `Save the ${title} chart as PNG`, title: 'Save as PNG' } }),
      // The same chart as SVG, written from the drawn chart's scales and datasets, provenance inside.
      el(doc, 'button', { class: 'sl-chart-png sl-chart-svg', text: 'SVG', attrs: { type: 'button', 'data-chart': id, 'data-title': title, 'aria-label': `Save the ${title} chart as SVG`, title: 'Save as SVG' } }),
    ]),
    el(doc, 'div', { class: 'sl-chart-box' }, [el(doc, 'canvas', { id, attrs: { role: 'img', 'aria-label': label } })]),
  ]);
}

function rangeSelect(doc: Document, id: string, label: string): HTMLElement {
  return el(doc, 'label', { class: 'sl-select' }, [el(doc, 'span', { text: label }), el(doc, 'select', { id })]);
}

export function buildPanelSkeleton(doc: Document): HTMLElement {
  const header = el(doc, 'header', { id: 'sl-header', class: 'sl-header' }, [
    el(doc, 'div', { id: 'sl-header-body', class: 'sl-header-body' }),
    el(doc, 'div', { id: 'sl-status', class: 'sl-status', text: 'no analysis yet', attrs: { role: 'status', 'aria-live': 'polite' } }),
  ]);
  const warnings = el(doc, 'div', { id: 'sl-warnings', class: 'sl-warnings', attrs: { 'aria-label': 'Warnings' } });
  // Below 16 tokens sink rates and phases are not informative: said once, above everything they feed.
  const banner = el(doc, 'div', { id: 'sl-informative', class: 'sl-warning sl-banner', attrs: { role: 'note', hidden: '' } });
  const notes = el(doc, 'details', { id: 'sl-notes', class: 'sl-notes' }, [
    el(doc, 'summary', { id: 'sl-notes-title', text: 'Settings in force' }),
    el(doc, 'ul', { id: 'sl-notes-list', class: 'sl-notes-list' }),
  ]);

  const tokens = section(
    doc,
    'sl-tokens',
    'Tokens',
    [rangeSelect(doc, 'sl-range-from', 'layers'), rangeSelect(doc, 'sl-range-to', '–'), el(doc, 'span', { id: 'sl-legend', class: 'sl-legend' })],
    [
      el(doc, 'div', { id: 'sl-token-strip', class: 'sl-token-strip', attrs: { role: 'listbox', 'aria-multiselectable': 'true', 'aria-label': 'Tokens coloured by sink mass', tabindex: '-1' } }),
      el(doc, 'div', { id: 'sl-selection', class: 'sl-hint', text: 'Click a token to highlight it in the editor; Shift-click extends, Ctrl/Cmd-click adds.' }),
      // A comparison's per-token table: both runs aligned by character offsets.
      el(doc, 'div', { id: 'sl-compare-tokens', class: 'sl-compare-tokens', attrs: { hidden: '' } }, [
        el(doc, 'div', { id: 'sl-compare-caption', class: 'sl-hint' }),
        el(doc, 'div', { id: 'sl-compare-list', class: 'sl-compare-list', attrs: { role: 'list', 'aria-label': 'Sink mass per token in both runs, aligned' } }),
      ]),
      el(doc, 'div', { id: 'sl-loss', class: 'sl-loss', attrs: { hidden: '' } }),
      el(doc, 'div', { id: 'sl-loss-empty', class: 'sl-lens-empty', attrs: { hidden: '' } }, [
        el(doc, 'span', { class: 'sl-hint', text: 'Per-token loss not computed (setting sinklens.tokenLoss; one LM head over every position).' }),
        el(doc, 'button', { id: 'sl-loss-run', class: 'sl-button', text: 'Compute per-token loss', attrs: { type: 'button', title: "Re-run this analysis with each token's next-token loss" } }),
      ]),
    ],
    'mean sink mass per query token',
  );

  const toggle = el(doc, 'vscode-checkbox', { id: 'sl-ablation-toggle', attrs: { label: 'Ablation overlay', title: 'Re-run with the BOS write of the component that writes the spike (MLP or attention) zeroed at the spike layers, and overlay the curves' } });
  toggle.textContent = 'Ablation overlay';
  const layers = section(
    doc,
    'sl-layers',
    'Per layer',
    [toggle],
    [
      el(doc, 'div', { id: 'sl-intervene', class: 'sl-intervene' }, [
        el(doc, 'label', { text: 'Intervention', attrs: { for: 'sl-intervene-spec' } }),
        el(doc, 'input', { id: 'sl-intervene-spec', class: 'sl-intervene-spec', attrs: { type: 'text', spellcheck: 'false', placeholder: 'mlp@1:bos=zero', 'aria-describedby': 'sl-intervene-hint' } }),
        el(doc, 'button', { id: 'sl-intervene-pos', class: 'sl-button', text: 'At selected token', attrs: { type: 'button', title: 'Set the position of the intervention to the first selected token' } }),
        el(doc, 'button', { id: 'sl-intervene-run', class: 'sl-button', text: 'Run intervention', attrs: { type: 'button', title: 'Re-run this analysis with the intervention and overlay the curves' } }),
        el(doc, 'span', {
          id: 'sl-intervene-hint',
          class: 'sl-hint',
          text: 'mlp|attn@BLOCKS[:bos|:pos=N]=zero|mean|scale:K · head@B.H=zero · several: separate with spaces',
          attrs: { role: 'status' },
        }),
      ]),
      el(doc, 'div', { id: 'sl-ablation-summary', class: 'sl-ablation-summary', attrs: { hidden: '' } }),
      el(doc, 'div', { class: 'sl-charts' }, [
        chartCard(doc, 'sl-chart-bos', 'BOS norm ratio', 'log scale', 'BOS norm divided by the median norm of the other tokens, per layer'),
        chartCard(doc, 'sl-chart-entropy', 'Normalised entropy', 'with upper bound', 'Normalised matrix entropy per layer, with the upper bound and the entropy excluding BOS'),
        chartCard(doc, 'sl-chart-sink', 'Sink rate', 'share of heads above τ', 'Sink rate per layer, with the sink score of a uniformly attending head'),
        chartCard(doc, 'sl-chart-mix', 'Mixing', 'row entropy and mass off BOS and self', 'Measured mixing per layer: mean normalised attention-row entropy and attention mass on tokens other than BOS and self'),
      ]),
      el(doc, 'div', { id: 'sl-phases', class: 'sl-phases' }),
    ],
  );

  const heads = section(
    doc,
    'sl-heads',
    'Sink score per head',
    [],
    [
      el(doc, 'div', { class: 'sl-heads-body' }, [
        el(doc, 'div', { class: 'sl-heatmap-box' }, [el(doc, 'div', { id: 'sl-heatmap', class: 'sl-heatmap' }), el(doc, 'div', { id: 'sl-heatmap-scale' })]),
        el(doc, 'figure', { id: 'sl-attn-card', class: 'sl-card sl-attn-card', attrs: { hidden: '' } }, [
          el(doc, 'figcaption', { id: 'sl-attn-title', class: 'sl-chart-title' }),
          el(doc, 'div', { class: 'sl-attn-plot' }, [
            el(doc, 'div', { class: 'sl-attn-corner sl-hint' }, [el(doc, 'span', { text: 'key →' }), el(doc, 'span', { text: 'query ↓' })]),
            el(doc, 'div', { id: 'sl-attn-keys', class: 'sl-attn-keys', attrs: { 'aria-hidden': 'true' } }),
            el(doc, 'div', { id: 'sl-attn-queries', class: 'sl-attn-queries', attrs: { 'aria-hidden': 'true' } }),
            el(doc, 'canvas', { id: 'sl-attn-map', class: 'sl-attn-map', attrs: { role: 'img', 'aria-label': 'Attention map' } }),
          ]),
          el(doc, 'div', { id: 'sl-attn-scale' }),
          el(doc, 'div', { id: 'sl-attn-hover', class: 'sl-hint sl-mono', text: 'Rows are queries, columns keys (causal). Hover to read a weight.' }),
        ]),
      ]),
    ],
    'click a cell (or Enter) for its attention map',
  );

  const lens = section(
    doc,
    'sl-lens-section',
    'Logit lens',
    [],
    [
      el(doc, 'div', { id: 'sl-lens-empty', class: 'sl-lens-empty' }, [
        el(doc, 'span', { class: 'sl-hint', text: 'Not computed for this result (setting sinklens.logitLens; one unembedding per layer).' }),
        el(doc, 'button', { id: 'sl-lens-run', class: 'sl-button', text: 'Compute logit lens', attrs: { type: 'button', title: 'Re-run this analysis with the logit lens on every layer' } }),
      ]),
      el(doc, 'div', { id: 'sl-lens-body', class: 'sl-lens-body', attrs: { hidden: '' } }, [
        el(doc, 'div', { class: 'sl-charts' }, [
          chartCard(doc, 'sl-chart-lens', 'Next-token cross-entropy', 'nats, mean over positions', 'Mean next-token cross-entropy of the logit lens per layer'),
        ]),
        el(doc, 'div', { id: 'sl-lens-grid', class: 'sl-lens-grid', attrs: { tabindex: '0' } }),
        el(doc, 'div', { id: 'sl-lens-summary', class: 'sl-hint' }),
      ]),
    ],
    'top-1 prediction of each layer; highlighted = the actual next token',
  );
  lens.id = 'sl-logit-lens';

  const massive = section(doc, 'sl-massive-section', 'Massive activations', [], [el(doc, 'div', { id: 'sl-massive', class: 'sl-massive' })], 'top |h| per layer');

  const empty = el(doc, 'div', { id: 'sl-empty', class: 'sl-empty' }, [
    el(doc, 'p', { text: 'No analysis yet.' }),
    el(doc, 'p', { class: 'sl-hint', text: 'Select text in an editor and run “Analyze with SinkLens”, or use the code lens on a prompt file.' }),
  ]);
  const main = el(doc, 'main', { class: 'sl-main' }, [tokens, layers, heads, lens, massive]);
  const tooltip = el(doc, 'div', { id: 'sl-tooltip', class: 'sl-tooltip', attrs: { role: 'tooltip', hidden: '' } });
  return el(doc, 'div', { id: 'sl-root', class: 'sl-root sl-no-result' }, [header, warnings, banner, notes, empty, main, tooltip]);
}
