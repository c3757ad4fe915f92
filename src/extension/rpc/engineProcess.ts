/**
 * Owns the engine child process: forks it on the first request, wires its IPC channel to an
 * RpcConnection, forwards its stdout/stderr and log notifications, and survives its death.
 * When the child exits unexpectedly (native crash, OOM kill, `kill -9`), every pending request
 * rejects with `engineCrashed` and the next request forks a fresh process. vscode-free, so the
 * crash-recovery test forks a real child without a VS Code.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { engineEnv, engineExecArgv } from '../../node/engineEnv';
import { SinkLensError, type ErrorData } from '../../shared/errors';
import type { ParamsOf, Request, ResponseOf } from '../../shared/protocol/messages';
import type { LogLevel } from '../../shared/log';
import { RpcConnection, type RequestOptions } from './rpcConnection';

export interface EngineExit {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How many requests were in flight and have been rejected. */
  rejected: number;
  error: ErrorData;
}

export interface EngineProcessOptions {
  /** The engine entry point (`dist/engine.js`). */
  script: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  onLog: (level: LogLevel, message: string) => void;
  /** Called once per unexpected exit, after the pending requests were rejected. */
  onCrash?: (exit: EngineExit) => void;
  /** How long a cancelled request's engine may take to answer before it is restarted; default 2000 ms. */
  cancelGraceMs?: number;
}

const DISCONNECT_GRACE_MS = 1000;

interface Live {
  child: ChildProcess;
  conn: RpcConnection;
  stopping: boolean;
  gone: boolean;
}

export class EngineProcess {
  private live: Live | undefined;
  private starts = 0;

  constructor(private readonly opts: EngineProcessOptions) {}

  /** pid of the running engine, undefined when none is running. */
  get pid(): number | undefined {
    return this.live?.child.pid;
  }

  /** How many times a process was forked (1 + restarts). */
  get startCount(): number {
    return this.starts;
  }

  /**
   * Sends a request to the engine (forking one if none runs). Engine requests are self-contained queries
   * (model folder + options + text), so a request caught in a restart of a stuck engine is sent once more to
   * the fresh one instead of failing.
   */
  async request<T extends Request<unknown, unknown>>(type: T, params: ParamsOf<T>, opts: RequestOptions = {}): Promise<ResponseOf<T>> {
    try {
      return await this.ensure().conn.request(type, params, opts);
    } catch (e) {
      if (!SinkLensError.is(e, 'engineRestarted') || opts.signal?.aborted) throw e;
      return this.ensure().conn.request(type, params, opts);
    }
  }

  /** Stops the engine on purpose (settings change, deactivate): pending requests reject as cancelled. */
  stop(): void {
    const live = this.live;
    if (!live) return;
    live.stopping = true;
    this.gone(live, null, null, { code: 'cancelled', message: 'The engine was stopped.' });
    live.child.kill();
  }

  dispose(): void {
    this.stop();
  }

  private ensure(): Live {
    if (this.live) return this.live;
    if (!existsSync(this.opts.script)) {
      throw new SinkLensError('internal', `The engine program ${this.opts.script} is missing. Reinstall the extension (or run "npm run build" in a checkout).`);
    }
    const child = fork(this.opts.script, this.opts.args ?? [], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Never inherit the extension host's --inspect flags: a second debugger on the same port kills the child.
      // The engine's own flags: gc() for the load, relaxed SIMD where the runtime's V8 needs a flag for it.
      execArgv: engineExecArgv([]),
      // On Linux, glibc's malloc backs large blocks with huge pages (src/node/engineEnv.ts).
      env: engineEnv(this.opts.env ?? process.env),
    });
    this.starts++;
    const conn = new RpcConnection(
      {
        send: (msg) => {
          if (!child.connected) throw new Error('the engine process is not connected');
          child.send(msg, (err) => {
            if (err) this.opts.onLog('warn', `send to engine failed: ${err.message}`);
          });
        },
      },
      {
        onLog: (level, message) => this.opts.onLog(level, `[engine] ${message}`),
        onInvalid: (why) => this.opts.onLog('warn', `dropped an engine message: ${why}`),
        onUnresponsive: (method, graceMs) => this.restartStuck(live, method, graceMs),
        ...(this.opts.cancelGraceMs !== undefined ? { graceMs: this.opts.cancelGraceMs } : {}),
      },
    );
    // Assigned before any message can arrive (the handlers above read it lazily).
    const live: Live = { child, conn, stopping: false, gone: false };
    this.live = live;
    this.opts.onLog('info', `engine started (pid ${child.pid ?? '?'}): ${this.opts.script}`);
    child.on('message', (m) => conn.handleMessage(m));
    pipeLines(child.stdout, (line) => this.opts.onLog('info', `[engine stdout] ${line}`));
    pipeLines(child.stderr, (line) => this.opts.onLog('warn', `[engine stderr] ${line}`));
    child.on('exit', (code, signal) => this.onExit(live, code, signal));
    child.on('error', (err) => {
      this.opts.onLog('error', `engine process error: ${err.message}`);
      if (child.exitCode === null && child.signalCode === null && !child.connected) this.onExit(live, null, null);
    });
    child.on('disconnect', () => {
      // 'disconnect' comes before 'exit' when the child dies; give 'exit' a moment to report the
      // real code/signal. A child that dropped its channel but lives on is useless: end it.
      setTimeout(() => {
        if (live.gone || live.stopping) return;
        this.onExit(live, child.exitCode, child.signalCode);
        child.kill('SIGKILL');
      }, DISCONNECT_GRACE_MS).unref();
    });
    return live;
  }

  private onExit(live: Live, code: number | null, signal: NodeJS.Signals | null): void {
    if (live.gone) return;
    const how = signal !== null ? `was killed by ${signal}` : code !== null ? `exited with code ${code}` : 'lost its connection';
    const error: ErrorData = {
      code: 'engineCrashed',
      message: `The SinkLens engine process ${how}. It may have run out of memory or crashed in native code. The next analysis starts a fresh engine.`,
    };
    const rejected = this.gone(live, code, signal, error);
    this.opts.onLog(live.stopping ? 'info' : 'error', `engine (pid ${live.child.pid ?? '?'}) ${how}; ${rejected} request(s) failed`);
    if (!live.stopping) this.opts.onCrash?.({ pid: live.child.pid, code, signal, rejected, error });
  }

  /**
   * A cancelled request's engine did not stop within the grace period (busy in native code that cannot be
   * interrupted): kill it, so the UI is never left waiting behind it. Requests still pending on it are
   * rejected as `engineRestarted`, which request() answers by sending them to a fresh engine.
   */
  private restartStuck(live: Live, method: string, graceMs: number): void {
    if (live.gone || live.stopping) return;
    this.opts.onLog('warn', `engine (pid ${live.child.pid ?? '?'}) did not stop ${method} within ${graceMs} ms of a cancel; restarting it`);
    live.stopping = true;
    this.gone(live, null, null, { code: 'engineRestarted', message: 'The engine was restarted because a cancelled analysis did not stop in time.' });
    live.child.kill('SIGKILL');
  }

  /** Marks `live` dead and rejects its requests; returns how many were pending. */
  private gone(live: Live, _code: number | null, _signal: NodeJS.Signals | null, error: ErrorData): number {
    if (live.gone) return 0;
    live.gone = true;
    if (this.live === live) this.live = undefined;
    const n = live.conn.pendingCount;
    live.conn.close(error);
    return n;
  }
}

function pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    const lines = buf.split(/\r?\n/);
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') onLine(l);
  });
  stream.on('end', () => {
    if (buf.trim() !== '') onLine(buf);
    buf = '';
  });
}
