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

/** Hex sha256 of each file, in the order given. */
export async function sha256Files(files: readonly { path: string }[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const st = statSync(f.path);
    const key = `${f.path}\0${st.size}\0${st.mtimeMs}`;
    let sha = cache.get(key);
    if (sha === undefined) {
      sha = await hashFile(f.path);
      cache.set(key, sha);
    }
    out.push(sha);
  }
  return out;
}
