/**
 * Lazy access to a model folder's safetensors weights: one `model.safetensors`, or shards listed
 * by `model.safetensors.index.json`. Headers are parsed and validated up front; tensor data is
 * read only when asked for, one tensor at a time (`read`), so at most one converted tensor per
 * call is alive beyond what the caller keeps.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, sep, win32 } from 'node:path';
import { SinkLensError } from '../../shared/errors';
import { toFloat32 } from './dtypes';
import type { StoredRows, TensorEntry, WeightStore } from '../weights/types';
import { parseSafetensorsFile, readFully, type ParsedFile } from './safetensorsHeader';

export { sha256Files } from './hash';
export type { TensorEntry, WeightFile, WeightStore } from '../weights/types';

const INDEX_FILE = 'model.safetensors.index.json';
/** The dtypes a weight may have: integer or boolean tensors are buffers and masks, never weights. */
const FLOAT_DTYPES: ReadonlySet<string> = new Set(['F32', 'F16', 'BF16', 'F64']);
const SINGLE_FILE = 'model.safetensors';

/**
 * The folder weight files must resolve into (after symlinks): the model folder itself, or for a Hugging Face
 * cache snapshot (`models--org--name/snapshots/<rev>`, whose files link to `../../blobs/<hash>`) its repo folder.
 */
function containmentRoot(dir: string): string {
  const real = realpathSync(dir);
  return basename(dirname(real)) === 'snapshots' && basename(dirname(dirname(real))).startsWith('models--') ? dirname(dirname(real)) : real;
}

/**
 * A weight file named by the folder (an index entry, or a file in it) as a path that is safe to open: one
 * relative path with no `..`, resolving (symlinks followed) inside the containment root, to a regular file
 * (a directory, FIFO or device is refused: opening a FIFO would hang).
 */
export function containedFile(dir: string, name: unknown, root = containmentRoot(dir)): string {
  const refuse = (why: string): never => {
    throw new SinkLensError('corruptWeights', `The model in ${dir} names the weight file ${JSON.stringify(name)}, which ${why}.`, 'Weight files must be regular files inside the model folder; re-download the model.');
  };
  if (typeof name !== 'string' || name === '' || name.includes('\0')) return refuse('is not a file name');
  if (isAbsolute(name) || win32.isAbsolute(name) || name.includes('\\') || name.split('/').some((p) => p === '..')) return refuse('points outside the model folder');
  const path = join(dir, name);
  if (!existsSync(path)) return path; // Reported as a missing file by the caller.
  const real = realpathSync(path);
  if (real !== root && !real.startsWith(root + sep)) return refuse(`resolves outside the model folder (to ${real})`);
  if (!statSync(real).isFile()) return refuse('is not a regular file');
  return path;
}

/** Lists the weight files of a model folder (shards from the index, or the single file). */
export function weightFilePaths(dir: string): { paths: string[]; weightMap: Record<string, string> | null } {
  const root = containmentRoot(dir);
  const indexPath = join(dir, INDEX_FILE);
  if (existsSync(indexPath)) {
    containedFile(dir, INDEX_FILE, root);
    const weightMap = readIndex(indexPath);
    const shards = [...new Set(Object.values(weightMap))].sort();
    for (const shard of shards) containedFile(dir, shard, root);
    const missing = shards.filter((s) => !existsSync(join(dir, s)));
    if (missing.length) {
      throw new SinkLensError(
        'missingWeights',
        `The model in ${dir} is missing weight shard(s): ${missing.join(', ')}.`,
        `${INDEX_FILE} lists ${shards.length} shard(s). Download the missing file(s) into the folder.`,
      );
    }
    return { paths: shards.map((s) => join(dir, s)), weightMap };
  }
  if (existsSync(join(dir, SINGLE_FILE))) return { paths: [containedFile(dir, SINGLE_FILE, root)], weightMap: null };
  const any = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
  if (any.length) return { paths: any.map((f) => containedFile(dir, f, root)), weightMap: null };
  const hasBin = readdirSync(dir).some((f) => f.endsWith('.bin') || f.endsWith('.pt') || f.endsWith('.gguf'));
  throw new SinkLensError(
    'missingWeights',
    `No .safetensors weights found in ${dir}.`,
    hasBin
      ? 'The folder has PyTorch/GGUF weights only. SinkLens reads safetensors: save the model with save_pretrained(..., safe_serialization=True) or download the safetensors revision.'
      : `Expected ${SINGLE_FILE}, or shards with ${INDEX_FILE}.`,
  );
}

function readIndex(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SinkLensError('corruptWeights', `${basename(path)} is not valid JSON: ${(e as Error).message}.`, `File: ${path}. Re-download it.`);
  }
  const map = typeof parsed === 'object' && parsed !== null ? (parsed as { weight_map?: unknown }).weight_map : undefined;
  if (typeof map !== 'object' || map === null || !Object.values(map).every((v) => typeof v === 'string')) {
    throw new SinkLensError('corruptWeights', `${basename(path)} has no valid "weight_map".`, `File: ${path}. Re-download it.`);
  }
  return map as Record<string, string>;
}

function indexTensors(dir: string, parsed: ParsedFile[], weightMap: Record<string, string> | null): Map<string, TensorEntry> {
  const byName = new Map<string, TensorEntry>();
  for (const f of parsed) {
    for (const t of f.tensors) {
      const prev = byName.get(t.name);
      if (prev) {
        throw new SinkLensError('corruptWeights', `Tensor "${t.name}" appears in both ${basename(prev.file)} and ${basename(t.file)}.`, `Folder: ${dir}.`);
      }
      byName.set(t.name, t);
    }
  }
  for (const [name, shard] of Object.entries(weightMap ?? {})) {
    const t = byName.get(name);
    if (!t || basename(t.file) !== shard) {
      throw new SinkLensError(
        'corruptWeights',
        `${INDEX_FILE} says tensor "${name}" is in ${shard}, but ${t ? `it is in ${basename(t.file)}` : 'no shard holds it'}.`,
        `Folder: ${dir}. The index and the shards do not match: re-download the model.`,
      );
    }
  }
  return byName;
}

/** The stored bytes of one tensor, in a fresh buffer (offset 0, so typed-array views over it are aligned). */
function rawBytes(t: TensorEntry, fd: number): Uint8Array {
  const [start, end] = t.byteRange;
  const bytes = new Uint8Array(end - start);
  const got = readFully(fd, bytes, start);
  if (got !== bytes.byteLength) {
    throw new SinkLensError('corruptWeights', `Tensor "${t.name}" in ${basename(t.file)} could not be read fully (${got} of ${bytes.byteLength} bytes).`, `File: ${t.file}. The file changed or is truncated: re-download it.`);
  }
  return bytes;
}

export function openWeights(dir: string): WeightStore {
  const { paths, weightMap } = weightFilePaths(dir);
  const parsed = paths.map(parseSafetensorsFile);
  const tensors = indexTensors(dir, parsed, weightMap);
  const fds = new Map<string, number>();
  const fdFor = (path: string): number => {
    let fd = fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, 'r');
      fds.set(path, fd);
    }
    return fd;
  };
  const info = (name: string): TensorEntry => {
    const t = tensors.get(name);
    if (!t) {
      throw new SinkLensError('missingWeights', `Tensor "${name}" is not in the model's weights.`, `Files: ${paths.map((p) => basename(p)).join(', ')} in ${dir}.`);
    }
    return t;
  };
  return {
    dir,
    names: () => [...tensors.keys()],
    has: (name) => tensors.has(name),
    info,
    read(name) {
      const t = info(name);
      const bytes = rawBytes(t, fdFor(t.file));
      if (!FLOAT_DTYPES.has(t.dtype)) {
        throw new SinkLensError('corruptWeights', `Tensor "${name}" in ${basename(t.file)} has dtype ${t.dtype}; model weights must be floating point (F32, F16, BF16, F64).`, `File: ${t.file}.`);
      }
      return toFloat32(bytes, t.dtype, `"${name}" in ${basename(t.file)}`);
    },
    readBytes(name) {
      const t = info(name);
      if (t.dtype !== 'U8') {
        throw new SinkLensError('corruptWeights', `Tensor "${name}" in ${basename(t.file)} has dtype ${t.dtype}; packed (MXFP4) weights must be U8.`, `File: ${t.file}.`);
      }
      return rawBytes(t, fdFor(t.file));
    },
    rowsOf(name): StoredRows | undefined {
      const t = info(name);
      if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') return undefined;
      const [start, end] = t.byteRange;
      return { path: t.file, offset: start, byteLength: end - start, dtype: t.dtype, what: `"${name}" in ${basename(t.file)}` };
    },
    files: () => parsed.map((f) => ({ name: basename(f.path), path: f.path, bytes: f.bytes })),
    dtypeSummary: () => [...new Set([...tensors.values()].map((t) => t.dtype))].sort().join('+'),
    numElements: () => [...tensors.values()].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0),
    close() {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
    },
  };
}
