/**
 * The `analyze` flags as engine options: what to measure (AnalyzeOptions) and how to load the model
 * (LoadOptions), validated before any work so that a bad flag is a usage error (exit 2, one line).
 */
import { EXECUTION_PROVIDERS, WEIGHTS_MODES, type AnalyzeOptions, type ExecutionProviderChoice, type LoadOptions } from '../../shared/engineApi';
import { interventionSpec, parseIntervention } from '../../shared/interventions';
import type { WeightsMode } from '../../shared/result';
import { parseAblate, resolveOptions } from '../options';
import { asUsage, num, one, UsageError, type ParsedArgs } from './args';
import { cacheOptions } from './cache';

export function analyzeOptions(p: ParsedArgs): AnalyzeOptions {
  const o: AnalyzeOptions = {};
  const pb = one(p, 'prepend-bos');
  if (pb !== undefined) {
    if (pb !== 'auto' && pb !== 'always' && pb !== 'never') throw new UsageError(`--prepend-bos takes auto, always or never (got '${pb}').`);
    o.prependBos = pb;
  }
  const chat = one(p, 'chat-template');
  if (chat !== undefined) {
    if (chat !== 'none' && chat !== 'user' && chat !== 'system') throw new UsageError(`--chat-template takes none, user or system (got '${chat}').`);
    o.chatTemplate = chat;
  }
  if (one(p, 'max-tokens') === 'auto') o.maxTokens = 'auto';
  else {
    const maxTokens = num(p, 'max-tokens', { integer: true });
    if (maxTokens !== undefined && maxTokens < 1) throw new UsageError(`--max-tokens must be 'auto' or a positive integer (got ${maxTokens}).`);
    if (maxTokens !== undefined) o.maxTokens = maxTokens;
  }
  const tau = num(p, 'tau');
  if (tau !== undefined) o.tau = tau;
  const alpha = num(p, 'alpha');
  o.entropy = {
    ...(alpha !== undefined ? { alpha } : {}),
    excludeBos: p.flags.has('exclude-bos'),
    center: p.flags.has('center'),
    rowNormalize: p.flags.has('row-normalize'),
  };
  o.includeFirstQuery = p.flags.has('include-first-query');
  o.ablate = asUsage(() => parseAblate(one(p, 'ablate')));
  const target = one(p, 'ablate-target');
  if (target !== undefined) {
    if (target !== 'mlp' && target !== 'attn' && target !== 'auto') throw new UsageError(`--ablate-target takes mlp, attn or auto (got '${target}').`);
    o.ablateTarget = target;
  }
  const specs = p.values.get('intervene') ?? [];
  if (specs.length) o.interventions = asUsage(() => specs.map(parseIntervention));
  if (p.flags.has('loss') && p.flags.has('no-loss')) throw new UsageError('--loss and --no-loss contradict each other; give one.');
  if (p.flags.has('loss')) o.tokenLoss = true;
  if (p.flags.has('no-loss')) o.tokenLoss = false;
  const lens = one(p, 'logit-lens');
  if (lens !== undefined) o.logitLens = lens === 'all' ? 'all' : parseLayers(lens);
  const topK = num(p, 'top-k', { integer: true });
  if (topK !== undefined) o.lastTopK = topK;
  asUsage(() => resolveOptions(o)); // Fail on bad values before any work, as a usage error (exit 2).
  return o;
}

function parseLayers(s: string): number[] {
  const layers = s.split(',').map((x) => Number(x.trim()));
  if (layers.some((l) => !Number.isInteger(l) || l < 0)) throw new UsageError(`--logit-lens takes 'all' or layer indices like 0,3 (got '${s}').`);
  return layers;
}

export function loadOptions(p: ParsedArgs): LoadOptions {
  const o: LoadOptions = {};
  const threads = num(p, 'threads', { integer: true });
  if (threads !== undefined) {
    if (threads < 0) throw new UsageError(`--threads must be 0 or more (got ${threads}).`);
    o.threads = threads;
  }
  const weights = one(p, 'weights');
  if (weights !== undefined) {
    if (!WEIGHTS_MODES.includes(weights as WeightsMode)) throw new UsageError(`--weights takes ${WEIGHTS_MODES.join(', ')} (got '${weights}').`);
    o.weights = weights as WeightsMode;
  }
  const provider = one(p, 'execution-provider');
  if (provider !== undefined) {
    if (!EXECUTION_PROVIDERS.includes(provider as ExecutionProviderChoice)) {
      throw new UsageError(`--execution-provider takes ${EXECUTION_PROVIDERS.join(', ')} (got '${provider}').`);
    }
    o.executionProvider = provider as ExecutionProviderChoice;
  }
  if (p.flags.has('strict-provider')) o.strictProvider = true;
  const cache = cacheOptions(p);
  if (cache) o.cache = cache;
  return o;
}

/** Blocks, heads and lens layers the flags name must exist in the loaded model. */
export function checkRanges(o: AnalyzeOptions, blocks: number, heads: number): void {
  if (Array.isArray(o.ablate)) {
    const bad = o.ablate.filter((b) => b >= blocks);
    if (bad.length) throw new UsageError(`--ablate ${bad.join(',')}: the model has blocks 0..${blocks - 1}.`);
  }
  for (const i of o.interventions ?? []) {
    const bad = i.target === 'head' ? (i.block >= blocks ? [i.block] : []) : i.blocks.filter((b) => b >= blocks);
    if (bad.length) throw new UsageError(`--intervene ${interventionSpec(i)}: block ${bad.join(',')} does not exist; the model has blocks 0..${blocks - 1}.`);
    if (i.target === 'head' && i.head >= heads) throw new UsageError(`--intervene ${interventionSpec(i)}: the model has heads 0..${heads - 1}.`);
  }
  if (Array.isArray(o.logitLens)) {
    const bad = o.logitLens.filter((l) => l > blocks);
    if (bad.length) throw new UsageError(`--logit-lens ${bad.join(',')}: the model has hidden states h[0]..h[${blocks}].`);
  }
}
