/**
 * `sinklens study` and `sinklens report`: a prompt set on one or more models, aggregated per layer,
 * shown as one table per model, written as JSON / CSV / a self-contained HTML report, with `--fail-if`
 * conditions that turn the run into a CI check (exit 4). Progress with ETA goes to stderr; the run is
 * journaled so that a killed study resumes where it stopped.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AnalyzeOptions } from '../../shared/engineApi';
import type { StudyPrompt, StudyResult } from '../../shared/study';
import { Engine } from '../api';
import { renderReport } from '../report/html';
import { studyCsv } from '../study/csv';
import { evaluateFailIf, failIfHelp, parseFailIf, type FailIfOutcome } from '../study/failIf';
import { readPromptSet } from '../study/prompts';
import { runStudy, studyKey, studySettings, type StudyProgress } from '../study/run';
import { asUsage, num, one, UsageError, type ParsedArgs } from './args';
import { checkOutDir, packageRoot, packageVersion, writeCsvDir, writeStudySvg } from './exports';
import { formatStudy } from './studyTable';

/** Exit code when a --fail-if condition holds (1 input, 2 usage and 3 internal are taken). */
export const EXIT_FAIL_IF = 4;

export const STUDY_VALUES = ['csv', 'svg', 'state', 'out', 'fail-if', 'limit'] as const;

/** analyze takes --csv and --svg but none of the study's other options. */
export function rejectStudyOptions(p: ParsedArgs): void {
  const k = STUDY_VALUES.find((v) => v !== 'csv' && v !== 'svg' && p.values.has(v));
  if (k !== undefined) throw new UsageError(`--${k} is a study/report option; analyze does not take it.`);
}

/** analyze's options that a study does not take. */
const NOT_FOR_STUDY = ['text', 'file', 'ablate', 'ablate-target', 'intervene', 'logit-lens', 'top-k', 'attention', 'dir', 'examples'];

export const STUDY_USAGE = `  sinklens study [--model DIR ...] [PROMPTS] [--json OUT] [--csv DIR] [--svg DIR] [--state DIR] [--limit N]
  sinklens report [--model DIR ...] [PROMPTS] --out report.html [--json OUT] [--csv DIR] [--svg DIR] [--fail-if EXPR ...]
`;

export const STUDY_HELP = `
Study and report (a prompt set on one or more models, aggregated per layer):
  PROMPTS                a folder (each *.txt/*.prompt/*.prompty/*.md file is one prompt), a .jsonl
                         ({"text": ...} or {"messages": [...]} per line; messages = the user contents
                         joined by a blank line) or a .txt (one prompt per line); default: the built-in
                         set (${'examples/prompts/builtin.jsonl'}; also 'builtin')
  --model DIR            repeat for several models (each loaded once; depths aligned on l/L)
  --json OUT             the aggregate + per-prompt summaries + provenance ('-' = stdout, no table)
  --csv DIR              CSV tables (layers, relative_depth, prompts, prompt_layers, tokens, heads) + provenance.json
  --svg DIR              the three summary charts (entropy, sink rate, BOS norm on l/L; a line + IQR band
                         per model) as standalone SVG files, the provenance inside each + provenance.json
                         (PNG: from the study view; the CLI has no canvas without a native module)
  --out FILE             (report) the self-contained offline HTML report
  --state DIR            keep the resume journal in DIR (default: next to --out / --json OUT)
  --limit N              only the first N prompts
  --fail-if EXPR         exit ${EXIT_FAIL_IF} when EXPR holds for a model (repeatable; e.g. "maxSinkRate > 0.9")
  Analysis options as for analyze: --max-tokens --tau --prepend-bos --chat-template --alpha
  --exclude-bos --center --row-normalize --include-first-query --threads --quiet
${failIfHelp()}`;

export interface StudyContext {
  analyze: AnalyzeOptions;
  defaultModel: string;
  writeOut: (s: string) => Promise<void>;
}

export function builtinPromptSet(): string {
  return join(packageRoot(), 'examples', 'prompts', 'builtin.jsonl');
}

/** Runs `study` or `report`; returns the exit code (0, or EXIT_FAIL_IF when a condition holds). */
export async function cmdStudy(p: ParsedArgs, ctx: StudyContext): Promise<number> {
  const report = p.command === 'report';
  const foreign = NOT_FOR_STUDY.filter((k) => p.values.has(k));
  if (foreign.length) throw new UsageError(`--${foreign[0]} is an analyze option; ${p.command} does not take it.`);
  if (!report && p.values.has('out')) throw new UsageError(`--out is for 'sinklens report' (the HTML file); study writes --json / --csv.`);
  const out = one(p, 'out');
  if (report && out === undefined) throw new UsageError('sinklens report needs --out FILE.html.');
  const conditions = (p.values.get('fail-if') ?? []).map((c) => asUsage(() => parseFailIf(c)));
  const limit = num(p, 'limit', { integer: true });
  if (limit !== undefined && limit < 1) throw new UsageError(`--limit must be a positive integer (got ${limit}).`);
  if (p.positionals.length > 1) throw new UsageError(`One prompt set at a time (got ${p.positionals.join(', ')}).`);
  for (const flag of ['csv', 'svg']) {
    const dir = one(p, flag);
    if (dir !== undefined) checkOutDir(flag, dir); // before the study, not after it
  }
  const quiet = p.flags.has('quiet');
  const threads = num(p, 'threads', { integer: true });

  const setPath = resolvePromptSet(p.positionals[0]);
  const prompts = readPromptSet(setPath).slice(0, limit ?? Infinity);
  const models = (p.values.get('model') ?? [process.env.SINKLENS_MODEL || ctx.defaultModel]).map((m) => resolve(m));
  const json = one(p, 'json');
  const journalPath = journalFor(p, models, prompts, ctx.analyze, out ?? (json !== '-' ? json : undefined));
  if (journalPath === null && !quiet) process.stderr.write('note: not resumable (give --json OUT, --out or --state DIR to keep a journal)\n');

  const engine = new Engine();
  let s: StudyResult;
  try {
    s = await runStudy(engine, {
      models,
      prompts,
      promptSetPath: p.positionals[0] ?? 'builtin',
      analyze: ctx.analyze,
      load: threads !== undefined ? { threads } : {},
      journalPath,
      version: packageVersion(),
      onProgress: (e) => printProgress(e, quiet),
      onNote: (m) => process.stderr.write(`note: ${m}\n`),
    });
  } finally {
    await engine.dispose();
  }
  const checks = conditions.flatMap((c) => s.models.map((m) => evaluateFailIf(c, m.name, m.prompts)));
  await writeOutputs(p, ctx, s, checks, out, quiet);
  if (journalPath !== null && s.complete) rmJournal(journalPath);
  return reportChecks(checks, quiet);
}

function resolvePromptSet(arg: string | undefined): string {
  if (arg === undefined || arg === 'builtin') return builtinPromptSet();
  const path = resolve(arg);
  if (!existsSync(path)) throw new UsageError(`${arg}: no such prompt set (a folder, a .jsonl or a .txt; or 'builtin').`);
  return path;
}

/** Where the journal lives: --state DIR (named by the study's key), else next to the main output. */
function journalFor(p: ParsedArgs, models: string[], prompts: StudyPrompt[], o: AnalyzeOptions, main: string | undefined): string | null {
  const state = one(p, 'state');
  if (state !== undefined) {
    mkdirSync(state, { recursive: true });
    const id = createHash('sha256').update(`${studyKey(prompts, studySettings(o))}\u0000${models.join('\u0000')}`).digest('hex').slice(0, 16);
    return join(state, `study-${id}.journal.jsonl`);
  }
  return main === undefined ? null : `${resolve(main)}.journal.jsonl`;
}

/** One stderr line per finished prompt (a failed prompt is always told, even with --quiet). */
function printProgress(e: StudyProgress, quiet: boolean): void {
  const tag = `[${e.model} ${e.modelIndex + 1}/${e.models}]`;
  if (e.failure) process.stderr.write(`warning: ${tag} ${e.failure.id} (${e.failure.source}) failed and is left out: ${clip(e.failure.message.replace(/\s*\n\s*/g, ' '), 240)}\n`);
  if (quiet) return;
  if (e.promptId === undefined) {
    process.stderr.write(`${tag} ${e.total} prompts${e.resumed ? ` · resuming: ${e.resumed} done in the journal` : ''}\n`);
    return;
  }
  const rate = e.msPerPrompt === null ? '' : ` · ${(e.msPerPrompt / 1000).toFixed(2)} s/prompt`;
  const eta = e.etaMs === null ? '' : ` · ETA ${formatDuration(e.etaMs)}`;
  process.stderr.write(`${tag} ${e.done}/${e.total} ${e.promptId}${rate}${eta}\n`);
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

async function writeOutputs(p: ParsedArgs, ctx: StudyContext, s: StudyResult, checks: FailIfOutcome[], out: string | undefined, quiet: boolean): Promise<void> {
  const say = (m: string): void => {
    if (!quiet) process.stderr.write(`${m}\n`);
  };
  const json = one(p, 'json');
  const doc = checks.length ? { ...s, checks } : s;
  if (json === '-') await ctx.writeOut(`${JSON.stringify(doc)}\n`);
  else await ctx.writeOut(`${formatStudy(s)}\n`);
  if (json !== undefined && json !== '-') {
    writeFileSync(json, JSON.stringify(doc, null, 1));
    say(`wrote ${json}`);
  }
  const csv = one(p, 'csv');
  if (csv !== undefined) say(`wrote ${writeCsvDir(csv, studyCsv(s), s.provenance).length} files to ${csv}`);
  const svg = one(p, 'svg');
  if (svg !== undefined) say(`wrote ${writeStudySvg(svg, s).length} files to ${svg}`);
  if (out !== undefined) {
    writeFileSync(out, renderReport(s, checks));
    say(`wrote ${out}`);
  }
}

/** A finished study's outputs are written: its journal has done its job. */
function rmJournal(path: string): void {
  rmSync(path, { force: true });
}

/** One stderr line per holding condition; EXIT_FAIL_IF when any holds. */
function reportChecks(checks: readonly FailIfOutcome[], quiet: boolean): number {
  const failed = checks.filter((c) => c.holds);
  for (const c of checks) {
    if (c.holds || !quiet) {
      const ids = c.holds && c.prompts.length ? `: ${c.prompts.slice(0, 8).join(', ')}${c.prompts.length > 8 ? ', …' : ''}` : '';
      process.stderr.write(`${c.holds ? 'FAIL' : 'pass'} --fail-if "${c.condition}" on ${c.model}: ${c.detail}${ids}\n`);
    }
  }
  return failed.length ? EXIT_FAIL_IF : 0;
}
