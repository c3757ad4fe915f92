/**
 * Download Model: fetches a model repo from a Hugging Face hub into the HF cache layout (see
 * layout.ts) and returns its snapshot folder. Pure Node (no vscode): the extension's Download Model
 * command wraps it in a progress notification with Cancel.
 *
 *   modelInfo (commit sha) -> listFiles (sizes, LFS sha256) -> selectFiles -> fetchBlob each
 *   (resumable, verified) -> publishSnapshot (atomic) -> refs/<revision>
 *
 * The metadata calls go through @huggingface/hub; the bytes go through our own fetch, because we need
 * Range resume into `.incomplete` files and per-chunk progress.
 */
import { listFiles, modelInfo } from '@huggingface/hub';
import { blobPath, incompletePath, repoDir } from '../../node/hfCache';
import { SinkLensError } from '../../shared/errors';
import { fetchBlob, formatBytes, throwIfCancelled } from './blob';
import { checkEndpoint, originGuardedFetch, statusAdvice, type FetchFn } from './http';
import { checkCommit, checkRepoId, checkRevision, publishSnapshot, sizeOf, snapshotHas, writeRef } from './layout';
import { selectFiles, type RemoteFile, type TreeEntry } from './select';

export interface DownloadOptions {
  /** `org/name`. */
  repoId: string;
  /** Branch, tag or commit sha; default `main`. */
  revision?: string;
  /** Hub base URL, e.g. `https://huggingface.co` (setting `sinklens.hub.endpoint`). */
  endpoint: string;
  /** Cache root: `models--org--name/` is created under it. */
  destRoot: string;
  /** Hub access token for private or gated repos. */
  token?: string;
  /** Bytes over all selected files; `bytesDone` never decreases and ends at `bytesTotal`. */
  onProgress?: (bytesDone: number, bytesTotal: number, file: string) => void;
  signal?: AbortSignal;
  /** Retries per file after a dropped connection or a 5xx (each resumes); default 3. */
  retries?: number;
  /** For tests and proxies; default the global fetch. */
  fetch?: FetchFn;
  /** Accept a plain-http endpoint that is not loopback (setting `sinklens.hub.allowInsecureHttp`); default false. */
  allowInsecureHttp?: boolean;
}

export interface DownloadResult {
  /** The complete snapshot folder (`.../snapshots/<commit>`), usable as a model folder. */
  dir: string;
  commit: string;
  files: string[];
  bytesTotal: number;
}

export async function downloadModel(opts: DownloadOptions): Promise<DownloadResult> {
  const revision = opts.revision ?? 'main';
  checkRepoId(opts.repoId);
  checkRevision(revision);
  checkEndpoint(opts.endpoint, opts.allowInsecureHttp);
  const endpoint = opts.endpoint.replace(/\/+$/, '');
  const fetchFn = opts.fetch ?? fetch;
  throwIfCancelled(opts.signal);
  const { commit, files } = await resolveRepo(opts, endpoint, revision, fetchFn);
  const dir = repoDir(opts.destRoot, opts.repoId);
  const bytesTotal = files.reduce((s, f) => s + f.size, 0);
  const snapshot = await diskErrors(dir, async () => {
    if (!(await snapshotHas(dir, commit, files))) {
      await fetchAll(opts, { endpoint, dir, commit, files, bytesTotal, fetchFn });
    }
    const snap = await publishSnapshot(dir, commit, files);
    await writeRef(dir, revision, commit);
    return snap;
  });
  opts.onProgress?.(bytesTotal, bytesTotal, files.at(-1)?.name ?? '');
  return { dir: snapshot, commit, files: files.map((f) => f.name), bytesTotal };
}

const DISK_ADVICE: Record<string, string> = {
  ENOSPC: 'the disk is full: free some space',
  EDQUOT: 'the disk quota is exhausted: free some space',
  EACCES: 'permission denied: make the folder writable or point HF_HUB_CACHE / HF_HOME elsewhere',
  EPERM: 'permission denied: make the folder writable or point HF_HUB_CACHE / HF_HOME elsewhere',
  EROFS: 'the file system is read-only: point HF_HUB_CACHE / HF_HOME at a writable folder',
};

/** File-system failures in the cache folder become one actionable line (no raw errno text); partials are kept. */
async function diskErrors<T>(dir: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const advice = code === undefined ? undefined : DISK_ADVICE[code];
    if (advice === undefined || e instanceof SinkLensError) throw e;
    throw new SinkLensError('downloadFailed', `Could not write the model into ${dir}: ${advice}; then run Download Model again (finished files are kept).`);
  }
}

interface Plan {
  endpoint: string;
  dir: string;
  commit: string;
  files: RemoteFile[];
  bytesTotal: number;
  fetchFn: FetchFn;
}

async function fetchAll(opts: DownloadOptions, plan: Plan): Promise<void> {
  const progress = monotonicProgress(plan.bytesTotal, opts.onProgress);
  // Bytes on disk per file, starting from verified blobs and partials, so a resumed download's bar
  // starts where the last one stopped.
  const onDisk = new Map<string, number>();
  for (const f of plan.files) onDisk.set(f.name, await bytesOnDisk(plan.dir, f));
  let done = [...onDisk.values()].reduce((a, b) => a + b, 0);
  progress(done, plan.files[0]?.name ?? '');
  for (const file of plan.files) {
    throwIfCancelled(opts.signal);
    await fetchBlob({
      dir: plan.dir,
      file,
      url: `${plan.endpoint}/${opts.repoId}/resolve/${plan.commit}/${encodeURIComponent(file.name)}`,
      fetch: plan.fetchFn,
      retries: opts.retries ?? 3,
      onBytes: (n) => {
        done += n - (onDisk.get(file.name) ?? 0);
        onDisk.set(file.name, n);
        progress(done, file.name);
      },
      ...(opts.token ? { token: opts.token } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }
}

async function bytesOnDisk(dir: string, f: RemoteFile): Promise<number> {
  if ((await sizeOf(blobPath(dir, f.etag))) === f.size) return f.size;
  return Math.min((await sizeOf(incompletePath(dir, f.etag))) ?? 0, f.size);
}

/** Progress that never goes backwards (a restarted file re-counts bytes it had already reported). */
function monotonicProgress(total: number, cb: DownloadOptions['onProgress']): (done: number, file: string) => void {
  let last = -1;
  return (done, file) => {
    if (done <= last || !cb) return;
    last = done;
    cb(Math.min(done, total), total, file);
  };
}

/** Commit sha and the model files, from the hub's metadata API. */
async function resolveRepo(opts: DownloadOptions, endpoint: string, revision: string, fetchFn: FetchFn): Promise<{ commit: string; files: RemoteFile[] }> {
  const guarded = originGuardedFetch(withSignal(fetchFn, opts.signal), endpoint);
  const common = { hubUrl: endpoint, fetch: guarded, ...(opts.token ? { accessToken: opts.token } : {}) };
  try {
    const info = await modelInfo({ ...common, name: opts.repoId, revision, additionalFields: ['sha'] });
    const commit = String(info.sha);
    checkCommit(commit);
    const entries: TreeEntry[] = [];
    // Listing at the commit (not the branch) so a push during the download cannot mix revisions.
    for await (const e of listFiles({ ...common, repo: opts.repoId, revision: commit })) entries.push(e);
    return { commit, files: selectFiles(opts.repoId, entries) };
  } catch (e) {
    throwIfCancelled(opts.signal);
    if (e instanceof SinkLensError) throw e;
    throw metadataError(opts.repoId, revision, endpoint, e);
  }
}

function metadataError(repoId: string, revision: string, endpoint: string, e: unknown): SinkLensError {
  const status = (e as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number') {
    return new SinkLensError('downloadFailed', `Could not read ${repoId}@${revision} from ${endpoint} (HTTP ${status}): ${statusAdvice(status)}.`, String(e));
  }
  const cause = (e as { cause?: { code?: string } }).cause?.code;
  const why = cause ?? (e instanceof Error ? e.message : String(e));
  return new SinkLensError(
    'downloadFailed',
    `Could not reach the hub at ${endpoint} to read ${repoId} (${why}). Check your connection and the sinklens.hub.endpoint setting, then run Download Model again.`,
  );
}

/** @huggingface/hub takes no AbortSignal, but it takes a fetch: thread the signal through it. */
function withSignal(fetchFn: FetchFn, signal: AbortSignal | undefined): FetchFn {
  if (!signal) return fetchFn;
  return ((input: Parameters<FetchFn>[0], init?: Parameters<FetchFn>[1]) => fetchFn(input, { ...init, signal })) as FetchFn;
}

export { formatBytes };
