/** The seeded model generator and the safetensors writer, shared by the tests and the benchmark. */
export { writeRandomModel, modelSize, resolveSpec, type RandomModelOptions } from './generate';
export { writeModelFolder, type GeneratedModel, type FolderOptions } from './folder';
export { SHAPES, shapeSpec } from './shapes';
export { mulberry32, normals, type Rng } from './prng';
export { tensorPlan, randomTensors, randomSources, type PlannedTensor } from './tensors';
export type { ModelSpec, GenFamily } from './spec';
export type { VocabLayout } from './tokenizerFiles';
export { ggufBytes, writeGguf, meta, type GgufMeta, type GgufTensorOut, type GgufTensorType } from './gguf';
export { quantize, QUANT_LAYOUT, type GgufQuant } from './ggufQuant';
export { writeMxfp4Model, packMxfp4, e2m1Value } from './mxfp4';
