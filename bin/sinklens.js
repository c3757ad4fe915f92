#!/usr/bin/env node
// The `sinklens` CLI. The engine is bundled into dist/cli.js by `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const dist = join(__dirname, '..', 'dist');
const cli = join(dist, 'cli.js');
const relaunch = join(dist, 'relaunch.js');
if (!existsSync(cli) || !existsSync(relaunch)) {
  process.stderr.write("sinklens: the CLI is not built (dist/cli.js, dist/relaunch.js); run 'npm run build' first.\n");
  process.exit(1);
}
const args = process.argv.slice(2);
// On Linux the engine runs with glibc's huge-page tunable, on Node 20 with V8's relaxed-SIMD flag
// (src/node/engineEnv.ts): without them this process starts itself again with them and passes its
// exit code on. The small relaunch bundle decides before the engine's bundle is loaded.
require(relaunch)
  .relaunchWithEngineEnv(__filename, args)
  .then((relaunched) => (relaunched !== null ? relaunched : require(cli).main(args)))
  .then((code) => process.exit(code));
