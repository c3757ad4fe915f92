/**
 * The CI report: one self-contained offline HTML file. Charts are inline SVG (report/svg.ts), styles
 * inline, no script at all; a Content-Security-Policy of default-src 'none' makes sure the page can
 * load nothing (no CDN, no font, no image, no request). Every text from prompts or model files goes
 * through escapeXml.
 *
 * Layout: header with provenance, the --fail-if checks, the study summary (the paper's three panels
 * on relative depth, one line + interquartile band per model; valley statistics; the per-layer table),
 * one table row per prompt (linking to its section), and a section per prompt with its three panels.
 */
import type { FailIfOutcome } from '../study/failIf';
import type { LayerAggregate, PromptRecord, StudyModel, StudyResult } from '../../shared/study';
import { studySummaryCharts } from './charts';
import { escapeXml as esc, lineChart, PALETTE } from './svg';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";

const STYLE = `body{font:13px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1180px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ccc}h3{font-size:14px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}.panels{display:flex;flex-wrap:wrap;gap:8px}
.fail{color:#b00020;font-weight:bold}.pass{color:#1b7f3b;font-weight:bold}
pre{white-space:pre-wrap;background:#f7f7f7;padding:6px;max-height:9em;overflow:auto}
.muted{color:#666}code{font-size:12px}.legend span{margin-right:12px}`;

const n3 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3));
const n2 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(2));

export function renderReport(s: StudyResult, checks: readonly FailIfOutcome[] = []): string {
  const title = `SinkLens report · ${s.models.map((m) => m.name).join(', ')} · ${s.prompts.length} prompts`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
${provenanceBlock(s)}
${checksBlock(checks)}
${summaryBlock(s)}
${s.models.map((m) => promptTable(m)).join('\n')}
<h2 id="prompts">Prompts</h2>
${s.prompts.map((p) => promptSection(s, p.index)).join('\n')}
</body></html>
`;
}

function provenanceBlock(s: StudyResult): string {
  const p = s.provenance;
  const models = p.models
    .map((m) => `<li><b>${esc(m.name)}</b> <span class="muted">${esc(m.dir)}</span><br>weights: ${m.weights.map((w) => `<code>${esc(w.name)}</code> sha256 <code>${esc(w.sha256)}</code>`).join(', ')}<br>tokenizer: ${m.tokenizer ? `<code>${esc(m.tokenizer.file)}</code> sha256 <code>${esc(m.tokenizer.sha256)}</code>` : 'none'}</li>`)
    .join('');
  const st = p.settings;
  const settings = `prepend BOS ${esc(st.prependBos)} · chat template ${esc(st.chatTemplate)} · max tokens ${st.maxTokens} · tau ${st.tau} · entropy alpha ${st.entropy.alpha}${st.entropy.excludeBos ? ', BOS excluded' : ''}${st.entropy.center ? ', centred' : ''}${st.entropy.rowNormalize ? ', rows normalised' : ''}`;
  return `<section id="provenance"><p>SinkLens ${esc(p.sinklensVersion)} · ${esc(p.createdAt)} · node ${esc(p.host.node)} (${esc(p.host.platform)})${s.complete ? '' : ' · <span class="fail">incomplete study (cancelled)</span>'}</p>
<p>Prompt set <code>${esc(p.promptSet.path)}</code>: ${p.promptSet.prompts} prompts, sha256 <code>${esc(p.promptSet.sha256)}</code></p>
<ul>${models}</ul><p class="muted">Settings: ${settings}</p></section>`;
}

function checksBlock(checks: readonly FailIfOutcome[]): string {
  if (checks.length === 0) return '';
  const rows = checks
    .map((c) => `<tr class="check"><td class="l ${c.holds ? 'fail' : 'pass'}">${c.holds ? 'FAIL' : 'pass'}</td><td class="l"><code>${esc(c.condition)}</code></td><td class="l">${esc(c.model)}</td><td class="l">${esc(c.detail)}${c.holds && c.prompts.length ? `: ${c.prompts.slice(0, 12).map(esc).join(', ')}${c.prompts.length > 12 ? ', …' : ''}` : ''}</td></tr>`)
    .join('');
  return `<h2 id="checks">Checks (--fail-if)</h2><table><tr><th class="l">result</th><th class="l">condition</th><th class="l">model</th><th class="l">detail</th></tr>${rows}</table>`;
}

function legend(s: StudyResult): string {
  return `<p class="legend">${s.models.map((m, i) => `<span style="color:${PALETTE[i % PALETTE.length]}">■ ${esc(m.name)} (${m.layers} blocks)</span>`).join('')}<span class="muted">line = mean over prompts, band = 25th–75th percentile</span></p>`;
}

function summaryBlock(s: StudyResult): string {
  const panels = `<div class="panels" id="summary-charts">${studySummaryCharts(s).map((c) => lineChart(c.spec)).join('')}</div>`;
  return `<h2 id="summary">Study summary</h2>${legend(s)}${panels}${s.models.map(modelSummary).join('')}`;
}

function modelSummary(m: StudyModel): string {
  const v = m.valley;
  const where = v.minLayerCounts.map((c, l) => (c ? `h[${l}] ${c}` : '')).filter(Boolean).join(', ') || '—';
  const spikes = v.spikeBlockCounts.map((c, b) => (c ? `block ${b} ${c}` : '')).filter(Boolean).join(', ') || '—';
  const row = (l: LayerAggregate): string =>
    `<tr><td class="l">h[${l.layer}]</td><td>${n2(l.relDepth)}</td>${[l.entropy, l.sinkRate, l.bosNormLog10].map((st) => `<td>${n3(st.mean)}</td><td class="muted">${st.n ? `${n3(st.q1)}–${n3(st.q3)}` : '—'}</td>`).join('')}<td>${n2(l.compressRate)}</td></tr>`;
  return `<h3>${esc(m.name)}</h3>
<p>Valley in ${v.withValley} of ${v.prompts} prompts (${(v.rate * 100).toFixed(0)}%); minimum at: ${esc(where)}; depth mean ${n3(v.depth.mean)} (IQR ${n3(v.depth.q1)}–${n3(v.depth.q3)}). Spike in ${v.withSpike} prompts: ${esc(spikes)}.</p>
${m.failures.length ? `<p class="fail">Failed on ${m.failures.length} prompt(s), left out of the aggregates: ${m.failures.map((f) => `${esc(f.id)} (${esc(f.source)}: ${esc(f.message)})`).join('; ')}</p>` : ''}
<table class="layers"><tr><th class="l">layer</th><th>l/L</th><th>entropy</th><th>IQR</th><th>sink rate</th><th>IQR</th><th>log10 BOS norm</th><th>IQR</th><th>in Compress</th></tr>${m.perLayer.map(row).join('')}</table>`;
}

function promptTable(m: StudyModel): string {
  const rows = m.prompts
    .map((p) => `<tr class="prompt-row" data-prompt="${esc(p.id)}"><td class="l"><a href="#p-${p.index}">${esc(p.id)}</a></td><td class="l muted">${esc(p.source)}</td><td>${p.tokens}</td><td>${p.valleyLayer === null ? '—' : `h[${p.valleyLayer}]`}</td><td>${n3(p.valleyDepth)}</td><td>${p.summary.spikeBlocks.join(', ') || '—'}</td><td>${n2(p.summary.maxSinkRate)}</td><td>${n2(p.summary.maxBosRatio)}</td></tr>`)
    .join('');
  return `<h3>Prompts on ${esc(m.name)}</h3><table class="prompt-table" data-model="${esc(m.name)}"><tr><th class="l">prompt</th><th class="l">source</th><th>tokens</th><th>valley</th><th>depth</th><th>spike block</th><th>max sink rate</th><th>max BOS ratio</th></tr>${rows}</table>`;
}

function promptSection(s: StudyResult, index: number): string {
  const p = s.prompts[index]!;
  const recs = s.models.map((m) => ({ m, r: m.prompts.find((r) => r.index === index) })).filter((x): x is { m: StudyModel; r: PromptRecord } => x.r !== undefined);
  const single = s.models.length === 1 ? s.models[0] : undefined;
  const ticks = single ? Array.from({ length: single.layers + 1 }, (_, l) => ({ x: l / single.layers, label: `h[${l}]` })) : [0, 0.5, 1].map((x) => ({ x, label: x.toFixed(1) }));
  const shade = single && recs[0] ? valleyShade(recs[0].r, single.layers) : [];
  const panel = (title: string, pick: (r: PromptRecord) => readonly (number | null)[], yRange?: [number, number]): string =>
    lineChart({
      title,
      xLabel: single ? 'layer' : 'relative depth l / L',
      xTicks: ticks,
      shade,
      ...(yRange ? { yRange } : {}),
      series: recs.map(({ m, r }) => ({ name: m.name, color: PALETTE[s.models.indexOf(m) % PALETTE.length] as string, x: pick(r).map((_, l) => l / m.layers), y: pick(r) })),
    });
  const lines = recs.map(({ m, r }) => `<li>${esc(m.name)}: ${r.tokens} tokens · ${r.valleyLayer === null ? 'no valley' : `valley at h[${r.valleyLayer}], depth ${n3(r.valleyDepth)}`} · spike ${r.summary.spikeBlocks.length ? `block ${r.summary.spikeBlocks.join(', ')}` : 'none'} · max sink rate ${n2(r.summary.maxSinkRate)} · max BOS ratio ${n2(r.summary.maxBosRatio)}${r.warnings.length ? ` · <span class="muted">${esc(r.warnings.join('; '))}</span>` : ''}</li>`);
  const text = `<pre>${esc(p.preview)}${p.preview.length < p.chars ? '…' : ''}</pre>`;
  return `<section class="prompt" id="p-${index}"><h3>${esc(p.id)} <span class="muted">${esc(p.source)}</span></h3>${text}<ul>${lines.join('')}</ul>
<div class="panels">${panel('Normalised entropy', (r) => r.curves.entropy, [0, 1])}${panel('Sink rate', (r) => r.curves.sinkRate, [0, 1])}${panel('BOS norm (log10)', (r) => r.curves.bosNormLog10)}</div></section>`;
}

function valleyShade(r: PromptRecord, L: number): [number, number][] {
  const idx = r.phases.map((ph, l) => (ph === 'compress' ? l : -1)).filter((l) => l >= 0);
  if (idx.length === 0) return [];
  return [[(idx[0] as number) / L, (idx[idx.length - 1] as number) / L]];
}
