/**
 * Finds models in Hugging Face cache folders (`<root>/models--org--name/snapshots/<commit>/`).
 * vscode-free and independent of the engine (the extension never imports src/engine): a snapshot
 * counts as a model when it has `config.json` and safetensors weights. Partial downloads live in
 * `blobs/*.incomplete` and are never linked into a snapshot, so they are never listed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface CachedModel {
  /** `org/name`. */
  repo: string;
  /** The snapshot folder name (a commit sha). */
  commit: string;
  /** Ref names (`main`, tags) that point at this commit. */
  refs: string[];
  dir: string;
  root: string;
}

/** Cache roots in priority order: $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub, then `extra` (our global storage). Deduplicated. */
export function hubCacheRoots(env: Record<string, string | undefined>, extra: string[] = [], home = homedir()): string[] {
  const roots: string[] = [];
  if (env.HF_HUB_CACHE) roots.push(env.HF_HUB_CACHE);
  if (env.HF_HOME) roots.push(join(env.HF_HOME, 'hub'));
  const xdg = env.XDG_CACHE_HOME;
  roots.push(join(xdg && xdg !== '' ? xdg : join(home, '.cache'), 'huggingface', 'hub'));
  roots.push(...extra);
  return [...new Set(roots)];
}

/** Why a folder is not a usable model folder, or null when it is one. */
export function modelFolderProblem(dir: string): string | null {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return `${dir} is not a folder.`;
  const config = join(dir, 'config.json');
  if (!existsSync(config)) return `${dir} has no config.json; pick the folder that holds config.json and the *.safetensors weights.`;
  try {
    const parsed: unknown = JSON.parse(readFileSync(config, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return `${config} is not a JSON object.`;
  } catch (e) {
    return `${config} is not valid JSON (${(e as Error).message}).`;
  }
  const names = readdirSync(dir);
  if (!names.some((n) => n.endsWith('.safetensors') || n.endsWith('.safetensors.index.json'))) {
    return `${dir} has no *.safetensors weights; SinkLens reads safetensors checkpoints only.`;
  }
  return null;
}

/** Every complete model snapshot under one cache root; an unreadable or missing root gives []. */
export function scanHubCache(root: string): CachedModel[] {
  const out: CachedModel[] = [];
  for (const entry of safeList(root)) {
    if (!entry.startsWith('models--')) continue;
    const repoDir = join(root, entry);
    const repo = entry.slice('models--'.length).split('--').join('/');
    const refs = readRefs(join(repoDir, 'refs'));
    for (const commit of safeList(join(repoDir, 'snapshots'))) {
      const dir = join(repoDir, 'snapshots', commit);
      if (modelFolderProblem(dir) !== null) continue;
      out.push({ repo, commit, refs: [...refs].filter(([, c]) => c === commit).map(([r]) => r), dir, root });
    }
  }
  return out.sort((a, b) => a.repo.localeCompare(b.repo) || a.commit.localeCompare(b.commit));
}

/** Scans all roots (first root wins for a repeated repo+commit). */
export function scanAllHubCaches(roots: string[]): CachedModel[] {
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
export function findCachedModel(models: CachedModel[], repo: string, revision: string): CachedModel | undefined {
  const same = models.filter((m) => m.repo === repo);
  return (
    same.find((m) => m.refs.includes(revision)) ??
    same.find((m) => m.commit === revision || (revision.length >= 7 && m.commit.startsWith(revision)))
  );
}

function readRefs(refsDir: string): Map<string, string> {
  const refs = new Map<string, string>();
  const walk = (dir: string, prefix: string): void => {
    for (const name of safeList(dir)) {
      const p = join(dir, name);
      try {
        if (statSync(p).isDirectory()) walk(p, `${prefix}${name}/`);
        else refs.set(`${prefix}${name}`, readFileSync(p, 'utf8').trim());
      } catch {
        // A ref being rewritten by a concurrent download: skip it this time.
      }
    }
  };
  walk(refsDir, '');
  return refs;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
