/**
 * Extension <-> study view (webview panel 'sinklens.study'). The view asks for its study once it runs
 * (StudyViewReady, answered by StudyShow); rows open a prompt's analysis in the panel (StudyOpenPrompt); after
 * drawing, the view reports what its three panels and its table hold (StudyRendered: for the log and the
 * extension-host tests); export buttons ask the host to save a file (StudyExport).
 * The study itself is never interpolated into HTML: it travels only by postMessage.
 */
import type { StudyResult } from '../study';
import { Command, Notification, type Msg } from './messages';
import { isObj } from './panelSchema';
import { svgSpecProblem, type SvgChartSpec } from '../chartSvg';

export const StudyViewReady = new Command<Record<string, never>>('study/ready');
export const StudyOpenPrompt = new Command<{ modelIndex: number; promptIndex: number }>('study/openPrompt');
/** Per panel: the metric, how many model curves and how many points per curve were drawn. */
export interface StudyRenderReport {
  axis: 'layer' | 'relative';
  panels: { metric: string; series: number; points: number }[];
  rows: number;
}
export const StudyRendered = new Command<StudyRenderReport>('study/rendered');
/** `png`: one chart's image (a data: URL from chart.js's toBase64Image), saved under `name`. */
export type StudyExportRequest =
  | { kind: 'json' }
  | { kind: 'csv'; table: 'layers' | 'prompts' | 'tokens' | 'heads' }
  | { kind: 'png'; name: string; dataUrl: string }
  /** `svg`: one chart read into a spec (shared/chartSvg.ts); the host writes it with the study's provenance. */
  | { kind: 'svg'; name: string; spec: SvgChartSpec };
export const StudyExport = new Command<StudyExportRequest>('study/export');

export const StudyShow = new Notification<{ study: StudyResult }>('study/show');

const nonNegInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Validates a message from the study view; null when it is not one the host serves. */
export function readStudyViewMessage(raw: unknown): Msg | null {
  if (!isObj(raw) || typeof raw['method'] !== 'string' || !isObj(raw['params'])) return null;
  const m = raw as unknown as Msg<Record<string, unknown>>;
  const p = m.params;
  if (StudyViewReady.is(m)) return m;
  if (StudyOpenPrompt.is(m)) return nonNegInt(p['modelIndex']) && nonNegInt(p['promptIndex']) ? m : null;
  if (StudyRendered.is(m)) return Array.isArray(p['panels']) && nonNegInt(p['rows']) ? m : null;
  if (StudyExport.is(m)) return isExport(p) ? m : null;
  return null;
}

const CSV_TABLES = ['layers', 'prompts', 'tokens', 'heads'];

function isExport(p: Record<string, unknown>): boolean {
  if (p['kind'] === 'json') return true;
  if (p['kind'] === 'csv') return typeof p['table'] === 'string' && CSV_TABLES.includes(p['table']);
  if (p['kind'] === 'svg') return typeof p['name'] === 'string' && svgSpecProblem(p['spec']) === null;
  return p['kind'] === 'png' && typeof p['name'] === 'string' && typeof p['dataUrl'] === 'string' && p['dataUrl'].startsWith('data:image/png;base64,');
}
