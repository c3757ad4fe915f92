/**
 * Turns `sinklens.defaultModel` (+ `sinklens.models`) into the model folder the engine loads.
 * vscode-free. `defaultModel` may be '' (the built-in demo model), a configured model's name, a
 * folder path (absolute, `~/...`, or relative to the workspace), or a hub repo id `org/name[@rev]`
 * looked up in the Hugging Face caches.
 */
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { isHubModel, type HubModelEntry, type ModelEntry, type Settings } from '../config';
import { findCachedModel, type CachedModel } from '../../node/hfCache';

export interface ResolvedModel {
  label: string;
  dir: string;
  source: 'demo' | 'folder' | 'hub';
}

export type Resolution =
  | { ok: true; model: ResolvedModel }
  /** `download` is set when the model is a hub repo that is not in any cache yet. */
  | { ok: false; message: string; download?: HubModelEntry };

export interface ResolveContext {
  demoDir: string;
  /** For relative paths; undefined without a workspace. */
  baseDir: string | undefined;
  cached: () => CachedModel[];
}

export const DEMO_LABEL = 'sinklens-tiny (built-in demo)';

export function resolveModel(s: Settings, rc: ResolveContext): Resolution {
  const want = s.defaultModel;
  if (want === '') return { ok: true, model: { label: DEMO_LABEL, dir: rc.demoDir, source: 'demo' } };
  const entry = s.models.find((m) => m.name === want);
  if (entry) return resolveEntry(entry, rc);
  const hub = parseRepoRef(want);
  if (hub && !looksLikePath(want)) return resolveEntry({ name: want, ...hub }, rc);
  const dir = expandPath(want, rc.baseDir);
  return { ok: true, model: { label: basename(dir) || dir, dir, source: 'folder' } };
}

export function resolveEntry(entry: ModelEntry, rc: ResolveContext): Resolution {
  if (!isHubModel(entry)) return { ok: true, model: { label: entry.name, dir: expandPath(entry.path, rc.baseDir), source: 'folder' } };
  const hit = findCachedModel(rc.cached(), entry.repo, entry.revision);
  if (hit) return { ok: true, model: { label: entry.name, dir: hit.dir, source: 'hub' } };
  return {
    ok: false,
    message: `Model "${entry.name}" (${entry.repo}@${entry.revision}) is not downloaded yet. Run "SinkLens: Download Model" to fetch it.`,
    download: entry,
  };
}

/** `org/name` or `org/name@revision`; undefined when `s` is not of that form. */
export function parseRepoRef(s: string): { repo: string; revision: string } | undefined {
  const m = /^([\w.-]+\/[\w.-]+)(?:@([\w./-]+))?$/.exec(s.trim());
  if (!m || m[1] === undefined) return undefined;
  return { repo: m[1], revision: m[2] ?? 'main' };
}

function looksLikePath(s: string): boolean {
  return isAbsolute(s) || s.startsWith('~') || s.startsWith('.') || s.includes('\\');
}

export function expandPath(p: string, baseDir: string | undefined): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  if (isAbsolute(p) || baseDir === undefined) return resolve(p);
  return resolve(baseDir, p);
}
