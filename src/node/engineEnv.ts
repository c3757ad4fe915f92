/**
 * The environment of a process that runs the engine: the extension's engine child, the `sinklens` CLI and the
 * benchmark. On Linux it asks glibc's malloc to back its large blocks with transparent huge pages
 * (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`; glibc >= 2.35 reads it, older glibc and musl ignore it).
 *
 * Why: every analysis allocates tens of MB of fresh memory. onnxruntime-node copies each output into a new
 * ArrayBuffer (the hidden states [L+1, T, d] are 40 MB at T = 1024 on GPT-2 small, above glibc's 32 MB mmap
 * ceiling, so every run maps and unmaps them), the Gram session's output and the metrics workers' layer
 * slices add as much again, and onnxruntime's arena grows over the first runs. In 4 KiB pages that was
 * ~18,000 page faults per analysis at T = 1024, ~1,600 with huge pages. On a virtual machine where a fault
 * costs ~10 µs, the first analysis of a process at T = 1024 went from 2.3-2.7 s to 1.8-2.0 s and later
 * analyses at T = 256 from 1.51x to 1.38x the bare forward (docs/PERFORMANCE.md, "Page faults").
 *
 * The engine's processes also run with `--expose-gc`, and on V8 11 (Node 20) with V8's relaxed-SIMD flag
 * (engineExecArgv below).
 *
 * Only glibc's malloc reads the tunable: a runtime that routes malloc to an allocator of its own ignores it (measured
 * under Node here, not under VS Code's Electron). A tunable the user already set (any value) is left as it is.
 */
import { spawn } from 'node:child_process';

export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb';
/** Set in a relaunched process: it never relaunches again. */
const RELAUNCHED = 'SINKLENS_RELAUNCHED';

/** The names set in a GLIBC_TUNABLES value (`name=value:name=value`). */
function tunableNames(value: string | undefined): string[] {
  return (value ?? '').split(':').flatMap((kv) => {
    const name = kv.split('=')[0]?.trim();
    return name ? [name] : [];
  });
}

/** True when `env` already gives the engine what engineEnv adds (always true off Linux). */
export function hasEngineEnv(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'linux' || tunableNames(env['GLIBC_TUNABLES']).includes(HUGE_PAGES_TUNABLE);
}

/** The malloc setting in force, `GLIBC_TUNABLES=...` (or `=(unset)`), for logs and reports; null off Linux. */
export function mallocSetting(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  return platform === 'linux' ? `GLIBC_TUNABLES=${env['GLIBC_TUNABLES'] ?? '(unset)'}` : null;
}

/** `env` with the engine's malloc tunable added on Linux; a copy, never the object passed in. */
export function engineEnv(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  if (hasEngineEnv(env, platform)) return { ...env };
  const current = env['GLIBC_TUNABLES'];
  const tunables = current ? `${current}:${HUGE_PAGES_TUNABLE}=1` : `${HUGE_PAGES_TUNABLE}=1`;
  return { ...env, GLIBC_TUNABLES: tunables };
}

/**
 * V8 11 (Node 20) implements WebAssembly relaxed SIMD behind this flag; V8 >= 12 (Node >= 22, VS Code's Electron)
 * runs it by default. With it the spectra's Householder kernel uses its fused multiply-add build
 * (metrics/wasmKernel.ts): 52 against 63 ms for a 769 x 769 reduction on this project's VM, the same
 * eigenvalues to ~1e-11 (test/unit/metrics/eigenKernels.test.ts checks both builds on Node 20 with the flag).
 */
export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/**
 * Makes `gc()` available to the engine: a cold load frees the conversion's dead buffers before onnxruntime opens the
 * converted graph (graph/session.ts, ~25 ms). They may be dead but uncollected then, as the conversion reuses its row
 * buffers and allocates little: before float weights were written in pieces, the Llama-3.2-1B shape's int4 load
 * peaked at 5.75 GB without the collection and 4.21 GB with it (its embedding's stored and float32 copies); now 4.26
 * and 4.20 GB. What a collection still frees are whole tensors of weights not read by rows (a GGUF file's quantised
 * embedding, dequantised: 2 GB on an 8B model) and the written weights' quantised codes.
 */
export const EXPOSE_GC_FLAG = '--expose-gc';

/** `execArgv` plus `--expose-gc` and, where this V8 needs it for the fused build, the relaxed-SIMD flag (a copy). */
export function engineExecArgv(execArgv: readonly string[], v8Version: string = process.versions.v8): string[] {
  const out = [...execArgv];
  if (!out.includes(EXPOSE_GC_FLAG) && !out.includes('--expose_gc')) out.push(EXPOSE_GC_FLAG);
  const major = Number(v8Version.split('.')[0]);
  if (major === 11 && !out.includes(RELAXED_SIMD_FLAG)) out.push(RELAXED_SIMD_FLAG);
  return out;
}

/**
 * Entry points started by a user (the CLI, the benchmark) call this first: when this process lacks the
 * engine's environment (or, on Node 20, the relaxed-SIMD flag) it runs itself again with them (same node,
 * flags and arguments, stdio inherited), passes SIGINT/SIGTERM/SIGHUP on, and resolves with the child's exit
 * code (a child killed by a signal kills this process with the same signal). Resolves null when nothing was
 * relaunched: go on here. glibc reads its tunables, and V8 its flags, at process start: hence a new process.
 */
export function relaunchWithEngineEnv(script: string, args: readonly string[]): Promise<number | null> {
  // RELAUNCHED guards against a loop should something strip the variable on the way (a wrapper, a secure-execution mode).
  if (process.env[RELAUNCHED] === '1') {
    followParent();
    return Promise.resolve(null);
  }
  const execArgv = engineExecArgv(process.execArgv);
  if (hasEngineEnv(process.env) && execArgv.length === process.execArgv.length) return Promise.resolve(null);
  const env = { ...engineEnv(process.env), [RELAUNCHED]: '1' };
  // The IPC channel only tells the child when this process is gone (followParent); nothing is sent on it.
  const child = spawn(process.execPath, [...execArgv, script, ...args], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (s: NodeJS.Signals): void => {
    child.kill(s);
  };
  for (const s of signals) process.on(s, forward);
  const stopForwarding = (): void => {
    for (const s of signals) process.off(s, forward);
  };
  return new Promise((resolve) => {
    // A child that cannot start (no process slots, say): run here, without the tunable.
    child.on('error', () => {
      stopForwarding();
      resolve(null);
    });
    child.on('exit', (code, signal) => {
      stopForwarding();
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}

/**
 * In a relaunched process: exit when the process that started it is gone. A SIGKILL (a harness's timeout, the
 * OOM killer) cannot be passed on, and the analysis would otherwise run on, holding the model's memory, with
 * nobody to read its output. The channel is unref'd, so it never keeps the process alive by itself.
 */
function followParent(): void {
  const channel = process.channel;
  if (!channel) return;
  channel.unref();
  process.once('disconnect', () => process.exit(1));
}
