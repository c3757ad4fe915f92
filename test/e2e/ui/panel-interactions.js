// Interaction steps of the UI test on the built-in demo model (sinklens-tiny: a BOS spike written by block 1,
// h[1] -> h[2], and a compression valley after it), run by panel.e2e.js once the panel shows that model's result:
//   a. clicking the heatmap cell of the strongest sink head shows its attention map, drawn, with the BOS column bright;
//   b. keyboard: another cell by click, then focus the first cell + Enter draws the very same map again;
//   c. ticking the ablation overlay re-runs with the spike block's BOS MLP write zeroed: summary + dashed curves; the
//      checkbox, the header's ablation note and the drawn datasets agree when it is ticked, unticked and ticked again;
//   d. hiding the panel (another editor in its group) and showing it again restores the selection, map and overlay.
'use strict';
const assert = require('assert');
const { findPanelFrame, waitReady, canvasInk, chartInfo } = require('./panel-helpers');

/** Every heatmap cell with its (block, head) and the sink score its aria-label states. */
async function heatCells(frame) {
  return frame.locator('#sl-heatmap .sl-cell').evaluateAll((els) => els.map((e) => ({
    block: Number(e.dataset.block), head: Number(e.dataset.head),
    score: Number((/sink score\s+([-+0-9.eE]+)/.exec(e.getAttribute('aria-label') || '') || [])[1]),
  })));
}

const cellSel = (c) => `#sl-heatmap .sl-cell[data-block="${c.block}"][data-head="${c.head}"]`;

/** Waits until the attention card shows the map of `cell` (title no longer "loading"), returns its pixels. */
async function attentionShown(frame, cell) {
  await frame.waitForFunction(({ block, head }) => {
    const card = document.querySelector('#sl-attn-card');
    const title = document.querySelector('#sl-attn-title')?.textContent || '';
    const canvas = document.querySelector('#sl-attn-map');
    return !!card && !card.hidden && !!canvas && !canvas.hidden && canvas.width > 0
      && title.includes(`head ${head},`) && title.includes(`block ${block} (writes h[${block + 1}])`) && /\d+ × \d+/.test(title);
  }, cell, { timeout: 30000 });
  return frame.locator('#sl-attn-map').evaluate((c) => {
    const ctx = c.getContext('2d');
    const { width: w, height: h } = c;
    const data = ctx.getImageData(0, 0, w, h).data;
    const title = document.querySelector('#sl-attn-title').textContent;
    const T = Number(/(\d+) × \d+/.exec(title)[1]);
    const s = w / T; // side of one (query, key) cell in canvas pixels
    // mean alpha of the key-0 (BOS) column vs the other causal cells, sampled at cell centres
    let bos = 0, nb = 0, rest = 0, nr = 0, painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    for (let q = 1; q < T; q++) {
      for (let k = 0; k <= q; k++) {
        const a = data[(Math.floor((q + 0.5) * s) * w + Math.floor((k + 0.5) * s)) * 4 + 3];
        if (k === 0) { bos += a; nb++; } else { rest += a; nr++; }
      }
    }
    const visible = c.getBoundingClientRect();
    return { width: w, height: h, T, painted, bosAlpha: bos / Math.max(1, nb), restAlpha: rest / Math.max(1, nr),
      url: c.toDataURL(), shown: visible.width > 0 && visible.height > 0, title };
  });
}

async function clickCellShowsMap(page, frame, shot) {
  const cells = await heatCells(frame);
  assert.ok(cells.length > 1, `heatmap has cells (${cells.length})`);
  assert.ok(cells.every((c) => Number.isFinite(c.score)), 'every cell states its sink score');
  const top = cells.reduce((a, b) => (b.score > a.score ? b : a));
  console.log(`heatmap: ${cells.length} cells; strongest sink head: block ${top.block} head ${top.head} score ${top.score}`);
  await frame.locator(cellSel(top)).click();
  const map = await attentionShown(frame, top);
  console.log(`attention map: ${map.title}; canvas ${map.width}x${map.height}, ${map.painted} painted px, ` +
    `BOS column alpha ${map.bosAlpha.toFixed(1)} vs other keys ${map.restAlpha.toFixed(1)}`);
  assert.ok(map.shown, '#sl-attn-map is visible');
  assert.ok(map.T > 1 && map.width >= map.T, 'map sized to the tokens');
  // the causal lower triangle (incl. the diagonal) is painted, the future is transparent
  assert.ok(map.painted >= 0.45 * map.width * map.height && map.painted < 0.75 * map.width * map.height,
    `painted ${map.painted} of ${map.width * map.height}: a causal triangle`);
  assert.ok(top.score > 0.3 ? map.bosAlpha > 2 * map.restAlpha : true, 'a sink head\'s map is brightest in the BOS column');
  assert.ok(await frame.locator(cellSel(top)).evaluate((e) => e.classList.contains('sl-selected')), 'the clicked cell is selected');
  // the heads section at the top, below the sticky header (scroll-padding-top keeps it clear of the header)
  await frame.evaluate(() => document.querySelector('.sl-heads').scrollIntoView({ block: 'start' }));
  await page.waitForTimeout(200);
  await shot(page, 'attention-map.png');
  return { cell: top, map, cells };
}

async function keyboardGivesSameMap(frame, first) {
  const other = first.cells.find((c) => c.block !== first.cell.block || c.head !== first.cell.head);
  await frame.locator(cellSel(other)).click();
  const otherMap = await attentionShown(frame, other);
  assert.notEqual(otherMap.url, first.map.url, 'another head draws another map');
  const target = frame.locator(cellSel(first.cell));
  await target.focus();
  assert.ok(await target.evaluate((e) => e === document.activeElement), 'the cell takes keyboard focus');
  await target.press('Enter');
  const again = await attentionShown(frame, first.cell);
  assert.equal(again.url, first.map.url, 'Enter on the cell draws the same map as the click');
  assert.equal(await target.getAttribute('aria-selected'), 'true', 'Enter selects the cell');
  // arrow keys move the focus (roving tabindex) without selecting
  await target.press(first.cell.head > 0 ? 'ArrowUp' : 'ArrowDown');
  const moved = await frame.evaluate(() => ({ block: document.activeElement?.dataset?.block, head: document.activeElement?.dataset?.head, tab: document.activeElement?.getAttribute('tabindex') }));
  assert.equal(moved.block, String(first.cell.block), 'ArrowUp/Down stays in the layer column');
  assert.notEqual(moved.head, String(first.cell.head), 'the arrow key moved the focus to another head');
  assert.equal(moved.tab, '0', 'the focused cell holds the tab stop');
  console.log('keyboard: Enter draws the same map; arrows move the focus');
}

/** The overlay's three views: the checkbox, the header's note and whether the charts draw an "ablated" dataset. */
async function overlayState(frame) {
  const checked = await frame.locator('#sl-ablation-toggle').evaluate((e) => e.checked === true);
  const header = ((await frame.locator('#sl-header-ablation').textContent()) || '').trim();
  const charts = [];
  for (const id of ['#sl-chart-bos', '#sl-chart-entropy', '#sl-chart-sink']) {
    const info = await chartInfo(frame, id);
    charts.push(info.datasets.some((d) => d.label === 'ablated' && d.points > 0 && d.dash.length > 0));
  }
  const summary = !(await frame.locator('#sl-ablation-summary').isHidden());
  return { checked, header, charts, summary };
}

function assertOverlay(s, shown, label) {
  console.log(`overlay ${label}: ${JSON.stringify(s)}`);
  assert.equal(s.checked, shown, `${label}: checkbox`);
  assert.deepEqual(s.charts, [shown, shown, shown], `${label}: dashed ablated curves drawn in every chart`);
  assert.equal(s.summary, shown, `${label}: summary`);
  assert.ok(shown ? /overlay shown/.test(s.header) : /no ablation|overlay hidden/.test(s.header), `${label}: header "${s.header}"`);
}

/** The per-token loss is off by default: its button re-runs the shown analysis with it, and the strip appears. */
async function lossButton(frame) {
  const empty = frame.locator('#sl-loss-empty');
  assert.equal(await empty.isHidden(), false, 'a plain analysis offers the per-token loss');
  assert.equal(await frame.locator('#sl-loss').isHidden(), true, 'no loss strip before it is computed');
  const button = frame.locator('#sl-loss-run');
  await button.scrollIntoViewIfNeeded();
  await button.click();
  await frame.locator('#sl-loss').waitFor({ state: 'visible', timeout: 90000 });
  await waitReady(frame, 60000);
  const title = ((await frame.locator('#sl-loss .sl-loss-title').textContent()) || '').trim();
  const cells = await frame.locator('#sl-loss .sl-loss-cell').count();
  const tokens = await frame.locator('#sl-token-strip .sl-token').count();
  console.log(`loss strip: ${cells} cells · ${title}`);
  assert.ok(/^Next-token loss per token/.test(title), `loss strip title "${title}"`);
  assert.equal(cells, tokens, 'one loss cell per token');
  assert.equal(await empty.isHidden(), true, 'the button goes once the loss is there');
}

async function ablationOverlay(page, frame, shot) {
  assertOverlay(await overlayState(frame), false, 'before the toggle');
  const toggle = frame.locator('#sl-ablation-toggle');
  assert.equal(await frame.locator('#sl-ablation-summary').isHidden(), true, 'no ablation summary before the toggle');
  await toggle.scrollIntoViewIfNeeded();
  await toggle.click();
  const summary = frame.locator('#sl-ablation-summary');
  await summary.waitFor({ state: 'visible', timeout: 90000 });
  await waitReady(frame, 60000);
  const text = ((await summary.textContent()) || '').replace(/\s+/g, ' ').trim();
  console.log(`ablation summary: ${text}`);
  assert.ok(/block 1\b/.test(text), 'the spike block (1) was ablated');
  assert.ok(text.includes('spike removed'), 'the demo model\'s spike is removed');
  assert.ok(text.includes('valley removed'), 'the demo model\'s valley is removed');
  assert.ok(await toggle.evaluate((e) => e.checked === true), 'the toggle is ticked');
  await page.waitForTimeout(300);
  assertOverlay(await overlayState(frame), true, 'ticked');
  // unticking hides the curves and says so in the header; ticking again shows them without a re-run
  await toggle.click();
  await page.waitForTimeout(300);
  const hidden = await overlayState(frame);
  assertOverlay(hidden, false, 'unticked');
  assert.ok(/overlay hidden/.test(hidden.header), 'the header says the ablation is there but hidden');
  await toggle.click();
  await page.waitForTimeout(300);
  assertOverlay(await overlayState(frame), true, 'ticked again');
  const after = await canvasInk(frame, '#sl-chart-bos');
  await frame.evaluate(() => document.querySelector('.sl-layers').scrollIntoView({ block: 'start' }));
  // the run's progress toast closes a moment after the result arrives (another channel): keep it off the screenshot
  const t0 = Date.now();
  await page.locator('.notification-toast', { hasText: 'SinkLens' }).first().waitFor({ state: 'hidden', timeout: 10000 })
    .then(() => console.log(`progress toast gone ${Date.now() - t0} ms after the summary`))
    .catch(() => console.log('note: a SinkLens progress toast is still shown 10 s after the ablation result'));
  await shot(page, 'ablation-overlay.png');
  return { text, ink: after.painted };
}

/** Opens another editor in the panel's group (the webview document is destroyed), then the panel tab again. */
async function hideAndShow(page, quickOpen, expect) {
  const tab = page.locator('.tabs-container .tab', { hasText: 'SinkLens' }).first();
  await tab.click(); // the panel's group becomes the active one: Quick Open opens the file there
  await quickOpen(page, 'sections.prompt');
  const group = page.locator('.editor-group-container', { has: page.locator('.tab', { hasText: 'SinkLens' }) }).first();
  await group.locator('.tab.active', { hasText: 'sections.prompt' }).waitFor();
  await page.waitForTimeout(1000); // let VS Code dispose the hidden webview's document (retainContextWhenHidden off)
  console.log('panel hidden behind sections.prompt');
  await tab.click();
  const frame = await findPanelFrame(page, 30000);
  await waitReady(frame, 60000);
  const map = await attentionShown(frame, expect.cell);
  assert.equal(map.url, expect.map.url, 'the selected head\'s attention map is restored');
  assert.equal(await frame.locator(cellSel(expect.cell)).getAttribute('aria-selected'), 'true', 'the selected cell is restored');
  assert.ok(await frame.locator('#sl-ablation-toggle').evaluate((e) => e.checked === true), 'the overlay toggle stays ticked');
  const text = ((await frame.locator('#sl-ablation-summary').textContent()) || '').replace(/\s+/g, ' ').trim();
  assert.equal(text, expect.summary, 'the ablation summary is restored');
  const ink = await canvasInk(frame, '#sl-chart-bos');
  assert.ok(Math.abs(ink.painted - expect.ink) <= 0.02 * expect.ink, `BOS chart redrawn with the overlay (${ink.painted} vs ${expect.ink} px)`);
  console.log('hide/show: selection, attention map and ablation overlay restored');
  return frame;
}

async function interactions(page, frame, { shot, quickOpen, mark }) {
  const first = await clickCellShowsMap(page, frame, shot);
  mark('heatmap click -> attention map');
  await keyboardGivesSameMap(frame, first);
  mark('heatmap keyboard Enter -> same map');
  await lossButton(frame);
  mark('per-token loss button -> loss strip');
  const abl = await ablationOverlay(page, frame, shot);
  mark('ablation overlay');
  const shown = await hideAndShow(page, quickOpen, { cell: first.cell, map: first.map, summary: abl.text, ink: abl.ink });
  assertOverlay(await overlayState(shown), true, 'after hide/show');
  mark('panel hidden and shown: state restored');
  return shown;
}

module.exports = { interactions };
