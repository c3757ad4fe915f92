#!/usr/bin/env node
// The `sinklens` CLI. The engine is bundled into dist/cli.js by `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write("sinklens: dist/cli.js is missing; run 'npm run build' first.\n");
  process.exit(1);
}
const mod = require(cli);
const args = process.argv.slice(2);
// On Linux the engine runs with glibc's huge-page tunable (src/node/engineEnv.ts): without it this
// process starts itself again with it and passes its exit code on.
mod
  .relaunchWithEngineEnv(__filename, args)
  .then((relaunched) => (relaunched !== null ? relaunched : mod.main(args)))
  .then((code) => process.exit(code));
