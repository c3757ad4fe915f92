/**
 * The CLI's lines for the next-token loss and an intervention's consequences: what was changed, the
 * loss before and after (mean and the positions most affected), and the last position's top-k change.
 * Pure: result in, lines out.
 */
import { describeIntervention, interventionSpec } from '../../shared/interventions';
import type { AblationResult, AnalysisResult, TopToken } from '../../shared/result';

function f(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return v.toFixed(digits);
}

const signed = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`);
const quote = (s: string | undefined): string => JSON.stringify(s ?? '');

/** The baseline's mean loss, one line (none when the loss was not computed or T = 1). */
export function formatBaselineLoss(r: AnalysisResult): string[] {
  const l = r.baseline.tokenLoss;
  if (!l || l.mean === null) return [];
  return [`loss: mean next-token cross-entropy ${f(l.mean)} nats over ${l.perPosition.length} predictions`];
}

function topList(xs: readonly TopToken[]): string {
  return xs
    .slice(0, 5)
    .map((t) => `${quote(t.text)} ${f(t.prob, 2)}`)
    .join(', ');
}

/** Lines of an intervention run: what, the per-layer verdict, the loss change and the top-k change. */
export function formatIntervention(r: AnalysisResult): string[] {
  const a = r.ablation;
  if (!a) return [];
  const list = a.interventions ?? [{ target: a.target, blocks: a.blocks, position: 'bos' as const, op: 'zero' as const }];
  const e = a.effect;
  const lines = [
    `intervention: ${list.map((i) => `${describeIntervention(i)} (${interventionSpec(i)})`).join('; ')}`,
    `  effect: spike ${e.spikeRemoved ? 'removed' : 'remains'}, valley ${e.valleyRemoved ? 'removed' : 'remains'}, max sink rate ${f(e.sinkRateBefore, 2)} -> ${f(e.sinkRateAfter, 2)}`,
    ...lossLines(r, a),
    ...topKLines(a),
  ];
  return lines;
}

function lossLines(r: AnalysisResult, a: AblationResult): string[] {
  const l = a.loss;
  if (!l) return [];
  const out = [`  loss: mean ${f(l.meanBefore)} -> ${f(l.meanAfter)} nats (${signed(l.meanDelta)}) over ${l.delta.length} predictions`];
  if (l.mostAffected.length) {
    // Position t predicts token t+1: "@t a→b" reads "after a, predicting b".
    const parts = l.mostAffected.map((m) => `@${m.position} ${quote(r.tokens[m.position]?.text)}→${quote(r.tokens[m.position + 1]?.text)} ${signed(m.delta)}`);
    out.push(`  most affected: ${parts.join(', ')}`);
  }
  return out;
}

function topKLines(a: AblationResult): string[] {
  const k = a.topK;
  if (!k) return [];
  const text = (id: number): string => quote([...k.before, ...k.after].find((t) => t.id === id)?.text);
  const top1 = k.top1Changed ? `top-1 changed ${quote(k.before[0]?.text)} -> ${quote(k.after[0]?.text)}` : `top-1 unchanged ${quote(k.before[0]?.text)}`;
  const moved = [k.entered.length ? `entered ${k.entered.map(text).join(', ')}` : '', k.left.length ? `left ${k.left.map(text).join(', ')}` : ''].filter(Boolean);
  return [`  next token: ${top1}${moved.length ? `; ${moved.join('; ')}` : '; same top-' + String(k.before.length)}`, `    before: ${topList(k.before)}`, `    after:  ${topList(k.after)}`];
}
