/**
 * Compare Prompts, in the style of VS Code's own Select for Compare / Compare with Selected: one selection or
 * file is marked (`sinklens.selectForCompare`, context key `sinklens.compareSelected`), then another is compared
 * with it (`sinklens.compareWithSelected`) on the current model. *Compare Prompts…* does whichever step is next.
 * Compare Across Models runs one prompt on the current model and a second one picked from Select Model's list.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SinkLensError } from '../../shared/errors';
import type { PanelCompare } from '../../shared/protocol/panel';
import type { AnalysisController, AnalysisTarget } from '../analysisController';
import type { Ctx } from '../ctx';
import { pickModelValue } from '../models/modelCommands';
import type { PanelHost } from '../panel/panelHost';
import { runComparison } from './compareRuns';

export const COMPARE_SELECTED_KEY = 'sinklens.compareSelected';

export interface CompareSide extends AnalysisTarget {
  label: string;
}

/** `file.prompt:3` (the first line of the text, 1-based) or `untitled`. */
export function sideLabel(target: AnalysisTarget, doc: vscode.TextDocument | undefined): string {
  const name = target.uri ? path.basename(target.uri.fsPath || target.uri.path) || 'untitled' : 'text';
  return doc ? `${name}:${doc.positionAt(target.offset).line + 1}` : name;
}

/** Holds the side marked by Select for Compare until it is compared or replaced. */
export class PromptCompare {
  private selected: CompareSide | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly controller: AnalysisController,
    private readonly panel: PanelHost,
  ) {}

  /** The marked side (tests, and Compare Prompts… to decide its step). */
  current(): CompareSide | undefined {
    return this.selected;
  }

  async select(target: AnalysisTarget): Promise<CompareSide> {
    if (target.text.trim() === '') throw new SinkLensError('emptyPrompt', 'There is no text to select for compare: select some text or open a prompt file.');
    const doc = target.uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.uri?.toString()) : undefined;
    this.selected = { ...target, label: sideLabel(target, doc) };
    await vscode.commands.executeCommand('setContext', COMPARE_SELECTED_KEY, true);
    return this.selected;
  }

  /** The marked side is the overlay (`before`); `target` is the shown run (`after`). */
  async compareWith(target: AnalysisTarget): Promise<PanelCompare> {
    const other = this.selected;
    if (!other) throw new SinkLensError('badRequest', 'Nothing is selected for compare: run "Select for Compare" on a selection or prompt file first.');
    return runComparison(this.ctx, this.controller, this.panel, {
      target,
      otherText: other.text,
      label: other.label,
      progressTitle: `SinkLens: analysing ${other.label}…`,
    });
  }

  /** Compare Prompts…: the first call marks `target`, the next compares another target with it. */
  async step(target: AnalysisTarget): Promise<PanelCompare | CompareSide> {
    if (!this.selected) {
      const side = await this.select(target);
      void vscode.window.showInformationMessage(`SinkLens: ${side.label} is selected for compare. Select another text or open another prompt, then run "Compare Prompts…" again.`);
      return side;
    }
    return this.compareWith(target);
  }

  /** Compare Across Models: `target` on the current model and on `modelValue` (or one picked). */
  async acrossModels(target: AnalysisTarget, modelValue?: string): Promise<PanelCompare | undefined> {
    const value = modelValue ?? (await pickModelValue(this.ctx, 'SinkLens: Compare Across Models: the second model'));
    if (value === undefined) return undefined;
    const other = this.ctx.resolveModelValue(value);
    if (!other.ok) throw new SinkLensError('modelNotFound', other.message);
    return runComparison(this.ctx, this.controller, this.panel, {
      target,
      otherText: target.text,
      otherModelDir: other.model.dir,
      label: other.model.label,
      progressTitle: `SinkLens: analysing on ${other.model.label}…`,
    });
  }
}
