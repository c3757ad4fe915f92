/**
 * Applies the memory plan: compares an estimate with the memory the OS says is available
 * (Linux MemAvailable, else os.freemem) and refuses with one line naming the estimate and the
 * settings that lower it.
 */
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { SinkLensError } from '../../shared/errors';

/** Bytes the OS can give without swapping: MemAvailable on Linux, free memory elsewhere. */
export function availableMemory(): number {
  try {
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return freemem();
}

/**
 * This process's resident anonymous memory (Linux `RssAnon`: heaps, onnxruntime's arena, the workers'
 * memory; not the memory-mapped weight files, which the kernel can drop), or null where the OS does not say.
 */
export function residentAnonymousBytes(): number | null {
  try {
    return parseRssAnon(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return null; // Not Linux.
  }
}

/** `RssAnon:` of a /proc/<pid>/status text, in bytes; null when absent. */
export function parseRssAnon(status: string): number | null {
  const m = /^RssAnon:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

export function gb(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}

export interface FitRequest {
  /** Bytes the request needs beyond what the process already holds. */
  needBytes: number;
  availableBytes: number;
  /** What the estimate covers, e.g. "loading llama-8b (fp32 weights 29.9 GB) and 512 tokens". */
  what: string;
  precision: string;
  tokens: number;
  breakdown: string;
}

/** Throws `insufficientMemory` when the request does not fit. */
export function assertFits(r: FitRequest): void {
  if (r.needBytes <= r.availableBytes) return;
  const fixes = r.precision === 'int4' ? 'lower sinklens.maxTokens (--max-tokens) or use a smaller model' : 'set sinklens.weights (--weights) to int8 or int4, or lower sinklens.maxTokens (--max-tokens)';
  throw new SinkLensError(
    'insufficientMemory',
    `Not enough memory: ${r.what} needs about ${gb(r.needBytes)} GB but ${gb(r.availableBytes)} GB is available; ${fixes}.`,
    `${r.breakdown}; precision ${r.precision}; ${r.tokens} tokens.`,
  );
}
