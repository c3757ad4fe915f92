/**
 * What every section of the panel shares: the document, the channel to the host, the persisted UI
 * state (one object, mutated by the sections and saved with `save`) and the shown result.
 */
import type { PanelCompare } from '../../shared/protocol/panel';
import type { AnalysisResult } from '../../shared/result';
import type { HostIpc } from '../ipc';
import type { UiState } from '../state';

export interface PanelContext {
  readonly doc: Document;
  readonly ipc: HostIpc;
  /** The persisted UI state; call `save` after changing it. */
  readonly ui: UiState;
  /** The element with this id (the skeleton has them all). */
  $(id: string): HTMLElement;
  save(): void;
  /** The result shown now, if any. */
  result(): AnalysisResult | undefined;
  /** The comparison shown with it (Compare with HEAD), if any. */
  compare?(): PanelCompare | undefined;
  /** Shows a failed panel request in #sl-status. */
  showError(message: string): void;
}

/** A part of the panel that draws one result and redraws on a theme change. */
export interface Section {
  render(r: AnalysisResult): void;
}
