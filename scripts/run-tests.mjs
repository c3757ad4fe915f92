// Runs every *.test.ts under the given folders with node's test runner (TypeScript through tsx).
// Node 20's `--test` does not expand globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const filter = process.env.TEST_FILTER;
const roots = args.length ? args : ['test/unit'];
let files = roots.flatMap((r) => (statSync(r).isDirectory() ? collect(r, []) : [r]));
if (filter) files = files.filter((f) => f.includes(filter));
if (!files.length) {
  console.error('no test files found under', roots.join(', '));
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.test.json' },
});
process.exit(r.status ?? 1);
