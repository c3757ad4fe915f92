/**
 * Finds local models: the Hugging Face cache ($HF_HOME/hub, or ~/.cache/huggingface/hub; layout
 * models--org--name/snapshots/<rev>/config.json) and configured folders (a model folder itself,
 * or a folder whose direct subfolders are model folders).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { isSupportedModelType } from '../arch/registry';

export interface DiscoveredModel {
  name: string;
  dir: string;
  source: 'hf-cache' | 'folder';
  repoId?: string;
  revision?: string;
  modelType?: string;
  supported: boolean;
}

export interface DiscoverOptions {
  /** HF_HOME; defaults to $HF_HOME or ~/.cache/huggingface. $HF_HUB_CACHE wins when set and hfHome is not given. */
  hfHome?: string;
  extraDirs?: readonly string[];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function modelTypeOf(dir: string): string | undefined {
  try {
    const t = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { model_type?: unknown }).model_type;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

function hubDir(opts: DiscoverOptions): string {
  if (opts.hfHome) return join(opts.hfHome, 'hub');
  if (process.env['HF_HUB_CACHE']) return process.env['HF_HUB_CACHE'];
  return join(process.env['HF_HOME'] ?? join(homedir(), '.cache', 'huggingface'), 'hub');
}

/** The snapshot a `refs/main` points at, else every snapshot. */
function snapshotsOf(repoDir: string): string[] {
  const snaps = join(repoDir, 'snapshots');
  if (!isDir(snaps)) return [];
  const refMain = join(repoDir, 'refs', 'main');
  if (existsSync(refMain)) {
    const rev = readFileSync(refMain, 'utf8').trim();
    if (isDir(join(snaps, rev))) return [rev];
  }
  return readdirSync(snaps).filter((r) => isDir(join(snaps, r))).sort();
}

function fromHfCache(hub: string): DiscoveredModel[] {
  if (!isDir(hub)) return [];
  const out: DiscoveredModel[] = [];
  for (const entry of readdirSync(hub).sort()) {
    const m = /^models--(.+?)--(.+)$/.exec(entry);
    if (!m) continue;
    const repoId = `${m[1]}/${m[2]}`;
    for (const revision of snapshotsOf(join(hub, entry))) {
      const dir = join(hub, entry, 'snapshots', revision);
      if (!existsSync(join(dir, 'config.json'))) continue;
      const modelType = modelTypeOf(dir);
      out.push({ name: repoId, dir, source: 'hf-cache', repoId, revision, ...(modelType ? { modelType } : {}), supported: isSupportedModelType(modelType) });
    }
  }
  return out;
}

function fromFolder(root: string): DiscoveredModel[] {
  const dir = resolve(root);
  const candidates = existsSync(join(dir, 'config.json')) ? [dir] : isDir(dir) ? readdirSync(dir).sort().map((n) => join(dir, n)) : [];
  return candidates
    .filter((d) => isDir(d) && existsSync(join(d, 'config.json')))
    .map((d) => {
      const modelType = modelTypeOf(d);
      return { name: basename(d), dir: d, source: 'folder' as const, ...(modelType ? { modelType } : {}), supported: isSupportedModelType(modelType) };
    });
}

export async function discoverModels(opts: DiscoverOptions = {}): Promise<DiscoveredModel[]> {
  const found = [...(opts.extraDirs ?? []).flatMap(fromFolder), ...fromHfCache(hubDir(opts))];
  const seen = new Set<string>();
  return found.filter((m) => (seen.has(m.dir) ? false : (seen.add(m.dir), true)));
}
