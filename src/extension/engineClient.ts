/**
 * The extension's handle on the engine child process: typed calls for analyze/attention/unload,
 * VS Code cancellation tokens turned into AbortSignals, engine logs into the "SinkLens" log
 * channel, and a crash turned into an error message with Show Log. The process bookkeeping lives
 * in rpc/ (vscode-free, unit-tested); this file is only the VS Code side.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnalyzeOptions, AttentionRequest, CacheListing, CacheOptions, LoadOptions, Progress } from '../shared/engineApi';
import type { AnalysisResult, AttentionMap, ModelInfo } from '../shared/result';
import { EngineAnalyze, EngineAttention, EngineCacheClear, EngineCacheList, EngineLoad, EngineStudy, EngineUnload } from '../shared/protocol/engine';
import type { StudyProgress, StudyResult } from '../shared/study';
import { withCacheSettings } from './modelCache';
import { EngineProcess, type EngineExit } from './rpc/engineProcess';
import type { LogLevel } from '../shared/log';

export interface CallOptions {
  token?: vscode.CancellationToken;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export class EngineClient implements vscode.Disposable {
  private readonly proc: EngineProcess;
  private readonly crashEmitter = new vscode.EventEmitter<EngineExit>();
  /** Fires after the engine died and its requests were rejected. */
  readonly onDidCrash = this.crashEmitter.event;

  constructor(
    extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.proc = new EngineProcess({
      script: path.join(extensionPath, 'dist', 'engine.js'),
      onLog: (level, message) => writeLog(log, level, message),
      onCrash: (exit) => this.onCrash(exit),
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  analyze(modelDir: string, loadOptions: LoadOptions, text: string, options: AnalyzeOptions, call: CallOptions = {}): Promise<AnalysisResult> {
    return withSignal(call, (signal) =>
      this.proc.request(EngineAnalyze, { modelDir, loadOptions: withCacheSettings(loadOptions), text, options }, { signal, ...(call.onProgress ? { onProgress: call.onProgress } : {}) }),
    );
  }

  /**
   * Loads a model ahead of its first analysis (starting the engine if needed); an analysis meanwhile waits for
   * this load and hears its progress. Answers once the model is loaded and warmed.
   */
  load(modelDir: string, loadOptions: LoadOptions, onProgress?: (p: Progress) => void): Promise<ModelInfo> {
    return this.proc.request(EngineLoad, { modelDir, loadOptions: withCacheSettings(loadOptions) }, onProgress ? { onProgress } : {});
  }

  attention(modelDir: string, loadOptions: LoadOptions, request: AttentionRequest, call: CallOptions = {}): Promise<AttentionMap> {
    return withSignal(call, (signal) => this.proc.request(EngineAttention, { modelDir, loadOptions: withCacheSettings(loadOptions), request }, { signal }));
  }

  /**
   * Runs a study in the engine; cancelling (token or signal) stops it between prompts and resolves with what is
   * done (`complete: false`) while the engine answers within the grace period.
   */
  study(
    params: { models: string[]; loadOptions: LoadOptions; promptSetPath: string; limit?: number; options: AnalyzeOptions; journalPath: string | null; version: string },
    onStudyProgress: (p: StudyProgress) => void,
    signal: AbortSignal,
  ): Promise<StudyResult> {
    return this.proc.request(EngineStudy, { ...params, loadOptions: withCacheSettings(params.loadOptions) }, { onStudyProgress, signal, cancelWaits: true });
  }

  /** The engine's graph cache (converted models on disk). */
  cacheList(cache: CacheOptions | undefined): Promise<CacheListing> {
    return this.proc.request(EngineCacheList, cache ? { cache } : {}, { timeoutMs: 60_000 });
  }

  /** Removes every cache entry, or the one with this key. */
  cacheClear(cache: CacheOptions | undefined, key?: string): Promise<{ entries: number; bytes: number }> {
    return this.proc.request(EngineCacheClear, { ...(cache ? { cache } : {}), ...(key ? { key } : {}) }, { timeoutMs: 120_000 });
  }

  /** Drops cached models (their load options changed); a no-op when no engine runs. */
  async unloadAll(): Promise<void> {
    if (this.proc.pid === undefined) return;
    try {
      await this.proc.request(EngineUnload, {}, { timeoutMs: 10_000 });
    } catch (e) {
      this.log.warn(`unload failed: ${(e as Error).message}`);
    }
  }

  /** Drops one model from the engine (a second model run for a comparison), so at most one stays loaded. */
  async unload(modelDir: string): Promise<void> {
    if (this.proc.pid === undefined) return;
    try {
      await this.proc.request(EngineUnload, { modelDir }, { timeoutMs: 10_000 });
    } catch (e) {
      this.log.warn(`unload of ${modelDir} failed: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    this.proc.dispose();
    this.crashEmitter.dispose();
  }

  private onCrash(exit: EngineExit): void {
    this.crashEmitter.fire(exit);
    void vscode.window.showErrorMessage(exit.error.message, 'Show Log').then((pick) => {
      if (pick === 'Show Log') this.log.show(true);
    });
  }
}

/** Runs `f` with an AbortSignal that follows `call.token` and `call.signal`. */
async function withSignal<T>(call: CallOptions, f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  if (call.token?.isCancellationRequested || call.signal?.aborted) abort();
  const sub = call.token?.onCancellationRequested(abort);
  call.signal?.addEventListener('abort', abort, { once: true });
  try {
    return await f(ac.signal);
  } finally {
    sub?.dispose();
    call.signal?.removeEventListener('abort', abort);
  }
}

function writeLog(log: vscode.LogOutputChannel, level: LogLevel, message: string): void {
  log[level](message); // LogOutputChannel has one method per level, named as the engine's levels.
}
