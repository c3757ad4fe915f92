/**
 * The command table: id -> handler. Every handler reports its own errors (a typed message with a
 * next step), so a failing command never surfaces as an unhandled rejection.
 */
import * as vscode from 'vscode';
import { SinkLensError, toErrorData, type ErrorData } from '../shared/errors';
import type { AnalysisController, AnalysisTarget, RunOptions } from './analysisController';
import { documentSections, isPromptDocument } from './codelens';
import type { Ctx } from './ctx';
import type { SinkDecorations } from './decorations';
import { targetOf, type PanelHost } from './panel/panelHost';
import { addModelFolder, downloadModelCommand, selectModel } from './models/modelCommands';
import { compareWithHead } from './compare/compareWithHead';
import type { PromptCompare } from './compare/comparePrompts';
import { exportAnalysis } from './study/exports';
import { runStudyCommand } from './study/studyCommand';
import type { StudyView } from './study/studyView';

export interface CommandDeps {
  ctx: Ctx;
  controller: AnalysisController;
  decorations: SinkDecorations;
  /** The panel, its summary view and the last shown result. */
  panel: PanelHost;
  study: StudyView;
  /** Compare Prompts / Compare Across Models (the side selected for compare). */
  compare: PromptCompare;
}

type Handler = (...args: unknown[]) => unknown;

export function commandTable(d: CommandDeps): Record<string, Handler> {
  const { ctx } = d;
  const analyze = (uri?: unknown, range?: unknown) => runAnalysis(d, () => targetFromArgs(ctx, uri, range));
  return {
    // One handler, two ids: the code lenses pass their section's (uri, range) to analyzeSection; the
    // editor menus and the palette call analyze without a range (selection, else the whole prompt).
    'sinklens.analyze': analyze,
    'sinklens.analyzeSection': analyze,
    'sinklens.openPanel': () => d.panel.open(),
    'sinklens.toggleAblation': () => toggleAblation(d),
    // Optional string args skip the picker/dialog/input box (keybindings, scripts, tests).
    'sinklens.selectModel': (value?: unknown) => guard(d, () => selectModel(ctx, asString(value))),
    'sinklens.addModelFolder': (folder?: unknown) => guard(d, () => addModelFolder(ctx, asString(folder))),
    'sinklens.downloadModel': (repo?: unknown) => guard(d, () => downloadModelCommand(ctx, asString(repo))),
    'sinklens.showLog': () => ctx.log.show(),
    'sinklens.toggleLive': () => guard(d, () => ctx.updateSetting('live', !ctx.settings.live)),
    'sinklens.clearDecorations': () => d.decorations.clear(),
    'sinklens.openSample': () => guard(d, () => openSample(ctx)),
    // Explorer menus pass (uri, selectedUris); scripts and tests may pass (path, {models, limit}).
    'sinklens.runStudy': (target?: unknown, extra?: unknown) => guard(d, () => runStudyCommand(ctx, d.study, target, extra)),
    // Optional (table, target path) skip the table picker and the save dialog.
    'sinklens.exportCsv': (table?: unknown, target?: unknown) => guard(d, () => exportAnalysis(ctx, d.panel, 'csv', table, target)),
    'sinklens.compareWithHead': (uri?: unknown) => guard(d, () => compareWithHead(ctx, d.controller, d.panel, uri)),
    // Editor and explorer menus pass the resource's uri; the selection, else the whole prompt, is the side.
    'sinklens.selectForCompare': (uri?: unknown) => guard(d, async () => d.compare.select(await targetFromArgs(ctx, uri, undefined))),
    'sinklens.compareWithSelected': (uri?: unknown) => guard(d, async () => d.compare.compareWith(await targetFromArgs(ctx, uri, undefined))),
    'sinklens.comparePrompts': (uri?: unknown) => guard(d, async () => d.compare.step(await targetFromArgs(ctx, uri, undefined))),
    // An optional defaultModel value (a name, a folder, `org/name@rev`, '' = demo) skips the model picker.
    'sinklens.compareAcrossModels': (model?: unknown, uri?: unknown) =>
      guard(d, async () => d.compare.acrossModels(await targetFromArgs(ctx, uri, undefined), asString(model))),
    'sinklens.exportJson': (target?: unknown) => guard(d, () => exportAnalysis(ctx, d.panel, 'json', undefined, target)),
  };
}

function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Runs an analysis for a command: progress notification, result beside the editor, errors as messages. */
export async function runAnalysis(d: CommandDeps, target: () => Promise<AnalysisTarget>, opts: RunOptions = {}) {
  return guard(d, async () => d.controller.analyze(await target(), { progress: 'notification', reveal: true, ...opts }));
}

async function toggleAblation(d: CommandDeps) {
  // The same shown result as the panel's ablation toggle.
  const last = d.panel.shown();
  if (!last) {
    void vscode.window.showInformationMessage('Analyze a prompt first; the ablation re-runs it with the BOS MLP write zeroed at the spike layers.');
    return undefined;
  }
  const target = targetOf(last);
  const on = !last.result.ablation;
  const result = await runAnalysis(d, async () => target, { ablate: on ? 'auto' : null });
  if (on && result && !result.ablation) {
    // The engine skips the ablation when there is no spike to remove; say why instead of silently showing the baseline.
    const why = result.warnings.find((w) => /ablation/i.test(w.message))?.message ?? 'The model shows no BOS norm spike to ablate for this prompt.';
    void vscode.window.showInformationMessage(`SinkLens: ${why}`);
  }
  return result;
}

/** The text to analyse: the given range, else the selection, else the whole prompt (front matter excluded for prompt files). */
export async function targetFromArgs(ctx: Ctx, uri: unknown, range: unknown): Promise<AnalysisTarget> {
  const editor = vscode.window.activeTextEditor;
  const doc =
    uri instanceof vscode.Uri
      ? editor?.document.uri.toString() === uri.toString()
        ? editor.document
        : await vscode.workspace.openTextDocument(uri)
      : editor?.document;
  if (!doc) throw new SinkLensError('emptyPrompt', 'Open a prompt file or select some text, then run "Analyze with SinkLens".');
  if (range instanceof vscode.Range) {
    return { text: doc.getText(range), uri: doc.uri, offset: doc.offsetAt(range.start) };
  }
  const sel = editor && editor.document === doc ? editor.selection : undefined;
  if (sel && !sel.isEmpty) return { text: doc.getText(sel), uri: doc.uri, offset: doc.offsetAt(sel.start) };
  if (isPromptDocument(doc, ctx.settings.promptFiles)) {
    const whole = documentSections(doc)[0];
    if (whole) return { text: whole.section.text, uri: doc.uri, offset: whole.section.start };
  }
  return { text: doc.getText(), uri: doc.uri, offset: 0 };
}

/** Runs `f`, turning any failure into a message with a next step. Resolves to undefined on failure. */
export async function guard<T>(d: CommandDeps, f: () => Promise<T> | T): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    const err = toErrorData(e);
    if (err.code === 'cancelled') return undefined;
    d.ctx.log.error(`${err.code}: ${err.message}${err.detail ? `\n${err.detail}` : ''}`);
    // The crash itself was already reported (with Show Log) by the engine client.
    if (err.code !== 'engineCrashed') void showError(d.ctx, err);
    return undefined;
  }
}

async function showError(ctx: Ctx, err: ErrorData): Promise<void> {
  const actions = err.code === 'modelNotFound' ? ['Select Model', 'Download Model', 'Show Log'] : ['Show Log'];
  const pick = await vscode.window.showErrorMessage(`SinkLens: ${err.message}`, ...actions);
  if (pick === 'Show Log') ctx.log.show();
  else if (pick === 'Select Model') await vscode.commands.executeCommand('sinklens.selectModel');
  else if (pick === 'Download Model') await vscode.commands.executeCommand('sinklens.downloadModel');
}

/** Opens the walkthrough's sample prompt (media/walkthrough/sample.prompt) as an untitled copy. */
async function openSample(ctx: Ctx): Promise<void> {
  const uri = vscode.Uri.joinPath(ctx.context.extensionUri, 'media', 'walkthrough', 'sample.prompt');
  const bytes = await vscode.workspace.fs.readFile(uri);
  const doc = await vscode.workspace.openTextDocument({ language: 'prompt', content: new TextDecoder().decode(bytes) });
  await vscode.window.showTextDocument(doc);
}
