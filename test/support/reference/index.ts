/** The independent float64 test oracle: see forward.ts. */
export { referenceForward, forwardModel, loadRefModel, lensLogits, tokenLoss, type RefEdit, type RefOptions, type RefResult, type RefModel } from './forward';
export { parseRefConfig, ropeInvFreq, type RefConfig, type RefFamily } from './config';
export { refMetrics, bosRatio, headSinkScores, sinkRate, normalizedEntropy, refMixing, refBosWrites, type RefLayerMetrics } from './metrics';
export { loadGptOssRef, gptOssForward, refMixingGptOss, gptOssLensLogits, parseGptOssConfig, type GptOssRefModel, type GptOssRefResult } from './gptOss';
