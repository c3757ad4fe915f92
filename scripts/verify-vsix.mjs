// Opens a platform VSIX (a zip) and checks what a user will install: the target's onnxruntime binaries
// and nothing of other platforms, the bundles, the demo model, the docs, no sources or tests, a sane size.
//
//   node scripts/verify-vsix.mjs --target linux-x64 sinklens-0.1.0-linux-x64.vsix [--allow-missing-docs] [--no-smoke]
//
// When the target is this machine's platform, it also unpacks the VSIX and runs the shipped engine on
// the shipped demo model (--no-smoke skips that).
//
// The zip is read with a small central-directory reader (zip is simple; no dependency needed).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { parseTarget } from './prune-ort.mjs';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Entries of a zip buffer: { name, method, compressedSize, size, offset }. */
export function listZip(buf) {
  // The end-of-central-directory record sits in the last 22 + up to 65535 (comment) bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || p === 0xffffffff) throw new Error('zip64 archives are not supported (a VSIX this large is wrong anyway)');
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== CENTRAL) throw new Error(`bad central directory entry ${n}`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    entries.push({
      name: buf.toString('utf8', p + 46, p + 46 + nameLen),
      method: buf.readUInt16LE(p + 10),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      offset: buf.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The bytes of one entry (stored or deflated). */
export function readEntry(buf, entry) {
  const p = entry.offset;
  if (buf.readUInt32LE(p) !== LOCAL) throw new Error(`bad local header for ${entry.name}`);
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  const data = buf.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`unsupported compression ${entry.method} for ${entry.name}`);
}

const ORT_BIN = 'extension/node_modules/onnxruntime-node/bin/';
const LIMITS = { maxZipBytes: 100 * 1024 ** 2, maxUnpackedBytes: 250 * 1024 ** 2, minUnpackedBytes: 5 * 1024 ** 2 };

/** The target's native library name pattern (what onnxruntime_binding.node links against). */
function nativeLib(os) {
  if (os === 'linux') return /\/libonnxruntime\.so(\.\d+)+$/;
  if (os === 'darwin') return /\/libonnxruntime(\.\d+)+\.dylib$/;
  return /\/onnxruntime\.dll$/;
}

/**
 * Problems with a VSIX's entry list for `target` ([] when it is good). Pure, so it is unit-tested on
 * made-up lists. `manifest` is the text of extension.vsixmanifest.
 */
export function vsixProblems(entries, target, { manifest = '', zipBytes = 0, allowMissingDocs = false } = {}) {
  const { os, arch } = parseTarget(target);
  const names = entries.map((e) => e.name);
  const has = (re) => names.some((n) => re.test(n));
  const problems = [];
  const need = (re, what) => {
    if (!has(re)) problems.push(`missing ${what}`);
  };
  need(/^extension\/package\.json$/, 'extension/package.json');
  for (const b of ['extension', 'engine', 'metricsWorker', 'templateWorker', 'quantWorker', 'cli', 'webview']) need(new RegExp(`^extension/dist/${b}\\.js$`), `dist/${b}.js`);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) need(new RegExp(`^extension/models/sinklens-tiny/${f.replace('.', '\\.')}$`), `demo model file models/sinklens-tiny/${f}`);
  need(/^extension\/examples\/prompts\/builtin\.jsonl$/, 'the built-in prompt set examples/prompts/builtin.jsonl');
  if (!allowMissingDocs) {
    need(/^extension\/readme\.md$/i, 'README.md');
    need(/^extension\/changelog\.md$/i, 'CHANGELOG.md');
    need(/^extension\/license(\.md|\.txt)?$/i, 'LICENSE');
  }
  const binDir = `${ORT_BIN}napi-v\\d+/${os}/${arch}/`;
  need(new RegExp(`^${binDir}onnxruntime_binding\\.node$`), `onnxruntime binding for ${target}`);
  need(new RegExp(`^${binDir}[^/]+$`), `onnxruntime native library for ${target}`);
  if (!names.some((n) => new RegExp(`^${binDir}`).test(n) && nativeLib(os).test(n))) problems.push(`missing ${os === 'linux' ? 'libonnxruntime.so.*' : 'the onnxruntime library'} for ${target}`);
  need(/^extension\/node_modules\/onnxruntime-node\/dist\/index\.js$/, 'onnxruntime-node/dist/index.js');
  need(/^extension\/node_modules\/onnxruntime-common\/dist\/cjs\/index\.js$/, 'onnxruntime-common (cjs)');
  for (const n of names) {
    const why = forbidden(n, os, arch);
    if (why) problems.push(`${n}: ${why}`);
  }
  if (manifest && !manifest.includes(`TargetPlatform="${target}"`)) problems.push(`extension.vsixmanifest does not declare TargetPlatform="${target}"`);
  const unpacked = entries.reduce((s, e) => s + e.size, 0);
  if (zipBytes > LIMITS.maxZipBytes) problems.push(`VSIX is ${mb(zipBytes)}, over ${mb(LIMITS.maxZipBytes)}`);
  if (unpacked > LIMITS.maxUnpackedBytes) problems.push(`unpacked size ${mb(unpacked)} is over ${mb(LIMITS.maxUnpackedBytes)}`);
  if (unpacked < LIMITS.minUnpackedBytes) problems.push(`unpacked size ${mb(unpacked)} is too small to hold onnxruntime`);
  return problems;
}

function forbidden(n, os, arch) {
  if (/^extension\/(src|test|bench|scripts|\.vscode-test|\.ci)\//.test(n)) return 'sources/tests must not ship';
  if (/\.map$/.test(n)) return 'source map';
  if (n === 'extension/dist/bench.js') return 'benchmark bundle (dev only)';
  if (/\.ts$/.test(n)) return 'TypeScript file';
  if (/\.vsix$/.test(n)) return 'nested VSIX';
  if (/(^|\/)\.git\//.test(n)) return 'git metadata';
  const mod = /^extension\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(n);
  if (mod && mod[1] !== 'onnxruntime-node' && mod[1] !== 'onnxruntime-common') return `unexpected package ${mod[1]} (everything else is bundled by esbuild)`;
  const bin = /^extension\/node_modules\/onnxruntime-node\/bin\/napi-v\d+\/([^/]+)\/([^/]+)\//.exec(n);
  if (bin && (bin[1] !== os || bin[2] !== arch)) return `binary for ${bin[1]}-${bin[2]}`;
  if (/onnxruntime_providers_(cuda|tensorrt)/.test(n)) return 'CUDA/TensorRT provider';
  return undefined;
}

function mb(n) {
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}

/**
 * When the VSIX targets this machine: unpacks it and runs what a user would run, from the unpacked
 * files only: onnxruntime-node must load (the shipped binding dlopens the shipped library), and when
 * the CLI bundle is there, the engine must analyse a prompt with the shipped demo model.
 * Returns a problem, or undefined.
 */
export function smokeRun(buf, entries) {
  const dir = mkdtempSync(join(tmpdir(), 'sinklens-vsix-smoke-'));
  try {
    for (const e of entries.filter((x) => x.name.startsWith('extension/') && !x.name.endsWith('/'))) {
      const dest = join(dir, e.name);
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, readEntry(buf, e));
    }
    const ext = join(dir, 'extension');
    const probe = `const ort = require(${JSON.stringify(join(ext, 'node_modules', 'onnxruntime-node'))});
      const t = new ort.Tensor('float32', new Float32Array([1, 2, 3]), [3]);
      if (!ort.listSupportedBackends().some((b) => b.name === 'cpu') || t.dims[0] !== 3) process.exit(3);`;
    // onnxruntime's telemetry off, as the engine has it (src/engine/runtime/ort.ts).
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
    if (r.status !== 0) return `onnxruntime-node from the VSIX does not load here: ${firstLine(r.stderr)}`;
    if (!entries.some((e) => e.name === 'extension/dist/cli.js')) return undefined;
    const run = `require(${JSON.stringify(join(ext, 'dist', 'cli.js'))})
      .main(['analyze', '--model', ${JSON.stringify(join(ext, 'models', 'sinklens-tiny'))}, '--text', 'The cat sat on the mat.', '--json', '-'])
      .then((code) => process.exit(code));`;
    const a = spawnSync(process.execPath, ['-e', run], { encoding: 'utf8', timeout: 120_000, cwd: ext });
    if (a.status !== 0) return `the engine from the VSIX failed to analyse a prompt with the demo model: ${firstLine(a.stderr)}`;
    const result = JSON.parse(a.stdout);
    if (!Array.isArray(result.tokens) || result.tokens.length < 3) return 'the engine from the VSIX returned no tokens';
    return reportSmoke(ext, dir);
  } catch (e) {
    return `smoke run failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A study report from the unpacked VSIX: the built-in prompt set is shipped and the page needs nothing else. */
function reportSmoke(ext, dir) {
  const out = join(dir, 'report.html');
  const run = `require(${JSON.stringify(join(ext, 'dist', 'cli.js'))})
    .main(['report', 'builtin', '--limit', '2', '--out', ${JSON.stringify(out)}, '--quiet'])
    .then((code) => process.exit(code));`;
  const r = spawnSync(process.execPath, ['-e', run], { encoding: 'utf8', timeout: 120_000, cwd: ext, env: { ...process.env, SINKLENS_MODEL: '' } });
  if (r.status !== 0) return `sinklens report from the VSIX failed on the built-in prompt set: ${firstLine(r.stderr)}`;
  const html = readFileSync(out, 'utf8');
  if ((html.match(/<tr class="prompt-row"/g) || []).length !== 2 || !html.includes('<svg class="chart"')) return 'the report from the VSIX lacks its prompt rows or charts';
  return undefined;
}

function firstLine(text) {
  return (text || '').trim().split('\n').slice(-3).join(' | ');
}

/** Image targets of a Markdown text: `![alt](target "title")` and `<img src="target">`. */
export function readmeImages(md) {
  const out = [];
  for (const m of md.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]);
  for (const m of md.matchAll(/<img\b[^>]*\bsrc=["']([^"']+)["']/gi)) out.push(m[1]);
  return out;
}

export function isRelativeLink(target) {
  return !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('//') && !target.startsWith('#');
}

/**
 * The README's pictures must resolve in the VSIX: relative ones must be packaged beside it; absolute ones must be
 * https (the Marketplace and VS Code's Details page refuse http and data: images in READMEs).
 */
export function readmeImageProblems(readme, names) {
  const problems = [];
  for (const img of readmeImages(readme)) {
    if (isRelativeLink(img)) {
      const path = `extension/${img.replace(/^\.\//, '')}`;
      if (!names.includes(path)) problems.push(`README.md shows ${img}, which is not in the VSIX`);
    } else if (!/^https:\/\//i.test(img)) problems.push(`README.md shows ${img}: only https images render on the Details page`);
  }
  return problems;
}

/** Reads and checks a VSIX file; returns { problems, entries, zipBytes }. */
export function verifyVsix(file, target, opts = {}) {
  const buf = readFileSync(file);
  const entries = listZip(buf);
  const manifestEntry = entries.find((e) => e.name === 'extension.vsixmanifest');
  const manifest = manifestEntry ? readEntry(buf, manifestEntry).toString('utf8') : '';
  const problems = vsixProblems(entries, target, { ...opts, manifest, zipBytes: buf.length });
  if (!manifestEntry) problems.push('missing extension.vsixmanifest');
  const readme = entries.find((e) => /^extension\/readme\.md$/i.test(e.name));
  if (readme) problems.push(...readmeImageProblems(readEntry(buf, readme).toString('utf8'), entries.map((e) => e.name)));
  const pkg = entries.find((e) => e.name === 'extension/package.json');
  if (pkg && opts.checkName !== false) {
    const json = JSON.parse(readEntry(buf, pkg).toString('utf8'));
    if (!file.endsWith(`${json.name}-${json.version}-${target}.vsix`)) problems.push(`file name should be ${json.name}-${json.version}-${target}.vsix`);
  }
  const { os, arch } = parseTarget(target);
  const smoked = opts.smoke !== false && os === process.platform && arch === process.arch && problems.length === 0;
  if (smoked) {
    const smoke = smokeRun(buf, entries);
    if (smoke) problems.push(smoke);
  }
  return { problems, entries, zipBytes: buf.length, smoked };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const t = args.indexOf('--target');
  const target = t >= 0 ? args[t + 1] : 'linux-x64';
  const file = args.find((a, j) => a.endsWith('.vsix') && j !== t + 1);
  if (!file) {
    console.error('usage: node scripts/verify-vsix.mjs --target <target> <file.vsix> [--allow-missing-docs] [--no-smoke]');
    process.exit(2);
  }
  const { problems, entries, zipBytes, smoked } = verifyVsix(file, target, { allowMissingDocs: args.includes('--allow-missing-docs'), smoke: !args.includes('--no-smoke') });
  const unpacked = entries.reduce((s, e) => s + e.size, 0);
  console.log(`${file}: ${entries.length} files, ${mb(zipBytes)} (unpacked ${mb(unpacked)}) for ${target}`);
  if (smoked && !problems.length) console.log('smoke run: onnxruntime-node loads and the engine analyses a prompt from the unpacked VSIX');
  for (const p of problems) console.error(`  PROBLEM: ${p}`);
  console.log(problems.length ? `verify-vsix: ${problems.length} problem(s)` : 'verify-vsix: ok');
  process.exit(problems.length ? 1 : 0);
}
