/**
 * Typed errors. Errors cross every boundary (engine process -> extension -> webview) as plain data
 * `{ code, message, detail? }`, never as thrown objects; `SinkLensError` is the in-process form.
 * Every message says what went wrong and what to do next.
 */
export type ErrorCode =
  | 'modelNotFound' // folder missing or not a model folder
  | 'badConfig' // config.json missing/invalid or missing a field we need
  | 'unsupportedArch' // model_type not in the registry (message lists the supported ones)
  | 'missingWeights' // no *.safetensors, or a tensor the architecture needs is absent
  | 'corruptWeights' // truncated file, bad header, offsets outside the file, unknown dtype
  | 'missingTokenizer' // no tokenizer.json
  | 'badTokenizer'
  | 'emptyPrompt'
  | 'promptTooLong' // more tokens than the model supports (after maxTokens truncation is off)
  | 'cancelled'
  | 'engineCrashed' // the engine process died (native crash, OOM, kill)
  | 'engineTimeout'
  | 'engineRestarted' // a stuck engine was restarted after a cancel; the request is sent again // the engine process did not answer in time
  | 'panelTimeout' // the extension host did not answer a panel request in time
  | 'nativeLoadFailed' // onnxruntime-node could not be loaded
  | 'runtimeError' // onnxruntime failed to create a session or run
  | 'providerUnavailable' // the execution provider asked for strictly cannot start
  | 'insufficientMemory' // the memory plan says the load or run would not fit in available memory
  | 'insufficientDisk' // no room for the converted model in the cache folder
  | 'downloadFailed'
  | 'checksumMismatch'
  | 'badRequest' // malformed message across a boundary
  | 'internal';

export interface ErrorData {
  code: ErrorCode;
  message: string;
  detail?: string;
}

export class SinkLensError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, message: string, detail?: string) {
    super(message);
    this.name = 'SinkLensError';
    this.code = code;
    this.detail = detail;
  }

  static is(e: unknown, code?: ErrorCode): e is SinkLensError {
    return e instanceof SinkLensError && (code === undefined || e.code === code);
  }

  toData(): ErrorData {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }

  static fromData(d: ErrorData): SinkLensError {
    return new SinkLensError(d.code, d.message, d.detail);
  }
}

/** Converts anything thrown into error data; unknown errors become `internal` with their stack as detail. */
export function toErrorData(e: unknown): ErrorData {
  if (e instanceof SinkLensError) return e.toData();
  // Plain error data (from across a boundary) is copied; an Error is never taken for it, even when it has a
  // string `code` (Node's fs errors: 'ENOENT'), which is not one of ours and would be lost in a structured clone.
  if (!(e instanceof Error) && isErrorData(e)) return e.detail === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, detail: e.detail };
  if (e instanceof Error) {
    if (e.name === 'AbortError') return { code: 'cancelled', message: 'The analysis was cancelled.' };
    return e.stack === undefined ? { code: 'internal', message: e.message } : { code: 'internal', message: e.message, detail: e.stack };
  }
  return { code: 'internal', message: String(e) };
}

export function isErrorData(v: unknown): v is ErrorData {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ErrorData).code === 'string' &&
    typeof (v as ErrorData).message === 'string'
  );
}
