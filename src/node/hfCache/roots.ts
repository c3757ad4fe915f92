/**
 * Where Hugging Face caches live. huggingface_hub (constants.py) uses one cache:
 *   $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE (legacy), else $HF_HOME/hub,
 *   else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub,
 * each with `~` expanded. SinkLens scans every root those variables name, in that order, so a model
 * is found whichever of them a Python tool wrote it under; the first root is the one
 * huggingface_hub itself would use. Empty variables count as unset.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return join(home, p.slice(2));
  return p;
}

function envPath(env: Env, name: string, home: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : expandHome(v, home);
}

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: Env, home = homedir()): string {
  return envPath(env, 'HF_HOME', home) ?? join(envPath(env, 'XDG_CACHE_HOME', home) ?? join(home, '.cache'), 'huggingface');
}

/** The cache huggingface_hub reads and writes for this environment. */
export function primaryHubCache(env: Env, home = homedir()): string {
  return envPath(env, 'HF_HUB_CACHE', home) ?? envPath(env, 'HUGGINGFACE_HUB_CACHE', home) ?? join(hfHome(env, home), 'hub');
}

/**
 * Every cache root the environment names, in huggingface_hub's precedence, then `extra` (e.g. the
 * extension's own download folder). Deduplicated; missing folders are fine (they scan as empty).
 */
export function hubCacheRoots(env: Env, extra: readonly string[] = [], home = homedir()): string[] {
  const hubHome = envPath(env, 'HF_HOME', home);
  const xdg = envPath(env, 'XDG_CACHE_HOME', home);
  const roots = [
    envPath(env, 'HF_HUB_CACHE', home),
    envPath(env, 'HUGGINGFACE_HUB_CACHE', home),
    hubHome === undefined ? undefined : join(hubHome, 'hub'),
    join(xdg ?? join(home, '.cache'), 'huggingface', 'hub'),
    ...extra,
  ];
  return [...new Set(roots.filter((r): r is string => r !== undefined))];
}
