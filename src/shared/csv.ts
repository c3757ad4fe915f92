/**
 * CSV exports (RFC 4180: comma-separated, fields with a comma, quote or line break quoted, quotes
 * doubled, CRLF-free `\n` rows; numbers at full precision, missing values empty). Token and prompt text
 * starting with = + - @ gets a leading ' so a spreadsheet never evaluates it as a formula.
 * Pure: tables in, strings out; the CLI writes them with a provenance.json beside them, the extension's
 * export commands through a save dialog.
 */
import type { AnalysisResult } from './result';
import type { StudyResult } from './study';

type Cell = string | number | boolean | null | undefined;

export function csvField(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Text typed by a user (token pieces, ids): neutralised against spreadsheet formulas. */
export function csvText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

export function toCsv(header: readonly string[], rows: readonly Cell[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

const STATS = ['mean', 'q1', 'median', 'q3'] as const;

/** The study's tables: name -> CSV text. */
export function studyCsv(s: StudyResult): Record<string, string> {
  const metrics = ['entropy', 'entropyExclBos', 'sinkRate', 'bosNormLog10', 'bosRatio'] as const;
  const layers = toCsv(
    ['model', 'layer', 'relDepth', ...metrics.flatMap((m) => STATS.map((q) => `${m}_${q}`)), 'compressRate', 'prompts'],
    s.models.flatMap((m) => m.perLayer.map((l) => [m.name, l.layer, l.relDepth, ...metrics.flatMap((k) => STATS.map((q) => l[k][q])), l.compressRate, l.entropy.n])),
  );
  const rel = toCsv(
    ['model', 'relDepth', ...(['entropy', 'sinkRate', 'bosNormLog10'] as const).flatMap((m) => STATS.map((q) => `${m}_${q}`))],
    s.relativeDepth.models.flatMap((m) => s.relativeDepth.grid.map((g, i) => [m.name, g, ...[m.entropy, m.sinkRate, m.bosNormLog10].flatMap((st) => STATS.map((q) => st[i]?.[q]))])),
  );
  const prompts = toCsv(
    ['model', 'prompt', 'source', 'tokens', 'truncated', 'valley', 'valleyLayer', 'valleyDepth', 'spikeBlocks', 'maxSinkRate', 'meanSinkMass', 'maxBosRatio'],
    s.models.flatMap((m) => m.prompts.map((p) => [m.name, csvText(p.id), p.source, p.tokens, p.truncated, p.valleyLayer !== null, p.valleyLayer, p.valleyDepth, p.summary.spikeBlocks.join(' '), p.summary.maxSinkRate, p.summary.meanSinkMass, p.summary.maxBosRatio])),
  );
  const promptLayers = toCsv(
    ['model', 'prompt', 'layer', 'relDepth', 'entropy', 'entropyExclBos', 'sinkRate', 'bosNormLog10', 'bosRatio', 'phase'],
    s.models.flatMap((m) => m.prompts.flatMap((p) => p.curves.entropy.map((e, l) => [m.name, csvText(p.id), l, l / m.layers, e, p.curves.entropyExclBos[l], p.curves.sinkRate[l], p.curves.bosNormLog10[l], p.curves.bosRatio[l], p.phases[l]]))),
  );
  const tokens = toCsv(
    ['model', 'prompt', 'index', 'text', 'start', 'end', 'special', 'sinkMass'],
    s.models.flatMap((m) => m.prompts.flatMap((p) => p.tokenTable.map((t, i) => [m.name, csvText(p.id), i, csvText(t.text), t.start, t.end, t.special, t.sinkMass]))),
  );
  const heads = toCsv(
    ['model', 'prompt', 'block', 'layer', 'head', 'sinkScore'],
    s.models.flatMap((m) => m.prompts.flatMap((p) => p.headSinkScores.flatMap((hs, b) => hs.map((v, h) => [m.name, csvText(p.id), b, b + 1, h, v])))),
  );
  return { 'layers.csv': layers, 'relative_depth.csv': rel, 'prompts.csv': prompts, 'prompt_layers.csv': promptLayers, 'tokens.csv': tokens, 'heads.csv': heads };
}

/** One analysis's tables: per layer, per token (sink mass per layer), per head. */
export function analysisCsv(r: AnalysisResult): Record<string, string> {
  const L = r.baseline.layers;
  const phaseOf = (l: number): string | null => r.baseline.phases.bands.find((b) => l >= b.start && l <= b.end)?.phase ?? null;
  // Learned sinks (gpt-oss): one more column at the end of layers.csv and heads.csv, only when the model has them.
  const learned = L.some((m) => m.learnedSinkShare !== undefined && m.learnedSinkShare !== null);
  const layers = toCsv(
    ['layer', 'bosNorm', 'medianOtherNorm', 'bosRatio', 'entropy', 'entropyRaw', 'entropyExclBos', 'anisotropy', 'anisotropyLowerBound', 'entropyUpperBound', 'sinkRate', 'mixing', 'massiveMaxAbs', 'massiveRelative', 'phase', ...(learned ? ['learnedSinkShare'] : [])],
    L.map((m) => [m.layer, m.bosNorm, m.medianOtherNorm, m.bosRatio, m.entropy, m.entropyRaw, m.entropyExclBos, m.anisotropy, m.anisotropyLowerBound, m.entropyUpperBound, m.sinkRate, m.mixing, m.massive.maxAbs, m.massive.relative, phaseOf(m.layer), ...(learned ? [m.learnedSinkShare ?? null] : [])]),
  );
  const tokens = toCsv(
    ['index', 'id', 'text', 'start', 'end', 'special', ...L.slice(1).map((m) => `sinkMass_h${m.layer}`), ...L.map((m) => `norm_h${m.layer}`)],
    r.tokens.map((t, i) => [t.index, t.id, csvText(t.text), t.start, t.end, t.special, ...L.slice(1).map((m) => m.tokenSinkMass?.[i]), ...L.map((m) => m.norms[i])]),
  );
  const heads = toCsv(
    ['block', 'layer', 'head', 'sinkScore', ...(learned ? ['learnedSinkShare'] : [])],
    L.slice(1).flatMap((m) => (m.headSinkScores ?? []).map((v, h) => [m.layer - 1, m.layer, h, v, ...(learned ? [m.learnedSinkHeads?.[h] ?? null] : [])])),
  );
  return { 'layers.csv': layers, 'tokens.csv': tokens, 'heads.csv': heads };
}
