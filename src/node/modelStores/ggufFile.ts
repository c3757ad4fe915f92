/**
 * "Is this a GGUF file" and its architecture, cheaply: the magic, then the metadata pairs up to
 * `general.architecture` (converters write it first), read from the first MiB only. For listings;
 * the engine's reader (src/engine/model/gguf) parses the whole header when a model is loaded.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const MAGIC = 'GGUF';
const PEEK = 1 << 20;

/** True for a regular file that starts with the GGUF magic (Ollama blobs have no `.gguf` name). */
export function isGgufFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    return new TextDecoder().decode(readHead(path, 4)) === MAGIC;
  } catch {
    return false;
  }
}

function readHead(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Byte sizes of the scalar metadata types (u8 … f64), by type id; 8 = string, 9 = array. */
const SCALAR: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** `general.architecture` of a GGUF file, or undefined when it is not among the first MiB's pairs. */
export function ggufArchitecture(path: string): string | undefined {
  let buf: Uint8Array;
  try {
    buf = readHead(path, PEEK);
  } catch {
    return undefined;
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 24; // magic, version, tensor count, metadata count
  const str = (): string => {
    const n = Number(v.getBigUint64(p, true));
    p += 8;
    if (p + n > buf.byteLength) throw new RangeError('past the peeked bytes');
    const s = new TextDecoder().decode(buf.subarray(p, p + n));
    p += n;
    return s;
  };
  const skip = (type: number): void => {
    if (type === 8) str();
    else if (type === 9) {
      const et = v.getUint32(p, true);
      const n = Number(v.getBigUint64(p + 4, true));
      p += 12;
      if (SCALAR[et] !== undefined) p += n * (SCALAR[et] as number);
      else for (let i = 0; i < n; i++) skip(et);
    } else if (SCALAR[type] !== undefined) p += SCALAR[type] as number;
    else throw new RangeError(`unknown type ${type}`);
  };
  try {
    if (buf.byteLength < 24 || new TextDecoder().decode(buf.subarray(0, 4)) !== MAGIC) return undefined;
    const count = Number(v.getBigUint64(16, true));
    for (let i = 0; i < count; i++) {
      const key = str();
      const type = v.getUint32(p, true);
      p += 4;
      if (key === 'general.architecture' && type === 8) return str();
      skip(type);
    }
  } catch {
    return undefined;
  }
  return undefined;
}
