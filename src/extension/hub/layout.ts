/**
 * Writing into the Hugging Face cache layout (the layout itself, paths only, is src/node/hfCache/layout.ts):
 * validation of hub metadata before it becomes a path, refs, and snapshot publishing.
 *
 * A snapshot folder only ever appears complete: it is assembled under `.sinklens-staging/` (same depth,
 * so the relative links resolve) and renamed into `snapshots/` in one step. Scanners of `snapshots/*`
 * (src/node/hfCache/scan.ts) therefore never see a half-built model.
 */
import { copyFile, mkdir, readdir, rename, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blobPath, refPath, snapshotDir, snapshotsDir } from '../../node/hfCache';
import { SinkLensError } from '../../shared/errors';

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;
const HEX_ETAG = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** Throws `badRequest` unless `repoId` is `name` or `org/name` (no path tricks: it becomes a folder name). */
export function checkRepoId(repoId: string): void {
  if (!REPO_ID.test(repoId) || repoId.includes('..')) {
    throw new SinkLensError('badRequest', `"${repoId}" is not a Hugging Face repo id; use the form org/name, e.g. HuggingFaceTB/SmolLM2-135M.`);
  }
}

/** Strips the quotes and weak prefix an HTTP ETag carries (huggingface_hub `_normalize_etag`). */
export function normalizeEtag(etag: string | null | undefined): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** The hub's metadata is used in paths, so it must be plain hex before it touches the disk. */
export function checkEtag(etag: string, file: string): void {
  if (!HEX_ETAG.test(etag)) throw new SinkLensError('downloadFailed', `The hub sent an unexpected id "${etag}" for ${file}; this endpoint does not look like a Hugging Face hub.`);
}

/** Revisions become ref file paths: branch/tag names and commit shas only, no `..`. */
export function checkRevision(revision: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(revision) || revision.includes('..') || revision.endsWith('/')) {
    throw new SinkLensError('badRequest', `"${revision}" is not a valid revision; use a branch, a tag or a commit sha (default: main).`);
  }
}

export function checkCommit(commit: string): void {
  if (!COMMIT.test(commit)) throw new SinkLensError('downloadFailed', `The hub sent an unexpected commit id "${commit}"; this endpoint does not look like a Hugging Face hub.`);
}

export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

export interface SnapshotFile {
  /** Top-level file name in the repo (never contains `/`). */
  name: string;
  etag: string;
  size: number;
}

/** True when the snapshot folder holds every file at its full size (a link whose blob was deleted does not count). */
export async function snapshotHas(dir: string, commit: string, files: SnapshotFile[]): Promise<boolean> {
  const snap = snapshotDir(dir, commit);
  for (const f of files) if ((await sizeOf(join(snap, f.name))) !== f.size) return false;
  return true;
}

/**
 * Links every (already verified) blob into `snapshots/<commit>/`. A new snapshot is built in a staging
 * folder and renamed into place, so it appears complete or not at all. An existing snapshot folder
 * (e.g. from huggingface_hub) only gets its missing files added.
 */
export async function publishSnapshot(dir: string, commit: string, files: SnapshotFile[]): Promise<string> {
  const target = snapshotDir(dir, commit);
  await mkdir(snapshotsDir(dir), { recursive: true });
  if (await sizeOf(target) !== undefined) {
    const present = new Set(await readdir(target));
    for (const f of files) if (!present.has(f.name)) await linkBlob(dir, target, f);
    return target;
  }
  const staging = join(dir, '.sinklens-staging', `${commit}-${process.pid}-${Date.now()}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const f of files) await linkBlob(dir, staging, f);
  try {
    await rename(staging, target);
  } catch (e) {
    // Another download published the same commit first; its snapshot is just as good.
    await rm(staging, { recursive: true, force: true });
    if (!(await snapshotHas(dir, commit, files))) throw e;
  }
  // Leave the cache as huggingface_hub would (the staging parent is ours); a concurrent download may still use it.
  await rmdir(join(dir, '.sinklens-staging')).catch(() => undefined);
  return target;
}

/** `refs/<revision>` -> commit, written without a newline like huggingface_hub does. */
export async function writeRef(dir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const path = refPath(dir, revision);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, commit);
}

async function linkBlob(dir: string, snapshot: string, f: SnapshotFile): Promise<void> {
  const dest = join(snapshot, f.name);
  try {
    // Relative, so the cache folder can be moved as a whole (same as huggingface_hub).
    await symlink(join('..', '..', 'blobs', f.etag), dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    // Windows without developer mode cannot create symlinks: fall back to a copy, via a temp name so
    // a reader never sees a half-copied file.
    await copyFile(blobPath(dir, f.etag), `${dest}.tmp`);
    await rename(`${dest}.tmp`, dest);
  }
}
