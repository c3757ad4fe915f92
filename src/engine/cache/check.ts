/**
 * Integrity checks of cache files: small files are hashed whole; large external-data files by a
 * sample (64 KiB at 64 evenly spaced offsets and the tail) plus their size, which catches
 * truncation and most corruption while reading ~4 MiB of a multi-GB file.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const FULL_HASH_MAX = 64 * 1024 * 1024;
const SAMPLES = 64;
const SAMPLE_BYTES = 64 * 1024;

export interface FileCheck {
  name: string;
  bytes: number;
  /** 'sha256:<hex>' of the whole file, or 'sample:<hex>'. */
  check: string;
}

export function checkFile(path: string, name: string): FileCheck {
  const bytes = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const h = createHash('sha256');
    const buf = Buffer.alloc(Math.min(bytes, bytes <= FULL_HASH_MAX ? 1 << 20 : SAMPLE_BYTES));
    const take = (pos: number, n: number): void => {
      let got = 0;
      while (got < n) {
        const r = readSync(fd, buf, 0, Math.min(buf.length, n - got), pos + got);
        if (r === 0) break;
        h.update(buf.subarray(0, r));
        got += r;
      }
    };
    if (bytes <= FULL_HASH_MAX) {
      take(0, bytes);
      return { name, bytes, check: `sha256:${h.digest('hex')}` };
    }
    const step = Math.floor((bytes - SAMPLE_BYTES) / SAMPLES);
    for (let i = 0; i < SAMPLES; i++) take(i * step, SAMPLE_BYTES);
    take(bytes - SAMPLE_BYTES, SAMPLE_BYTES);
    return { name, bytes, check: `sample:${h.digest('hex')}` };
  } finally {
    closeSync(fd);
  }
}

/** Why `path` does not match `expected`, or null when it does. */
export function verifyFile(path: string, expected: FileCheck): string | null {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return `${expected.name} is missing`;
  }
  if (size !== expected.bytes) return `${expected.name} has ${size} bytes, expected ${expected.bytes}`;
  return checkFile(path, expected.name).check === expected.check ? null : `${expected.name} does not match its checksum`;
}
