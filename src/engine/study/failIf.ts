/**
 * `--fail-if` conditions for CI: a tiny grammar over the per-prompt metrics of a study.
 *
 *   condition := metric OP number                     same as any(metric OP number)
 *              | AGG '(' metric ')' OP number          AGG: mean | median | min | max over the prompts
 *              | any '(' metric OP number ')'          true when the test holds for at least one prompt
 *              | all '(' metric OP number ')'          true when it holds for every prompt
 *              | fraction '(' metric OP number ')' OP number   the share of prompts (0..1) passing the test
 *   OP      := >  >=  <  <=  ==  !=
 *   number  := a decimal like 0.9, 100, 1e-3, -2
 *
 * Metrics (per prompt): see FAIL_IF_METRICS. Prompts where a metric has no value (valleyLayer without
 * a valley) are left out of it. A condition is checked for each model; the run fails (exit 4) when
 * any condition holds for any model.
 */
import { SinkLensError } from '../../shared/errors';
import type { PromptRecord } from '../../shared/study';

export const FAIL_IF_METRICS: Record<string, { help: string; of: (r: PromptRecord) => number | null }> = {
  maxSinkRate: { help: 'largest per-layer sink rate (fraction of heads with attention to BOS >= tau)', of: (r) => r.summary.maxSinkRate },
  meanSinkMass: { help: 'mean attention to BOS over tokens, heads and layers', of: (r) => r.summary.meanSinkMass },
  maxBosRatio: { help: 'largest BOS norm / median other-token norm', of: (r) => r.summary.maxBosRatio },
  maxBosNorm: { help: 'largest BOS hidden-state norm', of: (r) => 10 ** Math.max(...r.curves.bosNormLog10) },
  minEntropy: { help: 'smallest normalised matrix entropy over layers', of: (r) => Math.min(...r.curves.entropy.filter((e): e is number => e !== null)) },
  valleyDepth: { help: 'depth of the compression valley in normalised entropy (0 without a valley)', of: (r) => r.valleyDepth },
  valley: { help: '1 when the prompt has a compression valley, else 0', of: (r) => (r.valleyLayer === null ? 0 : 1) },
  valleyLayer: { help: 'h index of the valley minimum (prompts with a valley)', of: (r) => r.valleyLayer },
  valleyRelDepth: { help: 'relative depth l/L of the valley minimum (prompts with a valley)', of: (r) => (r.valleyLayer === null ? null : r.valleyLayer / Math.max(r.curves.entropy.length - 1, 1)) },
  spikes: { help: 'number of BOS-norm spike blocks', of: (r) => r.summary.spikeBlocks.length },
  tokens: { help: 'number of tokens analysed', of: (r) => r.tokens },
};

export type Op = '>' | '>=' | '<' | '<=' | '==' | '!=';
type Agg = 'mean' | 'median' | 'min' | 'max';
type Quant = 'any' | 'all' | 'fraction';

export type FailIf =
  | { kind: 'agg'; source: string; agg: Agg; metric: string; op: Op; value: number }
  | { kind: 'quant'; source: string; quant: Quant; metric: string; op: Op; value: number; outer?: { op: Op; value: number } };

export interface FailIfOutcome {
  condition: string;
  model: string;
  holds: boolean;
  /** The aggregate, the share, or the number of prompts passing the test (any/all). */
  value: number | null;
  /** Ids of the prompts that pass the per-prompt test (quantified conditions). */
  prompts: string[];
  detail: string;
}

const OPS: Op[] = ['>=', '<=', '==', '!=', '>', '<'];
const AGGS: Agg[] = ['mean', 'median', 'min', 'max'];
const QUANTS: Quant[] = ['any', 'all', 'fraction'];
const SYNTAX = `conditions look like "maxSinkRate > 0.9", "mean(valleyDepth) >= 0.2", "any(maxBosRatio >= 100)", "fraction(valley == 1) < 0.5"`;

function bad(src: string, why: string): never {
  throw new SinkLensError('badRequest', `--fail-if "${src}": ${why}; ${SYNTAX}.`);
}

/** Tokens: identifiers, numbers, operators, parentheses. */
function lex(src: string): string[] {
  const re = /\s*(>=|<=|==|!=|>|<|\(|\)|[A-Za-z_][A-Za-z0-9_]*|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/y;
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) bad(src, `unexpected '${src.slice(i).trim()[0]}' at column ${i + src.slice(i).search(/\S/) + 1}`);
    out.push(m[1] as string);
    i = re.lastIndex;
  }
  return out;
}

export function parseFailIf(src: string): FailIf {
  const t = lex(src);
  if (t.length === 0) bad(src, 'the condition is empty');
  let k = 0;
  const next = (what: string): string => t[k++] ?? bad(src, `expected ${what} at the end`);
  const metric = (): string => {
    const m = next('a metric');
    if (!(m in FAIL_IF_METRICS)) bad(src, `unknown metric '${m}' (metrics: ${Object.keys(FAIL_IF_METRICS).join(', ')})`);
    return m;
  };
  const op = (): Op => {
    const o = next('a comparison (> >= < <= == !=)');
    if (!OPS.includes(o as Op)) bad(src, `expected a comparison (> >= < <= == !=), got '${o}'`);
    return o as Op;
  };
  const number = (): number => {
    const s = next('a number');
    const n = Number(s);
    if (!/^[-+]?(?:\d|\.\d)/.test(s) || !Number.isFinite(n)) bad(src, `expected a number, got '${s}'`);
    return n;
  };
  const expect = (tok: string): void => {
    const s = next(`'${tok}'`);
    if (s !== tok) bad(src, `expected '${tok}', got '${s}'`);
  };
  const head = t[0] as string;
  let c: FailIf;
  if (t[1] === '(' && (AGGS as string[]).includes(head)) {
    k = 2;
    const m = metric();
    expect(')');
    c = { kind: 'agg', source: src, agg: head as Agg, metric: m, op: op(), value: number() };
  } else if (t[1] === '(' && (QUANTS as string[]).includes(head)) {
    k = 2;
    const m = metric();
    const o = op();
    const v = number();
    expect(')');
    c = { kind: 'quant', source: src, quant: head as Quant, metric: m, op: o, value: v };
    if (head === 'fraction') c.outer = { op: op(), value: number() };
  } else if (t[1] === '(') {
    bad(src, `unknown function '${head}' (use ${[...AGGS, ...QUANTS].join(', ')})`);
  } else {
    c = { kind: 'quant', source: src, quant: 'any', metric: metric(), op: op(), value: number() };
  }
  if (k < t.length) bad(src, `unexpected '${t[k]}' after the condition`);
  return c;
}

export function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

/** Checks one condition on one model's prompt records. */
export function evaluateFailIf(c: FailIf, model: string, records: readonly PromptRecord[]): FailIfOutcome {
  const of = FAIL_IF_METRICS[c.metric]!.of;
  const vals = records.map((r) => ({ id: r.id, v: of(r) })).filter((x): x is { id: string; v: number } => x.v !== null && Number.isFinite(x.v));
  const base = { condition: c.source, model };
  if (vals.length === 0) return { ...base, holds: false, value: null, prompts: [], detail: `no prompt has a value of ${c.metric}` };
  if (c.kind === 'agg') {
    const value = aggregate(c.agg, vals.map((x) => x.v));
    return { ...base, holds: compare(value, c.op, c.value), value, prompts: [], detail: `${c.agg}(${c.metric}) = ${fmt(value)} over ${vals.length} prompt(s)` };
  }
  const pass = vals.filter((x) => compare(x.v, c.op, c.value));
  const ids = pass.map((x) => x.id);
  const what = `${pass.length} of ${vals.length} prompt(s) have ${c.metric} ${c.op} ${c.value}`;
  if (c.quant === 'fraction') {
    const share = pass.length / vals.length;
    return { ...base, holds: compare(share, c.outer!.op, c.outer!.value), value: share, prompts: ids, detail: `${what} (fraction ${fmt(share)})` };
  }
  const holds = c.quant === 'any' ? pass.length > 0 : pass.length === vals.length;
  return { ...base, holds, value: pass.length, prompts: ids, detail: what };
}

function aggregate(agg: Agg, v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  if (agg === 'min') return s[0] as number;
  if (agg === 'max') return s[s.length - 1] as number;
  if (agg === 'mean') return s.reduce((a, b) => a + b, 0) / s.length;
  const h = (s.length - 1) / 2;
  return ((s[Math.floor(h)] as number) + (s[Math.ceil(h)] as number)) / 2;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/** The grammar and metric list for --help and error messages. */
export function failIfHelp(): string {
  const metrics = Object.entries(FAIL_IF_METRICS).map(([k, m]) => `    ${k.padEnd(16)}${m.help}`).join('\n');
  return `  Conditions (each --fail-if EXPR is checked per model; exit 4 when any holds):
    METRIC OP N                 some prompt has METRIC OP N (same as any(...))
    any(METRIC OP N) | all(METRIC OP N)
    mean|median|min|max(METRIC) OP N      over the prompts
    fraction(METRIC OP N) OP F  the share of prompts (0..1) passing the test
    OP: > >= < <= == !=
  Metrics (per prompt):
${metrics}
`;
}
