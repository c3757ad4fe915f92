/**
 * The API activate() returns (for the extension-host tests and other extensions). Every call goes
 * through the real pipeline: settings -> AnalysisController -> engine child process.
 */
import type { AnalysisResult } from '../shared/result';
import type { AnalysisController } from './analysisController';
import type { Ctx } from './ctx';
import type { PanelHost } from './panel/panelHost';
import type { PreloadState } from './preload';
import type { StudyView, StudyViewState } from './study/studyView';

export interface PanelState {
  open: boolean;
  ready: boolean;
  tokens: number;
}

export interface SinkLensApi {
  analyzeText(text: string, opts?: { modelDir?: string }): Promise<AnalysisResult>;
  /** pid of the current engine child (undefined if none). */
  enginePid(): number | undefined;
  /** The configured model's folder ('' when the setting does not resolve). */
  currentModelDir(): string;
  lastResult(): AnalysisResult | undefined;
  panelState(): PanelState;
  /**
   * For tests only (read-only): how many sink-heat decoration ranges SinkLens has set on the visible editors of
   * `uri` (a document URI string); 0 when none, e.g. after an edit cleared them.
   */
  decorationCount(uri: string): number;
  /** For tests (read-only): whether the study view is open and what its three panels and table drew. */
  studyViewState(): StudyViewState;
  /** For tests (read-only): what the model preload (`sinklens.preloadModel`) did last. */
  preloadState(): PreloadState;
}

export function makeApi(
  ctx: Ctx,
  controller: AnalysisController,
  panel: PanelHost,
  decorationCount: (uri: string) => number,
  study: StudyView,
  preloadState: () => PreloadState,
): SinkLensApi {
  return {
    analyzeText: (text, opts) =>
      controller.analyze({ text, uri: undefined, offset: 0 }, { progress: 'window', ...(opts?.modelDir ? { modelDir: opts.modelDir } : {}) }),
    enginePid: () => ctx.engine.pid,
    currentModelDir: () => {
      const r = ctx.resolveModel();
      return r.ok ? r.model.dir : '';
    },
    lastResult: () => panel.shown()?.result,
    panelState: () => panel.state(),
    decorationCount,
    studyViewState: () => study.state(),
    preloadState,
  };
}
