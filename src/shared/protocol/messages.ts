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
    this.responseMethod = `${method}/response`;
  }
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
