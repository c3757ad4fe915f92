/**
 * The interventions of one analysis: `ablate` (zero at BOS) and `interventions`, resolved against the
 * loaded model and the prompt into the runner's write edits and heads, with typed, actionable errors.
 */
import { SinkLensError } from '../shared/errors';
import { checkInterventions } from '../shared/interventions';
import type { Intervention, InterventionOp } from '../shared/result';
import type { CanonicalConfig } from './arch/types';
import type { ForwardRequest, WriteEdit } from './graph/types';

/** (keep, mean) of an operation: the edited row is keep * write[p] + mean * (mean of the write over the other positions). */
export function opFactors(op: InterventionOp, factor = 1): { keep: number; mean: number } {
  if (op === 'zero') return { keep: 0, mean: 0 };
  if (op === 'mean') return { keep: 0, mean: 1 };
  return { keep: factor, mean: 0 };
}

function bad(message: string): never {
  throw new SinkLensError('badRequest', message);
}

/** The runner's edits and heads for these interventions on a T-token prompt; refuses what the model or prompt lacks. */
export function interventionRequest(list: readonly Intervention[], cfg: CanonicalConfig, T: number): Required<Pick<ForwardRequest, 'edits' | 'headsOff'>> {
  checkInterventions(list);
  const L = cfg.numLayers;
  const edits: WriteEdit[] = [];
  const headsOff: { block: number; head: number }[] = [];
  const checkBlock = (b: number, what: string): void => {
    if (!Number.isInteger(b) || b < 0 || b >= L) bad(`${what}: block ${b} does not exist; the model has blocks 0..${L - 1}.`);
  };
  for (const i of list) {
    if (i.target === 'head') {
      checkBlock(i.block, `head@${i.block}.${i.head}`);
      if (!Number.isInteger(i.head) || i.head < 0 || i.head >= cfg.numHeads) bad(`head@${i.block}.${i.head}: the model has heads 0..${cfg.numHeads - 1}.`);
      headsOff.push({ block: i.block, head: i.head });
      continue;
    }
    const position = i.position === 'bos' ? 0 : i.position;
    if (!Number.isInteger(position) || position < 0 || position >= T) bad(`${i.target} intervention: position ${position} is past the prompt's last token (${T} tokens: 0..${T - 1}).`);
    if (i.op === 'scale' && !Number.isFinite(i.factor ?? Number.NaN)) bad(`${i.target} intervention: scale needs a finite factor.`);
    for (const block of i.blocks) {
      checkBlock(block, `${i.target} intervention`);
      edits.push({ component: i.target, block, position, ...opFactors(i.op, i.factor) });
    }
  }
  return { edits, headsOff };
}

/** Every block an intervention touches, sorted. */
export function interventionBlocks(list: readonly Intervention[]): number[] {
  const all = new Set(list.flatMap((i) => (i.target === 'head' ? [i.block] : i.blocks)));
  return [...all].sort((a, b) => a - b);
}
