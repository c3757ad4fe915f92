/**
 * The Hugging Face cache layout, as written by huggingface_hub (so Python tools and SinkLens share
 * downloads):
 *
 *   <root>/models--{org}--{name}/
 *     blobs/<etag>                 verified file contents (etag = sha256 for LFS files, git blob sha1 otherwise)
 *     blobs/<etag>.incomplete      a partial download
 *     refs/<revision>              the commit sha the revision pointed to at download time
 *     snapshots/<commit>/<file>    relative symlink to ../../blobs/<etag> (a copy where symlinks fail)
 *
 * Paths only: no IO here. `--` never occurs in a repo id on the hub, so the folder name maps back
 * to exactly one repo id (huggingface_hub splits it the same way in scan_cache_dir).
 */
import { basename, dirname, join } from 'node:path';

const MODEL_PREFIX = 'models--';

/** `models--org--name`, the folder huggingface_hub uses for a model repo. */
export function repoFolderName(repoId: string): string {
  return `${MODEL_PREFIX}${repoId.split('/').join('--')}`;
}

/** `org/name` for a `models--org--name` folder name; undefined for anything else (datasets, spaces, stray files). */
export function repoIdOfFolder(folderName: string): string | undefined {
  if (!folderName.startsWith(MODEL_PREFIX)) return undefined;
  const id = folderName.slice(MODEL_PREFIX.length).split('--').join('/');
  return id === '' ? undefined : id;
}

/** The repo id when `dir` is `<root>/models--org--name/snapshots/<commit>`, else undefined. */
export function repoIdOfSnapshot(dir: string): string | undefined {
  const snaps = dirname(dir);
  if (basename(snaps) !== 'snapshots') return undefined;
  return repoIdOfFolder(basename(dirname(snaps)));
}

export function repoDir(root: string, repoId: string): string {
  return join(root, repoFolderName(repoId));
}

export function blobPath(repoDirPath: string, etag: string): string {
  return join(repoDirPath, 'blobs', etag);
}

export function incompletePath(repoDirPath: string, etag: string): string {
  return `${blobPath(repoDirPath, etag)}.incomplete`;
}

export function snapshotsDir(repoDirPath: string): string {
  return join(repoDirPath, 'snapshots');
}

export function snapshotDir(repoDirPath: string, commit: string): string {
  return join(snapshotsDir(repoDirPath), commit);
}

export function refsDir(repoDirPath: string): string {
  return join(repoDirPath, 'refs');
}

/** `refs/<revision>`; a revision with `/` (e.g. `tags/v1`) is a nested path, as huggingface_hub writes it. */
export function refPath(repoDirPath: string, revision: string): string {
  return join(refsDir(repoDirPath), ...revision.split('/'));
}
