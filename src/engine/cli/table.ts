/**
 * The CLI's readable per-layer table: layer, BOS ratio, the raw layer's entropy and p1 beside the
 * theorem's bounds (the only values a bound is printed next to), the chosen entropy variant in its
 * own columns, sink rate, mixing, the BOS writer's share, phase; with an ablation, the ablated
 * ratio/entropy/sink rate beside them. Under it: the summary, and settings.notes one per line.
 * Pure: result in, lines out.
 */
import type { AnalysisResult, AttentionMap, EntropyOptions, LayerMetrics, PhaseName, Phases } from '../../shared/result';
import { formatBaselineLoss, formatIntervention } from './interventionTable';

export function phaseOf(phases: Phases, layer: number): PhaseName | '-' {
  const band = phases.bands.find((b) => layer >= b.start && layer <= b.end);
  return band ? band.phase : '-';
}

function f(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (Math.abs(v) >= 1000) return v.toExponential(2);
  return v.toFixed(digits);
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
}

/** ` · weights int4 (auto) · cpu`; empty for results saved before precisions existed. */
function precisionLabel(m: AnalysisResult['model']): string {
  const p = m.precision;
  if (!p) return '';
  return ` · weights ${p.weights}${p.requested === 'auto' ? ' (auto)' : ''}${p.sources ? ` (GGUF: ${p.sources})` : ''} · ${p.executionProvider}`;
}

export function formatHeader(r: AnalysisResult): string[] {
  const m = r.model;
  const bos = r.settings.bosPrepended ? 'BOS prepended' : 'no BOS';
  const lines = [
    `SinkLens · ${m.name} (${m.arch}, ${m.layers} blocks, ${m.heads} heads${m.kvHeads !== m.heads ? `/${m.kvHeads} kv` : ''}, d=${m.hiddenSize}, ${m.dtype})${precisionLabel(m)} · ${r.tokens.length} tokens · ${bos}`,
  ];
  for (const w of r.warnings) lines.push(`warning: ${w.message}`);
  return lines;
}

const isVariant = (e: EntropyOptions): boolean => e.alpha !== 1 || e.excludeBos || e.center || e.rowNormalize;

/** A short column tag of the entropy variant, e.g. "α=0.5 −BOS". */
export function variantTag(e: EntropyOptions): string {
  const parts: string[] = [];
  if (e.alpha !== 1) parts.push(`α=${e.alpha}`);
  if (e.excludeBos) parts.push('−BOS');
  if (e.center) parts.push('ctr');
  if (e.rowNormalize) parts.push('unit');
  return parts.join(' ');
}

/** "mlp 0.99" / "attn 0.80": the component with the larger share of the block's BOS change. */
function writer(l: LayerMetrics): string {
  const w = l.bosWrite;
  if (!w) return '—';
  return w.attnShare > w.mlpShare ? `attn ${f(w.attnShare, 2)}` : `mlp ${f(w.mlpShare, 2)}`;
}

export function formatTable(r: AnalysisResult): string[] {
  const abl = r.ablation;
  const variant = isVariant(r.settings.entropy);
  const tag = variantTag(r.settings.entropy);
  // The theorem bounds the raw layer's entropy from above and its anisotropy p1 from below: the headers
  // say which, and with an entropy variant the bounds stay beside the raw layer's own values.
  const head = ['layer', 'BOS ratio', variant ? 'H raw' : 'entropy', '≤ bound', variant ? 'p1 raw' : 'p1', '≥ bound'];
  if (variant) head.push(`H ${tag}`, `p1 ${tag}`);
  // Learned sinks (gpt-oss): the attention the sink logit absorbs, beside the BOS sink rate.
  const learned = r.baseline.layers.some((l) => l.learnedSinkShare !== undefined && l.learnedSinkShare !== null);
  head.push('sink rate', ...(learned ? ['learned sink'] : []), 'mixing', 'BOS writer', 'phase');
  if (abl) head.push('abl ratio', 'abl H', 'abl sink');
  const rows = r.baseline.layers.map((l: LayerMetrics, i) => {
    const cells = [`h[${l.layer}]`, f(l.bosRatio, 2), f(l.bounded.entropy), f(l.entropyUpperBound), f(l.bounded.anisotropy), f(l.anisotropyLowerBound)];
    if (variant) cells.push(f(l.entropy), f(l.anisotropy));
    cells.push(f(l.sinkRate, 2), ...(learned ? [f(l.learnedSinkShare ?? null, 2)] : []), f(l.mixing, 2), writer(l), phaseOf(r.baseline.phases, l.layer));
    if (abl) {
      const a = abl.run.layers[i];
      cells.push(f(a?.bosRatio, 2), f(a?.entropy), f(a?.sinkRate, 2));
    }
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [pad(head, widths), ...rows.map((row) => pad(row, widths))];
}

export function formatSummary(r: AnalysisResult): string[] {
  const s = r.summary;
  const spike = s.spikeBlocks.length
    ? `spike: block ${s.spikeBlocks.join(', ')} -> h[${s.spikeBlocks.map((b) => b + 1).join(', ')}]`
    : 'spike: none';
  const cause = r.baseline.phases.causeLabel;
  const valley = s.valley ? `valley: Compress h[${s.valley.start}]–h[${s.valley.end}]${cause ? ` (${cause})` : ''}` : 'valley: none';
  const w = s.spikeWriter;
  const writes = w ? ` · written by the ${w.component === 'mlp' ? 'MLP' : 'attention'} of block ${w.block} (${f(w.share * 100, 0)}% of the BOS change)` : '';
  const lines = [`${spike}${writes} · ${valley} · max BOS ratio ${f(s.maxBosRatio, 2)} · max sink rate ${f(s.maxSinkRate, 2)} (chance ${f(s.chanceSinkScore, 2)}) · mean sink mass ${f(s.meanSinkMass)}`];
  const learned = r.baseline.layers.filter((l) => l.learnedSinkShare !== undefined && l.learnedSinkShare !== null);
  if (learned.length) {
    const top = learned.reduce((a, l) => ((l.learnedSinkShare as number) > (a.learnedSinkShare as number) ? l : a));
    const meanShare = learned.reduce((a, l) => a + (l.learnedSinkShare as number), 0) / learned.length;
    lines.push(`  learned sinks: mean share ${f(meanShare, 2)} of the attention, max ${f(top.learnedSinkShare, 2)} at h[${top.layer}] (beside the BOS sink rate above)`);
  }
  if (!s.informative) lines.push(`  not informative: ${s.tokens} tokens is too short for sink rates and phases (a uniform head scores ${f(s.chanceSinkScore, 2)})`);
  for (const sig of r.baseline.phases.signals) lines.push(`  phases: ${sig}`);
  for (const b of r.baseline.phases.bands) {
    const st = b.strength;
    const parts = [st.valleyDepth !== null ? `depth ${f(st.valleyDepth)}` : null, `max BOS ratio ${f(st.bosRatio, 2)}`, `sink rate ${f(st.sinkRate, 2)}`, `mixing ${f(st.mixing, 2)}`];
    lines.push(`  ${b.phase} h[${b.start}]–h[${b.end}]: ${parts.filter((x) => x !== null).join(', ')}`);
  }
  const chance = r.baseline.layers.filter((l) => l.headsAtChance?.length).map((l) => `h[${l.layer}] ${l.headsAtChance!.join(',')}`);
  if (chance.length) lines.push(`  heads at chance (score within 2x of ${f(s.chanceSinkScore)}): ${chance.join('; ')}`);
  if (r.baseline.recurringDims.length) {
    lines.push(`  recurring massive dims: ${r.baseline.recurringDims.slice(0, 5).map((d) => `${d.dim} (${d.test}, max ${f(d.maxAbs, 1)}, h[${d.layers.join(',')}])`).join('; ')}`);
  }
  const top = r.baseline.lastTopK.slice(0, 5).map((t) => `${JSON.stringify(t.text)} ${f(t.prob, 2)}`);
  lines.push(`next token: ${top.join(', ')}`);
  lines.push(...formatBaselineLoss(r), ...formatIntervention(r));
  const t = r.timings;
  const load = t.loadMs > 0 ? `load ${Math.round(t.loadMs)} ms` : 'model already loaded';
  lines.push(`time: ${load} · run ${Math.round(t.runMs)} ms · metrics ${Math.round(t.metricsMs)} ms · total ${Math.round(t.totalMs)} ms`);
  return lines;
}

/** A short, printable label for a token: JSON-quoted so whitespace and control characters stay visible. */
export function tokenLabel(text: string, width: number): string {
  const q = JSON.stringify(text);
  return q.length <= width ? q : `${q.slice(0, width - 1)}…`;
}

/**
 * The logit-lens table: per lensed layer, the mean next-token cross-entropy and the top-1 prediction at the
 * last `positions` positions (a column is headed by the input token whose next token is predicted).
 */
export function formatLens(r: AnalysisResult, positions = 4): string[] {
  const layers = r.baseline.layers.filter((l) => l.logitLens !== null);
  if (layers.length === 0) return [];
  const T = r.tokens.length;
  const cols = Array.from({ length: Math.min(positions, T) }, (_, i) => T - Math.min(positions, T) + i);
  const head = ['layer', 'CE (nats)', ...cols.map((c) => `@${c} ${tokenLabel(r.tokens[c]?.text ?? '', 10)}`)];
  const rows = layers.map((l) => [`h[${l.layer}]`, f(l.logitLens?.crossEntropy), ...cols.map((c) => tokenLabel(l.logitLens?.top1Text[c] ?? '', 14))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [
    `logit lens: mean next-token cross-entropy and the top-1 prediction after the last ${cols.length} tokens (column = input token)`,
    pad(head, widths),
    ...rows.map((row) => pad(row, widths)),
  ];
}

/** One head's attention map with token labels on both axes (first `n` queries and keys). */
export function formatAttention(m: AttentionMap, labels: readonly string[], n = 16): string[] {
  const k = Math.min(m.tokens, n);
  const rowLabels = Array.from({ length: k }, (_, i) => `${String(i).padStart(3)} ${tokenLabel(labels[i] ?? '', 12)}`);
  const lw = Math.max(...rowLabels.map((l) => l.length));
  const colHead = Array.from({ length: k }, (_, j) => tokenLabel(labels[j] ?? '', 6).padStart(6)).join(' ');
  const lines = [
    `attention of block ${m.block} (writes h[${m.block + 1}]), head ${m.head}: rows = queries, columns = keys${m.tokens > k ? ` (first ${k} of ${m.tokens} shown)` : ''}`,
    `${''.padEnd(lw)} ${colHead}`,
  ];
  for (let i = 0; i < k; i++) {
    const row = Array.from({ length: k }, (_, j) => (j > i ? '' : (m.data[i * m.tokens + j] ?? 0).toFixed(2)).padStart(6));
    lines.push(`${(rowLabels[i] ?? '').padEnd(lw)} ${row.join(' ')}`);
  }
  return lines;
}

/** settings.notes, one line each. */
export function formatNotes(r: AnalysisResult): string[] {
  return r.settings.notes.map((n) => `note: ${n}`);
}

/** The whole readable report; `notes: false` (the CLI's --quiet) leaves settings.notes out. */
export function formatResult(r: AnalysisResult, o: { notes?: boolean } = {}): string {
  const lens = formatLens(r);
  const notes = o.notes === false ? [] : formatNotes(r);
  return [...formatHeader(r), '', ...formatTable(r), ...(lens.length ? ['', ...lens] : []), '', ...formatSummary(r), ...(notes.length ? ['', ...notes] : [])].join('\n');
}
