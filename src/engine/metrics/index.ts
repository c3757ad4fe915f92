/** SinkLens metrics: pure functions over typed arrays + dims (no IO). One metric family per file. */
export type { FloatArray } from './types';
export { median, medianAbs } from './stats';
export { tokenNorms, bosRatio, medianOtherNorm } from './norms';
export { massiveActivations, massiveTest, recurringDims, topAbs, MASSIVE_ABSOLUTE, MASSIVE_RELATIVE } from './massive';
export { symmetricEigenvalues, psdEigenvalues, borderedSpectra, rankOneSpectra } from './eigen';
export { tridiagonalEigenvalues, bisectionEigenvalues, sturmCount, type TridiagonalMethod } from './tridiagonal';
export { matrixEntropy, matrixEntropyFromGram, layerEntropy, renyiEntropy, spectrumEntropy, prepareRows, smallGram, rowGram, rawAndExclBosSpectra, DEFAULT_ENTROPY, type EntropyResult } from './entropy';
export { theoremBounds, boundsFromTerms, checkBounds, normTerms, entropyBoundRaw, numericalRank, RANK_RTOL_SIGMA, type TheoremBounds, type NormTerms, type BoundViolation, type BoundRank } from './bounds';
export { headSinkScores, sinkRate, tokenSinkMass, tokenStrip, DEFAULT_TAU } from './sinks';
export { detectPhases, dipDepth, DEFAULT_PHASES, CAUSE_LABEL, type PhaseOptions, type PhaseInput } from './phases';
export { spikeBlocks, SPIKE_FACTOR } from './spike';
export { chanceSinkScore, headsAtChance, MIN_INFORMATIVE_TOKENS, CHANCE_FACTOR } from './chance';
export { bosWrite, spikeWriter } from './writers';
export { lensLayers, topTokens, logSumExp, type LensInput } from './lens';
export { computeRunMetrics, computeRunMetricsChecked, computeLayer, layerMetrics, forwardLayerMetrics, forwardRunMetrics, assembleRun, compareRuns, summarize, type RunMetricsInput, type RunMetricsOptions, type LayerInput, type LayerOutcome } from './run';
export { tokenLossOf, compareLoss, compareTopK, MOST_AFFECTED } from './intervention';
