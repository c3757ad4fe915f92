/**
 * "SinkLens: Manage Model Cache" (`sinklens.clearModelCache`): lists the engine's graph cache
 * (converted weights of every model loaded before), and removes one entry or all of them. Also
 * the cache settings (`sinklens.cache.dir`, `sinklens.cache.maxGB`) as the engine's CacheOptions,
 * added to every load request by the engine client.
 */
import * as vscode from 'vscode';
import type { CacheEntryInfo, CacheOptions, LoadOptions } from '../shared/engineApi';
import { toErrorData } from '../shared/errors';
import type { Ctx } from './ctx';

export const MANAGE_CACHE_COMMAND = 'sinklens.clearModelCache';

/** The cache settings; an empty or invalid value leaves the engine's default. */
export function cacheSettings(get: (key: string) => unknown = (k) => vscode.workspace.getConfiguration('sinklens').get(k)): CacheOptions | undefined {
  const dir = get('cache.dir');
  const maxGB = get('cache.maxGB');
  const o: CacheOptions = {
    ...(typeof dir === 'string' && dir.trim() !== '' ? { dir: dir.trim() } : {}),
    ...(typeof maxGB === 'number' && Number.isFinite(maxGB) && maxGB >= 0 ? { maxGB } : {}),
  };
  return Object.keys(o).length ? o : undefined;
}

/** `opts` with the cache settings added (the cache location and size are not part of any cache key). */
export function withCacheSettings(opts: LoadOptions): LoadOptions {
  const cache = cacheSettings();
  return cache ? { ...opts, cache } : opts;
}

const gb = (n: number): string => `${(n / 1024 ** 3).toFixed(2)} GB`;

interface Pick extends vscode.QuickPickItem {
  action: 'clearAll' | 'open' | 'entry';
  entry?: CacheEntryInfo;
}

export function registerModelCacheCommand(ctx: Ctx): vscode.Disposable {
  return vscode.commands.registerCommand(MANAGE_CACHE_COMMAND, async () => {
    try {
      await manageCache(ctx);
    } catch (e) {
      const d = toErrorData(e);
      ctx.log.error(`manage model cache: ${d.detail ?? d.message}`);
      void vscode.window.showErrorMessage(`SinkLens could not read the model cache: ${d.message}`);
    }
  });
}

async function manageCache(ctx: Ctx): Promise<void> {
  const cache = cacheSettings();
  const listing = await ctx.engine.cacheList(cache);
  const total = listing.entries.reduce((s, e) => s + e.bytes, 0);
  const items: Pick[] = [
    { label: `$(trash) Clear the model cache`, description: `${listing.entries.length} model(s), ${gb(total)} of ${gb(listing.maxBytes)}`, action: 'clearAll' },
    { label: '$(folder-opened) Open the cache folder', description: listing.dir, action: 'open' },
  ];
  if (listing.entries.length) items.push({ label: 'Cached models (pick one to remove it)', kind: vscode.QuickPickItemKind.Separator, action: 'entry' });
  for (const e of listing.entries) {
    items.push({ label: e.model, description: gb(e.bytes), detail: `last used ${e.lastUsedAt.slice(0, 16).replace('T', ' ')} · ${e.options} · ${e.modelDir}`, action: 'entry', entry: e });
  }
  const pick = await vscode.window.showQuickPick(items, { title: 'SinkLens: Model Cache', placeHolder: `Converted models in ${listing.dir}` });
  if (!pick) return;
  if (pick.action === 'open') {
    await vscode.env.openExternal(vscode.Uri.file(listing.dir));
    return;
  }
  const what = pick.entry ? `the cached ${pick.entry.model} (${gb(pick.entry.bytes)})` : `all ${listing.entries.length} cached model(s) (${gb(total)})`;
  const ok = await vscode.window.showWarningMessage(`Remove ${what}? The next load converts the weights again.`, { modal: true }, 'Remove');
  if (ok !== 'Remove') return;
  const r = await ctx.engine.cacheClear(cache, pick.entry?.key);
  ctx.log.info(`model cache: removed ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'} (${gb(r.bytes)})`);
  void vscode.window.showInformationMessage(`SinkLens removed ${r.entries} cached model(s), ${gb(r.bytes)}.`);
}
