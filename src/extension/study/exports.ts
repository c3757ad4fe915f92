/**
 * Export commands and the study view's export buttons: a save dialog (skipped when a target is given:
 * scripts and tests), the file, and `<file>.provenance.json` beside CSVs and PNGs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SvgChartSpec } from '../../shared/chartSvg';
import { SinkLensError } from '../../shared/errors';
import type { StudyExportRequest } from '../../shared/protocol/study';
import type { AnalysisResult } from '../../shared/result';
import type { StudyResult } from '../../shared/study';
import type { Ctx } from '../ctx';
import type { PanelHost } from '../panel/panelHost';
import { analysisCsvExport, analysisJsonExport, analysisProvenance, pngExport, studyCsvExport, svgExport, studyJsonExport, type AnalysisTable, type ExportFile } from './exportFiles';

export function versionOf(ctx: Ctx): string {
  return String((ctx.context.extension.packageJSON as { version?: unknown }).version ?? 'unknown');
}

/** Writes `file` (and its provenance) to `target`, or where the user picks; returns the path, undefined when dismissed. */
export async function saveExport(file: ExportFile, target?: string): Promise<string | undefined> {
  let out = target;
  if (out === undefined) {
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd());
    const ext = path.extname(file.name).slice(1);
    const picked = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(base, file.name), filters: { [ext.toUpperCase()]: [ext] }, title: `SinkLens: save ${file.name}` });
    out = picked?.fsPath;
  }
  if (out === undefined) return undefined;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, file.content);
  if (file.provenance) fs.writeFileSync(`${out}.provenance.json`, `${JSON.stringify(file.provenance, null, 2)}\n`);
  return out;
}

export async function exportStudy(ctx: Ctx, study: StudyResult, req: StudyExportRequest, target?: string): Promise<string | undefined> {
  const file =
    req.kind === 'json'
      ? studyJsonExport(study)
      : req.kind === 'csv'
        ? studyCsvExport(study, req.table)
        : req.kind === 'svg'
          ? svgExport(req.name, req.spec, study.provenance)
          : pngExport(req.name, req.dataUrl, study.provenance);
  const out = await saveExport(file, target);
  if (out) ctx.log.info(`exported ${out}`);
  return out;
}

const TABLES: AnalysisTable[] = ['layers', 'tokens', 'heads'];

/**
 * `sinklens.exportCsv` / `sinklens.exportJson`: the shown analysis' tables or JSON. Optional args (table,
 * target path) skip the pickers.
 */
export async function exportAnalysis(ctx: Ctx, panel: PanelHost, kind: 'csv' | 'json', table?: unknown, target?: unknown): Promise<string | undefined> {
  const r = panel.shown()?.result;
  if (!r) throw new SinkLensError('badRequest', 'Analyze a prompt first; the export writes the result the panel shows.');
  const tok = tokenizerSha(r.model.dir);
  let file: ExportFile;
  if (kind === 'json') file = analysisJsonExport(r, versionOf(ctx), tok);
  else {
    const t = TABLES.includes(table as AnalysisTable) ? (table as AnalysisTable) : await pickTable();
    if (!t) return undefined;
    file = analysisCsvExport(r, t, versionOf(ctx), tok);
  }
  const out = await saveExport(file, typeof target === 'string' ? target : undefined);
  if (out) ctx.log.info(`exported ${out}`);
  return out;
}

/** One chart of the panel as PNG, with the shown result's provenance beside it. */
export async function saveChartPng(ctx: Ctx, name: string, dataUrl: string, r: AnalysisResult, target?: string): Promise<string | undefined> {
  const out = await saveExport(pngExport(name, dataUrl, analysisProvenance(r, versionOf(ctx), tokenizerSha(r.model.dir))), target);
  if (out) ctx.log.info(`exported ${out}`);
  return out;
}

/** One chart of the panel as SVG, the shown result's provenance inside it and beside it. */
export async function saveChartSvg(ctx: Ctx, name: string, spec: SvgChartSpec, r: AnalysisResult, target?: string): Promise<string | undefined> {
  const out = await saveExport(svgExport(name, spec, analysisProvenance(r, versionOf(ctx), tokenizerSha(r.model.dir))), target);
  if (out) ctx.log.info(`exported ${out}`);
  return out;
}

async function pickTable(): Promise<AnalysisTable | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'layers', description: 'one row per hidden state h[l]: norms, entropy, sink rate, phase' },
      { label: 'tokens', description: 'one row per token: offsets, sink mass per layer, norms' },
      { label: 'heads', description: 'one row per (block, head): sink score' },
    ],
    { title: 'SinkLens: export which table as CSV?' },
  );
  return pick?.label as AnalysisTable | undefined;
}

function tokenizerSha(dir: string): string | null {
  const f = path.join(dir, 'tokenizer.json');
  try {
    return createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  } catch {
    return null;
  }
}
