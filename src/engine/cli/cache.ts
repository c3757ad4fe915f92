/**
 * `sinklens cache list|clear`: the graph cache (built graphs + converted weights) on disk.
 *   sinklens cache list [--cache-dir D]
 *   sinklens cache clear [--cache-dir D] [--key PREFIX]
 */
import type { CacheOptions } from '../../shared/engineApi';
import type { Engine } from '../api';
import { num, one, UsageError, type ParsedArgs } from './args';

/** --cache-dir / --cache-max-gb (else $SINKLENS_CACHE_DIR / $SINKLENS_CACHE_MAX_GB, then the defaults). */
export function cacheOptions(p: ParsedArgs): CacheOptions | undefined {
  const dir = one(p, 'cache-dir');
  const maxGB = num(p, 'cache-max-gb');
  if (maxGB !== undefined && maxGB < 0) throw new UsageError(`--cache-max-gb must be >= 0 (got ${maxGB}); 0 turns the cache off.`);
  if (dir === undefined && maxGB === undefined) return undefined;
  return { ...(dir !== undefined ? { dir } : {}), ...(maxGB !== undefined ? { maxGB } : {}) };
}

const gb = (n: number): string => `${(n / 1024 ** 3).toFixed(2)} GB`;

export function cmdCache(engine: Engine, p: ParsedArgs, out: (s: string) => void): void {
  const action = p.positionals[0];
  const opts = cacheOptions(p);
  if (action === 'list') {
    const l = engine.cacheList(opts);
    const total = l.entries.reduce((s, e) => s + e.bytes, 0);
    out(`${l.dir}: ${l.entries.length} entr${l.entries.length === 1 ? 'y' : 'ies'}, ${gb(total)} of ${gb(l.maxBytes)}\n`);
    for (const e of l.entries) {
      out(`  ${e.key.slice(0, 12)}  ${gb(e.bytes).padStart(10)}  last used ${e.lastUsedAt.slice(0, 19).replace('T', ' ')}  ${e.model}  ${e.options}  ${e.modelDir}\n`);
    }
    return;
  }
  if (action === 'clear') {
    const r = engine.cacheClear(opts, one(p, 'key') ?? '');
    out(`removed ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'} (${gb(r.bytes)})\n`);
    return;
  }
  throw new UsageError(`sinklens cache takes list or clear (got '${action ?? ''}').`);
}
