/**
 * `sinklens.compareWithHead`: the prompt file's working-tree text against its `HEAD` version (read through the
 * built-in git extension's API, `vscode.git`), both analysed on the current model. The panel shows the
 * working-tree run with the HEAD run's curves as the dashed overlay and a one-line verdict in its header
 * (shared/compare.ts). The text compared is what "Analyze" takes for the file: the prompt without front matter.
 */
import * as vscode from 'vscode';
import { SinkLensError } from '../../shared/errors';
import type { PanelCompare } from '../../shared/protocol/panel';
import type { AnalysisController } from '../analysisController';
import { isMarkdown, isPromptDocument } from '../codelens';
import { promptSections } from '../promptSections';
import type { Ctx } from '../ctx';
import type { PanelHost } from '../panel/panelHost';
import { runComparison } from './compareRuns';

/** The part of the git extension's API (v1) used here. */
interface GitRepository {
  show(ref: string, path: string): Promise<string>;
}
interface GitApi {
  getRepository(uri: vscode.Uri): GitRepository | null;
}
interface GitExtension {
  getAPI(version: 1): GitApi;
}

async function gitApi(): Promise<GitApi> {
  const ext = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!ext) throw new SinkLensError('badRequest', 'Compare with HEAD needs the built-in Git extension, which is disabled or missing.');
  const exports = ext.isActive ? ext.exports : await ext.activate();
  try {
    return exports.getAPI(1);
  } catch (e) {
    // The git extension throws "Git model not found" while `git.enabled` is off or no git executable was found.
    throw new SinkLensError('badRequest', `Compare with HEAD needs Git in VS Code (check the "git.enabled" setting and that git is installed): ${(e as Error).message}`);
  }
}

/** The text Analyze takes from a document's content: the prompt without front matter for prompt files. */
function promptText(ctx: Ctx, doc: vscode.TextDocument, content: string): string {
  if (!isPromptDocument(doc, ctx.settings.promptFiles)) return content;
  return promptSections(content, { markdown: isMarkdown(doc) })[0]?.text ?? content;
}

export async function compareWithHead(ctx: Ctx, controller: AnalysisController, panel: PanelHost, target: unknown): Promise<PanelCompare | undefined> {
  const uri = target instanceof vscode.Uri ? target : vscode.window.activeTextEditor?.document.uri;
  if (!uri) throw new SinkLensError('emptyPrompt', 'Open a prompt file that is in a git repository, then run "Compare with HEAD".');
  const repo = (await gitApi()).getRepository(uri);
  if (!repo) throw new SinkLensError('badRequest', `${vscode.workspace.asRelativePath(uri)} is not in a git repository that VS Code has open.`);
  let headContent: string;
  try {
    headContent = await repo.show('HEAD', uri.fsPath);
  } catch (e) {
    throw new SinkLensError('badRequest', `${vscode.workspace.asRelativePath(uri)} has no HEAD version (not committed yet?): ${(e as Error).message}`);
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const working = promptText(ctx, doc, doc.getText());
  const head = promptText(ctx, doc, headContent);
  const offset = Math.max(0, doc.getText().indexOf(working));
  // The same flow as Compare Prompts: the HEAD text is the other run, the working tree the shown one.
  return runComparison(ctx, controller, panel, {
    target: { text: working, uri, offset },
    otherText: head,
    label: 'HEAD',
    progressTitle: 'SinkLens: analysing the HEAD version…',
  });
}
