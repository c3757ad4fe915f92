/**
 * One-line summaries of a result for code lenses and the status bar. Pure and vscode-free.
 * Depth is named as everywhere else (docs/METRICS.md): hidden states `h[l]`, blocks `block b`; the
 * valley is the Compress band.
 */
import type { AnalysisResult, ResultSummary } from '../shared/result';

/**
 * `SinkLens: sink 0.72 · valley h[4]–h[9] · 128 tok` (`no valley` when there is none); a short prompt
 * reads `SinkLens: 5 tok · too short for sinks/phases` (its sink rate and phases are not informative).
 */
export function summaryLine(s: ResultSummary): string {
  if (s.informative === false) return `SinkLens: ${s.tokens} tok · too short for sinks/phases`;
  return `SinkLens: sink ${fixed2(s.maxSinkRate)} · ${valleyText(s.valley)} · ${s.tokens} tok`;
}

export function valleyText(v: ResultSummary['valley']): string {
  if (v === null) return 'no valley';
  return v.start === v.end ? `valley h[${v.start}]` : `valley h[${v.start}]–h[${v.end}]`;
}

/** Longer hover text for a lens: the model, the spike and the BOS norm ratio. */
export function summaryTooltip(r: AnalysisResult): string {
  const s = r.summary;
  const spikes = s.spikeBlocks.length ? `spike at ${s.spikeBlocks.map((b) => `block ${b} (writes h[${b + 1}])`).join(', ')}` : 'no BOS norm spike';
  const w = s.spikeWriter;
  const writer = w ? ` (written by the ${w.component === 'mlp' ? 'MLP' : 'attention'} of block ${w.block}, ${Math.round(w.share * 100)}%)` : '';
  const cause = s.valley && s.valleyCause === 'notBos' ? ' (not explained by BOS)' : '';
  const lines = [
    `${r.model.name} (${r.model.arch}, ${r.model.layers} layers, ${r.model.heads} heads)`,
    s.informative === false ? `${s.tokens} tokens: too short, sink rates and phases are not informative below 16 tokens` : null,
    `max sink rate ${fixed2(s.maxSinkRate)} (tau ${r.settings.tau}; a uniform head scores ${fixed2(s.chanceSinkScore)}), mean sink mass ${fixed2(s.meanSinkMass)}`,
    `${valleyText(s.valley)}${cause}; ${spikes}${writer}; max BOS norm ratio ${fixed1(s.maxBosRatio)}`,
    `${s.tokens} tokens${r.settings.truncated ? ' (truncated)' : ''}, ${Math.round(r.timings.totalMs)} ms`,
  ];
  return lines.filter((l): l is string => l !== null).join('\n');
}

function fixed2(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '–';
}

function fixed1(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : '–';
}
