/**
 * Hostile model folders: every path an index names stays inside the folder (after symlinks), only regular
 * files are opened, tensors must cover the data exactly once, weights must be floating point, and config
 * values out of range are refused with one line naming the file and the field — never a hang, a raw errno,
 * a read outside the folder or an internal error.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { loadModelFiles } from '../../../src/engine/model/load';
import { openWeights } from '../../../src/engine/model/safetensors';
import { SinkLensError } from '../../../src/shared/errors';
import { ARCH_SPECS, generateModel } from '../../support/genModel';
import { f32Bytes, safetensorsBytes } from '../../../tools/modelgen/safetensors';

const root = mkdtempSync(join(tmpdir(), 'sinklens-hostile-'));
after(() => rmSync(root, { recursive: true, force: true }));
const spec = ARCH_SPECS.find((s) => s.name === 'llama-gqa-tied')!;
let base: string;
before(() => {
  base = join(root, 'base');
  generateModel(base, spec);
});

let n = 0;
/** A fresh copy of the generated model, changed by `edit`. */
function variant(edit: (dir: string) => void): string {
  const dir = join(root, `v${++n}`);
  cpSync(base, dir, { recursive: true });
  edit(dir);
  return dir;
}

async function refused(dir: string, code: string, re: RegExp): Promise<SinkLensError> {
  const t0 = Date.now();
  const e = await loadModelFiles(dir).then(
    (f) => {
      f.store.close();
      return assert.fail('the folder was accepted');
    },
    (err: unknown) => err,
  );
  assert.ok(SinkLensError.is(e), `expected a SinkLensError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  assert.match(e.message, re);
  assert.doesNotMatch(e.message, /\n|EISDIR|ENOENT|EACCES|Invalid typed array/);
  assert.ok(Date.now() - t0 < 5000, 'answered in seconds');
  return e;
}

function shardIndex(dir: string, file: string): void {
  const names = Object.keys(JSON.parse(Buffer.from(readFileSync(join(dir, 'model.safetensors')).subarray(8)).toString('utf8').replace(/\s+$/, '').split('\0')[0]!.slice(0, Number(readFileSync(join(dir, 'model.safetensors')).readBigUInt64LE(0)))) as object).filter((k) => k !== '__metadata__');
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: Object.fromEntries(names.map((k) => [k, file])) }));
}

function editConfig(dir: string, patch: Record<string, unknown>): void {
  const p = join(dir, 'config.json');
  writeFileSync(p, JSON.stringify({ ...(JSON.parse(readFileSync(p, 'utf8')) as object), ...patch }));
}

describe('hostile model folders', () => {
  it('refuses an index entry that climbs out of the folder, without reading the target', async () => {
    const e = await refused(variant((d) => shardIndex(d, '../../../etc/passwd')), 'corruptWeights', /names the weight file "\.\.\/\.\.\/\.\.\/etc\/passwd", which points outside the model folder/);
    assert.doesNotMatch(e.message + (e.detail ?? ''), /root:|bytes/);
  });

  it('refuses an absolute or backslashed index entry', async () => {
    await refused(variant((d) => shardIndex(d, '/etc/passwd')), 'corruptWeights', /points outside the model folder/);
    await refused(variant((d) => shardIndex(d, '..\\..\\evil.safetensors')), 'corruptWeights', /points outside the model folder/);
  });

  it('refuses a shard that is a symlink leading outside the folder', async () => {
    const outside = join(root, 'outside.safetensors');
    cpSync(join(base, 'model.safetensors'), outside);
    const dir = variant((d) => {
      shardIndex(d, 'model-00001-of-00001.safetensors');
      symlinkSync(outside, join(d, 'model-00001-of-00001.safetensors'));
      rmSync(join(d, 'model.safetensors'));
    });
    await refused(dir, 'corruptWeights', /resolves outside the model folder/);
  });

  it('refuses a shard that is a FIFO (opening it would hang) and a weight file that is a directory', async () => {
    const fifo = variant((d) => {
      execFileSync('mkfifo', [join(d, 'model-00001-of-00001.safetensors')]);
      shardIndex(d, 'model-00001-of-00001.safetensors');
    });
    await refused(fifo, 'corruptWeights', /is not a regular file/);
    const dirAsFile = variant((d) => {
      rmSync(join(d, 'model.safetensors'));
      mkdirSync(join(d, 'model.safetensors'));
    });
    await refused(dirAsFile, 'corruptWeights', /model\.safetensors.*is not a regular file/);
  });

  it('loads a Hugging Face cache snapshot whose files link into ../../blobs', async () => {
    const repo = join(root, 'hub', 'models--org--tiny');
    const snap = join(repo, 'snapshots', 'abc123');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(snap, { recursive: true });
    for (const f of readdirSync(base)) {
      cpSync(join(base, f), join(repo, 'blobs', `blob-${f}`));
      symlinkSync(join('..', '..', 'blobs', `blob-${f}`), join(snap, f));
    }
    const files = await loadModelFiles(snap);
    assert.ok(files.store.names().length > 0);
    files.store.close();
  });

  it('refuses overlapping tensors, unreferenced bytes and integer weights', () => {
    const t = { a: { dtype: 'F32', shape: [2], bytes: f32Bytes([1, 2]) }, b: { dtype: 'F32', shape: [2], bytes: f32Bytes([3, 4]) } };
    const write = (name: string, bytes: Uint8Array): string => {
      const dir = join(root, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.safetensors'), bytes);
      return dir;
    };
    const overlap = write('overlap', safetensorsBytes(t, { headerPatch: { b: { data_offsets: [0, 8] } } }));
    assert.throws(() => openWeights(overlap), /tensor "(a|b)" overlaps/);
    const gap = write('gap', safetensorsBytes({ a: t.a, b: { ...t.b, bytes: f32Bytes([3, 4, 5]) } }, { headerPatch: { b: { shape: [2], data_offsets: [12, 20] } } }));
    assert.throws(() => openWeights(gap), /4 unreferenced bytes before tensor "b"/);
    const ints = write('ints', safetensorsBytes({ w: { dtype: 'I64', shape: [1], bytes: new Uint8Array(BigInt64Array.of(5n).buffer) } }));
    const s = openWeights(ints);
    assert.throws(() => s.read('w'), /has dtype I64; model weights must be floating point/);
    s.close();
  });

  const configs: [string, Record<string, unknown>, RegExp][] = [
    ['rms_norm_eps -1', { rms_norm_eps: -1 }, /"rms_norm_eps \/ layer_norm_eps" must be in \(0, 1\)/],
    ['rope_theta 0', { rope_theta: 0 }, /"rope_theta" must be a positive number/],
    ['max_position_embeddings -1', { max_position_embeddings: -1 }, /max_position_embeddings/],
    ['max_position_embeddings 1e9', { max_position_embeddings: 1e9 }, /max_position_embeddings .* must be an integer in 1\.\.16777216/],
    ['vocab_size 1e9', { vocab_size: 1e9 }, /vocab_size/],
    ['num_key_value_heads 3 of 4', { num_key_value_heads: 3 }, /kv heads 3 are inconsistent|num_key_value_heads/],
    ['bos_token_id past the vocabulary', { bos_token_id: 100000 }, /bos_token_id" is 100000, outside the vocabulary/],
  ];
  for (const [what, patch, re] of configs) {
    it(`refuses config.json with ${what}, naming the file and the field`, async () => {
      const e = await refused(variant((d) => editConfig(d, patch)), 'badConfig', re);
      assert.match(e.message, /config\.json/);
    });
  }

  it('sizes RoPE from the prompt, not from max_position_embeddings: a 4e6-position config loads and runs in seconds', async () => {
    const dir = variant((d) => editConfig(d, { max_position_embeddings: 4_000_000 }));
    const engine = new Engine();
    try {
      const t0 = Date.now();
      const h = await engine.load(dir);
      const r = await engine.analyze(h, 'hello world');
      assert.ok(r.baseline.layers.length === spec.layers + 1);
      assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    } finally {
      await engine.dispose();
    }
  });
});
