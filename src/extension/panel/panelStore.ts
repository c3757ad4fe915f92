/**
 * The host-side state of the panel and the summary view: the last result snapshot and the run
 * status. The webviews keep no results across reloads; whenever one (re)loads it gets this state in
 * the answer to its Ready request. No vscode import: unit-testable.
 */
import type { Progress } from '../../shared/engineApi';
import type { ErrorData } from '../../shared/errors';
import type { PanelBootstrap, PanelCompare, PanelSnapshot, PanelSource, PanelStatus } from '../../shared/protocol/panel';
import type { AnalysisResult } from '../../shared/result';

export type StoreListener = (what: 'snapshot' | 'status') => void;

export class PanelStore {
  private snapshot: PanelSnapshot | null = null;
  private status: PanelStatus = { kind: 'idle' };
  private readonly listeners = new Set<StoreListener>();

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

  setProgress(progress: Progress): void {
    this.status = { kind: 'running', progress };
    this.emit('status');
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

  private emit(what: 'snapshot' | 'status'): void {
    for (const l of [...this.listeners]) l(what);
  }
}
