/**
 * Export files of the CLI: a folder of CSV tables with a provenance.json beside them (SinkLens
 * version, model name and weight sha256s, tokenizer sha256, settings, time), for `analyze --csv` and
 * `study|report --csv`. The study's JSON carries the same provenance in its `provenance` field.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AnalysisResult } from '../../shared/result';
import { analysisCsv } from '../study/csv';
import { tokenizerSha } from '../study/run';
import { UsageError } from './args';

/** Writes `tables` (file name -> CSV text) and provenance.json into `dir` (created if missing). Returns the paths. */
export function writeCsvDir(dir: string, tables: Record<string, string>, provenance: unknown): string[] {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--csv ${dir}: not a folder.`);
  mkdirSync(dir, { recursive: true });
  const written = Object.entries(tables).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
  writeFileSync(join(dir, 'provenance.json'), `${JSON.stringify(provenance, null, 1)}\n`);
  return [...written, join(dir, 'provenance.json')];
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
