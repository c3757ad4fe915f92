/**
 * A cold load hashes the weight files on its second thread (parallel/quantPool.ts sha256OnWorker) between the
 * quantisation jobs it runs there. The hashes must be the files' sha256 (checked against node:crypto over the
 * whole bytes), quantisation posted while a file is being hashed must still give the one-thread bytes, and a
 * worker that stops or cannot read the file must leave sha256Files to hash on the calling thread.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { quantizeBlockwise } from '../../../src/engine/graph/quant';
import { sha256Files } from '../../../src/engine/model/hash';
import * as pool from '../../../src/engine/parallel/quantPool';
import { mulberry32 } from '../../../tools/modelgen/prng';

const dir = mkdtempSync(join(tmpdir(), 'sinklens-hash-'));

function file(name: string, bytes: number, seed: number): { path: string; sha: string } {
  const r = mulberry32(seed).next;
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4) data.writeUInt32LE(Math.floor(r() * 2 ** 32), Math.min(i, bytes - 4));
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, sha: createHash('sha256').update(data).digest('hex') };
}

describe('parallel/quantPool.sha256OnWorker: weight files hashed on the load\'s second thread', () => {
  after(() => {
    pool.stopQuantWorker();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each file\'s sha256 (several 4 MiB slices, a partial one, an empty file)', async () => {
    for (const [name, bytes] of [['a.bin', 9 * (1 << 20) + 12], ['empty.bin', 0]] as const) {
      const f = bytes ? file(name, bytes, bytes) : (writeFileSync(join(dir, name), ''), { path: join(dir, name), sha: createHash('sha256').digest('hex') });
      const sha = pool.sha256OnWorker(f.path);
      assert.ok(sha, 'a worker is available');
      assert.equal(await sha, f.sha, name);
    }
  });

  it('runs quantisation jobs posted while it hashes, with the one-thread bytes and the right hash', async () => {
    const f = file('big.bin', 96 << 20, 5);
    const hashing = pool.sha256OnWorker(f.path);
    assert.ok(hashing);
    const [N, K] = [1024, 1056];
    const r = mulberry32(9).next;
    const w = Float32Array.from({ length: N * K }, () => r() - 0.5);
    const before = pool.workerSplits;
    const q = pool.quantizeOnCores(w, N, K, 4, false, 2); // synchronous: the worker takes it between two slices
    const ref = quantizeBlockwise(w, N, K, 4, false);
    assert.equal(pool.workerSplits, before + 1, 'the worker took half of the rows');
    assert.ok(Buffer.from(q.packed).equals(Buffer.from(ref.packed)) && Buffer.from(q.scales.buffer, q.scales.byteOffset, q.scales.byteLength).equals(Buffer.from(ref.scales.buffer, ref.scales.byteOffset, ref.scales.byteLength)));
    assert.equal(await hashing, f.sha);
  });

  it('rejects for a file it cannot read; sha256Files then fails on the calling thread with the file\'s error', async () => {
    const missing = join(dir, 'missing.bin');
    await assert.rejects(pool.sha256OnWorker(missing) as Promise<string>, /ENOENT/);
    await assert.rejects(sha256Files([{ path: missing }], pool.sha256OnWorker), /ENOENT/);
  });

  it('a worker stopped mid-hash: the request rejects, and sha256Files hashes the file on the calling thread instead', async () => {
    const f = file('stopped.bin', 64 << 20, 6);
    const hashing = pool.sha256OnWorker(f.path);
    assert.ok(hashing);
    pool.stopQuantWorker();
    await assert.rejects(hashing, /stopped/);
    let asked = 0;
    const offThread = (p: string): Promise<string> | null => {
      asked++;
      const h = pool.sha256OnWorker(p);
      pool.stopQuantWorker(); // stopped again before it can answer
      return h;
    };
    assert.deepEqual(await sha256Files([{ path: f.path }], offThread), [f.sha]);
    assert.equal(asked, 1);
  });
});
