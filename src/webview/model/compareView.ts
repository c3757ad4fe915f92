/**
 * The comparison's view-models, pure: the per-token sink mass of both runs aligned by character offsets
 * (the two texts may differ by an edit, and the two tokenisations by their cuts), and the relative-depth
 * form of a run's curves for two models of different depths (x = l/L, as a study aligns them).
 */
import { alignByOffsets, commonEnds, type SpanValue } from '../../shared/compare';
import type { AnalysisResult, TokenInfo } from '../../shared/result';
import type { BandSpan } from './bands';
import { meanTokenSinkMass } from './layers';
import type { LayerSeries } from './series';

/** Where an aligned piece is: in both texts, or only in the other run's text, or only in the shown run's. */
export type AlignedKind = 'both' | 'before' | 'after';

export interface AlignedToken {
  /** The characters of this piece (of the shown text; of the other text for a `before` piece). */
  text: string;
  kind: AlignedKind;
  /** Sink mass of the token covering the piece in the other run (`before`) and the shown run (`after`). */
  before: number | null;
  after: number | null;
  /** after − before when both exist. */
  delta: number | null;
}

/** What one run contributes: its text, tokens and per-token value (index = token). */
export interface TokenRun {
  text: string;
  tokens: readonly Pick<TokenInfo, 'start' | 'end'>[];
  values: readonly number[];
}

/** Per-token sink mass averaged over every layer that has it (each run over its own depth). */
export function tokenRun(r: AnalysisResult): TokenRun {
  const layers = r.baseline.layers.map((l) => l.layer);
  const values = meanTokenSinkMass(r.baseline.layers, [Math.min(...layers), Math.max(...layers)], r.tokens.length);
  return { text: r.input.text, tokens: r.tokens, values };
}

const spans = (run: TokenRun, map: (o: number) => number | null = (o) => o): SpanValue[] =>
  run.tokens.flatMap((t, i) => {
    const s = map(t.start);
    const e = map(t.end);
    return s === null || e === null ? [] : [{ start: s, end: e, value: run.values[i] ?? null }];
  });

/**
 * Both runs' tokens in the shown text's reading order. The texts are compared as one edit (common prefix and
 * suffix, the middle replaced): a shown-run token whose characters are the same characters of the other text
 * (placed by its start, or by its end when the start falls in the edit) is aligned with the other run's token(s) there (cut at every boundary of either tokenisation); the rest are
 * `after` (only in the shown run); the other run's tokens no aligned piece covers are `before`, placed where
 * the edit is. Empty-span tokens (BOS, template tokens) are left out: they have no characters to align.
 */
export function alignTokens(before: TokenRun, after: TokenRun): AlignedToken[] {
  const { prefix, suffix } = commonEnds(before.text, after.text);
  const delta = before.text.length - after.text.length;
  // Shown-run offsets that are the same characters in the other text (outside the edit).
  const toBefore = (o: number): number | null => (o <= prefix ? o : o >= after.text.length - suffix ? o + delta : null);
  const shared: SpanValue[] = [];
  /** Where each shared span starts in the shown text (its reading position). */
  const sharedAt = new Map<number, number>();
  const onlyAfter: { key: number; item: AlignedToken }[] = [];
  after.tokens.forEach((t, i) => {
    if (t.end <= t.start) return;
    const value = after.values[i] ?? null;
    const text = after.text.slice(t.start, t.end);
    const len = t.end - t.start;
    // Either end outside the edit places the token; a character diff may cut inside a token (" red| apples"),
    // so a token whose characters are found there is shared. One over the edit finds other characters: only here.
    const s = toBefore(t.start);
    const e = toBefore(t.end);
    const at = [s, e === null ? null : e - len].find((x): x is number => x !== null && x >= 0 && before.text.slice(x, x + len) === text);
    if (at !== undefined) {
      shared.push({ start: at, end: at + len, value });
      sharedAt.set(at, t.start);
    }
    else onlyAfter.push({ key: t.start, item: { text, kind: 'after', before: null, after: value, delta: null } });
  });
  // Other-text offsets back to shown-text reading positions (the edit's start for removed characters).
  const toAfter = (o: number): number => (o <= prefix ? o : o >= before.text.length - suffix ? o - delta : prefix);
  const pieces = alignByOffsets(spans(before), shared).map((p) => {
    const text = before.text.slice(p.start, p.end);
    const kind: AlignedKind = p.after === null ? 'before' : p.before === null ? 'after' : 'both';
    const delta = p.before !== null && p.after !== null ? p.after - p.before : null;
    const span = p.after === null ? undefined : shared.find((x) => x.start <= p.start && x.end >= p.end);
    const key = span ? (sharedAt.get(span.start) ?? 0) + (p.start - span.start) : toAfter(p.start);
    return { key, item: { text, kind, before: p.before, after: p.after, delta } };
  });
  // Removed pieces before inserted ones at the same place (as a diff reads); otherwise by position.
  const rank: Record<AlignedKind, number> = { before: 0, both: 1, after: 2 };
  return [...pieces, ...onlyAfter].sort((a, b) => a.key - b.key || rank[a.item.kind] - rank[b.item.kind]).map((x) => x.item);
}

/** Counts for the caption: aligned pieces and pieces only in each run. */
export function alignedCounts(items: readonly AlignedToken[]): Record<AlignedKind, number> {
  const n: Record<AlignedKind, number> = { both: 0, before: 0, after: 0 };
  for (const i of items) n[i.kind]++;
  return n;
}

/** The x-axis title when two models of different depths share it. */
export const RELATIVE_X_TITLE = 'relative depth l/L (models of different depths, aligned as a study does)';

/** Ticks of the relative-depth axis. */
export const RELATIVE_TICKS: readonly number[] = [0, 0.25, 0.5, 0.75, 1];

/** A run's curves on relative depth: x = l / L, L = its last hidden-state index. Values are unchanged. */
export function relativeSeries(s: LayerSeries, lastLayer: number): LayerSeries {
  const L = Math.max(1, lastLayer);
  return { ...s, layers: s.layers.map((l) => l / L) };
}

/** Phase bands on relative depth (half a layer either side, as on the layer axis, clipped to [0, 1]). */
export function relativeBands(bands: readonly BandSpan[], lastLayer: number): BandSpan[] {
  const L = Math.max(1, lastLayer);
  return bands.map((b) => ({ ...b, x0: Math.max(0, (b.start - 0.5) / L), x1: Math.min(1, (b.end + 0.5) / L) }));
}

/** The nearest hidden-state index of a relative depth (tooltips read the band of that layer). */
export function layerAt(x: number, lastLayer: number): number {
  return Math.round(x * Math.max(1, lastLayer));
}
