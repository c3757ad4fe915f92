// Prepares a per-run copy of test/e2e/workspace: the committed prompt files plus a .vscode/settings.json whose
// sinklens.defaultModel points at the stories260k fixture (an absolute path that depends on the machine).
'use strict';
const fs = require('fs');
const path = require('path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = process.env.SINKLENS_FIXTURES || path.resolve(REPO, '..', 'shared', 'fixtures');

/** The fixture folder, or null (with a loud message) when it is missing; throws when SINKLENS_REQUIRE_FIXTURES=1. */
function fixtureDir(name) {
  const dir = path.join(FIXTURES, name);
  if (fs.existsSync(path.join(dir, 'config.json'))) return dir;
  const why = `FIXTURE MISSING: ${dir} (set SINKLENS_FIXTURES to the shared fixtures folder)`;
  if (process.env.SINKLENS_REQUIRE_FIXTURES === '1') throw new Error(why);
  console.warn(`*** ${why} ***`);
  return null;
}

/** Copies the workspace into `dest` and writes its settings; returns { dir, model } (model null = built-in). */
function prepareWorkspace(dest) {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(path.join(__dirname, '..', 'workspace'), dest, { recursive: true });
  const model = fixtureDir('stories260k');
  const settings = { 'sinklens.live': false, 'files.autoSave': 'off', 'editor.wordWrap': 'on',
    'files.exclude': { '**/.vscode': true } };
  if (model) settings['sinklens.defaultModel'] = model;
  fs.mkdirSync(path.join(dest, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(dest, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  return { dir: dest, model };
}

module.exports = { REPO, FIXTURES, fixtureDir, prepareWorkspace };
