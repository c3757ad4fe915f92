// Theme step of the UI test, run by panel.e2e.js at the end (the demo model's result with the attention map and the
// ablation overlay shown): for the dark, high-contrast (dark and light) and light themes, switch VS Code's colour theme, wait until
// the panel's webview follows (body class) and redrew its charts, check the charts' tick labels again, run axe-core
// on the panel's document (no serious or critical violation, colour contrast included) and save panel-<theme>.png.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { assertChartAxes } = require('./panel-helpers');

// Theme ids of VS Code's built-in theme-defaults extension (the values of workbench.colorTheme).
const THEMES = [
  { name: 'dark', id: 'Dark 2026', bodyClass: 'vscode-dark' },
  { name: 'hc', id: 'Default High Contrast', bodyClass: 'vscode-high-contrast' },
  { name: 'hc-light', id: 'Default High Contrast Light', bodyClass: 'vscode-high-contrast-light' },
  { name: 'light', id: 'Light 2026', bodyClass: 'vscode-light' },
];

/** axe-core's browser build (a devDependency; see README "Dependencies"). */
function axeSource() {
  return fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
}

/** Sets workbench.colorTheme in the test workspace's settings; VS Code applies a changed settings file at once. */
function setTheme(wsDir, theme) {
  const file = path.join(wsDir, '.vscode', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(file, 'utf8'));
  settings['workbench.colorTheme'] = theme.id;
  fs.writeFileSync(file, JSON.stringify(settings, null, 2) + '\n');
}

/**
 * Runs axe-core in the panel's frame. The source is evaluated through the devtools protocol (not a <script>
 * tag, which the webview's CSP would block). Returns the violations with their impact and the first nodes.
 */
async function axeViolations(frame, source) {
  await frame.evaluate(source);
  return frame.evaluate(async () => {
    const res = await window.axe.run(document, { resultTypes: ['violations'] });
    return res.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, v.impact === 'serious' || v.impact === 'critical' ? 40 : 3).map((n) => `${n.target.join(' ')}: ${(n.failureSummary || '').split('\n').slice(1, 2).join(' ').trim()}`),
      count: v.nodes.length,
    }));
  });
}

async function themes(page, frame, { shot, wsDir, mark, lastLayer }) {
  const source = axeSource();
  const failures = [];
  for (const theme of THEMES) {
    setTheme(wsDir, theme);
    await frame.waitForFunction((cls) => document.body.classList.contains(cls), theme.bodyClass, { timeout: 20000 });
    await page.waitForTimeout(600); // the MutationObserver redraws the charts and the ink
    for (const id of ['#sl-chart-bos', '#sl-chart-entropy', '#sl-chart-sink']) await assertChartAxes(assert, frame, id, lastLayer);
    const violations = await axeViolations(frame, source);
    const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    console.log(`axe (${theme.name}): ${violations.length} violation rule(s), ${blocking.length} serious/critical` +
      violations.map((v) => `\n  [${v.impact}] ${v.id} (${v.count} nodes): ${v.help}\n    ${v.nodes.join('\n    ')}`).join(''));
    if (blocking.length) failures.push(`${theme.name}: ${blocking.map((v) => `${v.id} (${v.count})`).join(', ')}`);
    await frame.evaluate(() => document.querySelector('.sl-layers')?.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(200);
    // the panel's editor group only: readable in the README at a fraction of the window's size
    const group = page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: 'SinkLens' }) }).first();
    await shot(page, `panel-${theme.name}.png`, group);
    mark(`theme ${theme.name}: charts, axe, screenshot`);
  }
  assert.deepEqual(failures, [], 'no serious or critical axe-core violations in any theme');
}

module.exports = { themes };
