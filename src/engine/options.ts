/**
 * Resolves user-facing AnalyzeOptions into a complete, validated settings object. Pure.
 */
import { DEFAULT_ANALYZE_OPTIONS, lossWanted } from '../shared/defaults';
import type { AnalyzeOptions } from '../shared/engineApi';
import { SinkLensError } from '../shared/errors';
import { checkInterventions } from '../shared/interventions';
import type { ChatTemplateMode, EntropyOptions, Intervention, PrependBos } from '../shared/result';

export interface ResolvedOptions {
  prependBos: PrependBos;
  chatTemplate: ChatTemplateMode;
  /** A number, or 'auto' (resolved against the loaded model by plan/maxTokens.ts). */
  maxTokens: number | 'auto';
  tau: number;
  includeFirstQuery: boolean;
  entropy: EntropyOptions;
  ablate: 'auto' | number[] | null;
  ablateTarget: 'mlp' | 'attn' | 'auto';
  /** Interventions of the compared run besides `ablate` (empty = none). */
  interventions: Intervention[];
  tokenLoss: boolean;
  massiveTopK: number;
  logitLens: 'all' | number[] | null;
  logitLensTopK: number;
  lastTopK: number;
}

/** Whether the options ask for a compared run (an ablation or interventions). */
export function comparedRun(o: Pick<AnalyzeOptions, 'ablate' | 'interventions'>): boolean {
  return (o.ablate !== null && o.ablate !== undefined && (o.ablate === 'auto' || o.ablate.length > 0)) || Boolean(o.interventions?.length);
}

export function resolveOptions(o: AnalyzeOptions = {}): ResolvedOptions {
  const d = DEFAULT_ANALYZE_OPTIONS;
  if (o.tokenLoss !== undefined && o.tokenLoss !== 'auto' && typeof o.tokenLoss !== 'boolean') bad(`tokenLoss must be true, false or 'auto' (got ${String(o.tokenLoss)}).`);
  const r: ResolvedOptions = {
    prependBos: o.prependBos ?? d.prependBos,
    chatTemplate: o.chatTemplate ?? d.chatTemplate,
    maxTokens: o.maxTokens ?? d.maxTokens,
    tau: o.tau ?? d.tau,
    includeFirstQuery: o.includeFirstQuery ?? d.includeFirstQuery,
    entropy: { ...d.entropy, ...(o.entropy ?? {}) },
    ablate: o.ablate ?? null,
    ablateTarget: o.ablateTarget ?? d.ablateTarget,
    interventions: o.interventions ? [...o.interventions] : [],
    tokenLoss: lossWanted(o.tokenLoss ?? d.tokenLoss, comparedRun(o)),
    massiveTopK: o.massiveTopK ?? d.massiveTopK,
    logitLens: o.logitLens ?? null,
    logitLensTopK: o.logitLensTopK ?? d.logitLensTopK,
    lastTopK: o.lastTopK ?? d.lastTopK,
  };
  validate(r);
  return r;
}

function bad(message: string): never {
  throw new SinkLensError('badRequest', message);
}

function validate(r: ResolvedOptions): void {
  if (!['auto', 'always', 'never'].includes(r.prependBos)) bad(`prependBos must be auto, always or never (got ${String(r.prependBos)}).`);
  if (!['none', 'user', 'system'].includes(r.chatTemplate)) bad(`chatTemplate must be none, user or system (got ${String(r.chatTemplate)}).`);
  if (r.maxTokens !== 'auto' && (!Number.isInteger(r.maxTokens) || r.maxTokens < 1)) bad(`maxTokens must be 'auto' or a positive integer (got ${String(r.maxTokens)}).`);
  if (!(r.tau > 0 && r.tau <= 1)) bad(`tau (the sink threshold) must be in (0, 1] (got ${r.tau}).`);
  if (!(r.entropy.alpha > 0) || !Number.isFinite(r.entropy.alpha)) bad(`entropy alpha must be a positive number (got ${r.entropy.alpha}).`);
  for (const k of ['massiveTopK', 'logitLensTopK', 'lastTopK'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1 || r[k] > 1000) bad(`${k} must be an integer in 1..1000 (got ${r[k]}).`);
  }
  if (!['mlp', 'attn', 'auto'].includes(r.ablateTarget)) bad(`ablateTarget must be mlp, attn or auto.`);
  if (Array.isArray(r.ablate) && r.ablate.some((b) => !Number.isInteger(b) || b < 0)) bad(`ablate must list block indices >= 0.`);
  if (!Array.isArray(r.interventions)) bad(`interventions must be a list.`);
  r.interventions.forEach(checkShape);
  checkInterventions(r.interventions);
}

const isIndex = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;

/** The shape of one intervention as it arrives over IPC (ranges against the model are checked at run time). */
function checkShape(i: Intervention, n: number): void {
  const where = `interventions[${n}]`;
  if (typeof i !== 'object' || i === null) bad(`${where} must be an object.`);
  if (i.target === 'head') {
    if (!isIndex(i.block) || !isIndex(i.head) || i.op !== 'zero') bad(`${where}: a head intervention is {target: 'head', block, head, op: 'zero'}.`);
    return;
  }
  if (i.target !== 'mlp' && i.target !== 'attn') bad(`${where}: target must be mlp, attn or head.`);
  if (!Array.isArray(i.blocks) || i.blocks.length === 0 || !i.blocks.every(isIndex)) bad(`${where}: blocks must list block indices >= 0.`);
  if (i.position !== 'bos' && !isIndex(i.position)) bad(`${where}: position must be 'bos' or a token index.`);
  if (!['zero', 'mean', 'scale'].includes(i.op)) bad(`${where}: op must be zero, mean or scale.`);
  if (i.op === 'scale' && !Number.isFinite(i.factor)) bad(`${where}: scale needs a finite factor.`);
}

/** Parses the CLI/settings form of --ablate: 'auto', 'none', or '3,4'. */
export function parseAblate(s: string | undefined): 'auto' | number[] | null {
  if (s === undefined || s === '' || s === 'none') return null;
  if (s === 'auto') return 'auto';
  const blocks = s.split(',').map((x) => Number(x.trim()));
  if (blocks.some((b) => !Number.isInteger(b) || b < 0)) bad(`--ablate takes 'auto' or block indices like 3,4 (got '${s}').`);
  return blocks;
}
