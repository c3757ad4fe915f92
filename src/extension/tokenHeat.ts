/**
 * Per-token sink mass -> heat spans in document offsets, for the editor decorations. Pure and
 * vscode-free. A token's heat is its sink mass `mean_k A[l][k][i][0]` averaged over the layers
 * that have attention (metrics.md "Per-token sink mass"), on an absolute [0, 1] scale so that two
 * prompts are comparable. Tokens that are not in the text (BOS: start === end) get no span.
 */
import type { AnalysisResult } from '../shared/result';

export interface HeatSpan {
  /** Document offsets [start, end). */
  start: number;
  end: number;
  /** Mean sink mass in [0, 1]. */
  value: number;
  /** 0 .. levels-1. */
  level: number;
}

/** Mean over layers of `tokenSinkMass[i]` per token (length T); NaN-free (0 where no layer has attention). */
export function meanTokenSinkMass(r: AnalysisResult): number[] {
  const rows = r.baseline.layers.map((l) => l.tokenSinkMass).filter((m): m is number[] => m !== null);
  const T = r.tokens.length;
  const out = new Array<number>(T).fill(0);
  if (rows.length === 0) return out;
  for (const row of rows) for (let i = 0; i < T; i++) out[i] = (out[i] as number) + (row[i] ?? 0);
  return out.map((v) => v / rows.length);
}

export function heatLevel(value: number, levels: number): number {
  const v = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
  return Math.min(levels - 1, Math.floor(v * levels));
}

/**
 * Heat spans for the tokens of `r`, shifted by `baseOffset` (where the analysed text starts in
 * the document) and clipped to the analysed text. Overlapping token ranges (byte-level tokens
 * that share a character) keep the first token's span.
 */
export function heatSpans(r: AnalysisResult, baseOffset: number, levels = 5): HeatSpan[] {
  const mass = meanTokenSinkMass(r);
  const textLen = r.input.text.length;
  const out: HeatSpan[] = [];
  let covered = 0;
  r.tokens.forEach((t, i) => {
    const start = Math.max(t.start, covered);
    const end = Math.min(t.end, textLen);
    if (end <= start) return;
    covered = end;
    const value = mass[i] as number;
    out.push({ start: baseOffset + start, end: baseOffset + end, value, level: heatLevel(value, levels) });
  });
  return out;
}

/** Groups spans by level (one decoration type per level). */
export function spansByLevel(spans: HeatSpan[], levels: number): HeatSpan[][] {
  const out: HeatSpan[][] = Array.from({ length: levels }, () => []);
  for (const s of spans) (out[s.level] as HeatSpan[]).push(s);
  return out;
}
