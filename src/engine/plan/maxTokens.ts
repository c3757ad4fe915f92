/**
 * Resolves `maxTokens: 'auto'` to a number: the model's positions, the largest prompt whose
 * analysis the memory plan admits beside the loaded model, and AUTO_MAX_TOKENS_CAP, whichever is
 * smallest. A number is only capped at the model's positions. Pure: memory comes in as bytes.
 */
import { AUTO_MAX_TOKENS_CAP, DEFAULT_MAX_TOKENS } from '../../shared/defaults';
import type { CanonicalConfig } from '../arch/types';
import { largestFitting, runBytes, type Workload } from './memory';

export type MaxTokensSetting = number | 'auto';

export interface ResolvedMaxTokens {
  maxTokens: number;
  /** What limited it, for the result's notes (null when the number was taken as given). */
  limitedBy: 'positions' | 'memory' | 'cap' | null;
}

/** The largest T whose analysis (runBytes) fits in `availableBytes` beside the loaded model, up to `hi`. */
export function largestRunTokens(config: CanonicalConfig, workload: Omit<Workload, 'tokens'>, availableBytes: number, hi: number): number {
  return largestFitting(hi, (tokens) => runBytes(config, { ...workload, tokens }) <= availableBytes);
}

/**
 * A memory-limited token count rounded down to one of eight steps per power of two (1000 -> 960,
 * 4000 -> 3840; at most 12.5% less; below 16 as is). Free memory moves between runs by tens of MB,
 * and the exact fit moved with it: the same prompt was cut at 3,347 tokens in one run and 3,329 in the
 * next. Rounded, runs agree unless free memory crosses a step.
 */
export function roundTokensDown(t: number): number {
  if (t < 16) return t;
  const step = 2 ** (Math.floor(Math.log2(t)) - 3);
  return Math.floor(t / step) * step;
}

/**
 * `availableBytes` is what the analysis may still use (the model already loaded). When even a
 * one-token analysis does not fit, 'auto' resolves to 1 and the run's own plan check refuses it
 * with the usual message.
 */
export function resolveMaxTokens(
  setting: MaxTokensSetting,
  config: CanonicalConfig,
  workload: Omit<Workload, 'tokens'>,
  availableBytes: number,
  cap: number = AUTO_MAX_TOKENS_CAP,
): ResolvedMaxTokens {
  const positions = config.maxPositions;
  if (setting !== 'auto') return setting > positions ? { maxTokens: positions, limitedBy: 'positions' } : { maxTokens: setting, limitedBy: null };
  const hi = Math.min(positions, cap);
  const fit = largestRunTokens(config, workload, availableBytes, hi);
  if (fit < hi) return { maxTokens: Math.max(1, roundTokensDown(fit)), limitedBy: 'memory' };
  return { maxTokens: hi, limitedBy: positions <= cap ? 'positions' : 'cap' };
}

/** The settings note that says what 'auto' (or the positions cap) resolved to. */
export function maxTokensNote(setting: MaxTokensSetting, r: ResolvedMaxTokens, positions: number): string | null {
  if (r.limitedBy === null) return null;
  if (setting !== 'auto') return `maxTokens capped at the model's ${positions} positions.`;
  const why = r.limitedBy === 'memory' ? 'the largest prompt the memory plan admits, rounded down' : r.limitedBy === 'positions' ? `the model's ${positions} positions` : `the default cap of ${AUTO_MAX_TOKENS_CAP}`;
  return `maxTokens auto = ${r.maxTokens} (${why}).`;
}

/**
 * The load plan's view of a prompt before tokenizing: at most one token per UTF-8 byte (+ BOS), at
 * most maxTokens ('auto': the cap, and the load plan then checks the largest prompt that fits).
 * A chat template adds tokens, so then only maxTokens bounds it.
 */
export function plannedTokens(text: string, setting: MaxTokensSetting | undefined, chatTemplate?: string): { tokens: number; autoTokens: boolean } {
  const s = setting ?? DEFAULT_MAX_TOKENS;
  const limit = s === 'auto' ? AUTO_MAX_TOKENS_CAP : s;
  const tokens = chatTemplate && chatTemplate !== 'none' ? limit : Math.min(limit, Buffer.byteLength(text) + 1);
  return { tokens, autoTokens: s === 'auto' };
}
