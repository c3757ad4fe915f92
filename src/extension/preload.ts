/**
 * Preload (setting `sinklens.preloadModel`): once a prompt file is shown, the selected model is loaded
 * in the engine in the background, so the first analysis waits neither for the engine to start nor for
 * the model to load (seconds for 1B-8B models, and the engine's warm-up after it). An analysis that
 * arrives during the load waits for that same load (the engine shares a load under way).
 *
 * Quiet by design, since the user asked for nothing yet: progress in the status bar's window area,
 * failures in the log (the analysis that needs the model reports them properly). A model whose preload
 * failed is not tried again until the settings change, so a model that cannot load never loops; after
 * an engine crash the next shown prompt file loads the model again.
 */
import * as vscode from 'vscode';
import { toErrorData } from '../shared/errors';
import { isPromptDocument } from './codelens';
import { loadOptions } from './config';
import type { Ctx } from './ctx';

/** What the preload did last (for the status and the extension-host tests). */
export type PreloadState = { state: 'idle' } | { state: 'loading' | 'loaded' | 'failed'; modelDir: string; ms: number };

export class Preloader implements vscode.Disposable {
  /** The model (and load options) preloaded or being preloaded; undefined after a crash. */
  private target: string | undefined;
  private readonly failed = new Set<string>();
  private last: PreloadState = { state: 'idle' };
  private readonly subs: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.subs = [
      vscode.window.onDidChangeVisibleTextEditors(() => this.check()),
      vscode.window.onDidChangeActiveTextEditor(() => this.check()),
      ctx.onDidChangeSettings(() => {
        this.failed.clear();
        this.check();
      }),
      ctx.engine.onDidCrash(() => {
        // A crash during the preload is that model's failure (it may be what crashed the engine): not retried.
        if (this.last.state === 'loading' && this.target !== undefined) this.failed.add(this.target);
        this.target = undefined;
        this.last = { state: 'idle' };
      }),
    ];
    this.check();
  }

  get state(): PreloadState {
    return this.last;
  }

  /** Starts a preload when it is on, a prompt file is visible, the model resolves and it is not loaded or failed already. */
  check(): void {
    const s = this.ctx.settings;
    if (!s.preloadModel || !vscode.window.visibleTextEditors.some((e) => isPromptDocument(e.document, s.promptFiles))) return;
    const r = this.ctx.resolveModel();
    if (!r.ok) return;
    const opts = loadOptions(s);
    const key = JSON.stringify([r.model.dir, opts]);
    if (this.target === key || this.failed.has(key)) return;
    this.target = key;
    void this.preload(key, r.model.dir, r.model.label, opts);
  }

  private async preload(key: string, modelDir: string, label: string, opts: ReturnType<typeof loadOptions>): Promise<void> {
    const t0 = Date.now();
    this.last = { state: 'loading', modelDir, ms: 0 };
    try {
      const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `SinkLens: loading ${label}` }, (progress) =>
        // A first load converts the weights (minutes for 8B): its byte progress shows beside the title.
        this.ctx.engine.load(modelDir, opts, (p) => progress.report(p.message ? { message: p.message } : {})),
      );
      if (this.target !== key) return; // another model or other options were asked for meanwhile
      this.last = { state: 'loaded', modelDir, ms: Date.now() - t0 };
      this.ctx.log.info(`preloaded ${info.name} (${opts.weights} weights) in ${Date.now() - t0} ms`);
    } catch (e) {
      if (this.target !== key) return;
      this.target = undefined;
      this.failed.add(key);
      this.last = { state: 'failed', modelDir, ms: Date.now() - t0 };
      this.ctx.log.warn(`preloading ${label} failed: ${toErrorData(e).message} (not retried until the settings change; an analysis reports the error)`);
    }
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
  }
}
