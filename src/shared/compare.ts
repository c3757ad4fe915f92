/**
 * Comparing two runs of one prompt (two versions of its text, two models): the one-line verdict a
 * comparison shows in its header, and per-token sink mass aligned by character offsets. Pure.
 *
 * Verdict parts, in order: the valley (where its entropy minimum is, `h[l]`; appeared, disappeared,
 * moved or unchanged), the max sink rate (signed change, or unchanged within 0.005), the BOS-norm
 * spike (the first spike block, named by the state it writes).
 */
import type { AnalysisResult } from './result';

/** What the verdict reads from a run. */
export interface VerdictInput {
  valleyLayer: number | null;
  maxSinkRate: number;
  spikeBlocks: readonly number[];
}

export function verdictInput(r: AnalysisResult): VerdictInput {
  const p = r.baseline.phases;
  return { valleyLayer: p.valley ? p.minLayer : null, maxSinkRate: r.summary.maxSinkRate, spikeBlocks: r.summary.spikeBlocks };
}

const SINK_EPS = 0.005;
const h = (l: number): string => `h[${l}]`;

function signed(v: number): string {
  // U+2212 minus, as a typeset verdict reads.
  return `${v < 0 ? '\u2212' : '+'}${Math.abs(v).toFixed(2)}`;
}

/** E.g. "valley moved h[5]→h[7], max sink rate −0.31, spike unchanged" (before → after). */
export function compareVerdict(before: VerdictInput, after: VerdictInput): string {
  const a = before.valleyLayer;
  const b = after.valleyLayer;
  const valley =
    a === null && b === null ? 'no valley in either' : a === null ? `valley appeared at ${h(b!)}` : b === null ? `valley gone (was ${h(a)})` : a === b ? `valley unchanged at ${h(a)}` : `valley moved ${h(a)}\u2192${h(b)}`;
  const d = after.maxSinkRate - before.maxSinkRate;
  const sink = Math.abs(d) < SINK_EPS ? 'max sink rate unchanged' : `max sink rate ${signed(d)}`;
  const sa = before.spikeBlocks.length ? Math.min(...before.spikeBlocks) + 1 : null;
  const sb = after.spikeBlocks.length ? Math.min(...after.spikeBlocks) + 1 : null;
  const spike = sa === sb ? 'spike unchanged' : sa === null ? `spike appeared at ${h(sb!)}` : sb === null ? `spike gone (was ${h(sa)})` : `spike moved ${h(sa)}\u2192${h(sb)}`;
  return `${valley}, ${sink}, ${spike}`;
}

/** A token's character span and value (sink mass), as the per-token tables hold them. */
export interface SpanValue {
  start: number;
  end: number;
  value: number | null;
}

/** One aligned character stretch of the common text: the value each run's token covering it has there. */
export interface AlignedSpan {
  start: number;
  end: number;
  before: number | null;
  after: number | null;
}

/**
 * Aligns two tokenisations of the SAME text by character offsets: the text is cut at every token
 * boundary of either run, and each piece carries the value of the token that covers it in each run
 * (null where a run has no token there: special tokens with empty spans, truncation). Different
 * tokenisations (one token vs two) line up on the characters they share.
 */
export function alignByOffsets(before: readonly SpanValue[], after: readonly SpanValue[]): AlignedSpan[] {
  const real = (ts: readonly SpanValue[]) => ts.filter((t) => t.end > t.start);
  const a = real(before);
  const b = real(after);
  const cuts = [...new Set([...a, ...b].flatMap((t) => [t.start, t.end]))].sort((x, y) => x - y);
  const at = (ts: readonly SpanValue[], s: number, e: number): number | null => ts.find((t) => t.start <= s && t.end >= e)?.value ?? null;
  const out: AlignedSpan[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const s = cuts[i]!;
    const e = cuts[i + 1]!;
    const va = at(a, s, e);
    const vb = at(b, s, e);
    if (va === null && vb === null) continue;
    out.push({ start: s, end: e, before: va, after: vb });
  }
  return out;
}

/**
 * Maps character offsets of `after`'s text onto `before`'s text across an edit (one common prefix and
 * suffix, the middle replaced): offsets in the replaced middle map to null (inserted text). Used to align the
 * tokens of two versions of a prompt before alignByOffsets.
 */
export function offsetMap(before: string, after: string): (offset: number) => number | null {
  const { prefix: p, suffix: s } = commonEnds(before, after);
  const delta = before.length - after.length;
  return (o) => (o <= p ? o : o >= after.length - s ? o + delta : null);
}

/** The lengths of the common prefix and (non-overlapping) common suffix of two texts: the edit is what lies between. */
export function commonEnds(before: string, after: string): { prefix: number; suffix: number } {
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  let s = 0;
  while (s < before.length - p && s < after.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  return { prefix: p, suffix: s };
}
