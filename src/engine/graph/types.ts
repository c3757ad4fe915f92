/**
 * The contract between the engine API and the graph + runtime layer. One `Runner` per loaded
 * model; it owns the onnxruntime session(s) built from the canonical weights.
 */
import type { WeightPrecision } from '../../shared/result';
import type { CanonicalConfig } from '../arch/types';
import type { ModelWeights } from '../weights/types';

export interface RunnerOptions {
  threads: number; // 0 = onnxruntime default
  /**
   * 'full' = every probe (hidden states, attention-to-BOS, ablation inputs, optional lens/map);
   * 'bare' = only last-position logits, for the benchmark's baseline.
   */
  probes: 'full' | 'bare';
  /** Precision of the linear layers' weights; default 'fp32'. */
  weights?: WeightPrecision;
  /** onnxruntime execution provider; default 'cpu' (see runtime/ort.ts for the fallback). */
  executionProvider?: string;
  strictProvider?: boolean;
}

/** Where the main session ended up running. */
export interface RunnerPlacement {
  executionProvider: string;
  /** Why it is not the provider asked for, or null. */
  providerNote: string | null;
  threads: number;
}

/**
 * One block's write edited at one position (no graph rebuild): that row becomes
 * keep * write[position] + mean * (the mean of the write over the other positions).
 * Zero = (0, 0), mean over the other positions = (0, 1), scale by k = (k, 0).
 */
export interface WriteEdit {
  component: 'mlp' | 'attn';
  block: number;
  position: number;
  keep: number;
  mean: number;
}

export interface ForwardRequest {
  /** Token ids, length T >= 1 (position 0 is BOS when one was prepended). */
  ids: readonly number[];
  /** Block indices whose MLP output written at position 0 is zeroed (no graph rebuild). */
  ablateMlp?: readonly number[];
  /** Block indices whose attention output written at position 0 is zeroed. */
  ablateAttn?: readonly number[];
  /** Write edits, at most one per (component, block); they combine with ablateMlp/ablateAttn on other blocks. */
  edits?: readonly WriteEdit[];
  /** Query heads whose output (before o_proj) is zeroed at every position. */
  headsOff?: readonly { block: number; head: number }[];
  /** Also return the final layer's next-token loss per position (a [T, V] transient in the graph). */
  tokenLoss?: boolean;
  /** Return the full T x T attention of this (block, head). */
  attnMap?: { block: number; head: number };
  /** Logit lens on these h indices (0..L), top-k per position and mean next-token CE. */
  logitLens?: { layers: readonly number[]; topK: number };
  /**
   * Most queries per head the mixing probe reduces (default MIX_MAX_QUERIES; all of 1..T-1 when
   * T - 1 <= it, else that many evenly spaced). 1 makes the probe nearly free (the benchmark's "off").
   */
  mixQueries?: number;
  /** Also return the d x d Gram matrices X^T X of every h[l] (used for the entropy when T > d). */
  gram?: boolean;
  /** Also return the T x T Gram matrices X X^T of every h[l] (used for the entropy when T <= d). */
  gramRows?: boolean;
}

export interface ForwardResult {
  T: number;
  /** Hidden states h[0..L]: [L+1, T, d] row-major (h[L] before the final norm). */
  hidden: Float32Array;
  /** Attention probability to key position 0: [L, H, T] (block, query head, query). */
  attnToBos: Float32Array;
  /**
   * Mixing per block and query head ('full' probes): mean normalised attention-row entropy [L, H] and mean
   * mass on keys other than BOS and self [L, H], over the query positions `queries` (empty when T = 1).
   */
  mixing?: { rowEntropy: Float32Array; otherMass: Float32Array; queries: number[] };
  /** Per block [L, 3]: ||attention write at BOS||, ||MLP write at BOS||, attention's share of the BOS change ('full'). */
  bosWrites?: Float32Array;
  /** Models with learned sinks ('full' probes): [L, H] mean share of attention the sink absorbs (queries i >= 1). */
  sinkShare?: Float32Array;
  /** Logits of the last position: [vocab]. */
  lastLogits: Float32Array;
  /** [T, T] when `attnMap` was asked. */
  attnMap?: Float32Array;
  /** When `logitLens` was asked: per requested layer, top-k ids/values [n, T, k] and mean CE [n]. */
  lens?: { layers: number[]; topK: number; ids: Int32Array; values: Float32Array; crossEntropy: Float32Array };
  /** [T-1] when `tokenLoss` was asked: -log p(ids[t+1]) of the final layer for t = 0..T-2. */
  tokenLoss?: Float32Array;
  /** [L+1, d, d] when `gram` was asked: h[l]^T h[l] per layer. */
  gram?: Float32Array;
  /** [L+1, T, T] when `gramRows` was asked: h[l] h[l]^T per layer. */
  gramRows?: Float32Array;
}

export interface Runner {
  readonly config: CanonicalConfig;
  readonly placement: RunnerPlacement;
  forward(req: ForwardRequest): Promise<ForwardResult>;
  /**
   * The Gram matrices of hidden states a forward returned ([L+1, T, d]): X^T X [L+1, d, d] (`cols`)
   * and/or X X^T [L+1, T, T] (`rows`). Lets a caller use the forward's other outputs first.
   */
  grams(hidden: Float32Array, T: number, sides: { cols?: boolean; rows?: boolean }): Promise<Pick<ForwardResult, 'gram' | 'gramRows'>>;
  dispose(): Promise<void>;
}

export type CreateRunner = (config: CanonicalConfig, weights: ModelWeights, opts: RunnerOptions) => Promise<Runner>;
