/**
 * Extension <-> engine child process (forked `dist/engine.js`, Node IPC channel).
 * Requests carry ids; the engine answers with `<method>/response` and `completionId`, payload
 * `ResponsePayload<R>`. Progress and logs are notifications. Cancelling is a command naming the
 * request id. A response is always sent, with error code `cancelled` for a cancelled run.
 */
import type { AnalyzeOptions, AttentionRequest, LoadOptions, ModelHandle, Progress } from '../engineApi';
import type { AnalysisResult, AttentionMap } from '../result';
import { Command, Notification, Request } from './messages';

export const EngineLoad = new Request<{ modelDir: string; options: LoadOptions }, ModelHandle>('engine/load');
export const EngineAnalyze = new Request<
  { modelDir: string; loadOptions: LoadOptions; text: string; options: AnalyzeOptions },
  AnalysisResult
>('engine/analyze');
export const EngineAttention = new Request<
  { modelDir: string; loadOptions: LoadOptions; request: AttentionRequest },
  AttentionMap
>('engine/attention');
export const EngineUnload = new Request<{ modelDir?: string }, void>('engine/unload');
export const EnginePing = new Request<void, { pid: number; versions: Record<string, string> }>('engine/ping');

export const EngineCancel = new Command<{ requestId: string }>('engine/cancel');

/**
 * Stage progress of a request. During `engine/analyze` it also carries the early results: once
 * `progress.partial` (the baseline forward's metrics, before any spectrum), then `progress.layer`
 * (one layer's entropy figures) per layer as each finishes.
 */
export const EngineDidProgress = new Notification<{ requestId: string; progress: Progress }>('engine/didProgress');
export const EngineDidLog = new Notification<{ level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; message: string }>(
  'engine/didLog',
);
