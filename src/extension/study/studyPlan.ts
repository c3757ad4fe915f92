/**
 * The vscode-free parts of Run Study: which prompt set and models the command's arguments name, the
 * model choices (Select Model's list, resolved to folders), where the study's journal lives, and the
 * progress line. Unit-tested without VS Code.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { STUDY_JOURNAL_KEEP, STUDY_JOURNAL_MAX_AGE_DAYS } from '../../shared/defaults';
import type { StudyProgress, StudyResult } from '../../shared/study';
import type { Settings } from '../config';
import { hubModelChoices } from '../models/modelList';
import { DEMO_LABEL, resolveModel, type ResolveContext } from '../models/resolve';

/** What a caller (a script, a keybinding, a test) may pass as the command's second argument. */
export interface StudyArgs {
  /** Model folders; skips the model picker. */
  models?: string[];
  /** At most this many prompts of the set (the first ones). */
  limit?: number;
}

/** The command's second argument: explorer menus pass the selected URIs (an array), scripts pass StudyArgs. */
export function studyArgsOf(v: unknown): StudyArgs {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const o = v as Record<string, unknown>;
  const out: StudyArgs = {};
  if (Array.isArray(o['models']) && o['models'].every((m) => typeof m === 'string')) out.models = o['models'] as string[];
  if (typeof o['limit'] === 'number' && Number.isInteger(o['limit']) && o['limit'] > 0) out.limit = o['limit'];
  return out;
}

export interface ModelChoice {
  label: string;
  description: string;
  dir: string;
  /** The current model (pre-selected). */
  picked: boolean;
}

/**
 * The models a study can run on, as in Select Model (built-in demo, sinklens.models, Hugging Face cache),
 * resolved to folders; models that do not resolve (not downloaded) are left out; one entry per folder.
 */
export function studyModelChoices(s: Settings, rc: ResolveContext, currentDir: string | undefined): ModelChoice[] {
  const values = [{ value: '', description: 'ships with SinkLens' }, ...s.models.map((m) => ({ value: m.name, description: '' })), ...hubModelChoices(rc.cached()).map((c) => ({ value: c.value, description: c.description ?? '' }))];
  const seen = new Set<string>();
  const out: ModelChoice[] = [];
  for (const v of values) {
    const r = resolveModel({ ...s, defaultModel: v.value }, rc);
    if (!r.ok || seen.has(r.model.dir)) continue;
    seen.add(r.model.dir);
    out.push({ label: v.value === '' ? DEMO_LABEL : r.model.label, description: v.description || r.model.dir, dir: r.model.dir, picked: r.model.dir === currentDir });
  }
  return out;
}

/** One journal per (prompt set, models, limit), under the extension's storage: rerunning the same study resumes it. */
export function journalPathFor(storageDir: string, promptSetPath: string, models: readonly string[], limit: number | undefined): string {
  const key = createHash('sha256').update(JSON.stringify([promptSetPath, models, limit ?? null])).digest('hex').slice(0, 24);
  return join(storageDir, 'studies', `${key}.journal.jsonl`);
}

const JOURNAL_SUFFIX = '.journal.jsonl';
const DAY_MS = 24 * 3600 * 1000;

/**
 * Which journals to remove (pure): those of unfinished studies untouched for `maxAgeDays`, and all but the
 * `keep` most recently written. A completed study's journal is removed when it completes (not here).
 */
export function journalsToPrune(
  files: readonly { name: string; mtimeMs: number }[],
  nowMs: number,
  o: { maxAgeDays: number; keep: number } = { maxAgeDays: STUDY_JOURNAL_MAX_AGE_DAYS, keep: STUDY_JOURNAL_KEEP },
): string[] {
  const journals = files.filter((f) => f.name.endsWith(JOURNAL_SUFFIX)).sort((a, b) => b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name));
  return journals.filter((f, i) => i >= o.keep || nowMs - f.mtimeMs > o.maxAgeDays * DAY_MS).map((f) => f.name);
}

/** Removes the journals `journalsToPrune` names from `dir` (the `studies/` folder); returns their names. */
export function pruneJournals(dir: string, nowMs = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // No studies folder yet.
  }
  const files = names.flatMap((name) => {
    try {
      return [{ name, mtimeMs: statSync(join(dir, name)).mtimeMs }];
    } catch {
      return [];
    }
  });
  const gone = journalsToPrune(files, nowMs);
  for (const name of gone) rmSync(join(dir, name), { force: true });
  return gone;
}

/** `1m 05s`, `42s`, `…` when unknown. */
export function fmtEta(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '…';
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** The progress notification's line: `sinklens-tiny (1/2): 12/40 prompts, 2 resumed, 1 failed, ETA 1m 05s`. */
export function progressLine(p: StudyProgress, failed: number): string {
  const model = p.models > 1 ? `${p.model} (${p.modelIndex + 1}/${p.models})` : p.model;
  const extra = `${p.resumed ? `, ${p.resumed} resumed` : ''}${failed ? `, ${failed} failed` : ''}`;
  return `${model}: ${p.done}/${p.total} prompts${extra}, ETA ${fmtEta(p.etaMs)}`;
}

/** Share (0..100) of the whole study one finished prompt is worth. */
export function incrementPerPrompt(p: StudyProgress): number {
  return p.total > 0 && p.models > 0 ? 100 / (p.total * p.models) : 0;
}

/** Where the last shown study is kept for the view's restore, beside the journals. */
export function lastStudyPath(storageDir: string): string {
  return join(storageDir, 'studies', 'last.study.json');
}

/** The kept study, or undefined when there is none or it is not a study (never shown unchecked). */
export function readLastStudy(file: string): StudyResult | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as StudyResult;
    return s && s.kind === 'sinklens-study' && Array.isArray(s.models) && Array.isArray(s.prompts) ? s : undefined;
  } catch {
    return undefined;
  }
}
