/**
 * Extension <-> engine child process (forked `dist/engine.js`, Node IPC channel).
 * Requests carry ids; the engine answers with `<method>/response` and `completionId`, payload
 * `ResponsePayload<R>`. Progress and logs are notifications. Cancelling is a command naming the
 * request id. A response is always sent, with error code `cancelled` for a cancelled run. Analyze and
 * attention load (and cache) the model they name; `engine/load` only loads it ahead of them (the
 * extension's preload), and a request arriving during that load waits for it.
 */
import type { AnalyzeOptions, AttentionRequest, CacheListing, CacheOptions, LoadOptions, Progress } from '../engineApi';
import type { LogLevel } from '../log';
import type { AnalysisResult, AttentionMap, ModelInfo } from '../result';
import type { StudyProgress, StudyResult } from '../study';
import { Command, Notification, Request } from './messages';

export const EngineAnalyze = new Request<
  { modelDir: string; loadOptions: LoadOptions; text: string; options: AnalyzeOptions },
  AnalysisResult
>('engine/analyze');
export const EngineAttention = new Request<
  { modelDir: string; loadOptions: LoadOptions; request: AttentionRequest },
  AttentionMap
>('engine/attention');
/**
 * A study (prompt set x models) run in the engine process: the prompt set is read there (a folder, a .jsonl or a
 * .txt), cut to `limit` prompts, and each finished prompt is journaled to `journalPath`, so that a cancelled or
 * killed study resumes. Cancelling answers with the aggregate of what is done (`complete: false`), not an error.
 */
export const EngineStudy = new Request<
  { models: string[]; loadOptions: LoadOptions; promptSetPath: string; limit?: number; options: AnalyzeOptions; journalPath: string | null; version: string },
  StudyResult
>('engine/study');
/** Loads (and caches) a model ahead of the requests that will use it; answers with its info once loaded. */
export const EngineLoad = new Request<{ modelDir: string; loadOptions: LoadOptions }, ModelInfo>('engine/load');
export const EngineUnload = new Request<{ modelDir?: string }, void>('engine/unload');
/** The graph cache: list its entries, or remove them (all, or the entry whose key starts with `key`). */
export const EngineCacheList = new Request<{ cache?: CacheOptions }, CacheListing>('engine/cacheList');
export const EngineCacheClear = new Request<{ cache?: CacheOptions; key?: string }, { entries: number; bytes: number }>('engine/cacheClear');
export const EnginePing = new Request<void, { pid: number; versions: Record<string, string> }>('engine/ping');

export const EngineCancel = new Command<{ requestId: string }>('engine/cancel');

/**
 * Stage progress of a request. During `engine/analyze` it also carries the early results: once
 * `progress.partial` (the baseline forward's metrics, before any spectrum), then `progress.layer`
 * (one layer's entropy figures) per layer as each finishes.
 */
export const EngineDidProgress = new Notification<{ requestId: string; progress: Progress }>('engine/didProgress');
export const EngineDidStudyProgress = new Notification<{ requestId: string; progress: StudyProgress }>('engine/didStudyProgress');
export const EngineDidLog = new Notification<{ level: LogLevel; message: string }>('engine/didLog');
