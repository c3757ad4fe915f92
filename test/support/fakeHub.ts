/**
 * A real HTTP server on 127.0.0.1 that serves one model folder the way the Hugging Face hub does
 * (shapes taken from huggingface_hub `file_download.py` / huggingface.js `@huggingface/hub`):
 *
 *   GET /api/models/{repo}[/revision/{rev}]   {_id, id, sha, siblings: [{rfilename}], ...}
 *   GET /api/models/{repo}/tree/{rev}         [{type, oid, size, path, lfs?: {oid, size, pointerSize}}]
 *   GET /{repo}/resolve/{rev}/{file}          bytes; ETag (git sha1, quoted) and X-Repo-Commit on every file,
 *                                             X-Linked-Etag / X-Linked-Size on LFS files (*.safetensors);
 *                                             Range `bytes=a-` / `bytes=a-b` -> 206 + Content-Range, bad -> 416.
 *   With `lfsRedirect`, LFS files answer 302 -> /cdn/{sha256} (like the hub's CDN redirect).
 *
 * Knobs let tests break it: drop the connection mid-file, stall mid-file, serve corrupted bytes,
 * require a token; every request is logged (path, Range, Authorization).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface HubFile {
  path: string;
  bytes: Buffer;
  /** git blob sha1 of the content (for LFS files git stores a pointer; its oid is what the tree lists). */
  oid: string;
  sha256: string;
  lfs: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | undefined;
  authorization: string | undefined;
}

export interface FakeHubKnobs {
  /** Close the socket after sending this many body bytes of `file`, `times` times (then serve normally). */
  drop?: { file: string; afterBytes: number; times: number };
  /** Send this many body bytes of `file`, then hang until the client goes away. */
  stall?: { file: string; afterBytes: number };
  /** Files served with flipped bytes (same length): the listing's hashes stay the true ones. */
  corrupt?: Set<string>;
  /** When set, every request must carry `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** Answer LFS resolves with a 302 to /cdn/<sha256>. */
  lfsRedirect?: boolean;
  /** Answer Range requests with the whole file (200), like a server or proxy without range support. */
  ignoreRange?: boolean;
  /** Extra raw entries appended to the tree listing (e.g. hostile file names). */
  extraTree?: unknown[];
  /** A `Link: <url>; rel="next"` header on the tree listing: the client fetches the next page from there. */
  nextPage?: string;
}

export interface FakeHub {
  endpoint: string;
  repo: string;
  commit: string;
  files: HubFile[];
  knobs: FakeHubKnobs;
  requests: LoggedRequest[];
  close(): Promise<void>;
}

const gitOid = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The git-lfs pointer file git stores for an LFS file; the tree's `oid` is this pointer's blob id. */
function lfsPointer(sha: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize ${size}\n`);
}

export function loadRepoFiles(folder: string, extraFiles: Record<string, Buffer> = {}): HubFile[] {
  const names = readdirSync(folder).filter((n) => statSync(join(folder, n)).isFile());
  const entries: [string, Buffer][] = [...names.map((n): [string, Buffer] => [n, readFileSync(join(folder, n))]), ...Object.entries(extraFiles)];
  return entries
    .map(([path, bytes]) => {
      const lfs = path.endsWith('.safetensors') || path.endsWith('.bin') || path.endsWith('.onnx');
      const sha = sha256(bytes);
      return { path, bytes, sha256: sha, lfs, oid: lfs ? gitOid(lfsPointer(sha, bytes.length)) : gitOid(bytes) };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

export async function startFakeHub(opts: { folder: string; repo: string; revision?: string; extraFiles?: Record<string, Buffer> }): Promise<FakeHub> {
  const files = loadRepoFiles(opts.folder, opts.extraFiles);
  const commit = createHash('sha1').update(files.map((f) => f.oid).join(',')).digest('hex');
  const revisions = new Set([opts.revision ?? 'main', commit]);
  // One object shared with the request handler, so tests can swap `hub.knobs` between downloads.
  const hub: FakeHub = { endpoint: '', repo: opts.repo, commit, files, knobs: {}, requests: [], close: () => Promise.resolve() };
  const server = createServer((req, res) => handle(hub, revisions, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hub.close = () => closeServer(server);
  return hub;
}

function handle(hub: FakeHub, revisions: Set<string>, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = decodeURIComponent(url.pathname);
  hub.requests.push({ method: req.method ?? 'GET', path, range: req.headers.range, authorization: req.headers.authorization });
  if (hub.knobs.token && req.headers.authorization !== `Bearer ${hub.knobs.token}` && !path.startsWith('/cdn/')) {
    return json(res, 401, { error: 'Invalid credentials in Authorization header' }, { 'X-Error-Code': 'GatedRepo' });
  }
  const api = `/api/models/${hub.repo}`;
  const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
  if (cdn) {
    const f = hub.files.find((x) => x.sha256 === cdn[1]);
    return f ? sendFile(hub, f, req, res, {}) : json(res, 404, { error: 'Not found' });
  }
  if (path === api) return modelInfo(hub, res);
  const rev = new RegExp(`^${escape(api)}/revision/([^/]+)$`).exec(path);
  if (rev) return revisions.has(rev[1] as string) ? modelInfo(hub, res) : json(res, 404, { error: 'Invalid rev id' }, { 'X-Error-Code': 'RevisionNotFound' });
  const tree = new RegExp(`^${escape(api)}/tree/([^/]+)$`).exec(path);
  if (tree) {
    if (!revisions.has(tree[1] as string)) return json(res, 404, { error: 'Invalid rev id' }, { 'X-Error-Code': 'RevisionNotFound' });
    const link: Record<string, string> = hub.knobs.nextPage ? { Link: `<${hub.knobs.nextPage}>; rel="next"` } : {};
    return json(res, 200, [...hub.files.map(treeEntry), ...(hub.knobs.extraTree ?? [])], link);
  }
  const resolve = new RegExp(`^/${escape(hub.repo)}/resolve/([^/]+)/(.+)$`).exec(path);
  if (resolve) {
    if (!revisions.has(resolve[1] as string)) return json(res, 404, { error: 'Invalid rev id' }, { 'X-Error-Code': 'RevisionNotFound' });
    const f = hub.files.find((x) => x.path === resolve[2]);
    if (!f) return json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
    return resolveFile(hub, f, req, res);
  }
  if (path.startsWith('/api/models/')) return json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
  json(res, 404, { error: 'Not found' });
}

function modelInfo(hub: FakeHub, res: ServerResponse): void {
  json(res, 200, {
    _id: hub.commit.slice(0, 24),
    id: hub.repo,
    modelId: hub.repo,
    sha: hub.commit,
    private: false,
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    pipeline_tag: 'text-generation',
    lastModified: '2026-01-01T00:00:00.000Z',
    siblings: hub.files.map((f) => ({ rfilename: f.path })),
  });
}

function treeEntry(f: HubFile): unknown {
  const base = { type: 'file', oid: f.oid, size: f.bytes.length, path: f.path };
  return f.lfs ? { ...base, lfs: { oid: f.sha256, size: f.bytes.length, pointerSize: lfsPointer(f.sha256, f.bytes.length).length } } : base;
}

function resolveFile(hub: FakeHub, f: HubFile, req: IncomingMessage, res: ServerResponse): void {
  const meta: Record<string, string> = { 'X-Repo-Commit': hub.commit, ETag: `"${f.oid}"` };
  if (f.lfs) Object.assign(meta, { 'X-Linked-Etag': `"${f.sha256}"`, 'X-Linked-Size': String(f.bytes.length) });
  if (f.lfs && hub.knobs.lfsRedirect) {
    res.writeHead(302, { ...meta, Location: `/cdn/${f.sha256}`, 'Content-Length': '0' });
    return void res.end();
  }
  sendFile(hub, f, req, res, meta);
}

/** Serves the bytes (whole or a Range), applying the drop/stall/corrupt knobs. */
function sendFile(hub: FakeHub, f: HubFile, req: IncomingMessage, res: ServerResponse, meta: Record<string, string>): void {
  const size = f.bytes.length;
  const range = hub.knobs.ignoreRange ? undefined : parseRange(req.headers.range, size);
  if (range === 'bad') {
    res.writeHead(416, { ...meta, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' });
    return void res.end();
  }
  const [start, end] = range ?? [0, size - 1];
  let body = f.bytes.subarray(start, end + 1);
  if (hub.knobs.corrupt?.has(f.path)) body = Buffer.from(body.map((b) => b ^ 0x5a));
  const headers = { ...meta, 'Accept-Ranges': 'bytes', 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' };
  res.writeHead(range ? 206 : 200, range ? { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}` } : headers);
  if (req.method === 'HEAD') return void res.end();
  const drop = hub.knobs.drop;
  if (drop && drop.file === f.path && drop.times > 0 && body.length > drop.afterBytes) {
    drop.times--;
    // Flush part of the body, then kill the socket without finishing the response: a mid-file drop.
    return void res.write(body.subarray(0, drop.afterBytes), () => res.socket?.destroy());
  }
  const stall = hub.knobs.stall;
  if (stall && stall.file === f.path && body.length > stall.afterBytes) {
    return void res.write(body.subarray(0, stall.afterBytes));
  }
  res.end(body);
}

function parseRange(header: string | undefined, size: number): [number, number] | 'bad' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d+)-(\d*)$/.exec(header);
  if (!m) return 'bad';
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  return start < size && start <= end ? [start, end] : 'bad';
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
