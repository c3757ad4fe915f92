/**
 * The ablation overlay's one source of truth. The checkbox, the header's ablation note and the
 * ablated curves all come from `overlayView`, computed from the shown result, the user's wish
 * (`UiState.ablationOverlay`) and whether a re-run for it is in flight — so they cannot disagree.
 */
import { interventionSpec } from '../../shared/interventions';
import type { AblationResult, AnalysisResult } from '../../shared/result';
import { fmtBlocks } from './format';

export interface OverlayView {
  /** The checkbox is ticked: the curves are drawn, or the re-run that brings them is running. */
  checked: boolean;
  /** The ablated curves and the summary are drawn. */
  curves: boolean;
  /** The header's note about the ablation (#sl-header-ablation). */
  header: string;
}

export function overlayView(r: AnalysisResult, wish: boolean, pending: boolean): OverlayView {
  const a = r.ablation;
  const curves = wish && a !== null;
  const header = a
    ? `${whatChanged(a)} (${curves ? 'overlay shown' : 'overlay hidden'})`
    : pending
      ? 'ablation running…'
      : 'no ablation';
  return { checked: curves || pending, curves, header };
}

/** The plain ablation in its old words; any other intervention by its written form (`attn@2:pos=5=scale:0.5`). */
function whatChanged(a: AblationResult): string {
  const list = a.interventions ?? [];
  const plain = list.length === 0 || (list.length === 1 && list[0]?.target !== 'head' && list[0]?.op === 'zero' && list[0].position === 'bos');
  return plain ? `ablated BOS ${a.target.toUpperCase()} write @ ${fmtBlocks(a.blocks)}` : `intervention ${list.map(interventionSpec).join(' ')}`;
}

/**
 * The wish after a new result arrived: a result that newly carries an ablation shows it (the user or
 * the toggle command asked for it); a result without one clears the wish, so a later result does not
 * turn the overlay on by surprise; the first result after a reload keeps the persisted wish.
 */
export function overlayWishAfter(previous: AnalysisResult | undefined, next: AnalysisResult, wish: boolean): boolean {
  if (!next.ablation) return false;
  // The first result after a reload keeps the persisted wish (the user may have hidden the overlay).
  if (!previous) return wish;
  if (!previous.ablation) return true;
  return wish;
}
