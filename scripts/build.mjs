// Bundles the four programs with esbuild:
//   dist/extension.js  VS Code extension host (cjs, node, `vscode` external)
//   dist/engine.js     engine child process (cjs, node, onnxruntime-node external: native, shipped unbundled)
//   dist/cli.js        the `sinklens` CLI (same engine, in-process)
//   dist/relaunch.js   what bin/sinklens.js runs before loading cli.js: the engine's environment (src/node/engineEnv.ts)
//   dist/metricsWorker.js  worker thread for per-layer metrics (used by engine.js, cli.js, bench.js)
//   dist/templateWorker.js worker thread that renders untrusted chat templates with a deadline (engine.js, cli.js)
//   dist/quantWorker.js    worker thread that quantises half of a weight's rows on a cold int8/int4 load (engine.js, cli.js)
//   dist/webview.js    panel UI (iife, browser)
//   dist/bench.js      benchmark (cjs, node)
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'onnxruntime-node'] };

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/main.ts' } },
  { ...node, entryPoints: { engine: 'src/engine/main.ts' } },
  { ...node, entryPoints: { cli: 'src/engine/cli/main.ts' } },
  { ...node, entryPoints: { relaunch: 'src/node/engineEnv.ts' } },
  { ...node, entryPoints: { metricsWorker: 'src/engine/parallel/metricsWorker.ts' } },
  { ...node, entryPoints: { templateWorker: 'src/engine/model/templateWorker.ts' } },
  { ...node, entryPoints: { quantWorker: 'src/engine/parallel/quantWorker.ts' } },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: { webview: 'src/webview/main.ts' }, loader: { '.css': 'text' } },
  { ...node, entryPoints: { bench: 'bench/bench.ts' } },
].filter((b) => Object.values(b.entryPoints).every((p) => existsSync(p)));

const t0 = Date.now();
for (const b of builds) {
  const options = { ...b, outdir: 'dist' };
  if (watch) await (await esbuild.context(options)).watch();
  else await esbuild.build(options);
}
console.log(`built ${builds.map((b) => Object.keys(b.entryPoints)[0]).join(', ')} in ${Date.now() - t0} ms`);
