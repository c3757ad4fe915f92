/**
 * Where the graph cache lives and how big it may grow: LoadOptions.cache, then the environment
 * (SINKLENS_CACHE_DIR, SINKLENS_CACHE_MAX_GB), then the defaults (the OS cache folder, 20 GB).
 * maxGB 0 turns caching off: graphs are still written (external data must live in a file), but
 * in the staging area, and deleted once the session is open.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CacheOptions } from '../../shared/engineApi';
import { SinkLensError } from '../../shared/errors';

export const DEFAULT_CACHE_MAX_GB = 20;
const GB = 1024 ** 3;

export interface CacheConfig {
  /** Root folder: `graphs/<key>/` entries and `staging/<pid>-<n>/` work folders. */
  dir: string;
  /** Size limit of `graphs/` in bytes; 0 = no cache (scratch graphs only). */
  maxBytes: number;
}

/** The OS cache folder: $XDG_CACHE_HOME, %LOCALAPPDATA%, ~/Library/Caches or ~/.cache; then `sinklens`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'sinklens');
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'sinklens', 'cache');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'sinklens');
  return join(homedir(), '.cache', 'sinklens');
}

export function resolveCacheConfig(o: CacheOptions | undefined, env: NodeJS.ProcessEnv = process.env): CacheConfig {
  const dir = nonEmpty(o?.dir) ?? nonEmpty(env.SINKLENS_CACHE_DIR) ?? defaultCacheDir(env);
  const fromEnv = nonEmpty(env.SINKLENS_CACHE_MAX_GB);
  const maxGB = o?.maxGB ?? (fromEnv === undefined ? DEFAULT_CACHE_MAX_GB : Number(fromEnv));
  if (!Number.isFinite(maxGB) || maxGB < 0) {
    throw new SinkLensError('badRequest', `The model cache size limit must be a number of GB >= 0 (got ${String(maxGB)}).`, 'Set sinklens.cache.maxGB (or SINKLENS_CACHE_MAX_GB); 0 turns the cache off.');
  }
  return { dir, maxBytes: Math.round(maxGB * GB) };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}
