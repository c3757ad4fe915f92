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
  const wantsProbes = Boolean(req.ablateMlp?.length || req.ablateAttn?.length || req.attnMap || req.logitLens || req.gram || req.gramRows);
  if (probes === 'bare' && wantsProbes) bad('This runner was built with probes: "bare" (logits only); ablation, maps, lens and Gram need probes: "full".');
  checkBlocks('ablateMlp', req.ablateMlp, cfg.numLayers);
  checkBlocks('ablateAttn', req.ablateAttn, cfg.numLayers);
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
