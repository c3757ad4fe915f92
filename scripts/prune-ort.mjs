// Decides which files of onnxruntime-node / onnxruntime-common go into a platform VSIX, and prunes a
// STAGED copy of them (never the repo's node_modules: other builds and tests use it).
//
// onnxruntime-node ships every platform's native binaries in one npm package (~290 MB):
//   bin/napi-v6/{linux,darwin,win32}/{x64,arm64}/onnxruntime_binding.node + libonnxruntime / onnxruntime.dll
// A platform VSIX keeps only its own bin/napi-v*/<os>/<arch>/ folder, and drops the CUDA/TensorRT
// execution-provider libraries (they need a CUDA install, and are hundreds of MB), the install
// scripts (script/: postinstall only), TypeScript sources (lib/, *.ts) and source maps.
//
//   node scripts/prune-ort.mjs --target linux-x64 <staged package dir>...
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** VSIX targets we build, and the `process.platform` / `process.arch` they run on. */
export const TARGETS = {
  'linux-x64': { os: 'linux', arch: 'x64' },
  'linux-arm64': { os: 'linux', arch: 'arm64' },
  'darwin-arm64': { os: 'darwin', arch: 'arm64' },
  'darwin-x64': { os: 'darwin', arch: 'x64' },
  'win32-x64': { os: 'win32', arch: 'x64' },
  'win32-arm64': { os: 'win32', arch: 'arm64' },
};

export function parseTarget(target) {
  const t = TARGETS[target];
  if (!t) throw new Error(`unknown target "${target}"; use one of ${Object.keys(TARGETS).join(', ')}`);
  return t;
}

/**
 * Whether a path inside an onnxruntime package (posix, relative to the package root; a file or a
 * folder) belongs in the VSIX for `target`. Folders answer for everything under them, so the same
 * predicate works as a copy filter.
 */
export function ortKeep(rel, target) {
  const { os, arch } = parseTarget(target);
  const parts = rel.split('/').filter(Boolean);
  if (parts.length === 0) return true;
  const [top] = parts;
  if (top === 'lib' || top === 'script') return false;
  const name = parts[parts.length - 1];
  if (name.endsWith('.map') || name.endsWith('.ts')) return false;
  if (top === 'bin' && parts.length >= 3) {
    // bin/napi-v6/<os>/<arch>/...
    if (parts[2] !== os) return false;
    if (parts.length >= 4 && parts[3] !== arch) return false;
    if (/onnxruntime_providers_(cuda|tensorrt|shared)/.test(name)) return false;
  }
  return true;
}

/** Deletes what `ortKeep` rejects under `pkgDir`; returns the relative paths removed. */
export function pruneOrtTree(pkgDir, target, { repoRoot = defaultRepoRoot() } = {}) {
  parseTarget(target);
  const abs = resolve(pkgDir);
  const repoModules = resolve(repoRoot, 'node_modules');
  if (abs === repoModules || abs.startsWith(repoModules + sep)) {
    throw new Error(`refusing to prune ${abs}: it is the repo's node_modules; prune a staged copy instead`);
  }
  const removed = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const rel = relative(abs, p).split(sep).join('/');
      if (!ortKeep(rel, target)) {
        rmSync(p, { recursive: true, force: true });
        removed.push(rel);
      } else if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(abs);
  return removed;
}

function defaultRepoRoot() {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--target');
  if (i < 0 || !args[i + 1]) {
    console.error('usage: node scripts/prune-ort.mjs --target <target> <staged package dir>...');
    process.exit(2);
  }
  const target = args[i + 1];
  const dirs = args.filter((_, j) => j !== i && j !== i + 1);
  for (const d of dirs) console.log(`${d}: removed ${pruneOrtTree(d, target).length} paths for ${target}`);
}
