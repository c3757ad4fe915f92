/**
 * What the panel shows of the next-token loss and of an intervention's consequences: the loss strip
 * (per token: the loss of predicting it, or its change under the intervention) and the summary lines
 * (what was changed, the mean loss before → after, the last top-k before and after). Pure.
 */
import { blockList, checkInterventions, describeIntervention, INTERVENE_SYNTAX, interventionSpec, parseIntervention } from '../../shared/interventions';
import type { AblationResult, AnalysisResult, Intervention, TopToken } from '../../shared/result';
import { fmtNum, tokenLabel } from './format';

export interface LossCell {
  index: number;
  label: string;
  /** The loss of predicting this token (or its change); null for token 0, which nothing predicts. */
  value: number | null;
  /** The value as the panel prints it under the token ('–' for none; a sign on a delta). */
  text: string;
  /** |value| / the strip's largest |value|, 0..1, for the shading. */
  heat: number;
  /** For a delta: 'up' = harder to predict after the intervention, 'down' = easier. */
  direction: 'up' | 'down' | 'none';
}

export interface LossStripView {
  mode: 'loss' | 'delta';
  title: string;
  cells: LossCell[];
}

/** A signed number in the panel's one format: "+0.15", "−0.03", "0". */
export function fmtSigned(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return fmtNum(v);
  if (v === 0) return '0';
  return v > 0 ? `+${fmtNum(v)}` : `−${fmtNum(-v)}`;
}

/**
 * The loss strip of a result: the intervention's per-token change when the overlay is shown and the
 * result has one, else the baseline's per-token loss; null without a loss. Entry t of the loss arrays
 * (position t predicting token t + 1) is shown under token t + 1.
 */
export function lossStripView(r: AnalysisResult, overlay: boolean): LossStripView | null {
  const change = overlay ? r.ablation?.loss : null;
  const base = r.baseline.tokenLoss;
  const values = change ? change.delta : base?.perPosition;
  if (!values) return null;
  const max = values.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  const cells = r.tokens.map((t, i): LossCell => {
    const v = i === 0 ? null : (values[i - 1] ?? null);
    const finite = v !== null && Number.isFinite(v);
    return {
      index: i,
      label: tokenLabel(t.text),
      value: v,
      text: v === null ? fmtNum(null) : change ? fmtSigned(v) : fmtNum(v),
      heat: finite && max > 0 ? Math.abs(v) / max : 0,
      direction: !change || !finite || v === 0 ? 'none' : v > 0 ? 'up' : 'down',
    };
  });
  const title = change
    ? `Loss change per token with the intervention (nats; under each token: how much harder it became to predict) · mean ${fmtSigned(change.meanDelta)}`
    : `Next-token loss per token (nats; under each token: the loss of predicting it) · mean ${fmtNum(base?.mean)}`;
  return { mode: change ? 'delta' : 'loss', title, cells };
}

/** The interventions of a result; older results have only the zeroed BOS write. */
export function interventionsOf(a: AblationResult, settingsTarget: 'mlp' | 'attn'): Intervention[] {
  return a.interventions ?? [{ target: settingsTarget, blocks: a.blocks, position: 'bos', op: 'zero' }];
}

/** "Zero the MLP write at BOS in block 1; head 2 of block 3 off" (sentence case). */
export function interventionTitle(list: readonly Intervention[]): string {
  const s = list.map(describeIntervention).join('; ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "next-token loss 0.68 → 0.83 nats (+0.15, mean over 61 predictions)"; null without a loss change. */
export function lossLine(a: AblationResult): string | null {
  const l = a.loss;
  if (!l) return null;
  return `next-token loss ${fmtNum(l.meanBefore)} → ${fmtNum(l.meanAfter)} nats (${fmtSigned(l.meanDelta)}, mean over ${l.delta.length} predictions)`;
}

export interface TopKItem {
  text: string;
  prob: string;
  /** In this list but not in the other one. */
  moved: boolean;
}

export interface TopKView {
  verdict: string;
  before: TopKItem[];
  after: TopKItem[];
}

/** The last position's top-k before and after, at most `n` each, the tokens that entered or left marked. */
export function topKView(a: AblationResult, n = 5): TopKView | null {
  const k = a.topK;
  if (!k) return null;
  const items = (xs: readonly TopToken[], moved: readonly number[]): TopKItem[] =>
    xs.slice(0, n).map((t) => ({ text: `“${tokenLabel(t.text)}”`, prob: fmtNum(t.prob), moved: moved.includes(t.id) }));
  const first = (xs: readonly TopToken[]): string => (xs[0] ? `“${tokenLabel(xs[0].text)}”` : fmtNum(null));
  const verdict = k.top1Changed ? `next token changed: ${first(k.before)} → ${first(k.after)}` : `next token unchanged: ${first(k.before)}`;
  return { verdict, before: items(k.before, k.left), after: items(k.after, k.entered) };
}

/**
 * The intervention field's starting text for a result: the interventions it was run with, else zeroing the
 * spike writer's write at BOS in the spike blocks (what the toggle runs), else block 0's MLP write at BOS.
 */
export function defaultSpec(r: AnalysisResult): string {
  const a = r.ablation;
  if (a?.interventions && r.settings.ablate === null) return a.interventions.map(interventionSpec).join(' ');
  const w = r.baseline.spikeWriter;
  if (w && r.baseline.spikeBlocks.length) return `${w.component}@${blockList(r.baseline.spikeBlocks)}:bos=zero`;
  return 'mlp@0:bos=zero';
}

/** Specs separated by spaces or semicolons -> interventions, or the first problem in one line. */
export function parseSpecs(text: string): { ok: true; list: Intervention[] } | { ok: false; error: string } {
  const parts = text.split(/[\s;]+/).filter((s) => s !== '');
  if (parts.length === 0) return { ok: false, error: `Type an intervention: ${INTERVENE_SYNTAX}.` };
  try {
    const list = parts.map(parseIntervention);
    checkInterventions(list);
    return { ok: true, list };
  } catch (e) {
    return { ok: false, error: (e as Error).message.replace(/^--intervene /, '') };
  }
}

/** Every write spec's position set to token `t` (`:pos=t`, or `:bos` for 0); head specs stay as they are. */
export function withPosition(text: string, t: number): string {
  const pos = t === 0 ? 'bos' : `pos=${t}`;
  return text
    .split(/[\s;]+/)
    .filter((s) => s !== '')
    .map((s) => (s.startsWith('head@') ? s : s.replace(/^((?:mlp|attn)@[0-9,-]+)(?::(?:bos|pos=[0-9]+))?=/, `$1:${pos}=`)))
    .join(' ');
}
