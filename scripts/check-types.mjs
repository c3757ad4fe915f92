// Type-checks each part against its own tsconfig, so that the boundaries (no DOM in the engine,
// no Node in the webview or shared code, no `vscode` outside the extension) fail the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const parts = ['shared', 'node', 'engine', 'extension', 'webview', 'tools', 'test'];
let failed = false;
for (const part of parts) {
  const project = `tsconfig.${part}.json`;
  if (!existsSync(project)) continue;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, '--noEmit'], { stdio: 'inherit' });
  console.log(`check-types ${part}: ${r.status === 0 ? 'ok' : 'FAILED'} (${Date.now() - t0} ms)`);
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
