/**
 * Downloads one file into `blobs/<etag>.incomplete`, resuming from the partial file's size with a
 * Range request (also after the connection drops mid-file), then verifies it (sha256 for LFS files,
 * the git blob sha1 otherwise) and only then renames it to `blobs/<etag>`. So a blob under its final
 * name is always verified, and a partial or corrupt file is never linked into a snapshot.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { blobPath, incompletePath } from '../../node/hfCache';
import { SinkLensError } from '../../shared/errors';
import { hubGet, isRetryableStatus, statusAdvice, type FetchFn } from './http';
import { normalizeEtag, sizeOf } from './layout';
import type { RemoteFile } from './select';

export interface BlobJob {
  /** The repo's cache folder (`models--org--name`). */
  dir: string;
  file: RemoteFile;
  /** `{endpoint}/{repo}/resolve/{commit}/{file}`. */
  url: string;
  token?: string;
  signal?: AbortSignal;
  fetch: FetchFn;
  /** How many times a dropped connection or a 5xx is retried (each retry resumes). */
  retries: number;
  /** Bytes of this file now on disk (may go down when a server ignores Range and we restart). */
  onBytes(onDisk: number): void;
}

/** Outcome of one HTTP attempt: done (all bytes on disk), or retry (resume from what is on disk) and why. */
type Attempt = 'done' | { retry: string };

export async function fetchBlob(job: BlobJob): Promise<void> {
  const { dir, file } = job;
  const final = blobPath(dir, file.etag);
  if ((await sizeOf(final)) === file.size) {
    job.onBytes(file.size);
    return;
  }
  await mkdir(`${dir}/blobs`, { recursive: true });
  await withBlobLock(job, () => download(job));
}

async function download(job: BlobJob): Promise<void> {
  const { file } = job;
  // Another window may have finished this blob while we waited for its lock.
  if ((await sizeOf(blobPath(job.dir, file.etag))) === file.size) return job.onBytes(file.size);
  let lastError = '';
  for (let attempt = 0; attempt <= job.retries; attempt++) {
    if (attempt > 0) await backoff(attempt, job.signal);
    try {
      const outcome = await attemptOnce(job);
      if (outcome === 'done') {
        await verifyAndCommit(job);
        return;
      }
      lastError = outcome.retry;
    } catch (e) {
      throwIfCancelled(job.signal);
      if (e instanceof SinkLensError) throw e;
      lastError = describe(e);
    }
  }
  throw new SinkLensError(
    'downloadFailed',
    `Downloading ${file.name} failed after ${job.retries + 1} attempts (${lastError}). Check your connection and run Download Model again: the ${formatBytes(await partialSize(job))} already downloaded will be resumed.`,
  );
}

async function attemptOnce(job: BlobJob): Promise<Attempt> {
  const { file } = job;
  const partial = incompletePath(job.dir, file.etag);
  let offset = (await sizeOf(partial)) ?? 0;
  if (offset > file.size) {
    await rm(partial, { force: true });
    offset = 0;
  }
  job.onBytes(offset);
  if (offset === file.size) return 'done';
  const { res, first } = await hubGet(job.url, { ...opt(job), range: offset, fetch: job.fetch });
  if (res.status === 416) {
    // The partial no longer matches what the server has: start over.
    await res.body?.cancel();
    await rm(partial, { force: true });
    return { retry: 'the server rejected the resume range' };
  }
  if (!res.ok) {
    await res.body?.cancel();
    if (isRetryableStatus(res.status)) return { retry: `HTTP ${res.status}: ${statusAdvice(res.status)}` };
    throw new SinkLensError('downloadFailed', `Downloading ${file.name} failed with HTTP ${res.status}: ${statusAdvice(res.status)}.`);
  }
  checkLinkedEtag(first, file);
  const start = res.status === 206 ? rangeStart(res.headers.get('content-range')) : 0;
  if (start !== offset && start !== 0) {
    await res.body?.cancel();
    await rm(partial, { force: true });
    return { retry: `the server answered a different range (${res.headers.get('content-range')})` };
  }
  // A 200 (server ignored Range) or a range from 0 rewrites the file from the start.
  const fh = await open(partial, start === 0 ? 'w' : 'a');
  let onDisk = start;
  job.onBytes(onDisk);
  try {
    if (!res.body) throw new Error('empty response body');
    // Node's web streams are async-iterable; the DOM typings (test tsconfig) do not say so.
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await fh.write(chunk).catch((e: unknown) => {
        throw new SinkLensError('downloadFailed', `Could not write ${file.name} into ${job.dir} (${(e as Error).message}). Free some disk space or pick another folder, then run Download Model again.`);
      });
      onDisk += chunk.byteLength;
      job.onBytes(onDisk);
    }
  } finally {
    await fh.close();
  }
  if (onDisk > file.size) {
    await rm(partial, { force: true });
    throw new SinkLensError('downloadFailed', `The hub sent ${onDisk} bytes for ${file.name}, expected ${file.size}; the partial file was deleted. Run Download Model again.`);
  }
  return onDisk === file.size ? 'done' : { retry: 'the connection closed before the whole file arrived' };
}

/**
 * One writer per blob, also across VS Code windows sharing the cache: `blobs/<etag>.lock` holds the
 * owner's pid. A lock whose process is gone (crash, kill) is taken over.
 */
async function withBlobLock(job: BlobJob, fn: () => Promise<void>): Promise<void> {
  const lock = `${blobPath(job.dir, job.file.etag)}.lock`;
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await readFile(lock, 'utf8').catch(() => ''));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new SinkLensError('downloadFailed', `${job.file.name} is being downloaded by another SinkLens window (process ${owner}); wait for it to finish, then run Download Model again.`);
      }
      if (owner === process.pid && activeLocks.has(lock)) {
        throw new SinkLensError('downloadFailed', `${job.file.name} is already being downloaded; wait for that download to finish.`);
      }
      await rm(lock, { force: true });
    }
  }
  activeLocks.add(lock);
  try {
    await fn();
  } finally {
    activeLocks.delete(lock);
    await rm(lock, { force: true });
  }
}

const activeLocks = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Hashes the finished partial file and promotes it to the verified blob, or deletes it. */
async function verifyAndCommit(job: BlobJob): Promise<void> {
  const { file } = job;
  const partial = incompletePath(job.dir, file.etag);
  const got = await hashFile(partial, file);
  if (got !== file.check.hex) {
    await rm(partial, { force: true });
    const what = file.check.kind === 'sha256' ? 'sha256' : 'git sha1';
    throw new SinkLensError(
      'checksumMismatch',
      `${file.name} is corrupt: its ${what} is ${got}, but the hub says ${file.check.hex}. The bad file was deleted and no model folder was created; run Download Model again to fetch it fresh.`,
    );
  }
  await rename(partial, blobPath(job.dir, file.etag));
}

/** sha256 of the bytes, or git's blob id sha1("blob <size>\0" + bytes) for files stored in git. */
export async function hashFile(path: string, file: Pick<RemoteFile, 'size' | 'check'>): Promise<string> {
  const h = createHash(file.check.kind === 'sha256' ? 'sha256' : 'sha1');
  if (file.check.kind === 'gitSha1') h.update(`blob ${file.size}\0`);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The hub's own header (before the CDN redirect) names the content; a different one means the listing is stale. */
function checkLinkedEtag(first: Headers, file: RemoteFile): void {
  const linked = normalizeEtag(first.get('x-linked-etag'));
  if (file.check.kind === 'sha256' && linked !== undefined && linked !== file.etag) {
    throw new SinkLensError('downloadFailed', `${file.name} changed on the hub while downloading (etag ${linked}, listed ${file.etag}); run Download Model again.`);
  }
}

function rangeStart(contentRange: string | null): number {
  const m = /^bytes (\d+)-/.exec(contentRange ?? '');
  return m ? Number(m[1]) : -1;
}

function opt(job: BlobJob): { token?: string; signal?: AbortSignal } {
  return { ...(job.token ? { token: job.token } : {}), ...(job.signal ? { signal: job.signal } : {}) };
}

async function backoff(attempt: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(Math.min(200 * 2 ** (attempt - 1), 5000), undefined, signal ? { signal } : {});
  } catch {
    throwIfCancelled(signal);
  }
}

export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) {
    throw new SinkLensError('cancelled', 'The download was cancelled. The partial files were kept; run Download Model again to resume.');
  }
}

async function partialSize(job: BlobJob): Promise<number> {
  return (await sizeOf(incompletePath(job.dir, job.file.etag))) ?? 0;
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as Error & { cause?: unknown }).cause;
  const code = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
  return code ? `${e.message}: ${code}` : e.message;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
