#!/usr/bin/env node
// The `sinklens` CLI. The engine is bundled into dist/cli.js by `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write("sinklens: dist/cli.js is missing; run 'npm run build' first.\n");
  process.exit(1);
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
