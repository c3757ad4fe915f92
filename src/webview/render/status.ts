/** #sl-status text: exactly "ready" once a result is rendered (the UI test waits for it). */
import type { AnalysisStage } from '../../shared/engineApi';
import type { PanelStatus } from '../../shared/protocol/panel';
import { fmtPercent } from '../model/format';

const STAGES: Record<AnalysisStage, string> = {
  load: 'loading model',
  tokenize: 'tokenizing',
  run: 'running model',
  ablate: 'running ablation',
  metrics: 'computing metrics',
  done: 'finishing',
};

export function statusText(status: PanelStatus, hasResult: boolean): { text: string; kind: 'ready' | 'running' | 'error' | 'empty' } {
  if (status.kind === 'running') {
    const p = status.progress;
    const pct = p.fraction === undefined ? '' : ` ${fmtPercent(p.fraction)}`;
    return { text: `running… ${STAGES[p.stage] ?? p.stage}${pct}`, kind: 'running' };
  }
  if (status.kind === 'error') return { text: `error: ${status.error.message}`, kind: 'error' };
  return hasResult ? { text: 'ready', kind: 'ready' } : { text: 'no analysis yet', kind: 'empty' };
}
