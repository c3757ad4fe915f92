// @vscode/test-cli configuration: `npx vscode-test` runs test/e2e/ext/*.test.ts inside a REAL VS Code extension
// host. No Electron VS Code exists on the CI machines, so useInstallation.fromPath names test/e2e/code-shim.js,
// which accepts the desktop CLI flags and runs the tests in code-server 4.139.1 (VS Code 1.139.1, Node 24) driven
// by headless chromium. Needs the toolchain (bash test/e2e/setup-tools.sh) and a build (npm run build);
// test/e2e/run-all.sh does both. The test files are bundled here so a bare `npx vscode-test` is up to date.
import { defineConfig } from '@vscode/test-cli';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildExtTests, EXT_TESTS_OUT, REPO } from './test/e2e/build-ext-tests.mjs';

const require = createRequire(import.meta.url);
const { prepareWorkspace, FIXTURES } = require('./test/e2e/lib/workspace.js');

buildExtTests();
// a per-run copy of the test workspace whose settings point sinklens.defaultModel at the stories260k fixture
const workspace = process.env.E2E_WORKSPACE || prepareWorkspace(join(REPO, '.vscode-test', 'workspace')).dir;

// run-ext-tests.sh gives every run its own user data and extensions folders (else .vscode-test/user-data is shared)
const userData = process.env.E2E_USER_DATA;
const launchArgs = userData ? [`--user-data-dir=${userData}`, `--extensions-dir=${userData}-extensions`] : [];

export default defineConfig({
  label: 'extension-host',
  files: `${EXT_TESTS_OUT}/all.test.js`, // one bundle: the suites in a fixed order
  workspaceFolder: workspace,
  launchArgs,
  useInstallation: { fromPath: join(REPO, 'test', 'e2e', 'code-shim.js') },
  env: { SINKLENS_FIXTURES: FIXTURES },
  mocha: { ui: 'tdd', timeout: 120000, color: false },
});
