/**
 * Runs analyses, one at a time: a new request cancels the running one (its promise rejects with
 * `cancelled`), so the engine never works on two prompts for us at once. Shows a cancellable
 * progress notification with the engine's stages, answers from the result cache when the same
 * text was analysed with the same model and settings, records the result and hands it to the panel.
 */
import * as vscode from 'vscode';
import type { AnalyzeOptions, Progress } from '../shared/engineApi';
import { SinkLensError, toErrorData, type ErrorData } from '../shared/errors';
import type { AnalysisResult } from '../shared/result';
import { loadOptions } from './config';
import type { Ctx } from './ctx';
import { SingleFlight, type Flight } from './singleFlight';

export interface AnalysisTarget {
  text: string;
  uri: vscode.Uri | undefined;
  /** Offset of `text` in the document at `uri`. */
  offset: number;
}

export interface RunOptions {
  ablate?: AnalyzeOptions['ablate'];
  /** Interventions of the compared run (the panel's intervention control); absent = none. */
  interventions?: AnalyzeOptions['interventions'];
  /** Overrides the sinklens.logitLens setting for this run (the panel's lens re-run). */
  logitLens?: boolean;
  /** true computes the per-token loss whatever sinklens.tokenLoss says (the panel's loss re-run). */
  tokenLoss?: boolean;
  /** Overrides the configured model (API callers). */
  modelDir?: string;
  /** 'notification' for commands (cancellable), 'window' for live mode and API calls (quiet). */
  progress?: 'notification' | 'window';
  /** Show the result in the panel beside the editor. */
  reveal?: boolean;
}

/** What the controller needs from the panel and summary view (implemented by panel/panelHost.ts). */
export interface PanelPort {
  /** Records the result for the panel and the summary view; `reveal` opens the panel beside the editor. */
  showResult(result: AnalysisResult, source: { uri: string; offset: number }, reveal: boolean): void;
  showProgress(p: Progress): void;
  showError(e: ErrorData): void;
  /** The run ended without a result (cancelled). */
  idle(): void;
}

const STAGE_TEXT: Record<Progress['stage'], string> = {
  load: 'Loading model…',
  tokenize: 'Tokenizing…',
  run: 'Running the model…',
  ablate: 'Running the ablation…',
  metrics: 'Computing metrics…',
  done: 'Done',
};

export class AnalysisController implements vscode.Disposable {
  private readonly flights = new SingleFlight();
  private readonly busyEmitter = new vscode.EventEmitter<boolean>();
  readonly onDidChangeBusy = this.busyEmitter.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly panel: PanelPort,
  ) {}

  get busy(): boolean {
    return this.flights.busy;
  }

  /** Cancels the running analysis, if any. */
  cancel(): void {
    this.flights.cancel();
  }

  async analyze(target: AnalysisTarget, opts: RunOptions = {}): Promise<AnalysisResult> {
    const modelDir = opts.modelDir ?? this.modelDir();
    const ablate = opts.ablate ?? null;
    const key = this.ctx.keyFor(target.text, modelDir, ablate, opts.logitLens, opts.interventions, opts.tokenLoss) as string;
    const cached = this.ctx.cache.get(key);
    if (cached) {
      // The newest request wins even when it is answered from the cache: a stale run must not overwrite it.
      this.cancel();
      this.ctx.log.info(`cache hit for ${target.text.length} chars (${key.slice(0, 12)})`);
      this.finish(target, key, cached, opts);
      return cached;
    }
    if (target.text.trim() === '') throw new SinkLensError('emptyPrompt', 'There is no text to analyse: select some text or open a prompt file.');
    const flight = this.flights.start();
    this.busyEmitter.fire(true);
    try {
      const result = await this.withProgress(opts.progress ?? 'notification', flight, (report) =>
        this.ctx.engine.analyze(modelDir, loadOptions(this.ctx.settings), target.text, this.ctx.analyzeOptions(ablate, opts.logitLens, opts.interventions, opts.tokenLoss), {
          signal: flight.signal,
          onProgress: report,
        }),
      );
      this.ctx.log.info(`analysed ${result.tokens.length} tokens with ${result.model.name} in ${Math.round(result.timings.totalMs)} ms`);
      this.finish(target, key, result, opts);
      return result;
    } catch (e) {
      // A superseded run stays quiet: its successor already owns the panel status.
      if (flight.isCurrent()) {
        const err = toErrorData(e);
        if (err.code === 'cancelled') this.panel.idle();
        else this.panel.showError(err);
      }
      throw e;
    } finally {
      if (flight.end()) this.busyEmitter.fire(false);
    }
  }

  dispose(): void {
    this.cancel();
    this.busyEmitter.dispose();
  }

  /** The configured model's folder, or a typed error that says how to fix the setting. */
  modelDir(): string {
    const r = this.ctx.resolveModel();
    if (r.ok) return r.model.dir;
    throw new SinkLensError('modelNotFound', r.message);
  }

  private finish(target: AnalysisTarget, key: string, result: AnalysisResult, opts: RunOptions): void {
    this.ctx.recordAnalysis({ result, key, uri: target.uri, offset: target.offset });
    this.panel.showResult(result, { uri: target.uri?.toString() ?? '', offset: target.offset }, opts.reveal ?? false);
  }

  private withProgress<T>(
    where: 'notification' | 'window',
    flight: Flight,
    work: (report: (p: Progress) => void) => Promise<T>,
  ): Promise<T> {
    const location = where === 'notification' ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window;
    return Promise.resolve(
      vscode.window.withProgress({ location, title: 'SinkLens', cancellable: where === 'notification' }, (progress, token) => {
        const sub = token.onCancellationRequested(() => flight.abort());
        let done = 0;
        const report = (p: Progress): void => {
          // withProgress takes increments; the engine reports the overall fraction.
          const now = p.fraction === undefined ? done : Math.max(done, Math.min(1, p.fraction));
          progress.report({ message: p.message ?? STAGE_TEXT[p.stage], increment: (now - done) * 100 });
          done = now;
          // A superseded run's late reports (its partial result, its layers) must not reach the panel.
          if (flight.isCurrent()) this.panel.showProgress(p);
        };
        report({ stage: 'load', fraction: 0 });
        return work(report).finally(() => sub.dispose());
      }),
    );
  }
}
