/** A StudyResult built by the engine's own aggregation from hand-made prompt records (no model involved). */
import { aggregateModel, relativeDepthCurves } from '../../../../src/engine/study/aggregate';
import type { ModelInfo } from '../../../../src/shared/result';
import type { PromptRecord, StudyResult } from '../../../../src/shared/study';

export function modelInfo(name: string, layers: number): ModelInfo {
  return { name, dir: `/m/${name}`, arch: 'llama', modelType: 'llama', layers, heads: 4, kvHeads: 4, hiddenSize: 32, headDim: 8, vocabSize: 64, maxPositions: 64, dtype: 'F32', params: 1, bosTokenId: 1, files: [{ name: 'model.safetensors', bytes: 1, sha256: 'ab' }] };
}

export function sampleStudy(models: { name: string; layers: number; records: PromptRecord[] }[]): StudyResult {
  const ms = models.map((m) => aggregateModel({ info: modelInfo(m.name, m.layers), tokenizerSha256: null }, m.records));
  const n = Math.max(...models.map((m) => m.records.length));
  return {
    kind: 'sinklens-study',
    schemaVersion: 1,
    complete: true,
    provenance: {
      sinklensVersion: '0.0.0-test',
      createdAt: '2026-01-01T00:00:00.000Z',
      promptSet: { path: '/sets/demo', prompts: n, sha256: 'cd' },
      models: ms.map((m) => ({ name: m.name, dir: m.dir, weights: m.weights, tokenizer: null })),
      settings: { prependBos: 'auto', chatTemplate: 'none', maxTokens: 512, tau: 0.3, entropy: { alpha: 1, excludeBos: false, center: true, rowNormalize: true }, includeFirstQuery: false },
      host: { node: 'v24', platform: 'linux-x64' },
    },
    prompts: Array.from({ length: n }, (_, i) => ({ index: i, id: `p${i + 1}`, source: `set.jsonl:${i + 1}`, chars: 5, sha256: 'x', preview: `text ${i}`, text: `text ${i}` })),
    models: ms,
    relativeDepth: relativeDepthCurves(ms),
  };
}
