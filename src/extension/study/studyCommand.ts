/**
 * `sinklens.runStudy`: a prompt set (the explorer's folder/.jsonl/.txt, else an open dialog) on one or
 * more models (the current model pre-selected in a multi-select of Select Model's list), run in the
 * engine with a cancellable progress notification (done/total, ETA). Cancel keeps what is done: the
 * engine answers with the aggregate so far (shown, marked cancelled), and its journal lets the same
 * study resume when run again. Then the study view opens.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SinkLensError } from '../../shared/errors';
import type { StudyResult } from '../../shared/study';
import { loadOptions } from '../config';
import type { Ctx } from '../ctx';
import { versionOf } from './exports';
import { incrementPerPrompt, journalPathFor, progressLine, pruneJournals, studyArgsOf, studyModelChoices } from './studyPlan';
import { STUDY_JOURNAL_KEEP, STUDY_JOURNAL_MAX_AGE_DAYS } from '../../shared/defaults';
import type { StudyView } from './studyView';

export async function runStudyCommand(ctx: Ctx, view: StudyView, target: unknown, extra: unknown): Promise<StudyResult | undefined> {
  const args = studyArgsOf(extra);
  const setPath = target instanceof vscode.Uri ? target.fsPath : typeof target === 'string' ? target : await pickPromptSet();
  if (!setPath) return undefined;
  const models = args.models ?? (await pickModels(ctx));
  if (!models || models.length === 0) return undefined;
  const study = await runWithProgress(ctx, setPath, models, args.limit);
  if (study.models.every((m) => m.prompts.length === 0)) {
    void vscode.window.showInformationMessage('SinkLens: the study was cancelled before any prompt finished; nothing to show.');
    return study;
  }
  view.show(study);
  const failed = study.models.reduce((n, m) => n + m.failures.length, 0);
  if (!study.complete) void vscode.window.showInformationMessage('SinkLens: study cancelled; the view shows the prompts done so far. Run it again to resume where it stopped.');
  else if (failed) void vscode.window.showWarningMessage(`SinkLens: ${failed} prompt(s) failed and are left out (see the SinkLens log).`);
  return study;
}

async function runWithProgress(ctx: Ctx, setPath: string, models: string[], limit: number | undefined): Promise<StudyResult> {
  const journalPath = journalPathFor(ctx.context.globalStorageUri.fsPath, setPath, models, limit);
  fs.mkdirSync(path.dirname(journalPath), { recursive: true }); // The extension's storage folder may not exist yet.
  const pruned = pruneJournals(path.dirname(journalPath)).filter((name) => path.join(path.dirname(journalPath), name) !== journalPath);
  if (pruned.length) ctx.log.info(`study: removed ${pruned.length} old study journal(s) (unfinished for ${STUDY_JOURNAL_MAX_AGE_DAYS} days, or beyond the newest ${STUDY_JOURNAL_KEEP})`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'SinkLens study', cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => {
        ac.abort();
        progress.report({ message: 'cancelling: stopping the current prompt…' });
      });
      let failed = 0;
      try {
        const study = await ctx.engine.study(
          { models, loadOptions: loadOptions(ctx.settings), promptSetPath: setPath, ...(limit !== undefined ? { limit } : {}), options: ctx.analyzeOptions(null, false), journalPath, version: versionOf(ctx) },
          (p) => {
            if (p.failure) {
              failed++;
              ctx.log.warn(`study: ${p.failure.id} (${p.failure.source}) failed on ${p.model}: ${p.failure.message}`);
            }
            const step = p.promptId !== undefined ? incrementPerPrompt(p) : 0;
            progress.report({ message: progressLine(p, failed), ...(step ? { increment: step } : {}) });
          },
          ac.signal,
        );
        // A completed study needs no resume: its journal goes (the study view keeps the result, studyView.ts).
        if (study.complete) fs.rmSync(journalPath, { force: true });
        return study;
      } finally {
        sub.dispose();
      }
    },
  );
}

async function pickPromptSet(): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: false,
    filters: { 'Prompt set': ['jsonl', 'txt'] },
    openLabel: 'Run Study',
    title: 'A prompt set: a folder of prompt files, a .jsonl ({"text"} or {"messages"} per line) or a .txt (one prompt per line)',
  });
  return uris?.[0]?.fsPath;
}

async function pickModels(ctx: Ctx): Promise<string[] | undefined> {
  const current = ctx.resolveModel();
  const choices = studyModelChoices(ctx.settings, { demoDir: ctx.demoModelDir, baseDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, cached: () => ctx.cachedHubModels() }, current.ok ? current.model.dir : undefined);
  if (choices.length === 0) throw new SinkLensError('modelNotFound', 'No model to run a study on; run "SinkLens: Select Model" first.');
  if (choices.length === 1) return [choices[0]!.dir];
  const picks = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: c.label, description: c.description, picked: c.picked, dir: c.dir })),
    { canPickMany: true, title: 'SinkLens: Run Study on which models?', placeHolder: 'The current model is selected; pick more to compare them' },
  );
  return picks?.map((p) => p.dir);
}
