/**
 * The study view's data, pure so it is tested without a canvas: the paper's three panels (normalised
 * entropy, sink rate, BOS norm (log) vs depth; one mean line + interquartile band per model) and the
 * per-prompt table rows with their sort.
 *
 * X axis: hidden-state index h[l] when every model has the same depth (ticks h[0] … h[L], as the
 * panel's charts); relative depth l/L on the engine's common grid when the depths differ.
 */
import type { Stat, StudyResult } from '../../shared/study';

export type StudyMetric = 'entropy' | 'sinkRate' | 'bosNormLog10';

export const STUDY_METRICS: readonly StudyMetric[] = ['entropy', 'sinkRate', 'bosNormLog10'];

export const STUDY_TITLES: Record<StudyMetric, { title: string; y: string }> = {
  entropy: { title: 'Normalised entropy', y: 'normalised entropy (0–1)' },
  sinkRate: { title: 'Sink rate', y: 'share of heads (0–1)' },
  bosNormLog10: { title: 'BOS norm (log)', y: 'log10 ‖h[l] of BOS‖' },
};

/** One model's curve in one panel: mean and the 25th–75th percentile band at each x. */
export interface BandSeries {
  model: string;
  xs: number[];
  mean: (number | null)[];
  q1: (number | null)[];
  q3: (number | null)[];
}

export interface StudyPanel {
  metric: StudyMetric;
  title: string;
  yTitle: string;
  series: BandSeries[];
}

export interface StudyCharts {
  /** 'layer': x = h index (same depth everywhere); 'relative': x = l/L in [0, 1]. */
  axis: 'layer' | 'relative';
  /** Largest L (last h index) over the models. */
  lastLayer: number;
  xTitle: string;
  panels: StudyPanel[];
}

const pick = (stats: readonly Stat[], f: (s: Stat) => number | null): (number | null)[] => stats.map(f);

export function studyCharts(study: StudyResult): StudyCharts {
  const depths = new Set(study.models.map((m) => m.layers));
  const lastLayer = Math.max(0, ...study.models.map((m) => m.layers));
  const relative = depths.size > 1;
  const panels = STUDY_METRICS.map((metric): StudyPanel => {
    const series = relative
      ? study.relativeDepth.models.map((m) => band(m.name, study.relativeDepth.grid, m[metric]))
      : study.models.map((m) => band(m.name, m.perLayer.map((l) => l.layer), m.perLayer.map((l) => l[metric])));
    return { metric, title: STUDY_TITLES[metric].title, yTitle: STUDY_TITLES[metric].y, series };
  });
  return {
    axis: relative ? 'relative' : 'layer',
    lastLayer,
    xTitle: relative ? 'relative depth l / L (models of different depths)' : 'hidden state h[l] (block b writes h[b+1])',
    panels,
  };
}

function band(model: string, xs: number[], stats: readonly Stat[]): BandSeries {
  return { model, xs, mean: pick(stats, (s) => s.mean), q1: pick(stats, (s) => s.q1), q3: pick(stats, (s) => s.q3) };
}

/** One row of the per-prompt table: one prompt on one model. */
export interface StudyRow {
  model: string;
  modelIndex: number;
  promptIndex: number;
  id: string;
  source: string;
  tokens: number;
  /** 0 without a valley. */
  valleyDepth: number;
  valleyLayer: number | null;
  /** The hidden state the first BOS-norm spike block writes (h[b+1]); null without a spike. */
  spikeLayer: number | null;
  maxSinkRate: number;
}

export type SortKey = 'valleyDepth' | 'spikeLayer' | 'maxSinkRate';

export function studyRows(study: StudyResult): StudyRow[] {
  return study.models.flatMap((m, modelIndex) =>
    m.prompts.map((p) => {
      const first = p.summary.spikeBlocks.length ? Math.min(...p.summary.spikeBlocks) : null;
      return {
        model: m.name,
        modelIndex,
        promptIndex: p.index,
        id: p.id,
        source: p.source,
        tokens: p.tokens,
        valleyDepth: p.valleyDepth,
        valleyLayer: p.valleyLayer,
        spikeLayer: first === null ? null : first + 1,
        maxSinkRate: p.summary.maxSinkRate,
      };
    }),
  );
}

/** Sorted copy; rows without a value (no spike) go last in either direction; ties keep model, then prompt order. */
export function sortRows(rows: readonly StudyRow[], key: SortKey, descending: boolean): StudyRow[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const va = a[key];
    const vb = b[key];
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1;
    } else if (va !== vb) return sign * (va - vb);
    return a.modelIndex - b.modelIndex || a.promptIndex - b.promptIndex;
  });
}
