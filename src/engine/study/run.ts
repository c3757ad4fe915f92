/**
 * Runs a study: every prompt on every model, one model at a time (loaded once, released before the
 * next), prompts streamed one by one, each finished prompt journaled so that a killed study resumes.
 * Progress reports carry an ETA from the mean time per prompt of this run. A cancel reaches the prompt being
 * analysed (the engine checks it between its stages): that prompt stops, the finished ones are kept.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AnalyzeOptions, LoadOptions, ModelHandle, Progress } from '../../shared/engineApi';
import { SinkLensError, toErrorData } from '../../shared/errors';
import type { AnalysisResult } from '../../shared/result';
import { PREVIEW_CHARS, STUDY_SCHEMA_VERSION, type PromptFailure, type PromptRecord, type Provenance, type StudyProgress, type StudyPrompt, type StudyResult, type StudySettings } from '../../shared/study';
import { resolveOptions } from '../options';
import { aggregateModel, relativeDepthCurves, type ModelIdentity } from './aggregate';
import { StudyJournal, type JournalEntry } from './journal';
import { toPromptRecord } from './record';

/** The engine surface a study needs (the in-process Engine provides it). */
export interface StudyEngine {
  /** `ctx.hold`: the study keeps the model between its prompts until it unloads it (the engine never unloads it to make room). */
  load(modelDir: string, opts?: LoadOptions, ctx?: { hold?: boolean }): Promise<ModelHandle>;
  /** `signal`: the study's cancel, checked by the engine between the analysis' stages (it stops mid-prompt). */
  analyze(handle: ModelHandle, text: string, opts?: AnalyzeOptions, onProgress?: (p: Progress) => void, signal?: AbortSignal): Promise<AnalysisResult>;
  unload?(modelDir?: string): Promise<void>;
}

export type { StudyProgress } from '../../shared/study';

export interface StudyRunOptions {
  /** Model folders (resolved to absolute paths). */
  models: string[];
  prompts: StudyPrompt[];
  /** As the user gave it (provenance). */
  promptSetPath: string;
  analyze: AnalyzeOptions;
  load?: LoadOptions;
  /** Journal file; null = not resumable. */
  journalPath: string | null;
  version: string;
  onProgress?: (p: StudyProgress) => void;
  /** Checked between prompts: an aborted study returns what is done (complete: false). */
  signal?: { readonly aborted: boolean };
  /** Told once when an existing journal is replaced instead of resumed. */
  onNote?: (message: string) => void;
}

/** Analyze options of a study: the user's, without ablation, logit lens or a long top-k (not aggregated). */
export function studyAnalyzeOptions(o: AnalyzeOptions): AnalyzeOptions {
  return { ...o, ablate: null, interventions: null, tokenLoss: false, logitLens: null, lastTopK: 1 };
}

export function studySettings(o: AnalyzeOptions): StudySettings {
  const r = resolveOptions(o);
  return { prependBos: r.prependBos, chatTemplate: r.chatTemplate, maxTokens: r.maxTokens, tau: r.tau, entropy: r.entropy, includeFirstQuery: r.includeFirstQuery };
}

/** Identifies a study for its journal: the prompt texts (in order) and the settings. */
export function studyKey(prompts: readonly StudyPrompt[], settings: StudySettings): string {
  return sha256(JSON.stringify({ prompts: prompts.map((p) => [p.id, sha256(p.text)]), settings }));
}

export async function runStudy(engine: StudyEngine, o: StudyRunOptions): Promise<StudyResult> {
  if (o.models.length === 0) throw new SinkLensError('badRequest', 'A study needs at least one model.');
  const aOpts = studyAnalyzeOptions(o.analyze);
  const settings = studySettings(aOpts);
  const opened = o.journalPath === null ? null : StudyJournal.open(o.journalPath, studyKey(o.prompts, settings));
  if (opened?.replaced) o.onNote?.(`not resuming ${o.journalPath}: ${opened.replaced}; starting afresh`);
  const clock: Clock = { t0: performance.now(), ran: 0, left: o.prompts.length * o.models.length - countDone(opened?.entries ?? [], o) };
  const runs: ModelRun[] = [];
  for (const [mi, dir] of o.models.entries()) {
    const run = await runModel(engine, o, { dir, index: mi, options: aOpts, clock, journal: opened?.journal ?? null, entries: opened?.entries ?? [] });
    runs.push(run);
    if (!run.complete) break;
  }
  const ids = uniqueNames(runs.map((r) => r.identity));
  const models = ids.map((id, i) => aggregateModel(id, runs[i]!.records, runs[i]!.failures));
  return {
    kind: 'sinklens-study',
    schemaVersion: STUDY_SCHEMA_VERSION,
    complete: runs.length === o.models.length && runs.every((r) => r.complete),
    provenance: provenance(o, ids, settings),
    prompts: o.prompts.map((p) => ({ index: p.index, id: p.id, source: p.source, chars: p.text.length, sha256: sha256(p.text), preview: p.text.slice(0, PREVIEW_CHARS), text: p.text })),
    models,
    relativeDepth: relativeDepthCurves(models),
  };
}

interface Clock {
  t0: number;
  /** Prompts analysed in this process (the ETA's rate). */
  ran: number;
  /** Prompts still to analyse over all models. */
  left: number;
}

interface ModelRun {
  identity: ModelIdentity;
  records: PromptRecord[];
  failures: PromptFailure[];
  complete: boolean;
}

interface ModelJob {
  dir: string;
  index: number;
  options: AnalyzeOptions;
  clock: Clock;
  journal: StudyJournal | null;
  entries: readonly JournalEntry[];
}

/** Every prompt on one model: journaled ones reused, the others analysed and journaled; the model released after. */
async function runModel(engine: StudyEngine, o: StudyRunOptions, job: ModelJob): Promise<ModelRun> {
  const { dir, clock } = job;
  const handle = await engine.load(dir, o.load ?? {}, { hold: true });
  const weights = handle.info.files.map((f) => f.sha256).join(',');
  const done = new Map<number, PromptRecord>();
  for (const e of job.entries) if (e.model === dir && e.weights === weights) done.set(e.record.index, e.record);
  const run: ModelRun = { identity: { info: handle.info, tokenizerSha256: tokenizerSha(dir) }, records: [], failures: [], complete: true };
  const report = (promptId?: string, outcome?: { failure: PromptFailure } | { record: PromptRecord }): void =>
    o.onProgress?.(progress(handle.info.name, job.index, o, run.records.length + run.failures.length, done.size, clock, promptId, outcome));
  report();
  try {
    for (const p of o.prompts) {
      const old = done.get(p.index);
      if (old && old.id === p.id) {
        run.records.push(old);
        continue;
      }
      if (o.signal?.aborted) {
        run.complete = false;
        break;
      }
      const failure = await analyzeOne(engine, handle, p, job.options, o.signal, (rec) => {
        run.records.push(rec);
        job.journal?.append({ model: dir, weights, record: rec });
      });
      // Cancelled inside the prompt: it is neither done nor failed (not journaled, so a rerun analyses it).
      if (failure === 'cancelled') {
        run.complete = false;
        break;
      }
      if (failure) run.failures.push(failure);
      clock.ran += 1;
      clock.left -= 1;
      report(p.id, failure ? { failure } : { record: run.records[run.records.length - 1]! });
    }
  } finally {
    await engine.unload?.(dir);
  }
  const first = run.failures[0];
  if (run.records.length === 0 && first) throw new SinkLensError(first.code as SinkLensError['code'], `Every prompt failed on ${handle.info.name}; the first (${first.id}): ${first.message}`);
  return run;
}

/** Two folders with one model name (two revisions, say) get `name #2`, so tables and charts tell them apart. */
export function uniqueNames(ids: readonly ModelIdentity[]): ModelIdentity[] {
  const seen = new Map<string, number>();
  return ids.map((m) => {
    const k = (seen.get(m.info.name) ?? 0) + 1;
    seen.set(m.info.name, k);
    return k === 1 ? m : { ...m, info: { ...m.info, name: `${m.info.name} #${k}` } };
  });
}

/** Errors that end the study; anything else fails only the prompt (recorded, left out, retried by a rerun). */
const FATAL = new Set(['cancelled', 'engineCrashed', 'nativeLoadFailed']);

async function analyzeOne(
  engine: StudyEngine,
  handle: ModelHandle,
  p: StudyPrompt,
  opts: AnalyzeOptions,
  signal: StudyRunOptions['signal'],
  keep: (r: PromptRecord) => void,
): Promise<PromptFailure | null | 'cancelled'> {
  try {
    keep(toPromptRecord(p, await engine.analyze(handle, p.text, opts, () => {}, signal as AbortSignal | undefined)));
    return null;
  } catch (e) {
    const d = toErrorData(e);
    if (d.code === 'cancelled' && signal?.aborted) return 'cancelled';
    if (FATAL.has(d.code)) throw e;
    return { index: p.index, id: p.id, source: p.source, code: d.code, message: d.message };
  }
}

function countDone(entries: readonly JournalEntry[], o: StudyRunOptions): number {
  const valid = new Set(o.models);
  return new Set(entries.filter((e) => valid.has(e.model) && e.record.index < o.prompts.length).map((e) => `${e.model}\u0000${e.record.index}`)).size;
}

function progress(
  name: string,
  modelIndex: number,
  o: StudyRunOptions,
  done: number,
  resumed: number,
  clock: Clock,
  promptId: string | undefined,
  outcome: { failure: PromptFailure } | { record: PromptRecord } | undefined,
): StudyProgress {
  const msPerPrompt = clock.ran > 0 ? (performance.now() - clock.t0) / clock.ran : null;
  const base = { model: name, modelIndex, models: o.models.length, done, total: o.prompts.length, resumed, msPerPrompt, etaMs: msPerPrompt === null ? null : msPerPrompt * Math.max(clock.left, 0) };
  if (promptId === undefined) return base;
  return { ...base, promptId, ...outcome };
}

function provenance(o: StudyRunOptions, ids: readonly ModelIdentity[], settings: StudySettings): Provenance {
  return {
    sinklensVersion: o.version,
    createdAt: new Date().toISOString(),
    promptSet: { path: o.promptSetPath, prompts: o.prompts.length, sha256: sha256(o.prompts.map((p) => p.text).join('\u0000')) },
    models: ids.map((m) => ({
      name: m.info.name,
      dir: m.info.dir,
      weights: m.info.files.map((f) => ({ name: f.name, sha256: f.sha256 })),
      tokenizer: m.tokenizerSha256 === null ? null : { file: 'tokenizer.json', sha256: m.tokenizerSha256 },
    })),
    settings,
    host: { node: process.version, platform: `${process.platform}-${process.arch}` },
  };
}

/** sha256 of the model folder's tokenizer.json (null when absent). */
export function tokenizerSha(dir: string): string | null {
  const f = join(resolve(dir), 'tokenizer.json');
  return existsSync(f) ? createHash('sha256').update(readFileSync(f)).digest('hex') : null;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
