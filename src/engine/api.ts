/**
 * The engine's public boundary: load a Hugging Face model folder, analyse prompts, fetch one
 * head's attention map. Used in-process by the CLI and tests, and served over IPC by main.ts.
 *
 * Stages: load (config, weights, tokenizer, ONNX session; cached per folder) -> tokenize -> run
 * (one instrumented forward) -> metrics -> optional ablation run -> result. onnxruntime's run()
 * blocks the thread, so cancellation is checked between stages.
 */
import { createHash } from 'node:crypto';
import type { AnalyzeOptions, AttentionRequest, EngineApi, LoadOptions, ModelHandle, Progress } from '../shared/engineApi';
import { SinkLensError } from '../shared/errors';
import { RESULT_SCHEMA_VERSION, type AnalysisResult, type AttentionMap, type Warning } from '../shared/result';
import { buildSettings, forwardAndMeasure, metricsPool, resolveAblationBlocks, resolveAblationTarget } from './analysis';
import { MIN_INFORMATIVE_TOKENS } from './metrics/chance';
import { openModel, type LoadedModel } from './loaded';
import { resolveOptions } from './options';
import { compareRuns, summarize } from './metrics';

type ProgressFn = (p: Progress) => void;

export class Engine implements EngineApi {
  private readonly models = new Map<string, LoadedModel>();
  private nextId = 1;

  async load(modelDir: string, opts: LoadOptions = {}): Promise<ModelHandle> {
    const key = cacheKey(modelDir, opts);
    const cached = [...this.models.values()].find((m) => m.key === key);
    if (cached) return { id: cached.id, info: cached.info };
    const id = `m${this.nextId++}`;
    const model = await openModel(id, key, modelDir, opts);
    this.models.set(id, model);
    return { id, info: model.info };
  }

  async analyze(
    handle: ModelHandle,
    text: string,
    opts: AnalyzeOptions = {},
    onProgress: ProgressFn = () => {},
    signal?: AbortSignal,
  ): Promise<AnalysisResult> {
    const t0 = performance.now();
    const model = this.get(handle);
    const o = resolveOptions(opts);
    checkAbort(signal);

    onProgress({ stage: 'tokenize', fraction: 0.05 });
    const tTok = performance.now();
    const { enc, maxTokens } = encodePrompt(model, text, o);
    const tokenizeMs = performance.now() - tTok;
    const warnings: Warning[] = [...enc.warnings];
    checkAbort(signal);

    onProgress({ stage: 'run', fraction: 0.15, message: `${enc.ids.length} tokens` });
    const base = await forwardAndMeasure(model, enc.ids, o, {});
    checkAbort(signal);

    let ablation: AnalysisResult['ablation'] = null;
    const blocks = resolveAblationBlocks(o.ablate, base.run, model.config.numLayers, warnings);
    const target = resolveAblationTarget(o.ablateTarget, blocks ?? [], base.run);
    if (blocks !== null) {
      onProgress({ stage: 'ablate', fraction: 0.6, message: `zeroing the ${target} write at BOS in block(s) ${blocks.join(', ')}` });
      const req = target === 'mlp' ? { ablateMlp: blocks } : { ablateAttn: blocks };
      const abl = await forwardAndMeasure(model, enc.ids, o, req);
      ablation = compareRuns(base.run, abl.run, blocks, target);
      base.runMs += abl.runMs;
      base.metricsMs += abl.metricsMs;
      warnings.push(...abl.warnings.map((w) => ({ ...w, message: `ablated run: ${w.message}` })));
    }
    warnings.push(...base.warnings);
    if (enc.ids.length < MIN_INFORMATIVE_TOKENS) {
      warnings.push({
        code: 'shortPrompt',
        message: `Only ${enc.ids.length} tokens (< ${MIN_INFORMATIVE_TOKENS}): sink rates and phases are not informative (a uniformly attending head already scores ${base.run.chanceSinkScore.toFixed(2)}); no phase bands.`,
      });
    }
    onProgress({ stage: 'done', fraction: 1 });

    return {
      schemaVersion: RESULT_SCHEMA_VERSION,
      createdAt: new Date().toISOString(),
      input: { text, sha256: createHash('sha256').update(text).digest('hex') },
      tokens: enc.tokens,
      model: model.info,
      settings: buildSettings(o, enc, model, maxTokens, blocks, base.run, target),
      baseline: base.run,
      ablation,
      summary: summarize(base.run, enc.ids.length),
      warnings,
      timings: {
        loadMs: model.loadMs,
        tokenizeMs,
        runMs: base.runMs,
        metricsMs: base.metricsMs,
        totalMs: performance.now() - t0,
      },
    };
  }

  async attention(handle: ModelHandle, req: AttentionRequest, signal?: AbortSignal): Promise<AttentionMap> {
    const model = this.get(handle);
    const o = resolveOptions(req.options);
    const { numLayers, numHeads } = model.config;
    if (!Number.isInteger(req.block) || req.block < 0 || req.block >= numLayers) {
      throw new SinkLensError('badRequest', `Block ${req.block} does not exist: the model has blocks 0..${numLayers - 1}.`);
    }
    if (!Number.isInteger(req.head) || req.head < 0 || req.head >= numHeads) {
      throw new SinkLensError('badRequest', `Head ${req.head} does not exist: the model has heads 0..${numHeads - 1}.`);
    }
    const { enc } = encodePrompt(model, req.text, o);
    checkAbort(signal);
    const out = await model.runner.forward({ ids: enc.ids, attnMap: { block: req.block, head: req.head } });
    if (!out.attnMap) throw new SinkLensError('internal', 'The runner did not return the requested attention map.');
    return { block: req.block, head: req.head, tokens: out.T, data: Array.from(out.attnMap) };
  }

  /** Releases one model (or all). */
  async unload(modelDir?: string): Promise<void> {
    for (const [id, m] of this.models) {
      if (modelDir === undefined || m.dir === modelDir) {
        this.models.delete(id);
        await m.runner.dispose();
      }
    }
  }

  async dispose(): Promise<void> {
    await this.unload();
    await metricsPool.dispose(); // Restarted lazily if another Engine in this process analyses again.
  }

  private get(handle: ModelHandle): LoadedModel {
    const m = this.models.get(handle.id);
    if (!m) throw new SinkLensError('badRequest', `Model handle ${handle.id} is not loaded (it was disposed); load the model again.`);
    return m;
  }
}

/** Tokenizes exactly as every request for this text and these options does (analysis and attention maps alike). */
function encodePrompt(model: LoadedModel, text: string, o: ReturnType<typeof resolveOptions>) {
  const maxTokens = Math.min(o.maxTokens, model.config.maxPositions);
  return { enc: model.tokenizer.encode(text, { prependBos: o.prependBos, chatTemplate: o.chatTemplate, maxTokens }), maxTokens };
}

function cacheKey(dir: string, opts: LoadOptions): string {
  return `${dir}\u0000${opts.threads ?? 0}`;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SinkLensError('cancelled', 'The analysis was cancelled.');
}
