/**
 * Structural checks of the data the panel renders (`AnalysisResult`, `AttentionMap`), used by
 * `validatePanelMessage`. They check exactly what the webview dereferences, so that a malformed
 * message is rejected at the boundary instead of failing half-way through a render. Each check
 * returns null when the value is fine, else a short reason with the path of the offending field.
 */
import { RESULT_SCHEMA_VERSION } from '../result';

export type Check = (v: unknown) => string | null;

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Prefixes a child's reason with its key or index: `.a.b[3]: expected a number`. */
function under(key: string, why: string): string {
  return why.startsWith('.') || why.startsWith('[') ? `${key}${why}` : `${key}: ${why}`;
}

/** Top-level form of a reason (without the leading dot). */
export function reason(why: string): string {
  return why.startsWith('.') ? why.slice(1) : why;
}

export const num: Check = (v) => (typeof v === 'number' && !Number.isNaN(v) ? null : 'expected a number');
export const int: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? null : 'expected a non-negative integer');
export const str: Check = (v) => (typeof v === 'string' ? null : 'expected a string');
export const bool: Check = (v) => (typeof v === 'boolean' ? null : 'expected a boolean');
export const nullable =
  (c: Check): Check =>
  (v) =>
    v === null ? null : c(v);
export const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? null : `expected one of ${values.join('|')}`;

export function fields(shape: Record<string, Check>): Check {
  return (v) => {
    if (!isObj(v)) return 'expected an object';
    for (const [k, check] of Object.entries(shape)) {
      const why = check(v[k]);
      if (why !== null) return under(`.${k}`, why);
    }
    return null;
  };
}

export function arrayOf(c: Check, length?: (n: number) => string | null): Check {
  return (v) => {
    if (!Array.isArray(v)) return 'expected an array';
    const tooMany = length?.(v.length) ?? null;
    if (tooMany !== null) return tooMany;
    for (let i = 0; i < v.length; i++) {
      const why = c(v[i]);
      if (why !== null) return under(`[${i}]`, why);
    }
    return null;
  };
}

/** Number arrays are the bulk of a result; a plain loop keeps the check cheap. */
const numbers: Check = (v) => {
  if (!Array.isArray(v)) return 'expected an array of numbers';
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number') return `[${i}]: expected a number`;
  return null;
};

/**
 * Numbers that JSON may have turned into null: a layer whose hidden state holds NaN/Inf (a
 * `nonFinite` warning names it) has NaN norms and ratios, which JSON writes as null. The panel
 * draws those as gaps rather than rejecting the whole result.
 */
const numOrNull: Check = nullable(num);
const numbersOrNulls: Check = (v) => {
  if (!Array.isArray(v)) return 'expected an array of numbers';
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number' && v[i] !== null) return `[${i}]: expected a number or null`;
  return null;
};

const optionalBool: Check = (v) => (v === undefined ? null : bool(v));
const token = fields({ index: int, id: int, text: str, start: int, end: int, special: bool, template: optionalBool });

const massive = fields({
  top: arrayOf(fields({ token: int, dim: int, value: numOrNull })),
  maxAbs: numOrNull,
  medianAbs: numOrNull,
  relative: numOrNull,
  absoluteCount: int,
  relativeCount: int,
});

/** The logit lens of one layer: per-token top-1 ids and texts (checked against T below), and its mean CE. */
// crossEntropy may arrive as null: a one-token prompt has no next token (NaN, which JSON turns into null).
const logitLens = fields({ top1: numbers, top1Text: arrayOf(str), crossEntropy: (v) => (v === null ? null : typeof v === 'number' ? null : 'expected a number') });
const optionalLens: Check = (v) => (v === undefined || v === null ? null : logitLens(v));

const bosWrite = fields({ attnNorm: numOrNull, mlpNorm: numOrNull, attnShare: numOrNull, mlpShare: numOrNull, normChange: numOrNull });

// Every number of a layer may be null where a NaN/Inf hidden state made it NaN (see numOrNull).
const layer = fields({
  layer: int,
  norms: numbersOrNulls,
  bosNorm: numOrNull,
  medianOtherNorm: numOrNull,
  bosRatio: numOrNull,
  entropy: numOrNull,
  entropyExclBos: numOrNull,
  anisotropy: numOrNull,
  bounded: fields({ anisotropy: numOrNull, entropy: numOrNull }),
  anisotropyLowerBound: numOrNull,
  entropyUpperBound: numOrNull,
  massive,
  headSinkScores: nullable(numbersOrNulls),
  sinkRate: numOrNull,
  headsAtChance: nullable(arrayOf(int)),
  tokenSinkMass: nullable(numbersOrNulls),
  mixing: numOrNull,
  otherMass: numOrNull,
  bosWrite: nullable(bosWrite),
  logitLens: optionalLens,
  learnedSinkHeads: (v) => (v === undefined || v === null ? null : numbersOrNulls(v)),
  learnedSinkShare: (v) => (v === undefined ? null : numOrNull(v)),
});

const strength = fields({ valleyDepth: numOrNull, bosRatio: numOrNull, sinkRate: numOrNull, mixing: numOrNull });

const phases = fields({
  valley: bool,
  informative: bool,
  causeLabel: nullable(str),
  bands: arrayOf(
    fields({
      phase: oneOf('mix', 'compress', 'refine'),
      start: int,
      end: int,
      evidence: arrayOf(str),
      strength,
    }),
  ),
  minLayer: int,
  minEntropy: numOrNull,
  signals: arrayOf(str),
});

/** An optional field: absent (results saved before it existed) or null, else checked. */
const optional =
  (c: Check): Check =>
  (v) =>
    v === undefined || v === null ? null : c(v);

// A run's next-token loss: -log p per predicted position (NaN/Inf become null in JSON, drawn as gaps).
const tokenLoss = fields({ perPosition: numbersOrNulls, mean: numOrNull });
const topToken = fields({ id: int, text: str, logit: numOrNull, prob: numOrNull });

const run = fields({
  layers: arrayOf(layer, (n) => (n > 0 ? null : 'expected at least one layer')),
  phases,
  spikeBlocks: arrayOf(int),
  recurringDims: arrayOf(fields({ dim: int, layers: arrayOf(int), maxAbs: numOrNull, test: oneOf('absolute', 'relative') })),
  chanceSinkScore: num,
  informative: bool,
  mixingQueries: int,
  spikeWriter: nullable(fields({ block: int, component: oneOf('attn', 'mlp'), share: numOrNull })),
  lastTopK: arrayOf(topToken),
  tokenLoss: optional(tokenLoss),
});

const model = fields({ name: str, arch: str, modelType: str, layers: int, heads: int, hiddenSize: int, dtype: str, params: num });

const settings = fields({
  prependBos: str,
  bosPrepended: bool,
  maxTokens: int,
  truncated: bool,
  tau: num,
  entropy: fields({ alpha: num, excludeBos: bool, center: bool, rowNormalize: bool }),
  ablate: nullable(arrayOf(int)),
  ablateTarget: oneOf('mlp', 'attn'),
  notes: arrayOf(str),
});

const intervention: Check = (v) =>
  isObj(v) && v.target === 'head'
    ? fields({ block: int, head: int, op: oneOf('zero') })(v)
    : fields({
        target: oneOf('mlp', 'attn'),
        blocks: arrayOf(int),
        position: (p) => (p === 'bos' ? null : int(p)),
        op: oneOf('zero', 'mean', 'scale'),
        factor: (f) => (f === undefined ? null : num(f)),
      })(v);

/** A non-empty list of interventions (the panel's request; at most 16). */
export const interventionList: Check = arrayOf(intervention, (n) => (n > 0 && n <= 16 ? null : 'expected 1 to 16 interventions'));

const lossChange = fields({
  before: numbersOrNulls,
  after: numbersOrNulls,
  delta: numbersOrNulls,
  meanBefore: numOrNull,
  meanAfter: numOrNull,
  meanDelta: numOrNull,
  mostAffected: arrayOf(fields({ position: int, delta: numOrNull })),
});

const topKChange = fields({ before: arrayOf(topToken), after: arrayOf(topToken), top1Changed: bool, entered: arrayOf(int), left: arrayOf(int) });

const ablation = fields({
  blocks: arrayOf(int),
  target: oneOf('mlp', 'attn'),
  run,
  effect: fields({ spikeRemoved: bool, valleyRemoved: bool, sinkRateBefore: num, sinkRateAfter: num }),
  interventions: optional(arrayOf(intervention)),
  loss: optional(lossChange),
  topK: optional(topKChange),
});

const resultShape = fields({
  schemaVersion: (v) => (v === RESULT_SCHEMA_VERSION ? null : `unsupported schemaVersion (expected ${RESULT_SCHEMA_VERSION})`),
  input: fields({ text: str }),
  tokens: arrayOf(token),
  model,
  settings,
  baseline: run,
  ablation: nullable(ablation),
  summary: fields({ tokens: int, informative: bool, chanceSinkScore: num }),
  warnings: arrayOf(fields({ code: str, message: str })),
  timings: fields({ totalMs: num }),
});

/** Also checks that per-token arrays match the token count, since the strip indexes them by token. */
export const checkAnalysisResult: Check = (v) => {
  const why = resultShape(v);
  if (why !== null) return reason(why);
  const r = v as {
    tokens: unknown[];
    baseline: { layers: { norms: unknown[]; tokenSinkMass: unknown[] | null; logitLens?: { top1: unknown[]; top1Text: unknown[] } | null }[]; tokenLoss?: { perPosition: unknown[] } | null };
    ablation: { loss?: { before: unknown[]; after: unknown[]; delta: unknown[] } | null } | null;
  };
  const T = r.tokens.length;
  const predicted = Math.max(0, T - 1);
  const loss = r.baseline.tokenLoss;
  if (loss && loss.perPosition.length !== predicted) return `baseline.tokenLoss: perPosition has ${loss.perPosition.length} entries for ${T} tokens (expected ${predicted})`;
  const change = r.ablation?.loss;
  if (change && [change.before, change.after, change.delta].some((xs) => xs.length !== predicted)) return `ablation.loss: expected ${predicted} entries per array for ${T} tokens`;
  for (const l of r.baseline.layers) {
    if (l.norms.length !== T) return `baseline.layers: norms has ${l.norms.length} entries for ${T} tokens`;
    if (l.tokenSinkMass && l.tokenSinkMass.length !== T) return `baseline.layers: tokenSinkMass has ${l.tokenSinkMass.length} entries for ${T} tokens`;
    const lens = l.logitLens;
    if (lens && (lens.top1.length !== T || lens.top1Text.length !== T)) return `baseline.layers: logitLens has ${lens.top1.length}/${lens.top1Text.length} entries for ${T} tokens`;
  }
  return null;
};

export const checkAttentionMap: Check = (v) => {
  const why = fields({ block: int, head: int, tokens: int, data: numbers })(v);
  if (why !== null) return reason(why);
  const m = v as { tokens: number; data: number[] };
  return m.data.length === m.tokens * m.tokens ? null : `data has ${m.data.length} entries, expected tokens^2 = ${m.tokens * m.tokens}`;
};

const forwardLayer = fields({
  layer: int,
  norms: numbersOrNulls,
  bosNorm: numOrNull,
  medianOtherNorm: numOrNull,
  bosRatio: numOrNull,
  headSinkScores: nullable(numbersOrNulls),
  sinkRate: numOrNull,
  tokenSinkMass: nullable(numbersOrNulls),
});

const partialShape = fields({
  schemaVersion: (v) => (v === RESULT_SCHEMA_VERSION ? null : `unsupported schemaVersion (expected ${RESULT_SCHEMA_VERSION})`),
  input: fields({ sha256: str }),
  tokens: arrayOf(token),
  model,
  layers: arrayOf(forwardLayer, (n) => (n > 0 ? null : 'expected at least one layer')),
  spikeBlocks: arrayOf(int),
});

/** The forward's metrics sent before the spectra (PartialResult); per-token arrays must match T, as in a result. */
export const checkPartialResult: Check = (v) => {
  const why = partialShape(v);
  if (why !== null) return why;
  const r = v as { tokens: unknown[]; layers: { norms: unknown[]; tokenSinkMass: unknown[] | null }[] };
  const T = r.tokens.length;
  for (const l of r.layers) {
    if (l.norms.length !== T) return `layers: norms has ${l.norms.length} entries for ${T} tokens`;
    if (l.tokenSinkMass && l.tokenSinkMass.length !== T) return `layers: tokenSinkMass has ${l.tokenSinkMass.length} entries for ${T} tokens`;
  }
  return null;
};

/** One layer's entropy figures as its spectrum completes (SpectralLayerMetrics). */
export const checkSpectralLayer: Check = fields({
  layer: int,
  entropy: numOrNull,
  entropyRaw: numOrNull,
  entropyExclBos: numOrNull,
  anisotropy: numOrNull,
  anisotropyLowerBound: numOrNull,
  entropyUpperBound: numOrNull,
});
