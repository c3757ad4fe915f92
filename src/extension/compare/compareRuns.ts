/**
 * One comparison, shared by Compare Prompts and Compare Across Models: the other run (other text, or the same
 * text on another model) is analysed first, straight through the engine client, then the shown run through the
 * AnalysisController (cache, panel progress); the panel shows the shown run with the other as the dashed overlay
 * and the verdict (shared/compare.ts). Two models of different depths share the relative-depth axis l/L.
 */
import * as vscode from 'vscode';
import { compareVerdict, verdictInput } from '../../shared/compare';
import { SinkLensError, toErrorData } from '../../shared/errors';
import type { PanelCompare } from '../../shared/protocol/panel';
import type { AnalysisResult } from '../../shared/result';
import type { AnalysisController, AnalysisTarget } from '../analysisController';
import { loadOptions } from '../config';
import type { Ctx } from '../ctx';
import type { PanelHost } from '../panel/panelHost';

export interface Comparison {
  /** The shown run's text and where it came from. */
  target: AnalysisTarget;
  /** The other run: its text and model folder (default: the current model). */
  otherText: string;
  otherModelDir?: string;
  /** The overlay's legend label and the header's `vs <label>`. */
  label: string;
  /** The progress notification's title while the other run is analysed. */
  progressTitle: string;
}

const lastLayer = (r: AnalysisResult): number => Math.max(...r.baseline.layers.map((l) => l.layer));

export async function runComparison(ctx: Ctx, controller: AnalysisController, panel: PanelHost, c: Comparison): Promise<PanelCompare> {
  const model = ctx.resolveModel();
  if (!model.ok) throw new SinkLensError('modelNotFound', model.message);
  if (c.otherText.trim() === '' || c.target.text.trim() === '') throw new SinkLensError('emptyPrompt', 'One of the two prompts is empty: select some text or open a prompt file for each side.');
  const otherDir = c.otherModelDir ?? model.model.dir;
  const options = ctx.analyzeOptions(null, false);
  const runOther = (): Thenable<AnalysisResult> =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: c.progressTitle, cancellable: true }, (_p, token) =>
      ctx.engine.analyze(otherDir, loadOptions(ctx.settings), c.otherText, options, { token }),
    );
  let before: AnalysisResult;
  try {
    before = await runOther();
  } catch (e) {
    // The second model does not fit beside the loaded current one: release everything and run the two in turn.
    if (otherDir === model.model.dir || toErrorData(e).code !== 'insufficientMemory') throw e;
    ctx.log.info(`compare: ${c.label} does not fit beside the loaded model; unloading it and running the models one at a time`);
    await ctx.engine.unloadAll();
    before = await runOther();
  }
  // A second model leaves the engine before the current one runs: it is loaded only while its side runs (the current
  // model stays loaded, as after any analysis, unless the second did not fit beside it).
  if (otherDir !== model.model.dir) await ctx.engine.unload(otherDir);
  const after = await controller.analyze(c.target, { progress: 'notification', reveal: true, modelDir: model.model.dir, logitLens: false });
  const relative = lastLayer(before) !== lastLayer(after);
  const verdict = compareVerdict(verdictInput(before), verdictInput(after));
  const compare: PanelCompare = { label: c.label, verdict, other: before, ...(relative ? { depth: 'relative' as const } : {}) };
  panel.showCompared(after, { uri: c.target.uri?.toString() ?? '', offset: c.target.offset }, compare);
  ctx.log.info(`compare with ${c.label}: ${verdict}`);
  return compare;
}
