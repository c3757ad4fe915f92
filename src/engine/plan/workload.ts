/**
 * The memory plan's view of an analyze request, before tokenizing (the engine process and the CLI
 * both plan from it): at most one token per UTF-8 byte (+ BOS), a second forward only when the run
 * is compared (an ablation with blocks, or interventions: `comparedRun`, as the analysis itself
 * decides), the logit lens when it has layers, and the per-token loss when `lossWanted` says so.
 */
import { lossWanted } from '../../shared/defaults';
import type { AnalyzeOptions } from '../../shared/engineApi';
import { comparedRun } from '../options';
import { plannedTokens } from './maxTokens';
import type { Workload } from './memory';

export function analyzeWorkload(text: string, o: AnalyzeOptions): Omit<Workload, 'probes'> {
  const compared = comparedRun(o);
  const lens = o.logitLens ?? null;
  const lensLayers = lens === null ? 0 : lens === 'all' ? 1 : lens.length;
  return { ...plannedTokens(text, o.maxTokens, o.chatTemplate), ablation: compared, lensLayers, tokenLoss: lossWanted(o.tokenLoss, compared) };
}
