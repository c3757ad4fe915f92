/**
 * Export files of the CLI: a folder of CSV tables, or of charts as standalone SVG files, with a
 * provenance.json beside them (SinkLens version, model name and weight sha256s, tokenizer sha256,
 * settings, time), for `analyze --csv|--svg` and `study|report --csv|--svg`. Each SVG also carries the
 * provenance inside (`<desc>`, `<metadata>`). The study's JSON carries it in its `provenance` field.
 * No PNG here: rasterising in Node needs a native canvas; the panel and the study view export PNG.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AnalysisResult } from '../../shared/result';
import type { StudyResult } from '../../shared/study';
import { analysisCharts, studySummaryCharts, type NamedChart } from '../report/charts';
import { standaloneSvg } from '../report/standalone';
import { analysisCsv } from '../study/csv';
import { tokenizerSha } from '../study/run';
import { UsageError } from './args';

/** Writes `tables` (file name -> CSV text) and provenance.json into `dir` (created if missing). Returns the paths. */
export function writeCsvDir(dir: string, tables: Record<string, string>, provenance: unknown, flag = 'csv'): string[] {
  checkOutDir(flag, dir);
  mkdirSync(dir, { recursive: true });
  const written = Object.entries(tables).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
  writeFileSync(join(dir, 'provenance.json'), `${JSON.stringify(provenance, null, 1)}\n`);
  return [...written, join(dir, 'provenance.json')];
}

/** An export folder must be a folder or not exist yet (then it is created): a file there is a usage error (exit 2). */
export function checkOutDir(flag: string, dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--${flag} ${dir}: a file is there, not a folder; give a folder (created if missing).`);
}

/** Writes each chart as a standalone SVG (the provenance inside) and provenance.json into `dir`. Returns the paths. */
export function writeSvgDir(dir: string, charts: readonly NamedChart[], provenance: unknown): string[] {
  const prov = provenance as Record<string, unknown>;
  return writeCsvDir(dir, Object.fromEntries(charts.map((c) => [c.file, standaloneSvg(c, prov)])), provenance, 'svg');
}

/** `analyze --svg DIR`: the per-layer charts of one analysis. */
export function writeAnalysisSvg(dir: string, r: AnalysisResult, version: string): string[] {
  return writeSvgDir(dir, analysisCharts(r), analysisProvenance(r, version));
}

/** `study|report --svg DIR`: the study's three panels on relative depth. */
export function writeStudySvg(dir: string, s: StudyResult): string[] {
  return writeSvgDir(dir, studySummaryCharts(s), s.provenance);
}

/** Provenance of one analysis (the result itself echoes the settings and the model's files). */
export function analysisProvenance(r: AnalysisResult, version: string): unknown {
  const tok = tokenizerSha(r.model.dir);
  return {
    sinklensVersion: version,
    createdAt: r.createdAt,
    input: { sha256: r.input.sha256, chars: r.input.text.length, tokens: r.tokens.length },
    model: { name: r.model.name, dir: r.model.dir, weights: r.model.files.map((f) => ({ name: f.name, sha256: f.sha256 })), tokenizer: tok === null ? null : { file: 'tokenizer.json', sha256: tok } },
    settings: r.settings,
    host: { node: process.version, platform: `${process.platform}-${process.arch}` },
  };
}

/** `analyze --csv DIR`: per-layer, per-token and per-head tables of one analysis. */
export function writeAnalysisCsv(dir: string, r: AnalysisResult, version: string): string[] {
  return writeCsvDir(dir, analysisCsv(r), analysisProvenance(r, version));
}

/** The installed package's root (package.json named sinklens), from dist/ or from the sources. */
export function packageRoot(): string {
  let d = __dirname;
  for (let i = 0; i < 6; i++) {
    const pj = join(d, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'sinklens') return d;
      } catch {
        // Not ours; keep walking up.
      }
    }
    d = dirname(d);
  }
  return dirname(__dirname);
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
