/**
 * Packaging logic, fast: the onnxruntime prune on a made-up package tree (per target, against
 * hand-written expectations), the VSIX content rules on made-up entry lists, and the zip reader on a
 * zip written by an independent implementation (yazl, which vsce itself uses to write VSIX files).
 * The full `npm run package` (build + vsce) is slow and is run by hand / in CI, not here.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../support/fixtures';

interface ZipEntry {
  name: string;
  size: number;
}
interface PruneModule {
  pruneOrtTree(dir: string, target: string, opts?: { repoRoot?: string }): string[];
  ortKeep(rel: string, target: string): boolean;
}
interface PackageModule {
  stagedManifest(pkg: Record<string, unknown>): Record<string, unknown>;
}
interface VerifyModule {
  listZip(buf: Buffer): ZipEntry[];
  readEntry(buf: Buffer, e: ZipEntry): Buffer;
  vsixProblems(entries: ZipEntry[], target: string, opts?: { manifest?: string; zipBytes?: number; allowMissingDocs?: boolean }): string[];
  readmeImages(md: string): string[];
  readmeImageProblems(readme: string, names: string[]): string[];
}

let prune: PruneModule;
let verify: VerifyModule;
let packaging: PackageModule;
before(async () => {
  const load = (name: string): Promise<unknown> => import(pathToFileURL(join(PROJECT_ROOT, 'scripts', name)).href);
  prune = (await load('prune-ort.mjs')) as PruneModule;
  verify = (await load('verify-vsix.mjs')) as VerifyModule;
  packaging = (await load('package.mjs')) as PackageModule;
});

describe('package staging', () => {
  it('ships a manifest whose only runtime dependency is onnxruntime-node (the rest is bundled)', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const staged = packaging.stagedManifest(pkg) as Record<string, unknown>;
    assert.deepEqual(staged.dependencies, { 'onnxruntime-node': pkg.dependencies!['onnxruntime-node'] });
    for (const k of ['devDependencies', 'scripts', 'bin']) assert.equal(staged[k], undefined, k);
    assert.equal(staged.main, pkg.main);
    assert.deepEqual(staged.contributes, pkg.contributes);
  });
});

const NATIVE: Record<string, string[]> = {
  'linux/x64': ['libonnxruntime.so.1', 'onnxruntime_binding.node', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'],
  'linux/arm64': ['libonnxruntime.so.1', 'onnxruntime_binding.node'],
  'darwin/arm64': ['libonnxruntime.1.30.0.dylib', 'libonnxruntime.1.dylib', 'onnxruntime_binding.node'],
  'win32/x64': ['DirectML.dll', 'dxcompiler.dll', 'dxil.dll', 'onnxruntime.dll', 'onnxruntime_binding.node'],
  'win32/arm64': ['DirectML.dll', 'onnxruntime.dll', 'onnxruntime_binding.node'],
};
const COMMON = ['package.json', 'README.md', 'dist/index.js', 'dist/binding.js'];
const DROPPED = ['dist/index.js.map', 'dist/index.d.ts', 'lib/index.ts', 'script/install.js', 'script/install-utils.js'];

function makeOrtTree(root: string): void {
  const files = [...COMMON, ...DROPPED, ...Object.entries(NATIVE).flatMap(([d, names]) => names.map((n) => `bin/napi-v6/${d}/${n}`))];
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), f);
  }
}

function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

describe('prune-ort', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sinklens-prune-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const expected: Record<string, string[]> = {
    'linux-x64': ['bin/napi-v6/linux/x64/libonnxruntime.so.1', 'bin/napi-v6/linux/x64/onnxruntime_binding.node'],
    'linux-arm64': ['bin/napi-v6/linux/arm64/libonnxruntime.so.1', 'bin/napi-v6/linux/arm64/onnxruntime_binding.node'],
    'darwin-arm64': ['bin/napi-v6/darwin/arm64/libonnxruntime.1.30.0.dylib', 'bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib', 'bin/napi-v6/darwin/arm64/onnxruntime_binding.node'],
    'win32-x64': ['DirectML.dll', 'dxcompiler.dll', 'dxil.dll', 'onnxruntime.dll', 'onnxruntime_binding.node'].map((n) => `bin/napi-v6/win32/x64/${n}`),
  };
  for (const [target, bins] of Object.entries(expected)) {
    it(`keeps only ${target}'s binaries and the runtime JS`, () => {
      const dir = join(tmp, target);
      makeOrtTree(dir);
      const removed = prune.pruneOrtTree(dir, target, { repoRoot: tmp });
      assert.deepEqual(listTree(dir), [...COMMON, ...bins].sort());
      assert.ok(removed.length > 0);
    });
  }

  it('works as a copy filter on folders (whole other-platform folders are skipped)', () => {
    assert.equal(prune.ortKeep('bin/napi-v6/win32', 'linux-x64'), false);
    assert.equal(prune.ortKeep('bin/napi-v6/linux/arm64', 'linux-x64'), false);
    assert.equal(prune.ortKeep('bin/napi-v6/linux', 'linux-x64'), true);
    assert.equal(prune.ortKeep('', 'linux-x64'), true);
    assert.throws(() => prune.ortKeep('dist/index.js', 'solaris-sparc'), /unknown target/);
  });

  it("refuses to touch the repo's node_modules", () => {
    const fakeRepo = join(tmp, 'repo');
    const pkg = join(fakeRepo, 'node_modules', 'onnxruntime-node');
    makeOrtTree(pkg);
    const before = listTree(pkg);
    assert.throws(() => prune.pruneOrtTree(pkg, 'linux-x64', { repoRoot: fakeRepo }), /staged copy/);
    assert.deepEqual(listTree(pkg), before);
  });
});

describe('verify-vsix rules', () => {
  const big = 40 * 1024 ** 2;
  const good = (): ZipEntry[] =>
    [
      'extension.vsixmanifest',
      'extension/package.json',
      'extension/readme.md',
      'extension/changelog.md',
      'extension/LICENSE.txt',
      'extension/dist/extension.js',
      'extension/dist/engine.js',
      'extension/dist/metricsWorker.js',
      'extension/dist/templateWorker.js',
      'extension/dist/quantWorker.js',
      'extension/dist/cli.js',
      'extension/dist/webview.js',
      'extension/media/icon.png',
      'extension/models/sinklens-tiny/config.json',
      'extension/models/sinklens-tiny/model.safetensors',
      'extension/models/sinklens-tiny/tokenizer.json',
      'extension/examples/prompts/builtin.jsonl',
      'extension/node_modules/onnxruntime-node/dist/index.js',
      'extension/node_modules/onnxruntime-common/dist/cjs/index.js',
      'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
    ].map((name) => ({ name, size: name.endsWith('.so.1') ? big : 1000 }));
  const manifest = '<Identity Id="sinklens" TargetPlatform="linux-x64" />';
  const problems = (entries: ZipEntry[], target = 'linux-x64'): string[] => verify.vsixProblems(entries, target, { manifest, zipBytes: 20 * 1024 ** 2 });

  it('accepts a complete linux-x64 package', () => {
    assert.deepEqual(problems(good()), []);
  });

  it('rejects other platforms, sources, tests, maps, stray packages and missing pieces', () => {
    const add = (name: string): ZipEntry[] => [...good(), { name, size: 10 }];
    assert.match(problems(add('extension/node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll')).join(), /win32-x64/);
    assert.match(problems(add('extension/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/libonnxruntime.so.1')).join(), /linux-arm64/);
    assert.match(problems(add('extension/src/engine/main.ts')).join(), /sources/);
    assert.match(problems(add('extension/test/unit/a.test.js')).join(), /sources\/tests/);
    assert.match(problems(add('extension/dist/engine.js.map')).join(), /source map/);
    assert.match(problems(add('extension/dist/bench.js')).join(), /benchmark/);
    assert.match(problems(add('extension/node_modules/adm-zip/index.js')).join(), /adm-zip/);
    assert.match(problems(add('extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so')).join(), /CUDA/);
    const without = (re: RegExp): ZipEntry[] => good().filter((e) => !re.test(e.name));
    assert.match(problems(without(/libonnxruntime\.so/)).join(), /libonnxruntime\.so/);
    assert.match(problems(without(/model\.safetensors/)).join(), /demo model/);
    assert.match(problems(without(/builtin\.jsonl/)).join(), /built-in prompt set/);
    assert.match(problems(without(/engine\.js/)).join(), /engine\.js/);
    assert.match(problems(without(/LICENSE/)).join(), /LICENSE/);
    assert.match(problems(good(), 'darwin-arm64').join(), /TargetPlatform="darwin-arm64"/);
  });

  it('checks the size is sane', () => {
    assert.match(verify.vsixProblems(good(), 'linux-x64', { manifest, zipBytes: 500 * 1024 ** 2 }).join(), /over/);
    const tiny = good().map((e) => ({ ...e, size: 10 }));
    assert.match(problems(tiny).join(), /too small/);
  });
});

describe('README pictures in the VSIX', () => {
  it('finds Markdown and HTML image targets', () => {
    const md = '![a](docs/images/panel.png)\n<img src="./media/x.png" alt="x">\n![b](https://example.org/b.png "title") [link](docs/other.md)';
    assert.deepEqual(verify.readmeImages(md), ['docs/images/panel.png', 'https://example.org/b.png', './media/x.png']);
  });

  it('requires relative pictures to be packaged and absolute ones to be https', () => {
    const md = '![a](docs/images/panel.png) ![b](./media/x.png) ![c](http://example.org/c.png) ![d](https://example.org/d.png)';
    const names = ['extension/readme.md', 'extension/media/x.png'];
    assert.deepEqual(verify.readmeImageProblems(md, names), [
      'README.md shows docs/images/panel.png, which is not in the VSIX',
      'README.md shows http://example.org/c.png: only https images render on the Details page',
    ]);
    assert.deepEqual(verify.readmeImageProblems(md, [...names, 'extension/docs/images/panel.png']).length, 1);
  });

  it("the repository's README pictures all exist, and package.json says where the repository is", () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const imgs = verify.readmeImages(readme);
    assert.ok(imgs.length > 0);
    for (const img of imgs) assert.ok(/^https:/.test(img) || existsSync(join(PROJECT_ROOT, img)), `${img} exists`);
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    for (const k of ['repository', 'bugs', 'homepage']) assert.ok(pkg[k], `package.json has ${k}`);
  });
});

describe('verify-vsix zip reader', () => {
  it('lists and reads entries of a zip written by yazl (stored and deflated)', async () => {
    const req = createRequire(join(PROJECT_ROOT, 'node_modules', '@vscode', 'vsce', 'package.json'));
    const yazl = req('yazl') as { ZipFile: new () => YazlZip };
    const zip = new yazl.ZipFile();
    const deflated = Buffer.from('attention sinks '.repeat(500));
    const stored = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 256));
    zip.addBuffer(deflated, 'extension/a.txt', { compress: true });
    zip.addBuffer(stored, 'extension/dir/b.bin', { compress: false });
    zip.end();
    const chunks: Buffer[] = [];
    for await (const c of zip.outputStream) chunks.push(c as Buffer);
    const buf = Buffer.concat(chunks);
    const entries = verify.listZip(buf);
    assert.deepEqual(entries.map((e) => [e.name, e.size]), [['extension/a.txt', deflated.length], ['extension/dir/b.bin', stored.length]]);
    assert.ok(verify.readEntry(buf, entries[0]!).equals(deflated));
    assert.ok(verify.readEntry(buf, entries[1]!).equals(stored));
    assert.throws(() => verify.listZip(Buffer.from('not a zip at all, definitely not')), /not a zip/);
  });
});

interface YazlZip {
  addBuffer(b: Buffer, name: string, opts: { compress: boolean }): void;
  end(): void;
  outputStream: AsyncIterable<unknown>;
}
