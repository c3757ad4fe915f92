/** Request checks done before any tensor is made: every failure is a typed, actionable error. */
import { SinkLensError } from '../../shared/errors';
import type { CanonicalConfig } from '../arch/types';
import type { ForwardRequest, RunnerOptions } from './types';

function bad(message: string): never {
  throw new SinkLensError('badRequest', message);
}

function checkBlocks(what: string, xs: readonly number[] | undefined, L: number): void {
  for (const b of xs ?? []) {
    if (!Number.isInteger(b) || b < 0 || b >= L) bad(`${what}: block ${b} is not in 0..${L - 1}.`);
  }
}

export function validateRequest(cfg: CanonicalConfig, req: ForwardRequest, probes: RunnerOptions['probes']): void {
  const T = req.ids.length;
  if (T < 1) throw new SinkLensError('emptyPrompt', 'The prompt has no tokens; type some text and run again.');
  if (T > cfg.maxPositions) {
    throw new SinkLensError(
      'promptTooLong',
      `The prompt has ${T} tokens but ${cfg.name} supports at most ${cfg.maxPositions}; shorten it or set a token limit.`,
    );
  }
  for (const id of req.ids) {
    if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) bad(`Token id ${id} is outside the vocabulary (0..${cfg.vocabSize - 1}).`);
  }
  const wantsProbes = Boolean(
    req.ablateMlp?.length || req.ablateAttn?.length || req.edits?.length || req.headsOff?.length || req.tokenLoss || req.attnMap || req.logitLens || req.gram || req.gramRows,
  );
  if (probes === 'bare' && wantsProbes) bad('This runner was built with probes: "bare" (logits only); interventions, loss, maps, lens and Gram need probes: "full".');
  checkBlocks('ablateMlp', req.ablateMlp, cfg.numLayers);
  checkBlocks('ablateAttn', req.ablateAttn, cfg.numLayers);
  checkEdits(cfg, req, T);
  if (req.attnMap) {
    const { block, head } = req.attnMap;
    checkBlocks('attnMap', [block], cfg.numLayers);
    if (!Number.isInteger(head) || head < 0 || head >= cfg.numHeads) bad(`attnMap: head ${head} is not in 0..${cfg.numHeads - 1}.`);
  }
  if (req.logitLens) {
    const { layers, topK } = req.logitLens;
    for (const l of layers) if (!Number.isInteger(l) || l < 0 || l > cfg.numLayers) bad(`logitLens: layer ${l} is not in 0..${cfg.numLayers}.`);
    if (!Number.isInteger(topK) || topK < 1 || topK > cfg.vocabSize) bad(`logitLens: topK ${topK} is not in 1..${cfg.vocabSize}.`);
  }
}

/** Each edit on an existing block and position, finite factors, one edit per (component, block), heads in range. */
function checkEdits(cfg: CanonicalConfig, req: ForwardRequest, T: number): void {
  const seen = new Set<string>();
  const zeroed = (c: 'mlp' | 'attn', b: number): boolean => (c === 'mlp' ? req.ablateMlp : req.ablateAttn)?.includes(b) ?? false;
  for (const e of req.edits ?? []) {
    checkBlocks(`${e.component} edit`, [e.block], cfg.numLayers);
    if (!Number.isInteger(e.position) || e.position < 0 || e.position >= T) bad(`${e.component} edit in block ${e.block}: position ${e.position} is not in 0..${T - 1}.`);
    if (!Number.isFinite(e.keep) || !Number.isFinite(e.mean)) bad(`${e.component} edit in block ${e.block}: its factors must be finite numbers.`);
    const key = `${e.component}@${e.block}`;
    if (seen.has(key) || zeroed(e.component, e.block)) bad(`Two interventions on the ${e.component} write of block ${e.block}: give at most one per block and component.`);
    seen.add(key);
  }
  for (const { block, head } of req.headsOff ?? []) {
    checkBlocks('head ablation', [block], cfg.numLayers);
    if (!Number.isInteger(head) || head < 0 || head >= cfg.numHeads) bad(`head ablation in block ${block}: head ${head} is not in 0..${cfg.numHeads - 1}.`);
  }
}
