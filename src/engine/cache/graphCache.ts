/**
 * The on-disk graph cache: `<dir>/graphs/<key>/` holds model.onnx, model.onnx.data and entry.json
 * (what it was built from, file sizes and checksums). Entries are written in a staging folder
 * named after the writing process (`<dir>/staging/<pid>-<n>`) and renamed into place, so a
 * reader never sees a half-written entry; a killed writer's staging folder is removed at the
 * next start-up. An entry that fails its checks is deleted and rebuilt. The size limit evicts the
 * least recently used entries (entry.json's mtime is touched on every use).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheEntryInfo, CacheListing } from '../../shared/engineApi';
import { checkFile, verifyFile, type FileCheck } from './check';
import type { CacheConfig } from './config';
import { sweepLegacyTemp, sweepStaging } from './orphans';

export const MODEL_FILE = 'model.onnx';
export const DATA_FILE = 'model.onnx.data';
const ENTRY_FILE = 'entry.json';

/** What an entry was built from (shown by `sinklens cache list`). */
export interface EntryDescription {
  model: string;
  modelDir: string;
  options: string;
  /** sha256 of the source weight files, saved so a cache hit need not re-hash GBs. */
  sourceSha256?: string[];
}

interface EntryJson extends EntryDescription {
  version: 1;
  key: string;
  createdAt: string;
  files: FileCheck[];
}

export interface CacheHit {
  dir: string;
  modelPath: string;
  entry: EntryJson;
}

const swept = new Set<string>();
let stagingSeq = 0;

export class GraphCache {
  constructor(readonly config: CacheConfig) {}

  get enabled(): boolean {
    return this.config.maxBytes > 0;
  }

  private get graphsDir(): string {
    return join(this.config.dir, 'graphs');
  }

  private get stagingDir(): string {
    return join(this.config.dir, 'staging');
  }

  /** Removes what killed runs left (once per cache folder and process). */
  sweep(): string[] {
    if (swept.has(this.config.dir)) return [];
    swept.add(this.config.dir);
    return [...sweepStaging(this.stagingDir), ...sweepLegacyTemp()];
  }

  /** The verified entry for `key`, or null; a damaged entry is deleted (`onDamaged` says why). */
  lookup(key: string, onDamaged?: (why: string) => void): CacheHit | null {
    const dir = join(this.graphsDir, key);
    if (!existsSync(dir)) return null;
    const entry = readEntry(dir);
    const why = entry === null ? 'entry.json is missing or invalid' : entry.files.map((f) => verifyFile(join(dir, f.name), f)).find((w) => w !== null);
    if (why || entry === null) {
      onDamaged?.(why ?? 'invalid entry');
      this.remove(key);
      return null;
    }
    const now = new Date();
    utimesSync(join(dir, ENTRY_FILE), now, now);
    return { dir, modelPath: join(dir, MODEL_FILE), entry };
  }

  /** A fresh staging folder of this process. */
  stage(): string {
    this.sweep();
    const dir = join(this.stagingDir, `${process.pid}-${Date.now().toString(36)}-${stagingSeq++}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  discard(staging: string): void {
    rmSync(staging, { recursive: true, force: true });
  }

  /**
   * Moves a finished staging folder into place as entry `key` and applies the size limit (never
   * evicting `key` itself). If another process committed the same key first, its entry is used.
   */
  commit(staging: string, key: string, desc: EntryDescription): CacheHit {
    const files = readdirSync(staging).map((n) => checkFile(join(staging, n), n));
    const entry: EntryJson = { version: 1, key, createdAt: new Date().toISOString(), files, ...desc };
    writeFileSync(join(staging, ENTRY_FILE), JSON.stringify(entry, null, 1));
    mkdirSync(this.graphsDir, { recursive: true });
    const dir = join(this.graphsDir, key);
    try {
      renameSync(staging, dir);
    } catch (e) {
      this.discard(staging);
      const other = this.lookup(key);
      if (!other) throw e;
      return other;
    }
    this.evict(key);
    return { dir, modelPath: join(dir, MODEL_FILE), entry };
  }

  /** The entry's description without verifying its files (null when absent). */
  describe(key: string): EntryDescription | null {
    return readEntry(join(this.graphsDir, key));
  }

  /** Adds the source files' sha256 to an entry (computed after the first load). */
  annotate(key: string, sourceSha256: string[]): void {
    const dir = join(this.graphsDir, key);
    const entry = readEntry(dir);
    if (!entry) return;
    const tmp = join(dir, `${ENTRY_FILE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify({ ...entry, sourceSha256 }, null, 1));
    renameSync(tmp, join(dir, ENTRY_FILE));
  }

  list(): CacheListing {
    const entries: CacheEntryInfo[] = [];
    if (existsSync(this.graphsDir)) {
      for (const key of readdirSync(this.graphsDir)) {
        const dir = join(this.graphsDir, key);
        const e = readEntry(dir);
        const lastUsed = safeMtime(join(dir, ENTRY_FILE));
        entries.push({
          key,
          model: e?.model ?? '(damaged entry)',
          modelDir: e?.modelDir ?? '',
          options: e?.options ?? '',
          bytes: folderBytes(dir),
          createdAt: e?.createdAt ?? '',
          lastUsedAt: new Date(lastUsed).toISOString(),
        });
      }
    }
    entries.sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? 1 : -1));
    return { dir: this.config.dir, maxBytes: this.config.maxBytes, entries };
  }

  /** Deletes an entry; false when it could not be (Windows: its files are mapped by a live session). */
  remove(key: string): boolean {
    try {
      rmSync(join(this.graphsDir, key), { recursive: true, force: true });
      return true;
    } catch {
      return false;
    }
  }

  /** Removes every entry (or those whose key starts with `prefix`); returns entries and bytes freed. */
  clear(prefix = ''): { entries: number; bytes: number } {
    let entries = 0;
    let bytes = 0;
    for (const e of this.list().entries) {
      if (!e.key.startsWith(prefix) || !this.remove(e.key)) continue;
      entries++;
      bytes += e.bytes;
    }
    return { entries, bytes };
  }

  /** Evicts least recently used entries until the cache fits its limit. */
  evict(keep?: string): void {
    const all = this.list().entries; // most recently used first
    let total = all.reduce((s, e) => s + e.bytes, 0);
    for (const e of [...all].reverse()) {
      if (total <= this.config.maxBytes) break;
      if (e.key === keep || !this.remove(e.key)) continue;
      total -= e.bytes;
    }
  }
}

function readEntry(dir: string): EntryJson | null {
  try {
    const e = JSON.parse(readFileSync(join(dir, ENTRY_FILE), 'utf8')) as EntryJson;
    return e.version === 1 && Array.isArray(e.files) ? e : null;
  } catch {
    return null;
  }
}

function folderBytes(dir: string): number {
  try {
    return readdirSync(dir).reduce((s, n) => s + statSync(join(dir, n)).size, 0);
  } catch {
    return 0;
  }
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
