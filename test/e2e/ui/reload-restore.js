// Reload step of the UI test, run by panel.e2e.js last (it reloads the window): right-click the workspace's study/
// folder in the Explorer -> Run Study, accept the model pick (the current model, the built-in demo model, is
// picked), and the study view draws its three charts and one table row per prompt. Then Developer: Reload Window:
// VS Code restores both webviews through the extension's serializers. The study view must show the same study
// (studyView.ts keeps it), and the analysis panel the analysis it showed before (panelKeep.ts): same model, same
// tokens, ready. Screenshots study-restored.png, panel-restored.png.
'use strict';
const assert = require('assert');
const { canvasInk, findFrameWith, findPanelFrame, tokenTexts, waitReady } = require('./panel-helpers');

const CHARTS = ['#sl-study-chart-entropy', '#sl-study-chart-sinkRate', '#sl-study-chart-bosNormLog10'];

/** The study view's frame, once its table has a row. */
function findStudyFrame(page, timeoutMs) {
  return findFrameWith(page, '#sl-study-table .sl-study-row', timeoutMs, 'study view with table rows');
}

/** What the study view shows: its summary line, the table's prompt column and each chart's painted pixels. */
async function shown(frame) {
  const summary = ((await frame.locator('#sl-study-summary').textContent()) || '').replace(/\s+/g, ' ').trim();
  const rows = await frame.locator('#sl-study-table .sl-study-row').evaluateAll((trs) => trs.map((tr) => tr.textContent.replace(/\s+/g, ' ').trim()));
  const ink = {};
  for (const id of CHARTS) ink[id] = (await canvasInk(frame, id)).painted;
  return { summary, rows, ink };
}

/** `shown` once all three charts have ink (they draw after the rows), or as it is when `timeoutMs` runs out. */
async function shownOnceDrawn(frame, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await shown(frame);
    if (CHARTS.every((id) => s.ink[id] > 100) || Date.now() > end) return s;
    await frame.page().waitForTimeout(250);
  }
}

async function runStudyFromExplorer(page, runCommand) {
  await runCommand(page, 'View: Show Explorer');
  const folder = page.locator('.explorer-folders-view .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^study$/ }) }).first();
  await folder.waitFor();
  const item = page.locator('.monaco-menu .action-item', { hasText: 'Run Study' }).first();
  for (let attempt = 1; ; attempt++) {
    await folder.click({ button: 'right' });
    if (await item.waitFor({ timeout: 10000 }).then(() => true, () => false)) break;
    if (attempt === 3) throw new Error('the Explorer context menu of study/ never showed "Run Study" (3 tries)');
    await page.keyboard.press('Escape');
  }
  // A click that lands while the menu still ignores the mouse (just opened) leaves the item highlighted and the
  // menu open: Enter then runs the highlighted item.
  await item.click();
  if (await item.isVisible().catch(() => false)) {
    await page.waitForTimeout(500);
    if (await item.isVisible().catch(() => false)) await page.keyboard.press('Enter');
  }
}

/**
 * Waits for the study view's rows. With more than one model to choose from, Run Study first shows a multi-select
 * pick with the current model picked: Enter accepts it (with one model there is no pick).
 */
async function acceptPickAndFindStudy(page, timeoutMs) {
  const pick = page.locator('.quick-input-widget', { hasText: 'Run Study on which models?' });
  const end = Date.now() + timeoutMs;
  let accepted = false;
  while (!accepted && Date.now() < end) {
    if (await pick.isVisible().catch(() => false)) {
      const picked = await pick.locator('.quick-input-list .monaco-list-row[aria-checked="true"]').allTextContents();
      console.log(`study models picked: ${JSON.stringify(picked.map((t) => t.replace(/\s+/g, ' ').trim()))}`);
      await page.keyboard.press('Enter');
      accepted = true;
    } else if (await findStudyFrame(page, 250).then(() => true, () => false)) {
      break;
    }
  }
  return findStudyFrame(page, Math.max(1000, end - Date.now()));
}

/**
 * What the analysis panel shows: the model named in its header, the header's ablation note (without the overlay's
 * on/off, which is the webview's own state) and the token strip.
 */
async function panelShown(frame) {
  const ablation = ((await frame.locator('#sl-header-ablation').textContent()) || '').split(' (')[0];
  return { model: (await frame.locator('#sl-header .sl-model').textContent()) || '', ablation, tokens: await tokenTexts(frame) };
}

async function reloadRestores(page, { shot, mark, runCommand }) {
  const panelBefore = await panelShown(await findPanelFrame(page, 10000));
  await runStudyFromExplorer(page, runCommand);
  const before = await shown(await acceptPickAndFindStudy(page, 120000));
  console.log(`study view: ${before.summary}; rows ${JSON.stringify(before.rows)}; painted ${JSON.stringify(before.ink)}`);
  assert.match(before.summary, /^3 prompts × 1 model\(s\): sinklens-tiny/, 'the study of study/ on the demo model');
  assert.equal(before.rows.length, 3, 'one row per prompt');
  for (const id of CHARTS) assert.ok(before.ink[id] > 100, `${id} is drawn`);
  mark('Run Study from the Explorer: study view drawn');

  // Developer: Reload Window, as a user reloads: the workbench shuts down through its lifecycle, which saves the
  // open editors and the webview's state (a bare page reload right after the view opened could lose them).
  const reloaded = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 60000 });
  await runCommand(page, 'Developer: Reload Window');
  await reloaded;
  await page.locator('.monaco-workbench').waitFor();
  const frame = await findStudyFrame(page, 90000);
  const after = await shownOnceDrawn(frame, 30000);
  console.log(`after reload: ${after.summary}; rows ${JSON.stringify(after.rows)}; painted ${JSON.stringify(after.ink)}`);
  assert.equal(after.summary, before.summary, 'the restored view shows the same study');
  assert.deepEqual(after.rows, before.rows, 'the restored table has the same rows');
  for (const id of CHARTS) assert.ok(after.ink[id] > 100, `${id} is drawn after the reload`);
  mark('window reloaded: study view restored');
  await page.waitForTimeout(800);
  await shot(page, 'study-restored.png');

  await page.locator('.tabs-container .tab', { hasText: /^SinkLens$/ }).first().click();
  const panel = await findPanelFrame(page, 30000);
  await waitReady(panel, 30000);
  const panelAfter = await panelShown(panel);
  console.log(`panel after reload: ${panelAfter.model}, "${panelAfter.ablation}", ${panelAfter.tokens.length} tokens ` +
    `(before: ${panelBefore.model}, "${panelBefore.ablation}", ${panelBefore.tokens.length})`);
  assert.equal(panelAfter.model, panelBefore.model, 'the restored panel shows the same model');
  // The last result before the reload came from the panel's own ablation re-run: it is the one kept.
  assert.match(panelBefore.ablation, /^ablated/, 'the panel showed an ablated run before the reload');
  assert.equal(panelAfter.ablation, panelBefore.ablation, 'the restored panel shows the same (last) run');
  assert.deepEqual(panelAfter.tokens, panelBefore.tokens, 'the restored panel shows the same tokens');
  mark('window reloaded: analysis panel restored');
  await page.waitForTimeout(800);
  await shot(page, 'panel-restored.png');
}

module.exports = { reloadRestores };
