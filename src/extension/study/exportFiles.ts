/**
 * What an export writes, vscode-free (unit-tested): the CSV tables of a study or of one analysis (the
 * shared writers of src/shared/csv.ts, the same as `sinklens study --csv`), the JSON result, a chart's PNG,
 * and the provenance written beside every CSV and PNG (`<file>.provenance.json`: SinkLens version, models
 * with weight sha256, tokenizer, settings, time). The JSON results carry their provenance inside.
 */
import { chartSvg, type SvgChartSpec } from '../../shared/chartSvg';
import { analysisCsv, studyCsv } from '../../shared/csv';
import type { AnalysisResult } from '../../shared/result';
import type { StudyResult } from '../../shared/study';

export type StudyTable = 'layers' | 'prompts' | 'tokens' | 'heads';
export type AnalysisTable = 'layers' | 'tokens' | 'heads';

export interface ExportFile {
  /** Suggested file name in the save dialog. */
  name: string;
  content: string | Uint8Array;
  /** Written beside the file as `<file>.provenance.json`; null when the file carries its provenance. */
  provenance: object | null;
}

const STUDY_TABLE_FILE: Record<StudyTable, string> = { layers: 'layers.csv', prompts: 'prompts.csv', tokens: 'tokens.csv', heads: 'heads.csv' };

export function studyCsvExport(s: StudyResult, table: StudyTable): ExportFile {
  const file = STUDY_TABLE_FILE[table];
  const content = studyCsv(s)[file];
  if (content === undefined) throw new Error(`no study table ${table}`);
  return { name: `study-${file}`, content, provenance: s.provenance };
}

export function studyJsonExport(s: StudyResult): ExportFile {
  return { name: 'study.json', content: `${JSON.stringify(s, null, 2)}\n`, provenance: null };
}

export function analysisCsvExport(r: AnalysisResult, table: AnalysisTable, version: string, tokenizerSha256: string | null): ExportFile {
  const content = analysisCsv(r)[`${table}.csv`];
  if (content === undefined) throw new Error(`no analysis table ${table}`);
  return { name: `sinklens-${table}.csv`, content, provenance: analysisProvenance(r, version, tokenizerSha256) };
}

/** The result as the CLI's `--json` writes it, with the exporting SinkLens version added. */
export function analysisJsonExport(r: AnalysisResult, version: string, tokenizerSha256: string | null): ExportFile {
  return { name: 'sinklens-result.json', content: `${JSON.stringify({ ...r, provenance: analysisProvenance(r, version, tokenizerSha256) }, null, 2)}\n`, provenance: null };
}

/** A chart image from chart.js's `toBase64Image` (a `data:image/png;base64,` URL). */
export function pngExport(name: string, dataUrl: string, provenance: object): ExportFile {
  const prefix = 'data:image/png;base64,';
  if (!dataUrl.startsWith(prefix)) throw new Error('a chart image must be a PNG data URL');
  const bytes = Uint8Array.from(Buffer.from(dataUrl.slice(prefix.length), 'base64'));
  if (bytes.length < 8 || bytes[0] !== 0x89 || bytes[1] !== 0x50) throw new Error('the chart image is not a PNG');
  return { name, content: bytes, provenance };
}

/** One chart as SVG: the provenance inside the file (`<desc>`, `<metadata>`) and in `<file>.provenance.json`. */
export function svgExport(name: string, spec: SvgChartSpec, provenance: object): ExportFile {
  return { name, content: chartSvg(spec, provenance as Record<string, unknown>), provenance };
}

export function analysisProvenance(r: AnalysisResult, version: string, tokenizerSha256: string | null): object {
  return {
    sinklensVersion: version,
    createdAt: r.createdAt,
    exportedAt: new Date().toISOString(),
    input: { sha256: r.input.sha256, chars: r.input.text.length },
    model: { name: r.model.name, dir: r.model.dir, weights: r.model.files.map((f) => ({ name: f.name, sha256: f.sha256 })), precision: r.model.precision ?? null },
    tokenizer: tokenizerSha256 === null ? null : { file: 'tokenizer.json', sha256: tokenizerSha256 },
    settings: r.settings,
  };
}
