/**
 * Download Model against a real HTTP server (test/support/fakeHub.ts) serving the demo model the way
 * the Hugging Face hub does. Every expectation is checked against the source folder's own bytes and
 * hashes, computed here independently of the downloader.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { downloadModel } from '../../../src/extension/hub';
import { checkEndpoint, originGuardedFetch } from '../../../src/extension/hub/http';
import { checkRemoteName } from '../../../src/extension/hub/select';
import { SinkLensError } from '../../../src/shared/errors';
import { startFakeHub, type FakeHub } from '../../support/fakeHub';
import { DEMO_MODEL_DIR } from '../../support/fixtures';

const REPO = 'sinklens/sinklens-tiny';
const MODEL_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json'];
const WEIGHTS = 'model.safetensors';
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const source = (name: string): Buffer => readFileSync(join(DEMO_MODEL_DIR, name));
const totalBytes = MODEL_FILES.reduce((s, f) => s + source(f).length, 0);
const weightsBytes = source(WEIGHTS).length;

let hub: FakeHub;
let dest: string;

before(async () => {
  // Files a model repo often has next to the ones we want: they must not be downloaded.
  const extraFiles = { 'pytorch_model.bin': Buffer.alloc(1000, 7), 'onnx/model.onnx': Buffer.alloc(500, 3), '.gitattributes': Buffer.from('*.safetensors filter=lfs\n') };
  hub = await startFakeHub({ folder: DEMO_MODEL_DIR, repo: REPO, extraFiles });
});
after(() => hub.close());
beforeEach(() => {
  dest = mkdtempSync(join(tmpdir(), 'sinklens-hub-'));
  hub.knobs = {};
  hub.requests.length = 0;
});
afterEach(() => rmSync(dest, { recursive: true, force: true }));

const repoDir = (): string => join(dest, 'models--sinklens--sinklens-tiny');
const snapshot = (): string => join(repoDir(), 'snapshots', hub.commit);
const resolves = (file: string): { range: string | undefined }[] => hub.requests.filter((r) => r.path.endsWith(`/resolve/${hub.commit}/${file}`));
const blobsDir = (): string[] => (existsSync(join(repoDir(), 'blobs')) ? readdirSync(join(repoDir(), 'blobs')) : []);

function download(extra: Partial<Parameters<typeof downloadModel>[0]> = {}, progress: [number, number, string][] = []): ReturnType<typeof downloadModel> {
  return downloadModel({ repoId: REPO, endpoint: hub.endpoint, destRoot: dest, onProgress: (d, t, f) => progress.push([d, t, f]), ...extra });
}

async function rejectsWith(p: Promise<unknown>, code: string, mentions: string): Promise<SinkLensError> {
  const e = await p.then(
    () => assert.fail(`expected ${code}`),
    (err: unknown) => err,
  );
  assert.ok(SinkLensError.is(e), `expected a SinkLensError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  assert.ok(e.message.includes(mentions), `message should mention ${mentions}: ${e.message}`);
  return e;
}

function assertSameAsSource(dir: string): void {
  assert.deepEqual(readdirSync(dir).sort(), MODEL_FILES);
  for (const f of MODEL_FILES) assert.ok(readFileSync(join(dir, f)).equals(source(f)), `${f} differs from the source`);
}

function assertMonotonic(progress: [number, number, string][]): void {
  assert.ok(progress.length > 2, 'progress was reported');
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]![0] >= progress[i - 1]![0], `progress went back at ${i}`);
  for (const [d, t] of progress) assert.ok(d <= t && t === totalBytes, `progress ${d}/${t}`);
  assert.equal(progress.at(-1)![0], totalBytes);
}

describe('downloadModel against a hub-shaped HTTP server', () => {
  it('downloads the model files only, in the HF cache layout, with byte progress', async () => {
    const progress: [number, number, string][] = [];
    const r = await download({}, progress);
    assert.equal(r.dir, snapshot());
    assert.equal(r.bytesTotal, totalBytes);
    assertSameAsSource(r.dir);
    assertMonotonic(progress);
    assert.equal(readFileSync(join(repoDir(), 'refs', 'main'), 'utf8'), hub.commit);
    // Snapshot entries link to verified blobs named by etag: sha256 for LFS, git sha1 otherwise.
    assert.equal(readlinkSync(join(r.dir, WEIGHTS)), join('..', '..', 'blobs', sha256(source(WEIGHTS))));
    const configOid = createHash('sha1').update(`blob ${source('config.json').length}\0`).update(source('config.json')).digest('hex');
    assert.equal(readlinkSync(join(r.dir, 'config.json')), join('..', '..', 'blobs', configOid));
    assert.equal(blobsDir().filter((b) => b.endsWith('.incomplete')).length, 0);
    assert.deepEqual(readdirSync(repoDir()).sort(), ['blobs', 'refs', 'snapshots'], 'nothing but the HF layout is left behind');
    assert.ok(!hub.requests.some((q) => /pytorch_model|onnx|gitattributes/.test(q.path)), 'skipped files were never requested');

    // A second download finds the complete snapshot and fetches no bytes.
    hub.requests.length = 0;
    const again = await download();
    assert.equal(again.dir, r.dir);
    assert.equal(hub.requests.filter((q) => q.path.includes('/resolve/')).length, 0);
  });

  it('repairs a snapshot whose blob was deleted, fetching only that file', async () => {
    await download();
    rmSync(join(repoDir(), 'blobs', sha256(source(WEIGHTS))));
    hub.requests.length = 0;
    const r = await download();
    assert.deepEqual(hub.requests.filter((q) => q.path.includes('/resolve/')).map((q) => q.path.split('/').pop()), [WEIGHTS]);
    assertSameAsSource(r.dir);
  });

  it('resumes with a Range request after the server drops the connection mid-file', async () => {
    hub.knobs.drop = { file: WEIGHTS, afterBytes: 1_000_000, times: 1 };
    const progress: [number, number, string][] = [];
    const r = await download({}, progress);
    const reqs = resolves(WEIGHTS);
    assert.equal(reqs.length, 2);
    assert.equal(reqs[0]!.range, undefined);
    const m = /^bytes=(\d+)-$/.exec(reqs[1]!.range ?? '');
    assert.ok(m, `second request resumes with a Range header (got ${reqs[1]!.range})`);
    const from = Number(m[1]);
    assert.ok(from > 0 && from <= 1_000_000, `resumed from ${from}`);
    assert.equal(sha256(readFileSync(join(r.dir, WEIGHTS))), sha256(source(WEIGHTS)));
    assertSameAsSource(r.dir);
    assertMonotonic(progress);
  });

  it('starts the file over when the server ignores Range (200 instead of 206)', async () => {
    hub.knobs = { drop: { file: WEIGHTS, afterBytes: 800_000, times: 1 }, ignoreRange: true };
    const progress: [number, number, string][] = [];
    const r = await download({}, progress);
    assert.match(resolves(WEIGHTS)[1]?.range ?? '', /^bytes=\d+-$/);
    assertSameAsSource(r.dir);
    assertMonotonic(progress);
  });

  it('fails with downloadFailed when drops outlast the retries, keeps the partial, and resumes next time', async () => {
    hub.knobs.drop = { file: WEIGHTS, afterBytes: 700_000, times: 10 };
    await rejectsWith(download({ retries: 1 }), 'downloadFailed', WEIGHTS);
    const partial = join(repoDir(), 'blobs', `${sha256(source(WEIGHTS))}.incomplete`);
    const kept = readFileSync(partial).length;
    assert.ok(kept > 0 && kept < weightsBytes, `partial kept (${kept} bytes)`);
    assert.ok(!existsSync(join(repoDir(), 'snapshots')), 'no snapshot for a failed download');

    hub.knobs = {};
    hub.requests.length = 0;
    const r = await download();
    assert.deepEqual(resolves(WEIGHTS).map((q) => q.range), [`bytes=${kept}-`]);
    assertSameAsSource(r.dir);
  });

  it('rejects an LFS file whose sha256 does not match, deletes it and exposes no snapshot', async () => {
    hub.knobs.corrupt = new Set([WEIGHTS]);
    const e = await rejectsWith(download(), 'checksumMismatch', WEIGHTS);
    assert.ok(e.message.includes(sha256(source(WEIGHTS))), 'names the expected sha256');
    assert.ok(!existsSync(join(repoDir(), 'snapshots')), 'no snapshot folder');
    assert.ok(!blobsDir().some((b) => b.startsWith(sha256(source(WEIGHTS)))), 'corrupt blob and partial deleted');
    assert.ok(!existsSync(join(repoDir(), 'refs')), 'no ref written');
  });

  it('rejects a corrupted small (git-stored) file by its git blob sha1', async () => {
    hub.knobs.corrupt = new Set(['tokenizer.json']);
    await rejectsWith(download(), 'checksumMismatch', 'tokenizer.json');
    assert.ok(!existsSync(join(repoDir(), 'snapshots')));
  });

  it('cancels mid-file keeping the partial, then resumes from it', async () => {
    const stallAt = 1_500_000;
    hub.knobs.stall = { file: WEIGHTS, afterBytes: stallAt };
    const ac = new AbortController();
    const beforeWeights = totalBytes - weightsBytes;
    const onProgress = (done: number, _t: number, file: string): void => {
      if (file === WEIGHTS && done - beforeWeights >= stallAt) ac.abort();
    };
    await rejectsWith(download({ signal: ac.signal, onProgress }), 'cancelled', 'resume');
    const partial = join(repoDir(), 'blobs', `${sha256(source(WEIGHTS))}.incomplete`);
    assert.equal(readFileSync(partial).length, stallAt);
    assert.ok(!existsSync(join(repoDir(), 'snapshots')));

    hub.knobs = {};
    hub.requests.length = 0;
    const progress: [number, number, string][] = [];
    const r = await download({}, progress);
    assert.deepEqual(resolves(WEIGHTS).map((q) => q.range), [`bytes=${stallAt}-`]);
    assert.ok(progress[0]![0] >= stallAt, 'progress starts from the bytes already on disk');
    assertSameAsSource(r.dir);
  });

  it('follows the CDN redirect for LFS files and sends the token to the hub', async () => {
    hub.knobs = { token: 'hf_test', lfsRedirect: true };
    await rejectsWith(download(), 'downloadFailed', 'token');
    hub.requests.length = 0;
    const r = await download({ token: 'hf_test' });
    assertSameAsSource(r.dir);
    assert.ok(hub.requests.some((q) => q.path.startsWith('/cdn/')), 'bytes came through the redirect');
    assert.ok(hub.requests.filter((q) => q.path.startsWith('/api/')).every((q) => q.authorization === 'Bearer hf_test'));
  });

  it('lets only one of two concurrent downloads write a file, and takes over a dead owner\'s lock', async () => {
    // The first download stalls inside the weights file, holding its lock.
    hub.knobs.stall = { file: WEIGHTS, afterBytes: 1000 };
    const ac = new AbortController();
    let started!: () => void;
    const inWeights = new Promise<void>((r) => (started = r));
    const first = download({ signal: ac.signal, onProgress: (_d, _t, f) => f === WEIGHTS && started() });
    await inWeights;
    await rejectsWith(download(), 'downloadFailed', 'already being downloaded');
    ac.abort();
    await rejectsWith(first, 'cancelled', 'resume');
    hub.knobs = {};
    assertSameAsSource((await download()).dir);

    // A lock left by a process that no longer exists does not block the next download.
    rmSync(repoDir(), { recursive: true, force: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(join(repoDir(), 'blobs'), { recursive: true });
    writeFileSync(join(repoDir(), 'blobs', `${sha256(source(WEIGHTS))}.lock`), dead.stdout);
    assertSameAsSource((await download()).dir);
    assert.ok(!blobsDir().some((b) => b.endsWith('.lock')), 'locks are released');
  });

  it('explains bad repo ids, unknown revisions and unreachable endpoints', async () => {
    await rejectsWith(download({ repoId: '../etc' }), 'badRequest', 'org/name');
    await rejectsWith(download({ revision: 'nope' }), 'downloadFailed', '404');
    const closed = await startFakeHub({ folder: DEMO_MODEL_DIR, repo: REPO });
    await closed.close();
    await rejectsWith(download({ endpoint: closed.endpoint }), 'downloadFailed', closed.endpoint);
  });

  it('refuses a repo without safetensors before downloading anything', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sinklens-binonly-'));
    writeFileSync(join(folder, 'config.json'), '{}');
    writeFileSync(join(folder, 'tokenizer.json'), '{}');
    writeFileSync(join(folder, 'pytorch_model.bin'), Buffer.alloc(100));
    const binHub = await startFakeHub({ folder, repo: REPO });
    try {
      await rejectsWith(download({ endpoint: binHub.endpoint }), 'missingWeights', 'safetensors');
      assert.equal(binHub.requests.filter((q) => q.path.includes('/resolve/')).length, 0);
    } finally {
      await binHub.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses hostile file names in the listing before building any path', async () => {
    const lfs = (path: string): unknown => ({ type: 'file', oid: 'a'.repeat(40), size: 10, path, lfs: { oid: 'b'.repeat(64), size: 10 } });
    for (const name of ['..\\..\\evil.safetensors', 'C:evil.safetensors', 'x\u0007.safetensors', '...safetensors', 'con.safetensors', 'aux.safetensors', 'a<b.safetensors']) {
      hub.knobs = { extraTree: [lfs(name)] };
      hub.requests.length = 0;
      await rejectsWith(download(), 'downloadFailed', 'unsafe name');
      assert.equal(hub.requests.filter((q) => q.path.includes('/resolve/')).length, 0, `nothing fetched for ${JSON.stringify(name)}`);
      assert.ok(!existsSync(repoDir()) || blobsDir().length === 0, 'nothing written');
    }
    assert.equal(checkRemoteName('r', 'model-00001-of-00002.safetensors'), 'model-00001-of-00002.safetensors');
  });

  it('never sends the token to another origin: pagination links and redirects to a foreign host go without it', async () => {
    const seen: (string | undefined)[] = [];
    const thief = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('[]');
    });
    await new Promise<void>((r) => thief.listen(0, '127.0.0.1', r));
    const other = `http://127.0.0.1:${(thief.address() as AddressInfo).port}`;
    try {
      hub.knobs = { token: 'hf_secret', nextPage: `${other}/api/models/${REPO}/tree/next` };
      const r = await download({ token: 'hf_secret' });
      assertSameAsSource(r.dir);
      assert.ok(seen.length >= 1, 'the next page was fetched from the other origin');
      assert.deepEqual(seen, seen.map(() => undefined), 'no Authorization header reached the other origin');
      assert.ok(hub.requests.filter((q) => q.path.startsWith('/api/')).every((q) => q.authorization === 'Bearer hf_secret'), 'the endpoint itself gets the token');
    } finally {
      await new Promise<void>((r) => thief.close(() => r()));
    }
  });

  it('originGuardedFetch follows redirects by hand and strips the token when the origin changes', async () => {
    const calls: [string, string | null][] = [];
    const fake = (async (url: string, init: { headers: Headers }) => {
      calls.push([url, init.headers.get('authorization')]);
      if (url === 'https://hub.test/a') return new Response(null, { status: 302, headers: { Location: '/b' } });
      if (url === 'https://hub.test/b') return new Response(null, { status: 307, headers: { Location: 'https://evil.test/c' } });
      return new Response('ok');
    }) as unknown as typeof fetch;
    const res = await originGuardedFetch(fake, 'https://hub.test')('https://hub.test/a', { headers: { Authorization: 'Bearer t' } });
    assert.equal(await res.text(), 'ok');
    assert.deepEqual(calls, [
      ['https://hub.test/a', 'Bearer t'],
      ['https://hub.test/b', 'Bearer t'],
      ['https://evil.test/c', null],
    ]);
  });

  it('refuses plain-http endpoints off loopback unless allowed, before any request', async () => {
    let called = 0;
    const counting = (() => {
      called++;
      return Promise.reject(new Error('no network in this test'));
    }) as unknown as typeof fetch;
    await rejectsWith(download({ endpoint: 'http://mirror.example.org', fetch: counting }), 'downloadFailed', 'sinklens.hub.allowInsecureHttp');
    await rejectsWith(download({ endpoint: 'https://user:pw@hub.example.org', fetch: counting }), 'downloadFailed', 'user name or password');
    await rejectsWith(download({ endpoint: 'file:///etc', fetch: counting }), 'downloadFailed', 'https://');
    assert.equal(called, 0, 'nothing was fetched');
    await rejectsWith(download({ endpoint: 'http://mirror.example.org', fetch: counting, allowInsecureHttp: true }), 'downloadFailed', 'mirror.example.org');
    assert.ok(called > 0, 'allowed: the request was attempted');
    for (const ok of ['http://127.0.0.1:8080', 'http://localhost', 'http://[::1]:9', 'https://huggingface.co']) assert.doesNotThrow(() => checkEndpoint(ok), ok);
  });
});

