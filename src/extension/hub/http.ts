/**
 * One GET with redirects followed by hand: the hub answers LFS files with a 302 to a CDN, and the
 * token must not follow a redirect to another origin (the CDN URL is pre-signed). The first hop's
 * headers (X-Linked-Etag, X-Repo-Commit) are kept, since the CDN's response does not carry them.
 */
import { SinkLensError } from '../../shared/errors';

export type FetchFn = typeof fetch;

export interface HubResponse {
  res: Response;
  /** Headers of the first response (the hub's own, before any redirect). */
  first: Headers;
}

const MAX_REDIRECTS = 5;

export async function hubGet(
  url: string,
  opts: { token?: string; range?: number; signal?: AbortSignal; fetch: FetchFn },
): Promise<HubResponse> {
  const origin = new URL(url).origin;
  let current = url;
  let first: Headers | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
    // Byte offsets only mean something on the unencoded representation, hence identity above.
    if (opts.range !== undefined && opts.range > 0) headers.Range = `bytes=${opts.range}-`;
    if (opts.token && new URL(current).origin === origin) headers.Authorization = `Bearer ${opts.token}`;
    const res = await opts.fetch(current, { headers, redirect: 'manual', ...(opts.signal ? { signal: opts.signal } : {}) });
    first ??= res.headers;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      current = new URL(location, current).toString();
      continue;
    }
    return { res, first };
  }
  throw new SinkLensError('downloadFailed', `Too many redirects while downloading ${url}; check the sinklens.hub.endpoint setting.`);
}

/** Errors worth another try: the network, or a hub/CDN having a bad moment. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function statusAdvice(status: number): string {
  if (status === 401 || status === 403) {
    return 'the repo is private or gated: accept its license on the hub and set a token with read access';
  }
  if (status === 404) return 'the repo, revision or file does not exist on this endpoint';
  if (status === 429) return 'the hub is rate-limiting requests; wait a minute and try again';
  return 'try again later';
}
