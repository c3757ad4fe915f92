/**
 * The comparison's per-token table (#sl-compare-tokens): one cell per aligned piece, its text on top and both
 * runs' sink mass written under it (other → shown), so it reads without hovering. Pieces only in one run are
 * marked by a class and a word (`only <label>` / `only here`). Text through `textContent` only.
 */
import type { AlignedToken } from '../model/compareView';
import { fmtNum, tokenLabel } from '../model/format';
import { el } from './dom';

const num = (v: number | null): string => (v === null ? '–' : fmtNum(v));

/** The sign class of a change: up, down or flat (under 0.01 of sink mass). */
function trend(delta: number | null): string {
  if (delta === null || Math.abs(delta) < 0.01) return 'sl-flat';
  return delta > 0 ? 'sl-up' : 'sl-down';
}

export function renderAlignedTokens(doc: Document, items: readonly AlignedToken[], label: string): HTMLElement[] {
  return items.map((t) => {
    const values =
      t.kind === 'both'
        ? `${num(t.before)} → ${num(t.after)}`
        : t.kind === 'before'
          ? `${num(t.before)} · only ${label}`
          : `${num(t.after)} · only here`;
    return el(doc, 'span', { class: `sl-aligned sl-aligned-${t.kind} ${trend(t.delta)}`, attrs: { role: 'listitem' } }, [
      el(doc, 'span', { class: 'sl-aligned-text', text: tokenLabel(t.text) }),
      el(doc, 'span', { class: 'sl-aligned-values', text: values }),
    ]);
  });
}
