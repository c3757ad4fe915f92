/**
 * The graph cache through the Engine: the second load opens the cached graph without reading a
 * weight (proved by overwriting the weight data in place, keeping size, header and mtime: the
 * results do not change), a changed weight file invalidates the entry, a damaged entry is rebuilt,
 * the size limit evicts the least recently used entry, and a load killed mid-conversion leaves
 * nothing behind after the next start-up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Engine } from '../../../src/engine/api';
import type { Progress } from '../../../src/shared/engineApi';
import type { AnalysisResult } from '../../../src/shared/result';
import { sweepLegacyTemp } from '../../../src/engine/cache/orphans';
import { assertClose } from '../../support/assertClose';
import { generateModel, samplePrompt, type GeneratedModel } from '../../support/genModel';
import { PROJECT_ROOT } from '../../support/fixtures';

const root = mkdtempSync(join(tmpdir(), 'sinklens-graphcache-'));
after(() => rmSync(root, { recursive: true, force: true }));

const SPEC = { name: 'cache-llama', family: 'llama', hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 64, vocab: 80, tie: false, seed: 31 } as const;

/** An engine that writes every graph as external data (so even tiny models are cached). */
const cachingEngine = () => new Engine({ externalThresholdBytes: 0 });

async function analyzeOnce(model: GeneratedModel, cacheDir: string, maxGB?: number) {
  const engine = cachingEngine();
  const progress: Progress[] = [];
  try {
    const h = await engine.load(model.dir, { cache: { dir: cacheDir, ...(maxGB !== undefined ? { maxGB } : {}) } }, { onProgress: (p) => progress.push(p) });
    const r = await engine.analyze(h, samplePrompt(model, 12));
    return { r, cache: engine.graphCacheOf(h), info: h.info, progress };
  } finally {
    await engine.dispose();
  }
}

/** Overwrites a safetensors file's tensor data in place, keeping its size, header and mtime (whole seconds, set by the caller). */
function scrambleWeightData(path: string): void {
  const st = statSync(path);
  const mtime = st.mtimeMs / 1000;
  const fd = openSync(path, 'r+');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const dataStart = 8 + Number(len.readBigUInt64LE(0));
    writeSync(fd, Buffer.alloc(st.size - dataStart, 0x3c), 0, st.size - dataStart, dataStart);
  } finally {
    closeSync(fd);
  }
  utimesSync(path, mtime, mtime);
}

const norms = (r: AnalysisResult) => r.baseline.layers.flatMap((l) => l.norms);
const logits = (r: AnalysisResult) => r.baseline.lastTopK.map((t) => t.logit);
const entries = (cacheDir: string) => readdirSync(join(cacheDir, 'graphs'));

describe('graph cache', () => {
  test('the second load is a hit and reads no weight; a changed weight file invalidates it', async () => {
    const model = generateModel(join(root, 'hit'), SPEC);
    const weights = join(model.dir, 'model.safetensors');
    const t = Math.floor(Date.now() / 1000) - 60;
    utimesSync(weights, t, t); // whole seconds: restored exactly after the scramble below
    const cacheDir = join(root, 'hit-cache');
    const inline = await (async () => {
      const engine = new Engine();
      const h = await engine.load(model.dir, { cache: { dir: cacheDir } });
      assert.equal(engine.graphCacheOf(h), null, 'a small model stays inline and uncached by default');
      const r = await engine.analyze(h, samplePrompt(model, 12));
      await engine.dispose();
      return r;
    })();
    const cold = await analyzeOnce(model, cacheDir);
    assert.equal(cold.cache?.hit, false);
    // Conversion progress in bytes, as load-stage messages (the extension's notification shows them).
    const msgs = cold.progress.map((p) => p.message ?? '');
    assert.ok(cold.progress.every((p) => p.stage === 'load' && (p.fraction ?? 1) <= 0.05), JSON.stringify(cold.progress));
    assert.match(msgs.at(-2) ?? '', /^Converting weights: 0\.0 of 0\.0 GB \(100%\)$/);
    assert.equal(msgs.at(-1), 'Opening the converted graph', 'then what onnxruntime does, not a silent 100%');
    assert.ok(msgs.length >= 3, 'reported while writing, not only at the end');
    assert.deepEqual(entries(cacheDir), [cold.cache?.key]);
    assertClose(norms(cold.r), norms(inline), { rtol: 1e-5, atol: 1e-5 }, 'hidden norms: cached graph = inline graph');
    assertClose(logits(cold.r), logits(inline), { rtol: 1e-5, atol: 1e-5 }, 'top logits: cached graph = inline graph');

    scrambleWeightData(weights);
    const warm = await analyzeOnce(model, cacheDir);
    assert.deepEqual(warm.cache, { key: cold.cache?.key, hit: true });
    assert.deepEqual(warm.progress.map((p) => p.message), ['Opening the cached graph'], 'nothing converted');
    assert.deepEqual(warm.r.baseline.layers, cold.r.baseline.layers, 'same results: the scrambled weights were never read');
    assert.deepEqual(warm.info.files, cold.info.files, 'the weight files sha256 come from the cache entry');

    const now = new Date(Date.now() + 5000);
    utimesSync(weights, now, now); // the same (scrambled) bytes, a new mtime: the key changes
    const changed = await analyzeOnce(model, cacheDir);
    assert.equal(changed.cache?.hit, false);
    assert.notEqual(changed.cache?.key, cold.cache?.key);
    assert.notDeepEqual(norms(changed.r), norms(cold.r), 'the new weights are used');
  });

  test('an int4 load says that onnxruntime lays out the quantised weights, cold and cached', async () => {
    const model = generateModel(join(root, 'int4'), SPEC);
    const cacheDir = join(root, 'int4-cache');
    const opening = async (): Promise<string[]> => {
      const engine = cachingEngine();
      const progress: Progress[] = [];
      try {
        await engine.load(model.dir, { weights: 'int4', cache: { dir: cacheDir } }, { onProgress: (p) => progress.push(p) });
        return progress.map((p) => p.message ?? '').filter((m) => m.startsWith('Opening'));
      } finally {
        await engine.dispose();
      }
    };
    assert.deepEqual(await opening(), ['Opening the converted graph: onnxruntime lays out the int4 weights for its kernels (a few seconds per billion weights)']);
    assert.deepEqual(await opening(), ['Opening the cached graph: onnxruntime lays out the int4 weights for its kernels (a few seconds per billion weights)']);
  });

  test('a truncated or corrupt entry is rebuilt, not crashed on', async () => {
    const model = generateModel(join(root, 'damaged'), SPEC);
    const cacheDir = join(root, 'damaged-cache');
    const first = await analyzeOnce(model, cacheDir);
    const entry = join(cacheDir, 'graphs', first.cache?.key ?? '');
    truncateSync(join(entry, 'model.onnx.data'), 1000);
    const again = await analyzeOnce(model, cacheDir);
    assert.equal(again.cache?.hit, false, 'the damaged entry was not used');
    assert.deepEqual(again.r.baseline.layers, first.r.baseline.layers);
    writeFileSync(join(entry, 'model.onnx'), 'not a protobuf');
    const third = await analyzeOnce(model, cacheDir);
    assert.equal(third.cache?.hit, false);
    assert.deepEqual(third.r.baseline.layers, first.r.baseline.layers);
    assert.equal((await analyzeOnce(model, cacheDir)).cache?.hit, true, 'and the rebuilt entry is used next time');
  });

  test('the size limit evicts the least recently used entry; list and clear', async () => {
    const a = generateModel(join(root, 'lru-a'), { ...SPEC, seed: 41 });
    const b = generateModel(join(root, 'lru-b'), { ...SPEC, seed: 42 });
    const cacheDir = join(root, 'lru-cache');
    const ra = await analyzeOnce(a, cacheDir);
    const one = cachingEngine().cacheList({ dir: cacheDir });
    assert.equal(one.entries.length, 1);
    const entryBytes = one.entries[0]?.bytes ?? 0;
    const maxGB = (1.5 * entryBytes) / 1024 ** 3; // room for one entry, not two
    const rb = await analyzeOnce(b, cacheDir, maxGB);
    assert.deepEqual(entries(cacheDir), [rb.cache?.key], `${ra.cache?.key} was evicted`);
    const listing = cachingEngine().cacheList({ dir: cacheDir });
    assert.equal(listing.entries[0]?.modelDir, b.dir);
    assert.equal(listing.entries[0]?.options, '{"weights":"fp32"}', 'the precision in force (auto resolved) is part of the key');
    assert.deepEqual(cachingEngine().cacheClear({ dir: cacheDir }), { entries: 1, bytes: listing.entries[0]?.bytes });
    assert.deepEqual(entries(cacheDir), []);
  });

  test('a load killed (SIGKILL) mid-conversion leaves nothing behind after the next start-up', async () => {
    const model = generateModel(join(root, 'killed'), SPEC);
    const cacheDir = join(root, 'killed-cache');
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/unit/engine/killedLoadChild.ts'), model.dir, cacheDir], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('converting') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const staged = readdirSync(join(cacheDir, 'staging'));
    assert.equal(staged.length, 1);
    assert.ok(staged[0]?.startsWith(`${child.pid}-`), `staging folder named by pid: ${staged[0]}`);
    assert.ok(readdirSync(join(cacheDir, 'staging', staged[0] ?? '')).includes('model.onnx.data'), 'killed mid-write');
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const next = await analyzeOnce(model, cacheDir); // the next start-up
    assert.deepEqual(readdirSync(join(cacheDir, 'staging')), [], 'the dead process staging folder is gone');
    assert.deepEqual(entries(cacheDir), [next.cache?.key]);
  });

  test("legacy sinklens-onnx-* temp folders are removed unless a live process holds a file in them", () => {
    const tmp = join(root, 'legacy-tmp');
    for (const n of ['sinklens-onnx-dead', 'sinklens-onnx-live', 'other']) {
      mkdirSync(join(tmp, n), { recursive: true });
      writeFileSync(join(tmp, n, 'model.onnx.data'), 'x');
    }
    const fd = openSync(join(tmp, 'sinklens-onnx-live', 'model.onnx.data'), 'r');
    try {
      const removed = sweepLegacyTemp(tmp);
      if (process.platform === 'linux') {
        assert.deepEqual(removed, [join(tmp, 'sinklens-onnx-dead')]);
        assert.deepEqual(readdirSync(tmp).sort(), ['other', 'sinklens-onnx-live']);
      }
    } finally {
      closeSync(fd);
    }
  });
});
