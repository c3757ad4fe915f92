/**
 * Engine child-process entry (dist/engine.js), forked by the extension's engine client. Serves
 * the Engine API over the Node IPC channel with the messages of src/shared/protocol/engine.ts.
 * Every request gets exactly one response; errors travel as data. Loaded models stay cached
 * between requests (keyed by folder and load options).
 */
import type { Progress } from '../shared/engineApi';
import { toErrorData, SinkLensError } from '../shared/errors';
import {
  EngineAnalyze,
  EngineAttention,
  EngineCacheClear,
  EngineCacheList,
  EngineCancel,
  EngineDidLog,
  EngineDidProgress,
  EngineDidStudyProgress,
  EnginePing,
  EngineStudy,
  EngineUnload,
  EngineLoad,
} from '../shared/protocol/engine';
import type { StudyResult } from '../shared/study';
import { readPromptSet } from './study/prompts';
import { runStudy } from './study/run';
import type { LogLevel } from '../shared/log';
import { isMsg, responseMethodOf, type Msg, type Notification, type ParamsOf, type ResponsePayload } from '../shared/protocol/messages';
import { Engine } from './api';
import { resolveCacheConfig } from './cache/config';
import { GraphCache } from './cache/graphCache';
import { intraOpThreads } from './runtime/cores';
import { spectraKernelName } from './metrics/wasmKernel';
import { mallocSetting } from '../node/engineEnv';
import { analyzeWorkload } from './plan/workload';

const engine = new Engine();
const running = new Map<string, AbortController>();
let seq = 0;

function send(m: Msg): void {
  process.send?.(m);
}

function notify<P>(n: Notification<P>, params: P): void {
  send({ id: `e${++seq}`, method: n.method, params });
}

function log(level: LogLevel, message: string): void {
  notify(EngineDidLog, { level, message });
}

/** `req.method` may be any string here (malformed and unknown requests are answered too). */
function respond(req: Msg, payload: ResponsePayload<unknown>): void {
  send({ id: `e${++seq}`, method: responseMethodOf(req.method), completionId: req.id, params: payload });
}

async function handle(m: Msg): Promise<unknown> {
  if (EnginePing.is(m)) return { pid: process.pid, versions: { node: process.versions.node, engine: '1' } };
  if (EngineUnload.is(m)) return engine.unload(m.params.modelDir);
  if (EngineLoad.is(m)) {
    const t0 = performance.now();
    const onProgress = (progress: Progress) => notify(EngineDidProgress, { requestId: m.id, progress });
    const h = await engine.load(m.params.modelDir, m.params.loadOptions, { onProgress, onWarn: (message) => log('warn', message) });
    const t1 = performance.now();
    // Nobody waits for this model yet: warm it with a synthetic analysis so the first real one runs as later ones do.
    await engine.warmForFirstAnalysis(h).catch((e: unknown) => log('warn', `warm-up of ${h.info.name} failed: ${toErrorData(e).message}`));
    log('info', `loaded ${h.info.name} ahead of its first request (${Math.round(t1 - t0)} ms, warm-up ${Math.round(performance.now() - t1)} ms)`);
    return h.info;
  }
  if (EngineCacheList.is(m)) return engine.cacheList(m.params.cache);
  if (EngineCacheClear.is(m)) return engine.cacheClear(m.params.cache, m.params.key);
  const ac = new AbortController();
  running.set(m.id, ac);
  try {
    if (EngineAnalyze.is(m)) {
      const p = m.params;
      const onProgress = (progress: Progress) => notify(EngineDidProgress, { requestId: m.id, progress });
      const onWarn = (message: string) => log('warn', message);
      const h = await engine.load(p.modelDir, p.loadOptions, { onProgress, onWarn, workload: analyzeWorkload(p.text, p.options) });
      log('info', `analyze: ${h.info.name}, ${p.text.length} chars`);
      return await engine.analyze(h, p.text, p.options, onProgress, ac.signal);
    }
    if (EngineStudy.is(m)) return await study(m.id, m.params, ac.signal);
    if (EngineAttention.is(m)) {
      const p = m.params;
      const h = await engine.load(p.modelDir, p.loadOptions);
      return await engine.attention(h, p.request, ac.signal);
    }
    throw new SinkLensError('badRequest', `Unknown engine method '${m.method}'.`);
  } finally {
    running.delete(m.id);
  }
}

/** Serves EngineStudy: reads the prompt set here (the extension never reads it), runs it, forwards progress. */
function study(requestId: string, p: ParamsOf<typeof EngineStudy>, signal: AbortSignal): Promise<StudyResult> {
  const prompts = readPromptSet(p.promptSetPath);
  log('info', `study: ${p.models.length} model(s) x ${Math.min(prompts.length, p.limit ?? Infinity)} prompt(s) from ${p.promptSetPath}`);
  return runStudy(engine, {
    models: p.models,
    prompts: p.limit === undefined ? prompts : prompts.slice(0, p.limit),
    promptSetPath: p.promptSetPath,
    analyze: p.options,
    load: p.loadOptions,
    journalPath: p.journalPath,
    version: p.version,
    onProgress: (progress) => notify(EngineDidStudyProgress, { requestId, progress }),
    onNote: (message) => log('info', message),
    signal,
  });
}


process.on('message', (raw: unknown) => {
  if (!isMsg(raw)) {
    // Still answer anything that carries an id, so a caller never waits forever.
    const id = (raw as { id?: unknown } | null)?.id;
    const method = (raw as { method?: unknown } | null)?.method;
    log('warn', `malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
    if (typeof id === 'string') {
      const error = { code: 'badRequest' as const, message: 'Malformed engine message: expected {id, method, params}.' };
      respond({ id, method: typeof method === 'string' ? method : 'unknown', params: null }, { ok: false, error });
    }
    return;
  }
  if (EngineCancel.is(raw)) {
    running.get(raw.params.requestId)?.abort();
    return;
  }
  handle(raw).then(
    (value) => respond(raw, { ok: true, value }),
    (e: unknown) => {
      const error = toErrorData(e);
      if (error.code === 'internal') log('error', `${raw.method} failed: ${error.detail ?? error.message}`);
      respond(raw, { ok: false, error });
    },
  );
});

process.on('disconnect', () => {
  // The extension host went away: nothing left to serve.
  void engine.dispose().finally(() => process.exit(0));
});

process.on('uncaughtException', (e) => {
  log('error', `uncaught: ${e.stack ?? e.message}`);
});

const malloc = mallocSetting();
log('info', `SinkLens engine ${process.pid} ready (node ${process.version}; spectra: ${spectraKernelName()}; onnxruntime threads when 0: ${intraOpThreads(0) || "onnxruntime's default"}${malloc ? `; ${malloc}` : ''})`);

// Start-up: remove what killed engines left in the cache's staging area and the temp folder.
setImmediate(() => {
  try {
    const removed = new GraphCache(resolveCacheConfig(undefined)).sweep();
    if (removed.length) log('info', `removed ${removed.length} folder(s) left by killed runs: ${removed.join(', ')}`);
  } catch (e) {
    log('warn', `could not clean the cache's staging area: ${(e as Error).message}`);
  }
});
