/**
 * The UI state the webview persists through `vscode.setState` (GitLens rule: navigation and view
 * state only, never analysis results; the host re-pushes the result snapshot after a reload).
 * `sanitizeUiState` accepts whatever `getState()` returns (older versions, garbage) and repairs it.
 */
import type { LayerRange } from './model/layers';

export interface UiState {
  version: 1;
  /** Layer range of the token strip's mean sink mass; null = all attention layers. */
  layerRange: LayerRange | null;
  /** The depth L of the model `layerRange` was chosen on: another depth resets the range to the full one. */
  layerRangeDepth: number | null;
  /** The heatmap cell whose attention map is shown. */
  selectedCell: { block: number; head: number } | null;
  /** Show the ablated curves over the baseline (when the result has an ablation). */
  ablationOverlay: boolean;
  /** Selected token indices in the strip. */
  selectedTokens: number[];
  scrollY: number;
}

export const DEFAULT_UI_STATE: UiState = {
  version: 1,
  layerRange: null,
  layerRangeDepth: null,
  selectedCell: null,
  ablationOverlay: false,
  selectedTokens: [],
  scrollY: 0,
};

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

export function sanitizeUiState(v: unknown): UiState {
  if (typeof v !== 'object' || v === null) return { ...DEFAULT_UI_STATE };
  const s = v as Record<string, unknown>;
  const range = Array.isArray(s.layerRange) && s.layerRange.length === 2 && s.layerRange.every(isInt) ? (s.layerRange as LayerRange) : null;
  const cell = s.selectedCell as Record<string, unknown> | null | undefined;
  const selectedCell = cell && isInt(cell.block) && isInt(cell.head) ? { block: cell.block, head: cell.head } : null;
  const tokens = Array.isArray(s.selectedTokens) ? s.selectedTokens.filter(isInt).slice(0, 4096) : [];
  return {
    version: 1,
    layerRange: range,
    layerRangeDepth: range && isInt(s.layerRangeDepth) ? s.layerRangeDepth : null,
    selectedCell,
    ablationOverlay: s.ablationOverlay === true,
    selectedTokens: tokens,
    scrollY: typeof s.scrollY === 'number' && Number.isFinite(s.scrollY) && s.scrollY >= 0 ? s.scrollY : 0,
  };
}
