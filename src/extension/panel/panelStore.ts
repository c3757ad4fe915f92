/**
 * The host-side state of the panel and the summary view: the last result snapshot and the run
 * status. The webviews keep no results across reloads; whenever one (re)loads it gets this state in
 * the answer to its Ready request. No vscode import: unit-testable.
 */
import type { Progress } from '../../shared/engineApi';
import type { ErrorData } from '../../shared/errors';
import type { PanelBootstrap, PanelCompare, PanelSnapshot, PanelSource, PanelStatus } from '../../shared/protocol/panel';
import type { AnalysisResult, PartialResult, SpectralLayerMetrics } from '../../shared/result';

export type StoreListener = (what: 'snapshot' | 'status' | 'partial') => void;

/** One first-paint message: the forward's partial result of run `runId`, or one layer's spectra of it. */
export interface PartialUpdate {
  runId: number;
  partial: PartialResult | null;
  layer: SpectralLayerMetrics | null;
}

export class PanelStore {
  private snapshot: PanelSnapshot | null = null;
  private status: PanelStatus = { kind: 'idle' };
  private readonly listeners = new Set<StoreListener>();
  /** Numbers the runs whose partial results were seen; 0 = none yet. */
  private runId = 0;
  private update: PartialUpdate | null = null;

  bootstrap(): PanelBootstrap {
    return { snapshot: this.snapshot, status: this.status };
  }

  current(): PanelSnapshot | null {
    return this.snapshot;
  }

  setResult(result: AnalysisResult, source: PanelSource, compare?: PanelCompare): void {
    this.snapshot = compare ? { result, source, compare } : { result, source };
    this.status = { kind: 'idle' };
    this.emit('snapshot');
    this.emit('status');
  }

  /**
   * A progress report. Its partial result (once per run, after the forward) or layer (as each
   * spectrum completes) goes out as a 'partial' change, tagged with the run it belongs to; the
   * status keeps only the stage, fraction and message, so status messages stay small.
   */
  setProgress(progress: Progress): void {
    const { partial, layer, ...rest } = progress;
    if (partial) {
      this.runId += 1;
      this.update = { runId: this.runId, partial, layer: null };
      this.emit('partial');
    } else if (layer && this.runId > 0) {
      this.update = { runId: this.runId, partial: null, layer };
      this.emit('partial');
    }
    this.status = { kind: 'running', progress: rest };
    this.emit('status');
  }

  /** The last first-paint message (read by listeners on a 'partial' change). */
  lastPartial(): PartialUpdate | null {
    return this.update;
  }

  setError(error: ErrorData): void {
    // Errors keep the previous result visible: the panel shows the message in #sl-status.
    this.status = { kind: 'error', error: { code: error.code, message: error.message } };
    this.emit('status');
  }

  setIdle(): void {
    this.status = { kind: 'idle' };
    this.emit('status');
  }

  onChange(l: StoreListener): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  private emit(what: 'snapshot' | 'status' | 'partial'): void {
    for (const l of [...this.listeners]) l(what);
  }
}
