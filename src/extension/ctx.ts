/**
 * The extension's shared state, built once by activate(): the "SinkLens" log channel, the engine
 * client, current settings, the model resolution, the result cache (by sha256, for code lenses and
 * repeated runs; the last shown result lives in the PanelHost's store) and the events the providers
 * listen to. Owns every disposable it creates (drained by `dispose`).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnalyzeOptions } from '../shared/engineApi';
import type { AnalysisResult } from '../shared/result';
import { ENGINE_RELOAD_KEYS, RESTRICTED_NOTE, analyzeOptions, readSettings, type Settings } from './config';
import { EngineClient } from './engineClient';
import type { CachedModel } from '../node/hfCache';
import { cachedHubModels } from './models/modelList';
import { resolveModel, type Resolution } from './models/resolve';
import { ResultCache, resultKey } from './resultCache';

export interface AnalysisEvent {
  result: AnalysisResult;
  key: string;
  /** The document the text came from (undefined for API calls on bare text). */
  uri: vscode.Uri | undefined;
  /** Offset of the analysed text in that document. */
  offset: number;
}

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly engine: EngineClient;
  readonly cache = new ResultCache();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly settingsEmitter = new vscode.EventEmitter<vscode.ConfigurationChangeEvent | undefined>();
  private readonly analysisEmitter = new vscode.EventEmitter<AnalysisEvent>();
  /** Fires after settings were re-read (undefined = an internal refresh such as a finished download). */
  readonly onDidChangeSettings = this.settingsEmitter.event;
  readonly onDidAnalyze = this.analysisEmitter.event;
  private current: Settings;
  private cachedModels: CachedModel[] | undefined;
  private shownProblems = '';

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('SinkLens', { log: true });
    this.engine = new EngineClient(context.extensionPath, this.log);
    this.disposables.push(this.log, this.engine, this.settingsEmitter, this.analysisEmitter);
    this.current = this.readSettings();
    this.push(vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChange(e)));
    // Restricted Mode: VS Code hides the workspace's values of package.json's restrictedConfigurations (model
    // folders, the hub endpoint) from getConfiguration; once the user trusts the workspace they apply.
    if (!vscode.workspace.isTrusted) this.log.info(RESTRICTED_NOTE);
    this.push(vscode.workspace.onDidGrantWorkspaceTrust(() => this.onConfigChange({ affectsConfiguration: (s: string) => s.startsWith('sinklens') })));
  }

  /** Whether the workspace is in Restricted Mode (its model and hub settings are ignored). */
  get restricted(): boolean {
    return !vscode.workspace.isTrusted;
  }

  get settings(): Settings {
    return this.current;
  }

  get demoModelDir(): string {
    return path.join(this.context.extensionPath, 'models', 'sinklens-tiny');
  }

  /** Where Download Model puts models (HF cache layout). */
  get downloadRoot(): string {
    return path.join(this.context.globalStorageUri.fsPath, 'hub');
  }

  /** Models in every Hugging Face cache root (memoised until `refreshModels`). */
  cachedHubModels(): CachedModel[] {
    this.cachedModels ??= cachedHubModels(process.env, [this.downloadRoot]);
    return this.cachedModels;
  }

  refreshModels(): void {
    this.cachedModels = undefined;
    this.settingsEmitter.fire(undefined);
  }

  resolveModel(): Resolution {
    return resolveModel(this.current, {
      demoDir: this.demoModelDir,
      baseDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      cached: () => this.cachedHubModels(),
    });
  }

  /** Resolves a defaultModel value other than the selected one (a second model to compare with). */
  resolveModelValue(value: string): Resolution {
    return resolveModel({ ...this.current, defaultModel: value }, {
      demoDir: this.demoModelDir,
      baseDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      cached: () => this.cachedHubModels(),
    });
  }

  /** `logitLens` overrides the sinklens.logitLens setting for one request (undefined = the setting). */
  analyzeOptions(ablate: AnalyzeOptions['ablate'] = null, logitLens?: boolean, interventions?: AnalyzeOptions['interventions'], tokenLoss?: boolean): AnalyzeOptions {
    return analyzeOptions(this.current, ablate, logitLens, interventions, tokenLoss);
  }

  /** The cache key of `text` under the current model and settings; undefined when no model resolves. */
  keyFor(text: string, modelDir?: string, ablate: AnalyzeOptions['ablate'] = null, logitLens?: boolean, interventions?: AnalyzeOptions['interventions'], tokenLoss?: boolean): string | undefined {
    const dir = modelDir ?? (() => {
      const r = this.resolveModel();
      return r.ok ? r.model.dir : undefined;
    })();
    return dir === undefined ? undefined : resultKey(text, dir, this.analyzeOptions(ablate, logitLens, interventions, tokenLoss));
  }

  recordAnalysis(ev: AnalysisEvent): void {
    this.cache.set(ev.key, ev.result);
    this.analysisEmitter.fire(ev);
  }

  /** Writes a setting where it is currently defined (workspace beats user), defaulting to the user settings. */
  async updateSetting(key: string, value: unknown): Promise<void> {
    const cfg = vscode.workspace.getConfiguration('sinklens');
    const where = cfg.inspect(key);
    const target =
      where?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : where?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    await cfg.update(key, value, target);
  }

  push(...d: vscode.Disposable[]): void {
    this.disposables.push(...d);
  }

  dispose(): void {
    while (this.disposables.length) {
      try {
        this.disposables.pop()?.dispose();
      } catch (e) {
        console.error('SinkLens: dispose failed', e);
      }
    }
  }

  private readSettings(): Settings {
    // (In Restricted Mode the restricted settings read here are the user's own, never the workspace's.)
    const cfg = vscode.workspace.getConfiguration('sinklens');
    const { settings, problems } = readSettings((k) => cfg.get(k));
    for (const p of problems) this.log.warn(p);
    // Say it once per distinct set of problems, not on every unrelated settings change.
    const text = problems.join(' ');
    if (text !== '' && text !== this.shownProblems) void vscode.window.showWarningMessage(text);
    this.shownProblems = text;
    return settings;
  }

  private onConfigChange(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration('sinklens')) return;
    this.current = this.readSettings();
    this.cachedModels = undefined;
    if (ENGINE_RELOAD_KEYS.some((k) => e.affectsConfiguration(k))) {
      void this.engine.unloadAll();
      this.cache.clear(); // Results of the old precision or provider must not answer for the new one.
    }
    this.settingsEmitter.fire(e);
  }
}
