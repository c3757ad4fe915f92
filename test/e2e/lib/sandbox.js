// Shared sandbox pieces for the E2E drivers: quiet VS Code user settings, chromium flags, and an environment that
// keeps every write of code-server, VS Code, onnxruntime and chromium inside the run's own folders.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

/** User settings that keep the workbench free of welcome pages, trust prompts, AI and update checks. */
const quietUserSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'editor.minimap.enabled': false,
};

const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** HOME/XDG/TMPDIR for the child processes (code-server writes ~/.config/code-server, onnxruntime ~/.cache/...). */
function sandboxEnv(home, tmp) {
  for (const d of [home, path.join(home, '.config'), path.join(home, '.cache'), path.join(home, '.local/share'), tmp]) {
    fs.mkdirSync(d, { recursive: true });
  }
  return { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local/share'),
    XDG_CACHE_HOME: path.join(home, '.cache'), TMPDIR: tmp };
}

/** A short temp folder under /tmp: VS Code's unix sockets live in TMPDIR and their paths must stay < 108 chars. */
function shortTmpDir() {
  return fs.mkdtempSync(path.join(fs.existsSync('/tmp') ? '/tmp' : os.tmpdir(), 'sl-'));
}

module.exports = { quietUserSettings, chromiumArgs, sandboxEnv, shortTmpDir };
