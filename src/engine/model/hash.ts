/** Streamed sha256 of weight files, cached in memory by path + size + mtime (hashing GBs is slow). */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

const cache = new Map<string, string>();

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    const s = createReadStream(path, { highWaterMark: 1 << 20 });
    s.on('data', (chunk) => h.update(chunk));
    s.on('error', reject);
    s.on('end', () => resolve(h.digest('hex')));
  });
}

/** The file's hash from `offThread` (another thread) where it gives one, else hashed on this thread. */
async function hashOne(path: string, offThread: ((path: string) => Promise<string> | null) | undefined): Promise<string> {
  const elsewhere = offThread?.(path);
  if (elsewhere) {
    try {
      return await elsewhere;
    } catch {
      // That thread stopped or could not read the file: hash it here (a file that cannot be read fails here too).
    }
  }
  return hashFile(path);
}

/** Hex sha256 of each file, in the order given; `offThread` hashes a file on another thread where it can. */
export async function sha256Files(files: readonly { path: string }[], offThread?: (path: string) => Promise<string> | null): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const st = statSync(f.path);
    const key = `${f.path}\0${st.size}\0${st.mtimeMs}`;
    let sha = cache.get(key);
    if (sha === undefined) {
      sha = await hashOne(f.path, offThread);
      cache.set(key, sha);
    }
    out.push(sha);
  }
  return out;
}
