/**
 * Results keyed by sha256 of (text, model folder, analysis options): the same prompt analysed
 * with the same model and settings is never run twice, and a code lens finds "its" result by
 * hashing the current text of its section (an edit changes the hash, so the summary disappears).
 * vscode-free; bounded LRU so a long live-mode session does not grow without end.
 */
import { createHash } from 'node:crypto';
import type { AnalyzeOptions } from '../shared/engineApi';
import type { AnalysisResult } from '../shared/result';

export function resultKey(text: string, modelDir: string, options: AnalyzeOptions): string {
  // JSON of a fixed-order tuple: the options object is built by config.analyzeOptions in a fixed key order.
  return createHash('sha256').update(JSON.stringify([text, modelDir, canonical(options)])).digest('hex');
}

/** Options with keys sorted recursively, so that key order never changes the hash. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => [k, canonical(o[k])]),
  );
}

export class ResultCache {
  private readonly map = new Map<string, AnalysisResult>();

  constructor(private readonly capacity = 64) {}

  get(key: string): AnalysisResult | undefined {
    const r = this.map.get(key);
    if (r !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.map.delete(key);
      this.map.set(key, r);
    }
    return r;
  }

  /** Peek without refreshing recency (code lenses look up many keys on every render). */
  peek(key: string): AnalysisResult | undefined {
    return this.map.get(key);
  }

  set(key: string, r: AnalysisResult): void {
    this.map.delete(key);
    this.map.set(key, r);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
