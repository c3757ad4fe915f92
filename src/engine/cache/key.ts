/**
 * The graph cache key: sha256 of a canonical JSON of everything the built graph depends on —
 * the cache format, the canonical config (arch options), the graph-affecting load options, each
 * weight file's size, mtime and header hash, and the graph's own structure (added by the session,
 * so a change to the builder invalidates old entries by itself).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { NON_GRAPH_LOAD_KEYS, type LoadOptions } from '../../shared/engineApi';
import { readGgufHeader } from '../model/gguf/reader';

/** Bump when the bytes of a cached graph would change for the same inputs (e.g. a weight transform). */
export const CACHE_FORMAT = 1;

/** JSON with object keys sorted at every level, so equal values always give equal strings. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The load options that shape the graph (everything except NON_GRAPH_LOAD_KEYS), canonical JSON. */
export function graphOptionsJson(opts: LoadOptions): string {
  const picked = Object.fromEntries(Object.entries(opts).filter(([k]) => !NON_GRAPH_LOAD_KEYS.includes(k)));
  return canonicalJson(picked);
}

export interface SourceFile {
  name: string;
  bytes: number;
  mtimeMs: number;
  /** sha256 of the file's header: safetensors' length prefix + JSON, or a GGUF file's bytes before its tensor data. */
  headerSha256: string;
}

/** Little-endian u32 of the ASCII magic "GGUF". */
const GGUF_MAGIC = 0x46554747;
/** The most of a file's head hashed (a safetensors header is rarely over a few MB). */
const MAX_HEAD_BYTES = 100 * 1024 * 1024;

/**
 * Size, mtime and header hash of one weight file: reads only its header. A GGUF file's first 8 bytes are its
 * magic and version, not a header length, so its header ends where its first tensor's data starts.
 */
export function fingerprintFile(path: string): SourceFile {
  const st = statSync(path);
  const fd = openSync(path, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const declared = len.readUInt32LE(0) === GGUF_MAGIC ? ggufHeaderEnd(path) - 8 : Number(len.readBigUInt64LE(0));
    const n = Math.max(0, Math.min(declared, st.size - 8, MAX_HEAD_BYTES));
    const head = Buffer.alloc(n);
    readSync(fd, head, 0, n, 8);
    const headerSha256 = createHash('sha256').update(len).update(head).digest('hex');
    // Whole milliseconds: tools that copy a file with its mtime often keep only ms precision.
    return { name: basename(path), bytes: st.size, mtimeMs: Math.floor(st.mtimeMs), headerSha256 };
  } finally {
    closeSync(fd);
  }
}

/** Where a GGUF file's tensor data starts (its header's end; the file size when it holds no tensor). */
function ggufHeaderEnd(path: string): number {
  const g = readGgufHeader(path);
  return g.tensors.reduce((lo, t) => Math.min(lo, t.byteRange[0]), g.bytes);
}

/** The model-side part of the key (the session adds the graph structure). */
export function modelFingerprint(config: unknown, opts: LoadOptions, files: readonly SourceFile[]): string {
  return canonicalJson({ format: CACHE_FORMAT, config, options: graphOptionsJson(opts), files });
}

export function sha256Hex(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}
