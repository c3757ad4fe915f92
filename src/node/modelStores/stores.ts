/**
 * GGUF models in the local stores of other runtimes, found without running them:
 * - Ollama: `$OLLAMA_MODELS` or `~/.ollama/models`; `manifests/<host>/<namespace>/<model>/<tag>`
 *   are JSON manifests whose `application/vnd.ollama.image.model` layer is the GGUF blob
 *   `blobs/sha256-<hex>` (named `model:tag`, `namespace/model:tag` off the library, with the host
 *   when it is not registry.ollama.ai).
 * - LM Studio: `~/.lmstudio/models/<publisher>/<repo>/*.gguf` and the older `~/.cache/lm-studio/models`.
 * - llama.cpp's download cache: `$LLAMA_CACHE`, else the platform cache folder + `llama.cpp` (Linux:
 *   `$XDG_CACHE_HOME` or `~/.cache`; macOS: `~/Library/Caches`; Windows: `%LOCALAPPDATA%`), `*.gguf`.
 * Vision projectors (`mmproj*.gguf`) are not language models and are skipped.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../hfCache';
import { ggufArchitecture, isGgufFile } from './ggufFile';

export type ModelStoreId = 'ollama' | 'lmstudio' | 'llama.cpp';

export interface StoreModel {
  /** `llama3.2:latest`, `publisher/repo/file.gguf`, `file.gguf`. */
  name: string;
  /** The GGUF file (for Ollama, the blob). */
  path: string;
  store: ModelStoreId;
  bytes: number;
  /** GGUF `general.architecture`, when found. */
  arch?: string;
}

const OLLAMA_MODEL_LAYER = 'application/vnd.ollama.image.model';
const OLLAMA_HOST = 'registry.ollama.ai';

function envPath(env: Env, name: string, home: string): string | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  return v === '~' || v.startsWith('~/') ? join(home, v.slice(1)) : v;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

function files(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

function entry(name: string, path: string, store: ModelStoreId): StoreModel | null {
  if (!isGgufFile(path)) return null;
  const arch = ggufArchitecture(path);
  return { name, path, store, bytes: statSync(path).size, ...(arch !== undefined ? { arch } : {}) };
}

export function ollamaRoot(env: Env, home = homedir()): string {
  return envPath(env, 'OLLAMA_MODELS', home) ?? join(home, '.ollama', 'models');
}

/** The GGUF blob a manifest names, or null when the manifest is unreadable or has no model layer. */
export function ollamaModelBlob(root: string, manifestPath: string): string | null {
  try {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { layers?: { mediaType?: unknown; digest?: unknown }[] };
    const layer = (m.layers ?? []).find((l) => l.mediaType === OLLAMA_MODEL_LAYER);
    const digest = typeof layer?.digest === 'string' ? /^sha256[:-]([0-9a-f]{64})$/.exec(layer.digest) : null;
    return digest ? join(root, 'blobs', `sha256-${digest[1]}`) : null;
  } catch {
    return null;
  }
}

function ollamaName(host: string, ns: string, model: string, tag: string): string {
  const base = ns === 'library' ? `${model}:${tag}` : `${ns}/${model}:${tag}`;
  return host === OLLAMA_HOST ? base : `${host}/${base}`;
}

export function scanOllama(root: string): StoreModel[] {
  const out: StoreModel[] = [];
  const manifests = join(root, 'manifests');
  for (const host of subdirs(manifests)) {
    for (const ns of subdirs(join(manifests, host))) {
      for (const model of subdirs(join(manifests, host, ns))) {
        for (const tag of files(join(manifests, host, ns, model))) {
          const blob = ollamaModelBlob(root, join(manifests, host, ns, model, tag));
          const e = blob === null ? null : entry(ollamaName(host, ns, model, tag), blob, 'ollama');
          if (e) out.push(e);
        }
      }
    }
  }
  return out;
}

const isModelGguf = (f: string): boolean => f.toLowerCase().endsWith('.gguf') && !f.toLowerCase().startsWith('mmproj');

export function lmStudioRoots(home = homedir()): string[] {
  return [join(home, '.lmstudio', 'models'), join(home, '.cache', 'lm-studio', 'models')];
}

export function scanLmStudio(root: string): StoreModel[] {
  const out: StoreModel[] = [];
  for (const publisher of subdirs(root)) {
    for (const repo of subdirs(join(root, publisher))) {
      for (const f of files(join(root, publisher, repo)).filter(isModelGguf)) {
        const e = entry(`${publisher}/${repo}/${f}`, join(root, publisher, repo, f), 'lmstudio');
        if (e) out.push(e);
      }
    }
  }
  return out;
}

export function llamaCppCache(env: Env, home = homedir(), platform: string = process.platform): string {
  const set = envPath(env, 'LLAMA_CACHE', home);
  if (set !== undefined) return set;
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'llama.cpp');
  if (platform === 'win32') return join(envPath(env, 'LOCALAPPDATA', home) ?? join(home, 'AppData', 'Local'), 'llama.cpp');
  return join(envPath(env, 'XDG_CACHE_HOME', home) ?? join(home, '.cache'), 'llama.cpp');
}

export function scanLlamaCpp(root: string): StoreModel[] {
  return files(root).filter(isModelGguf).flatMap((f) => entry(f, join(root, f), 'llama.cpp') ?? []);
}

/** Every GGUF model in the Ollama, LM Studio and llama.cpp stores this environment names. */
export function listStoreModels(env: Env, home = homedir()): StoreModel[] {
  return [
    ...scanOllama(ollamaRoot(env, home)),
    ...lmStudioRoots(home).flatMap(scanLmStudio),
    ...scanLlamaCpp(llamaCppCache(env, home)),
  ];
}
