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

/**
 * The fetch handed to the hub's metadata client: it follows redirects by hand and sends the token only to the
 * endpoint's own origin. Listings paginate through `Link: rel="next"` URLs that the server chooses, and a
 * hostile or compromised mirror could point them (or a redirect) at another host to collect the token.
 */
export function originGuardedFetch(fetchFn: FetchFn, endpoint: string): FetchFn {
  const origin = new URL(endpoint).origin;
  const guarded = async (input: Parameters<FetchFn>[0], init?: Parameters<FetchFn>[1]): Promise<Response> => {
    let url = input instanceof Request ? input.url : String(input);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      if (new URL(url).origin !== origin) headers.delete('authorization');
      const res = await fetchFn(url, { ...init, headers, redirect: 'manual' });
      const location = res.headers.get('location');
      if (!(res.status >= 300 && res.status < 400 && location)) return res;
      await res.body?.cancel();
      url = new URL(location, url).toString();
    }
    throw new SinkLensError('downloadFailed', `Too many redirects from ${endpoint}; check the sinklens.hub.endpoint setting.`);
  };
  return guarded as FetchFn;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The endpoint must be an http(s) URL without credentials; plain http is accepted only on loopback (a local
 * mirror or test server) unless the user allowed it, since the token and the weights would travel in clear.
 */
export function checkEndpoint(endpoint: string, allowInsecureHttp = false): URL {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new SinkLensError('downloadFailed', `The hub endpoint '${endpoint}' is not a URL; set sinklens.hub.endpoint to e.g. https://huggingface.co.`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new SinkLensError('downloadFailed', `The hub endpoint ${u.origin} must be an https:// URL; set sinklens.hub.endpoint.`);
  }
  if (u.username || u.password) {
    throw new SinkLensError('downloadFailed', 'The hub endpoint must not carry a user name or password; set HF_TOKEN for gated or private repos.');
  }
  if (u.protocol === 'http:' && !LOOPBACK.test(u.hostname) && !allowInsecureHttp) {
    throw new SinkLensError(
      'downloadFailed',
      `Refusing the plain-http hub endpoint ${u.origin}: the token and the weights would travel unencrypted. Use https, or enable sinklens.hub.allowInsecureHttp (user settings) for a trusted local mirror.`,
    );
  }
  return u;
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
