/**
 * Parses and validates one safetensors file's header: an 8-byte little-endian header length, a
 * JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }`, then the
 * data region. Offsets are relative to the data region. Everything is checked against the file
 * size so a truncated download fails here, with the file and tensor named, not in the middle of
 * a forward pass.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { SinkLensError } from '../../shared/errors';
import type { TensorEntry } from '../weights/types';
import { DTYPE_BYTES } from './dtypes';

export interface ParsedFile {
  path: string;
  bytes: number;
  tensors: TensorEntry[];
}

/** Headers larger than this are certainly not safetensors (the format caps them at 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function corrupt(path: string, what: string): SinkLensError {
  return new SinkLensError(
    'corruptWeights',
    `The weight file ${basename(path)} is damaged: ${what}.`,
    `File: ${path}. Re-download the model (the file may be truncated or not a safetensors file).`,
  );
}

/** fs.readSync rejects lengths over 2 GiB, and big embeddings exceed that: read in 1 GiB chunks. */
const MAX_READ = 1 << 30;

export function readFully(fd: number, buf: Uint8Array, position: number): number {
  let done = 0;
  while (done < buf.byteLength) {
    const n = readSync(fd, buf, done, Math.min(MAX_READ, buf.byteLength - done), position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function parseSafetensorsFile(path: string): ParsedFile {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw corrupt(path, `it is ${size} bytes long, too short to hold a header`);
    const lenBuf = new Uint8Array(8);
    readFully(fd, lenBuf, 0);
    const headerLen = Number(new DataView(lenBuf.buffer).getBigUint64(0, true));
    if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
      throw corrupt(path, `the header claims ${headerLen} bytes but the file has ${size} bytes`);
    }
    const headerBuf = new Uint8Array(headerLen);
    readFully(fd, headerBuf, 8);
    const dataStart = 8 + headerLen;
    const header = parseHeaderJson(path, headerBuf);
    const tensors = Object.entries(header)
      .filter(([name]) => name !== '__metadata__')
      .map(([name, raw]) => validateEntry(path, name, raw, dataStart, size));
    checkCoverage(path, tensors, dataStart, size);
    return { path, bytes: size, tensors };
  } finally {
    closeSync(fd);
  }
}

/**
 * The data region must be covered exactly once, as the safetensors format requires (its reference reader
 * refuses holes too): overlapping tensors would alias each other's bytes, and gaps hide data nobody checks.
 */
function checkCoverage(path: string, tensors: TensorEntry[], dataStart: number, size: number): void {
  const sorted = [...tensors].sort((a, b) => a.byteRange[0] - b.byteRange[0] || a.byteRange[1] - b.byteRange[1]);
  let at = dataStart;
  let prev = '(the header)';
  for (const t of sorted) {
    const [b, e] = t.byteRange;
    if (b < at) throw corrupt(path, `tensor "${t.name}" overlaps ${prev} (bytes ${b - dataStart}..${e - dataStart})`);
    if (b > at) throw corrupt(path, `there are ${b - at} unreferenced bytes before tensor "${t.name}" (the tensors must cover the data exactly)`);
    at = e;
    prev = `"${t.name}"`;
  }
  if (at !== size) throw corrupt(path, `${size - at} bytes after the last tensor are not referenced by the header`);
}

function parseHeaderJson(path: string, buf: Uint8Array): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8'));
  } catch (e) {
    throw corrupt(path, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw corrupt(path, 'the header is not a JSON object');
  }
  return header as Record<string, unknown>;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function validateEntry(path: string, name: string, raw: unknown, dataStart: number, size: number): TensorEntry {
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof raw !== 'object' || raw === null) throw corrupt(path, `tensor "${name}" has no dtype/shape/offsets`);
  const dtype = e.dtype;
  if (typeof dtype !== 'string' || DTYPE_BYTES[dtype] === undefined) {
    throw corrupt(path, `tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(e.shape) || !e.shape.every(isNonNegInt)) {
    throw corrupt(path, `tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}`);
  }
  const off = e.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !isNonNegInt(off[0]) || !isNonNegInt(off[1]) || off[1] < off[0]) {
    throw corrupt(path, `tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
  }
  const shape = e.shape as number[];
  const [begin, end] = off as [number, number];
  const expected = shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[dtype] as number);
  if (end - begin !== expected) {
    throw corrupt(path, `tensor "${name}" (${dtype} [${shape.join(', ')}]) needs ${expected} bytes but its offsets span ${end - begin}`);
  }
  if (dataStart + end > size) {
    throw corrupt(path, `tensor "${name}" ends at byte ${dataStart + end}, past the end of the file (${size} bytes)`);
  }
  return { name, dtype, shape, file: path, byteRange: [dataStart + begin, dataStart + end] };
}
