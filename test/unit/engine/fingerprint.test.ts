/**
 * The cache key's per-file fingerprint hashes the file's header only: the safetensors JSON header, or a GGUF
 * file's bytes before its first tensor. Editing a weight byte (same size, same mtime) keeps the hash; editing the
 * header changes it. A GGUF file's magic is not read as a header length (it used to hash up to 100 MiB).
 */
import assert from 'node:assert/strict';
import { closeSync, cpSync, mkdtempSync, openSync, readSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fingerprintFile } from '../../../src/engine/cache/key';
import { readGgufHeader } from '../../../src/engine/model/gguf/reader';
import { DEMO_MODEL_DIR } from '../../support/fixtures';
import { writeGgufModel } from '../../support/ggufModel';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-fp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Flips one byte at `at`, keeping the size and the mtime. */
function flipByte(path: string, at: number): void {
  const st = statSync(path);
  const fd = openSync(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = (b[0] as number) ^ 0xff;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
  utimesSync(path, st.atime, st.mtime);
}

describe('weight file fingerprint', () => {
  test('GGUF: the header decides, the tensor data does not', () => {
    const file = join(tmp, 'demo.gguf');
    writeGgufModel(DEMO_MODEL_DIR, file, { quant: 'F32' });
    const g = readGgufHeader(file);
    const dataStart = Math.min(...g.tensors.map((t) => t.byteRange[0]));
    const a = fingerprintFile(file);
    flipByte(file, dataStart + 5);
    const b = fingerprintFile(file);
    assert.equal(b.headerSha256, a.headerSha256, 'a tensor byte is not part of the header hash');
    flipByte(file, 34); // a letter of the first metadata key (after magic, version and the two counts)
    assert.notEqual(fingerprintFile(file).headerSha256, a.headerSha256, 'a header byte is');
  });

  test('safetensors: the JSON header decides, the tensor data does not', () => {
    const dir = join(tmp, 'st');
    cpSync(DEMO_MODEL_DIR, dir, { recursive: true });
    const file = join(dir, 'model.safetensors');
    const a = fingerprintFile(file);
    const size = statSync(file).size;
    flipByte(file, size - 3);
    assert.equal(fingerprintFile(file).headerSha256, a.headerSha256);
    flipByte(file, 20);
    assert.notEqual(fingerprintFile(file).headerSha256, a.headerSha256);
  });
});
