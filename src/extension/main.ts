/**
 * Extension entry point. activate() builds the Ctx, the analysis controller, the providers and the
 * command table, and returns the SinkLensApi. Nothing here waits for the engine: it is forked by the
 * first analysis or, once a prompt file is shown, by the model's preload (preload.ts) in the
 * background, so a broken native runtime can never block activation. Activation failures are
 * caught and shown with a next step.
 */
import * as vscode from 'vscode';
import { AnalysisController } from './analysisController';
import { makeApi, type SinkLensApi } from './api';
import { PromptCodeLensProvider } from './codelens';
import { commandTable } from './commands';
import { Ctx } from './ctx';
import { SinkDecorations } from './decorations';
import { LiveMode } from './live';
import { PanelHost } from './panel/panelHost';
import { registerModelCacheCommand } from './modelCache';
import { ModelStatusBar } from './statusBar';
import { Preloader } from './preload';
import { StudyView } from './study/studyView';
import { PromptCompare } from './compare/comparePrompts';

export type { SinkLensApi } from './api';

/** Documents the code lens provider is asked about; it filters them by `sinklens.promptFiles` itself. */
const LENS_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file' },
  { scheme: 'vscode-remote' },
  { scheme: 'untitled', language: 'prompt' },
  { scheme: 'untitled', language: 'prompty' },
];

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<SinkLensApi | undefined> {
  try {
    return build(context);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    ctx?.log.error(`activation failed: ${e instanceof Error && e.stack ? e.stack : message}`);
    const pick = await vscode.window.showErrorMessage(
      `SinkLens failed to start: ${message}. Reload the window; if it persists, reinstall the extension (a VSIX for this platform) and check the SinkLens log.`,
      'Show Log',
      'Reload Window',
    );
    if (pick === 'Show Log') ctx?.log.show();
    if (pick === 'Reload Window') await vscode.commands.executeCommand('workbench.action.reloadWindow');
    return undefined;
  }
}

function build(context: vscode.ExtensionContext): SinkLensApi {
  const c = new Ctx(context);
  ctx = c;
  context.subscriptions.push(c);
  c.log.info(`SinkLens ${String(context.extension.packageJSON.version)} activating (${process.platform}-${process.arch}, node ${process.version})`);

  // The controller reports to the panel host; the panel's re-runs (ablation, logit lens) go through the controller.
  const panel: PanelHost = new PanelHost(c, (target, opts) => controller.analyze(target, opts));
  const controller: AnalysisController = new AnalysisController(c, panel);
  const decorations = new SinkDecorations(c);
  const lenses = new PromptCodeLensProvider(c);
  c.push(panel, controller, decorations, lenses, new LiveMode(c, controller, panel), new ModelStatusBar(c, controller));
  c.push(vscode.languages.registerCodeLensProvider(LENS_SELECTOR, lenses));
  const study = new StudyView(c, (target, opts) => controller.analyze(target, opts));
  c.push(study);
  c.push(c.engine.onDidCrash((exit) => panel.showError(exit.error)));

  const table = commandTable({
    ctx: c,
    controller,
    decorations,
    panel,
    study,
    compare: new PromptCompare(c, controller, panel),
  });
  for (const [id, handler] of Object.entries(table)) c.push(vscode.commands.registerCommand(id, handler));
  c.push(registerModelCacheCommand(c));

  // Last: its first check may start the engine, which nothing above needs.
  const preloader = new Preloader(c);
  c.push(preloader);

  c.log.info('SinkLens activated');
  return makeApi(c, controller, panel, (uri) => decorations.count(uri), study, () => preloader.state);
}

export function deactivate(): void {
  // Ctx is disposed through context.subscriptions (this stops the engine process).
  ctx = undefined;
}
