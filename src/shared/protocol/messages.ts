/**
 * Message constructors shared by both boundaries (extension <-> webview, extension <-> engine
 * process), after GitLens' ipc.ts: a message name is declared once as a typed constant and
 * matched with `.is()`; no string literals for method names anywhere else.
 */
export interface Msg<P = unknown> {
  /** Unique per message. */
  id: string;
  method: string;
  params: P;
  /** For responses: the id of the request being answered. */
  completionId?: string;
}

abstract class Call<P> {
  constructor(readonly method: string) {}
  is(m: Msg): m is Msg<P> {
    return m.method === this.method;
  }
}

/** Fire-and-forget action. */
export class Command<P = void> extends Call<P> {
  readonly kind = 'command' as const;
}

/** Awaits a response of type R (sent back with `completionId` = request id). */
export class Request<P = void, R = void> extends Call<P> {
  readonly kind = 'request' as const;
  declare readonly _response?: R;
  readonly responseMethod: string;
  constructor(method: string) {
    super(method);
    this.responseMethod = responseMethodOf(method);
  }
}

const RESPONSE_SUFFIX = '/response';

/**
 * The method name of the response to a request method. Prefer `Request.responseMethod`; this is for
 * answering a message whose method is only known as a string (a malformed or unknown request).
 */
export function responseMethodOf(requestMethod: string): string {
  return `${requestMethod}${RESPONSE_SUFFIX}`;
}

/** The request method a response method answers, or undefined when `method` is not a response. */
export function requestMethodOf(method: string): string | undefined {
  return method.endsWith(RESPONSE_SUFFIX) ? method.slice(0, -RESPONSE_SUFFIX.length) : undefined;
}

/** Event pushed from the owner of the state. */
export class Notification<P = void> extends Call<P> {
  readonly kind = 'notification' as const;
}

export type ParamsOf<T> = T extends Call<infer P> ? P : never;
export type ResponseOf<T> = T extends Request<unknown, infer R> ? R : never;

/** The payload of a response: either a value or error data. */
export type ResponsePayload<R> = { ok: true; value: R } | { ok: false; error: import('../errors').ErrorData };

export function isMsg(v: unknown): v is Msg {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Msg).id === 'string' &&
    typeof (v as Msg).method === 'string' &&
    'params' in (v as object)
  );
}
