// Builds a platform-specific VSIX: sinklens-<version>-<target>.vsix (run `npm run build` first;
// `npm run package` does both for linux-x64).
//
//   node scripts/package.mjs --target linux-x64 [--out file.vsix] [--keep-stage] [--allow-missing-docs] [--no-smoke]
//
// The result is checked by verify-vsix (contents; on the host's own target also a smoke run of the
// unpacked engine on the demo model). Takes ~10-20 s on 2 cores, mostly vsce zipping onnxruntime.
//
// Everything is bundled by esbuild except onnxruntime-node (native), which must ship as a real
// package under node_modules. The repo's node_modules holds every platform's binaries, and other
// builds use it, so nothing is packaged from the repo directly: the files are copied into a staging
// folder (onnxruntime through prune-ort's filter: only the target's binaries), and vsce packages
// that folder. vsce runs `npm list --production` there, so the staged manifests declare only
// onnxruntime-node -> onnxruntime-common (the install-time deps of onnxruntime-node are not needed).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ortKeep, parseTarget } from './prune-ort.mjs';
import { isRelativeLink, readmeImages, verifyVsix } from './verify-vsix.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const ORT_PACKAGES = ['onnxruntime-node', 'onnxruntime-common'];
// Dev-only bundles: the benchmark, and the CLI launcher's relaunch step (bin/ is not packaged).
const DEV_BUNDLES = new Set(['bench.js', 'relaunch.js']);
const DOCS = ['README.md', 'CHANGELOG.md', 'LICENSE', 'LICENSE.md', 'LICENSE.txt'];

function parseArgs(argv) {
  const get = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    target: get('--target') ?? 'linux-x64',
    out: get('--out'),
    root: resolve(get('--root') ?? ROOT),
    keepStage: argv.includes('--keep-stage'),
    allowMissingDocs: argv.includes('--allow-missing-docs'),
    smoke: !argv.includes('--no-smoke'),
  };
}

/** The manifest as shipped: runtime dependency on onnxruntime-node only; no dev tooling fields. */
export function stagedManifest(pkg) {
  const out = { ...pkg };
  out.dependencies = { 'onnxruntime-node': pkg.dependencies['onnxruntime-node'] };
  for (const k of ['devDependencies', 'scripts', 'bin']) delete out[k];
  return out;
}

/** onnxruntime-node's own deps (adm-zip, global-agent) serve its postinstall download only. */
function stagedOrtManifest(pkg) {
  const out = { ...pkg, dependencies: { 'onnxruntime-common': pkg.dependencies['onnxruntime-common'] } };
  delete out.scripts;
  delete out.devDependencies;
  return out;
}

function copyFiltered(src, dest, keep) {
  cpSync(src, dest, {
    recursive: true,
    filter: (p) => keep(relative(src, p).split(sep).join('/'), p),
  });
}

function stage(root, target, dir, { allowMissingDocs }) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const f of ['dist/extension.js', 'dist/engine.js', 'dist/metricsWorker.js', 'dist/templateWorker.js', 'dist/quantWorker.js', 'dist/cli.js', 'dist/webview.js']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify(stagedManifest(pkg), null, 2));
  const docs = DOCS.filter((f) => existsSync(join(root, f)));
  const missing = ['README.md', 'CHANGELOG.md'].filter((f) => !docs.includes(f)).concat(docs.some((f) => f.startsWith('LICENSE')) ? [] : ['LICENSE']);
  if (missing.length && !allowMissingDocs) throw new Error(`missing ${missing.join(', ')} at the repo root (or pass --allow-missing-docs for a dev build)`);
  for (const f of [...docs, '.vscodeignore', ...readdirSync(root).filter((n) => /^package\.nls(\.[\w-]+)?\.json$/.test(n))]) {
    if (existsSync(join(root, f))) cpSync(join(root, f), join(dir, f));
  }
  // The README's pictures ship with it, so the Details page resolves them offline (relative links stay relative).
  if (existsSync(join(root, 'README.md'))) {
    for (const img of readmeImages(readFileSync(join(root, 'README.md'), 'utf8')).filter(isRelativeLink)) {
      if (!existsSync(join(root, img))) throw new Error(`README.md shows ${img}, which does not exist`);
      mkdirSync(dirname(join(dir, img)), { recursive: true });
      cpSync(join(root, img), join(dir, img));
    }
  }
  // Bundles without source maps (they would double the size and leak paths) and without the
  // benchmark; cli.js stays (the engine's CLI, also used by verify-vsix's smoke run).
  copyFiltered(join(root, 'dist'), join(dir, 'dist'), (rel, p) => statSync(p).isDirectory() || (/\.(js|css|wasm)$/.test(rel) && !DEV_BUNDLES.has(rel)));
  if (existsSync(join(root, 'media'))) cpSync(join(root, 'media'), join(dir, 'media'), { recursive: true });
  cpSync(join(root, 'models', 'sinklens-tiny'), join(dir, 'models', 'sinklens-tiny'), { recursive: true });
  // The built-in prompt set of studies (`sinklens study` with no prompt set; the study view's default).
  cpSync(join(root, 'examples', 'prompts'), join(dir, 'examples', 'prompts'), { recursive: true });
  for (const name of ORT_PACKAGES) {
    copyFiltered(join(root, 'node_modules', name), join(dir, 'node_modules', name), (rel) => ortKeep(rel, target));
  }
  const ortPkgPath = join(dir, 'node_modules', 'onnxruntime-node', 'package.json');
  writeFileSync(ortPkgPath, JSON.stringify(stagedOrtManifest(JSON.parse(readFileSync(ortPkgPath, 'utf8'))), null, 2));
  return pkg;
}

function runVsce(root, dir, target, out, { allowMissingDocs }) {
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const args = [vsce, 'package', '--target', target, '-o', out, '--no-rewrite-relative-links'];
  if (allowMissingDocs) args.push('--skip-license');
  const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`vsce package failed (exit ${r.status})`);
}

export function packageVsix(opts) {
  parseTarget(opts.target);
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `sinklens-vsix-${opts.target}-`));
  try {
    const pkg = stage(opts.root, opts.target, dir, opts);
    const out = resolve(opts.out ?? join(opts.root, `${pkg.name}-${pkg.version}-${opts.target}.vsix`));
    const tStage = Date.now();
    runVsce(opts.root, dir, opts.target, out, opts);
    const { problems, entries, zipBytes, smoked } = verifyVsix(out, opts.target, { ...opts, checkName: !opts.out });
    const secs = (ms) => (ms / 1000).toFixed(1);
    console.log(
      `packaged ${out}: ${entries.length} files, ${(zipBytes / 1024 ** 2).toFixed(1)} MB (stage ${secs(tStage - t0)} s, vsce ${secs(Date.now() - tStage)} s)`,
    );
    if (problems.length) throw new Error(`verify-vsix found problems:\n  ${problems.join('\n  ')}`);
    console.log(`verify-vsix: ok${smoked ? ' (smoke run: onnxruntime-node and the engine work from the unpacked VSIX)' : ''}`);
    return out;
  } finally {
    if (opts.keepStage) console.log(`staging folder kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    packageVsix(parseArgs(process.argv.slice(2)));
  } catch (e) {
    console.error(`package: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
