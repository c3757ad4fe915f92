/**
 * The only importer of onnxruntime-node. Wraps session creation and `run` behind plain typed
 * arrays so the rest of the engine never sees ORT types; every ORT failure surfaces as
 * SinkLensError('runtimeError') (or 'nativeLoadFailed' when the binding cannot be loaded).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SinkLensError } from '../../shared/errors';
import { intraOpThreads } from './cores';

type Ort = typeof import('onnxruntime-node');
type OrtSession = import('onnxruntime-node').InferenceSession;

let ortModule: Ort | null = null;

/**
 * onnxruntime's Linux builds (1.29 and later; the macOS ones share the code) start a telemetry uploader
 * when the binding initialises: it queues session events for Microsoft's collector, keeps a device id and
 * an event database under ~/.cache/Microsoft/DeveloperTools/.onnxruntime and leaves an empty
 * `$TMPDIR/mat-debug-<pid>.log` behind every process. SinkLens analyses on the user's machine and sends
 * nothing anywhere, so its only importer of onnxruntime turns that off (onnxruntime reads the switch once,
 * when its environment is created: it must be set before the binding loads). Windows builds report
 * through ETW instead, which records only when a trace session or the OS's diagnostic-data setting asks
 * and which no environment variable controls.
 */
const ORT_TELEMETRY_SWITCH = 'ORT_DISABLE_TELEMETRY';

/** Loads the native binding lazily, so a broken install fails one request, not module import. */
function ort(): Ort {
  if (ortModule) return ortModule;
  process.env[ORT_TELEMETRY_SWITCH] = '1';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ortModule = require('onnxruntime-node') as Ort;
  } catch (e) {
    throw new SinkLensError(
      'nativeLoadFailed',
      'onnxruntime-node could not be loaded; reinstall the extension for this platform.',
      e instanceof Error ? e.message : String(e),
    );
  }
  return ortModule;
}

export interface SessionOptions {
  /** Intra-op threads; 0 = the physical cores this process may use (runtime/cores.ts), onnxruntime's default where unknown. */
  threads: number;
  /** Execution provider to ask for; default 'cpu'. 'auto' tries the GPU providers listed by the binding. */
  executionProvider?: string;
  /** Throw instead of falling back to the CPU when the provider cannot start. */
  strictProvider?: boolean;
  /**
   * Whether the intra-op threads spin between the nodes of a run (default true). They never spin
   * once a run has returned (`sessionConfig`). false: they block between nodes too, for side
   * sessions of one or two large nodes (the Gram GEMM), which have nothing to gain from spinning.
   */
  spin?: boolean;
  /**
   * onnxruntime's CPU memory arena (default false). The forward session takes it: its blocks then reuse
   * each other's freed buffers instead of glibc mapping and faulting in fresh ones (10-30% of a forward,
   * and a lower peak on the 8B shape, whose intra-op threads' malloc arenas otherwise keep what each block
   * frees). The arena keeps its peak for the session's life; the engine credits that memory to the
   * model's next runs (api.ts). docs/PERFORMANCE.md, "The forward session's memory arena".
   */
  arena?: boolean;
  /**
   * onnxruntime's weight prepacking (default true): at session creation every float32 MatMul weight is
   * copied into MLAS's blocked layout. Forwards of short prompts gain from it (GPT-2 small at 64 tokens
   * ~20% faster, at 256 3-11%, at 1024 none), but it costs ~2 s per GiB of weights at every load and a
   * second, anonymous copy of them. false skips it (`plan/memory.ts` prepackWeights): the weights stay in
   * the memory-mapped graph file. Quantised linears (MatMulNBits) get their compute layout from it.
   */
  prepack?: boolean;
  /** Diagnostics: onnxruntime writes a per-node timing profile (JSON) to `<prefix>_<date>.json` when the session is released. */
  profilePrefix?: string;
}

/** A feed: float32 or int64 data with its dims. */
export type Feed = { type: 'float32'; data: Float32Array; dims: readonly number[] } | { type: 'int64'; data: BigInt64Array; dims: readonly number[] };

export interface Fetched {
  data: Float32Array | BigInt64Array | Int32Array;
  dims: readonly number[];
}

export interface Session {
  /** The provider the session runs on (after any fallback) and why, when it is not the one asked for. */
  readonly executionProvider: string;
  readonly providerNote: string | null;
  /** Intra-op threads the session was created with (0 = onnxruntime's default: the OS did not say). */
  readonly threads: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, Feed>, fetches?: readonly string[]): Promise<Record<string, Fetched>>;
  release(): Promise<void>;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Execution providers the installed binding lists (name, and whether its files ship in the package). */
export function listExecutionProviders(): { name: string; bundled: boolean }[] {
  return ort().listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

type OrtOptions = import('onnxruntime-node').InferenceSession.SessionOptions;

/** The onnxruntime session options for one provider (the CPU always last, for the ops a GPU lacks). */
export function ortSessionOptions(opts: SessionOptions, provider: string): OrtOptions {
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    graphOptimizationLevel: 'all',
    enableCpuMemArena: opts.arena === true,
    logSeverityLevel: 3,
    ...(opts.threads > 0 ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    extra: { session: sessionConfig(opts) },
    ...(opts.profilePrefix ? { enableProfiling: true, profileFilePrefix: opts.profilePrefix } : {}),
  };
}

/**
 * onnxruntime's session config entries (the `session.` prefix is added by the binding).
 * `force_spinning_stop`: by default the intra-op threads keep spinning for the session's next run
 * after a run returns (~35-45 ms of a core per run on this project's 2-core machine). After a forward
 * the next work is the Gram and the metrics workers, which those spinning threads took a core from:
 * an analysis at T = 256 on GPT-2 small took 1.38-1.40x the bare forward with them, 1.32x without
 * (docs/PERFORMANCE.md). Spinning between the nodes of a run, which speeds the forward up, stays.
 */
function sessionConfig(opts: SessionOptions): Record<string, string> {
  const threads: Record<string, string> = opts.spin === false ? { 'intra_op.allow_spinning': '0' } : { force_spinning_stop: '1' };
  return opts.prepack === false ? { ...threads, disable_prepacking: '1' } : threads;
}

/** GPU providers 'auto' tries, best first, among those the binding lists. */
const AUTO_ORDER = ['cuda', 'dml', 'coreml'];

/** Providers to try in order (the CPU last unless strict), from the request and the binding's list. */
export function providerPlan(asked: string, listed: readonly string[], strict: boolean): string[] {
  if (asked === 'cpu') return ['cpu'];
  const gpu = asked === 'auto' ? AUTO_ORDER.filter((p) => listed.includes(p)) : [asked];
  return strict && asked !== 'auto' ? gpu : [...gpu, 'cpu'];
}

/**
 * Creates a session from ModelProto bytes or from a .onnx path (external data beside it), on the
 * asked provider; a provider that is not listed or fails to start falls back to the CPU with a
 * note, or throws `providerUnavailable` when the request is strict.
 */
export async function createSession(model: Uint8Array | string, requested: SessionOptions): Promise<Session> {
  const { InferenceSession } = ort();
  // threads 0: the physical cores this process may use, where the OS says (runtime/cores.ts), not onnxruntime's guess.
  const opts = { ...requested, threads: intraOpThreads(requested.threads) };
  const asked = opts.executionProvider ?? 'cpu';
  const listed = listExecutionProviders().map((b) => b.name);
  const strict = opts.strictProvider === true;
  const failures: string[] = [];
  for (const provider of providerPlan(asked, listed, strict)) {
    const missing = provider === 'cpu' ? null : missingProvider(provider, listed);
    if (missing) {
      failures.push(`${provider}: ${missing}`);
      continue;
    }
    const options = ortSessionOptions(opts, provider);
    let session: OrtSession;
    try {
      session = typeof model === 'string' ? await InferenceSession.create(model, options) : await InferenceSession.create(model, options);
    } catch (e) {
      if (provider === 'cpu') throw new SinkLensError('runtimeError', 'onnxruntime could not create a session for the model graph.', describe(e));
      failures.push(`${provider}: ${firstLine(describe(e))}`);
      continue;
    }
    const note = failures.length ? `Execution provider ${asked} is unavailable, running on the CPU: ${failures.join('; ')}.` : null;
    return wrap(session, provider, note, opts.threads);
  }
  throw new SinkLensError(
    'providerUnavailable',
    `Execution provider ${asked} is unavailable: ${failures.join('; ')}. Set sinklens.executionProvider (CLI --execution-provider) to cpu or auto.`,
  );
}

/**
 * Why `provider` cannot start before trying it, or null: not in the binding's list, or a provider
 * whose library is not bundled (CUDA, TensorRT: onnxruntime-node's install script downloads them)
 * and is not beside the binding.
 */
function missingProvider(provider: string, listed: readonly string[]): string | null {
  if (!listed.includes(provider)) return `not in this onnxruntime-node build (it lists ${listed.join(', ')})`;
  const entry = listExecutionProviders().find((b) => b.name === provider);
  if (!entry || entry.bundled) return null;
  let dir: string;
  try {
    dir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null; // Unknown layout: let onnxruntime try and report.
  }
  const lib = process.platform === 'win32' ? `onnxruntime_providers_${provider}.dll` : `libonnxruntime_providers_${provider}.so`;
  if (existsSync(join(dir, lib))) return null;
  return `its library ${lib} is not installed; onnxruntime-node's install downloads it on a CUDA 12 host, or with ONNXRUNTIME_NODE_INSTALL=cuda12`;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function wrap(session: OrtSession, executionProvider: string, providerNote: string | null, threads: number): Session {
  const { Tensor } = ort();
  return {
    executionProvider,
    providerNote,
    threads,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetches) {
      const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) ortFeeds[name] = new Tensor(f.type, f.data, f.dims);
      let out: import('onnxruntime-node').InferenceSession.ReturnType;
      try {
        out = fetches ? await session.run(ortFeeds, [...fetches]) : await session.run(ortFeeds);
      } catch (e) {
        throw new SinkLensError('runtimeError', 'onnxruntime failed while running the model.', describe(e));
      }
      const result: Record<string, Fetched> = {};
      for (const [name, t] of Object.entries(out)) {
        result[name] = { data: t.data as Fetched['data'], dims: t.dims };
      }
      return result;
    },
    async release() {
      await session.release();
    },
  };
}
