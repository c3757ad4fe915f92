/**
 * Terminal tables of a study: per model, one row per layer with the mean and interquartile band of
 * normalised entropy, sink rate and log10 BOS norm, the valley and spike statistics; with several
 * models, the means side by side on the relative-depth grid.
 */
import type { Stat, StudyModel, StudyResult } from '../../shared/study';

const f3 = (x: number | null): string => (x === null ? '—' : x.toFixed(3));
const f2 = (x: number | null): string => (x === null ? '—' : x.toFixed(2));

function band(s: Stat, f: (x: number | null) => string): string {
  return `${f(s.mean).padStart(6)} [${f(s.q1)}, ${f(s.q3)}]`;
}

export function formatStudyModel(m: StudyModel): string {
  const head = `${m.name} (${m.arch}, ${m.layers} blocks, ${m.heads} heads, ${m.dtype}) · ${m.prompts.length} prompts · mean [25th, 75th percentile]`;
  const cols = `layer   l/L  ${'entropy'.padEnd(22)} ${'sink rate'.padEnd(22)} ${'log10 BOS norm'.padEnd(22)} compress`;
  const rows = m.perLayer.map(
    (l) =>
      `${`h[${l.layer}]`.padEnd(6)} ${f2(l.relDepth).padStart(4)}  ${band(l.entropy, f3).padEnd(22)} ${band(l.sinkRate, f2).padEnd(22)} ${band(l.bosNormLog10, f2).padEnd(22)} ${f2(l.compressRate).padStart(8)}`,
  );
  const v = m.valley;
  const where = v.minLayerCounts.map((c, l) => (c ? `h[${l}] ×${c}` : '')).filter(Boolean).join(', ');
  const spikes = v.spikeBlockCounts.map((c, b) => (c ? `block ${b} ×${c}` : '')).filter(Boolean).join(', ');
  const valley = v.withValley
    ? `valley in ${v.withValley}/${v.prompts} prompts (${(v.rate * 100).toFixed(0)}%) · minimum at ${where} · depth ${f3(v.depth.mean)} [${f3(v.depth.q1)}, ${f3(v.depth.q3)}] · relative depth ${f2(v.relDepth.mean)}`
    : `no valley in any of ${v.prompts} prompts`;
  const spike = v.withSpike ? `spike in ${v.withSpike}/${v.prompts} prompts · at ${spikes}` : 'no BOS-norm spike';
  const failed = m.failures.length ? [`failed: ${m.failures.length} prompt(s) left out (${m.failures.map((f) => f.id).join(', ')}); rerun to retry them`] : [];
  return [head, '', cols, ...rows, '', valley, spike, ...failed].join('\n');
}

/** Entropy / sink-rate means of every model on the common relative-depth grid (only with > 1 model). */
export function formatRelativeDepth(s: StudyResult): string {
  const models = s.relativeDepth.models;
  const name = (n: string): string => (n.length > 16 ? `${n.slice(0, 15)}…` : n);
  const head = `  l/L  ${models.map((m) => `${name(m.name).padStart(17)}`).join('')}   (mean entropy / mean sink rate, interpolated onto l/L)`;
  const rows = s.relativeDepth.grid.map((g, i) => `${f2(g).padStart(5)}  ${models.map((m) => `${f3(m.entropy[i]?.mean ?? null)} / ${f2(m.sinkRate[i]?.mean ?? null)}`.padStart(17)).join('')}`);
  return ['relative depth', head, ...rows].join('\n');
}

export function formatStudy(s: StudyResult): string {
  const parts = s.models.map(formatStudyModel);
  if (s.models.length > 1) parts.push(formatRelativeDepth(s));
  if (!s.complete) parts.push('(incomplete: the study was stopped; rerun the same command to finish it)');
  return parts.join('\n\n');
}
