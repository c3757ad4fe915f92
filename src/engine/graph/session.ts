/**
 * Turns a GraphBuilder into an onnxruntime session: weights inline when small, otherwise as
 * external data (ORT refuses protobufs over 2 GiB), written tensor by tensor into a staging
 * folder of the graph cache. With the cache on, the finished folder becomes a cache entry and
 * the next load opens it directly (memory-mapped, no weight read); with it off, the folder is
 * deleted once the session is open.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SinkLensError } from '../../shared/errors';
import { resolveCacheConfig } from '../cache/config';
import { DATA_FILE, GraphCache, MODEL_FILE, type EntryDescription } from '../cache/graphCache';
import { sha256Hex } from '../cache/key';
import { releaseRowBuffers } from '../model/rowReader';
import { createSession, type Session, type SessionOptions } from '../runtime/ort';
import type { GraphBuilder } from './builder';
import { graphSignature, initializerBytes, serializeExternalAsync, serializeInline, type WriteProgress } from './serialize';

/**
 * ORT refuses protobufs over 2 GiB, but external data pays off well before that: onnxruntime
 * memory-maps it instead of copying tensors out of the protobuf. Measured on a GPT-2-small-shaped
 * model (0.5 GB of weights): session RSS +1.5 GB inline vs +0.8 GB external, peak +1.5 GB vs
 * +0.8 GB, for ~0.4 s more to create. Small models stay inline (no files, nothing to cache).
 */
export const DEFAULT_EXTERNAL_THRESHOLD = 256 * 1024 * 1024;

/** Caching of this graph: the store and the model-side part of the key (see cache/key.ts). */
export interface GraphCacheUse {
  cache: GraphCache;
  fingerprint: string;
  describe: EntryDescription;
}

export interface SessionPlacement extends SessionOptions {
  /** Initializer bytes above which weights go to external data (tests lower it). */
  externalThresholdBytes?: number;
  /** Cache the built graph; absent = scratch files in the default cache folder's staging area. */
  cache?: GraphCacheUse;
  /** Bytes of external data written so far (cold loads only). */
  onWrite?: WriteProgress;
  /** A cache entry was damaged and is being rebuilt. */
  onWarn?: (message: string) => void;
  /** onnxruntime is about to open the external-data graph: from the cache, or just converted (seconds for large int8/int4 models). */
  onOpening?: (source: 'cached' | 'converted') => void;
}

export interface OwnedSession {
  session: Session;
  /** The folder holding model.onnx + model.onnx.data, or null when inline. */
  dir: string | null;
  /** The cache key and whether the entry already existed; null when not cached. */
  cached: { key: string; hit: boolean } | null;
  close(): Promise<void>;
}

export async function openSession(g: GraphBuilder, p: SessionPlacement): Promise<OwnedSession> {
  const threshold = p.externalThresholdBytes ?? DEFAULT_EXTERNAL_THRESHOLD;
  const bytes = initializerBytes(g);
  if (bytes <= threshold) {
    const session = await createSession(serializeInline(g), ortOptions(p));
    return { session, dir: null, cached: null, close: () => session.release() };
  }
  const use = p.cache;
  if (use && use.cache.enabled && bytes <= use.cache.config.maxBytes) return openCached(g, p, use);
  return openScratch(g, p, use?.cache ?? new GraphCache(resolveCacheConfig(undefined)));
}

/**
 * A full collection before onnxruntime opens a converted graph, where the process has `gc()` (the engine's
 * processes run with `--expose-gc`, src/node/engineEnv.ts): the conversion's buffers (whole tensors of weights not
 * read by rows, the written weights' quantised codes) are dead by then but may be uncollected, and onnxruntime's
 * weight layout comes on top of them.
 */
function collectConversionGarbage(): void {
  releaseRowBuffers();
  (globalThis as { gc?: () => void }).gc?.();
}

async function openCached(g: GraphBuilder, p: SessionPlacement, use: GraphCacheUse): Promise<OwnedSession> {
  const key = sha256Hex(use.fingerprint, '\n', graphSignature(g));
  const hit = use.cache.lookup(key, (why) => p.onWarn?.(`The cached graph ${key.slice(0, 12)} was damaged (${why}); rebuilding it.`));
  if (hit) {
    try {
      p.onOpening?.('cached');
      const session = await createSession(hit.modelPath, ortOptions(p));
      return { session, dir: hit.dir, cached: { key, hit: true }, close: () => session.release() };
    } catch (e) {
      p.onWarn?.(`The cached graph ${key.slice(0, 12)} could not be opened (${(e as Error).message}); rebuilding it.`);
      use.cache.remove(key);
    }
  }
  const staging = use.cache.stage();
  let entry;
  try {
    await writeGraph(g, staging, p.onWrite);
    entry = use.cache.commit(staging, key, use.describe);
  } catch (e) {
    use.cache.discard(staging);
    throw e;
  }
  try {
    p.onOpening?.('converted');
    collectConversionGarbage();
    const session = await createSession(entry.modelPath, ortOptions(p));
    return { session, dir: entry.dir, cached: { key, hit: false }, close: () => session.release() };
  } catch (e) {
    use.cache.remove(key); // never leave an entry that cannot be opened
    throw e;
  }
}

/** No cache: write into a staging folder, open, and delete it (POSIX: at once; Windows: on close). */
async function openScratch(g: GraphBuilder, p: SessionPlacement, cache: GraphCache): Promise<OwnedSession> {
  const dir = cache.stage();
  try {
    await writeGraph(g, dir, p.onWrite);
    p.onOpening?.('converted');
    collectConversionGarbage();
    const session = await createSession(join(dir, MODEL_FILE), ortOptions(p));
    // The tensors are now mapped or copied: on POSIX the names can go at once, so a killed engine
    // leaves no multi-GB file behind (Windows cannot unlink a mapped file; close does it).
    if (process.platform !== 'win32') rmSync(dir, { recursive: true, force: true });
    return {
      session,
      dir,
      cached: null,
      close: async () => {
        try {
          await session.release();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function writeGraph(g: GraphBuilder, dir: string, onWrite: WriteProgress | undefined): Promise<void> {
  try {
    const bytes = await serializeExternalAsync(g, { path: join(dir, DATA_FILE), location: DATA_FILE }, onWrite);
    writeFileSync(join(dir, MODEL_FILE), bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new SinkLensError('insufficientDisk', `There is not enough disk space in ${dir} for the converted model (${gb(initializerBytes(g))} GB).`, 'Free disk space, or set sinklens.cache.dir to a larger disk.');
    }
    throw e;
  }
}

function gb(n: number): string {
  return (n / 1024 ** 3).toFixed(1);
}

/** The session options of a placement (threads and the execution provider), without the cache fields. */
function ortOptions(p: SessionPlacement): SessionOptions {
  return {
    threads: p.threads,
    ...(p.executionProvider !== undefined ? { executionProvider: p.executionProvider } : {}),
    ...(p.strictProvider !== undefined ? { strictProvider: p.strictProvider } : {}),
    ...(p.spin !== undefined ? { spin: p.spin } : {}),
    ...(p.arena !== undefined ? { arena: p.arena } : {}),
    ...(p.prepack !== undefined ? { prepack: p.prepack } : {}),
    ...(p.profilePrefix !== undefined ? { profilePrefix: p.profilePrefix } : {}),
  };
}
