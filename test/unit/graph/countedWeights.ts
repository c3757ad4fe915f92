/** Generated models loaded by the engine for the runner tests, with every weight load counted. */
import { loadModelFiles } from '../../../src/engine/model/load';
import type { CanonicalConfig } from '../../../src/engine/arch/types';
import type { ModelWeights, WeightRef } from '../../../src/engine/weights/types';
import type { ModelSpec } from '../../support/genModel';

/** A tiny llama with GQA and a tied head; `over` changes the shape. */
export function llamaSpec(over: Partial<ModelSpec> = {}): ModelSpec {
  return { name: 'runner-llama', family: 'llama', hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48, vocab: 50, maxPositions: 64, tie: true, ...over };
}

export interface CountedModel {
  config: CanonicalConfig;
  weights: ModelWeights;
  /** Loads per weight key. */
  loads: Map<string, number>;
  /** Like closing a weight store: every later load() throws. */
  close(): void;
  /** Closes the underlying files. */
  dispose(): void;
}

/** Loads a model folder; its weights count their loads (tied refs stay one object, as the adapter made them). */
export async function loadCounted(dir: string): Promise<CountedModel> {
  const files = await loadModelFiles(dir);
  const loads = new Map<string, number>();
  let closed = false;
  const wrapped = new Map<WeightRef, WeightRef>();
  const wrap = (r: WeightRef): WeightRef => {
    const known = wrapped.get(r);
    if (known) return known;
    const w: WeightRef = {
      key: r.key,
      dims: r.dims,
      load: () => {
        if (closed) throw new Error(`weight ${r.key} loaded after the store was closed`);
        loads.set(r.key, (loads.get(r.key) ?? 0) + 1);
        return r.load();
      },
    };
    wrapped.set(r, w);
    return w;
  };
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    if ('load' in v && 'key' in v) return wrap(v as WeightRef);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  return {
    config: files.config,
    weights: walk(files.weights) as ModelWeights,
    loads,
    close: () => void (closed = true),
    dispose: () => files.store.close(),
  };
}
