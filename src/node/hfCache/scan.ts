/**
 * Finds local models: complete snapshots in Hugging Face cache roots, and plain model folders.
 * Partial downloads live in `blobs/*.incomplete` and are never linked into a snapshot, and
 * SinkLens's own downloads publish a snapshot folder in one rename, so a half-built model is never
 * listed. Every listing (the `sinklens models` command, the extension's Select Model) goes through
 * `listLocalModels`, so both show the same models for the same environment.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { refsDir, repoIdOfFolder, snapshotDir, snapshotsDir } from './layout';
import { checkModelFolder } from './modelFolder';
import { hubCacheRoots, type Env } from './roots';

export interface CachedModel {
  /** `org/name`. */
  repo: string;
  /** The snapshot folder name (a commit sha). */
  commit: string;
  /** Ref names (`main`, `tags/v1`) that point at this commit. */
  refs: string[];
  dir: string;
  root: string;
  modelType?: string;
}

export interface FolderModel {
  /** The folder's name. */
  name: string;
  dir: string;
  modelType?: string;
}

/** Every complete model snapshot under one cache root; an unreadable or missing root gives []. */
export function scanHubCache(root: string): CachedModel[] {
  const out: CachedModel[] = [];
  for (const entry of safeList(root)) {
    const repo = repoIdOfFolder(entry);
    if (repo === undefined) continue;
    const repoDirPath = join(root, entry);
    const refs = readRefs(refsDir(repoDirPath));
    for (const commit of safeList(snapshotsDir(repoDirPath))) {
      const dir = snapshotDir(repoDirPath, commit);
      const check = checkModelFolder(dir);
      if (check.problem !== null) continue;
      const refNames = [...refs].filter(([, c]) => c === commit).map(([r]) => r);
      out.push({ repo, commit, refs: refNames, dir, root, ...(check.modelType !== undefined ? { modelType: check.modelType } : {}) });
    }
  }
  return out.sort((a, b) => a.repo.localeCompare(b.repo) || a.commit.localeCompare(b.commit));
}

/** Scans all roots (first root wins for a repeated repo+commit). */
export function scanAllHubCaches(roots: readonly string[]): CachedModel[] {
  const seen = new Set<string>();
  const out: CachedModel[] = [];
  for (const m of roots.flatMap(scanHubCache)) {
    const k = `${m.repo}@${m.commit}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(m);
    }
  }
  return out;
}

/** The snapshot for `repo` at `revision` (a ref name, or a commit sha or its prefix of >= 7 chars). */
export function findCachedModel(models: readonly CachedModel[], repo: string, revision: string): CachedModel | undefined {
  const same = models.filter((m) => m.repo === repo);
  return (
    same.find((m) => m.refs.includes(revision)) ??
    same.find((m) => m.commit === revision || (revision.length >= 7 && m.commit.startsWith(revision)))
  );
}

/** Model folders given by the user: each folder is a model folder itself, or a folder whose direct subfolders are. */
export function scanModelFolders(folders: readonly string[]): FolderModel[] {
  const out: FolderModel[] = [];
  for (const f of folders) {
    const dir = resolve(f);
    const self = checkModelFolder(dir);
    const candidates = self.problem === null ? [dir] : safeList(dir).map((n) => join(dir, n));
    for (const d of candidates) {
      const check = d === dir ? self : checkModelFolder(d);
      if (check.problem === null) out.push({ name: basename(d), dir: d, ...(check.modelType !== undefined ? { modelType: check.modelType } : {}) });
    }
  }
  return out;
}

export interface LocalModels {
  folders: FolderModel[];
  cached: CachedModel[];
}

export interface ListOptions {
  env: Env;
  /** Cache roots scanned after the ones the environment names. */
  extraRoots?: readonly string[];
  /** Plain model folders (see `scanModelFolders`). */
  folders?: readonly string[];
  home?: string;
}

/** The local models for an environment: configured folders, then every cache root's snapshots. Deduplicated by folder. */
export function listLocalModels(opts: ListOptions): LocalModels {
  const all = scanModelFolders(opts.folders ?? []);
  const folders = all.filter((f, i) => all.findIndex((g) => g.dir === f.dir) === i);
  const seen = new Set(folders.map((f) => f.dir));
  const cached = scanAllHubCaches(hubCacheRoots(opts.env, opts.extraRoots ?? [], opts.home)).filter((m) => !seen.has(m.dir));
  return { folders, cached };
}

function readRefs(dir: string): Map<string, string> {
  const refs = new Map<string, string>();
  const walk = (d: string, prefix: string): void => {
    for (const name of safeList(d)) {
      const p = join(d, name);
      try {
        if (statSync(p).isDirectory()) walk(p, `${prefix}${name}/`);
        else refs.set(`${prefix}${name}`, readFileSync(p, 'utf8').trim());
      } catch {
        // A ref being rewritten by a concurrent download: skip it this time.
      }
    }
  };
  walk(dir, '');
  return refs;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
