/**
 * Aggregation of a study: pure functions from per-prompt records to per-layer means and
 * interquartile bands, valley/spike statistics, and the relative-depth curves that let models of
 * different depths share one axis.
 *
 * Relative depth: layer l of an L-block model sits at l / L (h[0] at 0, the last hidden state at 1).
 * The common grid has (max L over the models) + 1 evenly spaced points, so the deepest model is shown
 * at its own layers and shallower ones are linearly interpolated between their neighbouring layers.
 * Each model's per-layer mean, quartiles and median are interpolated (not re-computed from
 * interpolated prompts): the mean is the same either way; the band is the per-layer band, drawn between layers.
 */
import type { ModelInfo } from '../../shared/result';
import type { LayerAggregate, PromptFailure, PromptRecord, RelativeDepthCurves, StudyModel, ValleyStats } from '../../shared/study';
import { depthGrid, interpolateStats, stat } from './stats';

/** Per-layer mean and band of every curve over the prompts. All records must come from one model (same L). */
export function aggregateLayers(records: readonly PromptRecord[]): LayerAggregate[] {
  const L1 = records[0]?.curves.entropy.length ?? 0;
  const bad = records.find((r) => r.curves.entropy.length !== L1);
  if (bad) throw new RangeError(`prompt ${bad.id} has ${bad.curves.entropy.length} layers, others ${L1}: records of different models`);
  const L = Math.max(L1 - 1, 1);
  return Array.from({ length: L1 }, (_, l) => ({
    layer: l,
    relDepth: l / L,
    entropy: stat(records.map((r) => r.curves.entropy[l])),
    entropyExclBos: stat(records.map((r) => r.curves.entropyExclBos[l])),
    sinkRate: stat(records.map((r) => r.curves.sinkRate[l])),
    bosNormLog10: stat(records.map((r) => r.curves.bosNormLog10[l])),
    bosRatio: stat(records.map((r) => r.curves.bosRatio[l])),
    compressRate: records.length ? records.filter((r) => r.phases[l] === 'compress').length / records.length : 0,
  }));
}

/** How often a valley, where (h index and relative depth of its minimum), how deep; where the spikes are. */
export function valleyStats(records: readonly PromptRecord[], layers: number): ValleyStats {
  const withV = records.filter((r) => r.valleyLayer !== null);
  const minLayerCounts = new Array<number>(layers + 1).fill(0);
  for (const r of withV) minLayerCounts[r.valleyLayer as number]! += 1;
  const spikeBlockCounts = new Array<number>(layers).fill(0);
  for (const r of records) for (const b of new Set(r.summary.spikeBlocks)) if (b >= 0 && b < layers) spikeBlockCounts[b]! += 1;
  return {
    prompts: records.length,
    withValley: withV.length,
    rate: records.length ? withV.length / records.length : 0,
    minLayerCounts,
    relDepth: stat(withV.map((r) => (r.valleyLayer as number) / Math.max(layers, 1))),
    depth: stat(withV.map((r) => r.valleyDepth)),
    spikeBlockCounts,
    withSpike: records.filter((r) => r.summary.spikeBlocks.length > 0).length,
  };
}

export interface ModelIdentity {
  info: ModelInfo;
  tokenizerSha256: string | null;
}

/** One model's aggregate; `records` are sorted by prompt index. Failed prompts are listed, not aggregated. */
export function aggregateModel(model: ModelIdentity, records: readonly PromptRecord[], failures: readonly PromptFailure[] = []): StudyModel {
  const sorted = [...records].sort((a, b) => a.index - b.index);
  const { info } = model;
  return {
    name: info.name,
    dir: info.dir,
    arch: info.arch,
    layers: info.layers,
    heads: info.heads,
    dtype: info.dtype,
    weights: info.files.map((f) => ({ name: f.name, sha256: f.sha256 })),
    tokenizerSha256: model.tokenizerSha256,
    perLayer: aggregateLayers(sorted),
    valley: valleyStats(sorted, info.layers),
    prompts: sorted,
    failures: [...failures],
  };
}

/** Every model's per-layer means and bands on one relative-depth grid ((max L) + 1 points). */
export function relativeDepthCurves(models: readonly Pick<StudyModel, 'name' | 'layers' | 'perLayer'>[]): RelativeDepthCurves {
  const grid = depthGrid(Math.max(1, ...models.map((m) => m.layers)) + 1);
  return {
    grid,
    models: models.map((m) => ({
      name: m.name,
      entropy: interpolateStats(m.perLayer.map((l) => l.entropy), grid),
      sinkRate: interpolateStats(m.perLayer.map((l) => l.sinkRate), grid),
      bosNormLog10: interpolateStats(m.perLayer.map((l) => l.bosNormLog10), grid),
    })),
  };
}
