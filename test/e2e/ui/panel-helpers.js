// Playwright helpers for the SinkLens panel webview. A VS Code webview is an outer iframe.webview (served by
// code-server) holding iframe#active-frame with the extension's HTML; the Explorer's SinkLens view is another
// webview, so the panel is found by the element only it has (#sl-token-strip) rather than by position.
'use strict';

/** The first live frame whose document holds `selector` (polls: webviews load asynchronously). */
async function findFrameWith(page, selector, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      try {
        if (!f.isDetached() && (await f.$(selector))) return f;
      } catch {
        // frame navigated or detached while probing: try the next one
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no ${what} within ${timeoutMs} ms`);
}

/** The frame whose document holds #sl-token-strip: the analysis panel. */
function findPanelFrame(page, timeoutMs) {
  return findFrameWith(page, '#sl-token-strip', timeoutMs, 'SinkLens panel webview with #sl-token-strip');
}

/** How many live webview documents hold #sl-token-strip (one per open SinkLens panel). */
async function countPanelFrames(page) {
  let n = 0;
  for (const f of page.frames()) {
    try {
      if (!f.isDetached() && (await f.$('#sl-token-strip'))) n++;
    } catch {
      // detached while probing
    }
  }
  return n;
}

/** Waits until #sl-status says "ready" (the contract: a result is rendered). */
async function waitReady(frame, timeoutMs) {
  try {
    await frame.waitForFunction(() => {
      const s = document.querySelector('#sl-status');
      return !!s && /\bready\b/i.test(s.textContent || '') && document.querySelectorAll('#sl-token-strip .sl-token').length > 0;
    }, null, { timeout: timeoutMs });
  } catch (e) {
    const status = await frame.locator('#sl-status').textContent().catch(() => '(none)');
    const warnings = await frame.locator('#sl-warnings').textContent().catch(() => '(none)');
    throw new Error(`panel not ready: #sl-status=${JSON.stringify(status)} #sl-warnings=${JSON.stringify(warnings)}: ${e.message}`);
  }
}

async function tokenTexts(frame) {
  return frame.locator('#sl-token-strip .sl-token').evaluateAll((els) => els.map((e) => e.textContent || ''));
}

/** Size of a canvas and how many of its pixels are not transparent (proves the chart was drawn). */
async function canvasInk(frame, selector) {
  return frame.locator(selector).evaluate((c) => {
    if (!(c instanceof HTMLCanvasElement)) return { width: 0, height: 0, painted: 0, note: `${c.tagName} is not a canvas` };
    const ctx = c.getContext('2d');
    if (!ctx || !c.width || !c.height) return { width: c.width, height: c.height, painted: 0 };
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    return { width: c.width, height: c.height, painted };
  });
}

/**
 * What chart.js drew on a canvas (its config, read through `Chart.getChart`, which the panel exposes as
 * chart.js's UMD build does): tick labels and titles of both axes, dataset labels and point counts.
 */
async function chartInfo(frame, selector) {
  return frame.locator(selector).evaluate((c) => {
    const chart = window.Chart && window.Chart.getChart(c);
    if (!chart) return null;
    const axis = (s) => ({ labels: s.ticks.map((t) => String(t.label)), title: s.options.title.display ? s.options.title.text : '' });
    return {
      x: axis(chart.scales.x),
      y: axis(chart.scales.y),
      legend: chart.options.plugins.legend.display !== false,
      datasets: chart.data.datasets.map((d) => ({ label: d.label, points: d.data.filter((p) => p.y !== null).length, dash: d.borderDash || [] })),
    };
  });
}

/** Asserts a per-layer chart has h[0] … h[L] x tick labels, y tick labels and both axis titles; returns its info. */
async function assertChartAxes(assert, frame, selector, lastLayer) {
  const info = await chartInfo(frame, selector);
  assert.ok(info, `${selector}: a chart.js chart`);
  console.log(`${selector}: x ticks ${info.x.labels.join(' ')} | y ticks ${info.y.labels.filter(Boolean).join(' ')} | ` +
    `titles "${info.x.title}" / "${info.y.title}" | datasets ${info.datasets.map((d) => `${d.label}(${d.points})`).join(', ')}`);
  assert.equal(info.x.labels[0], 'h[0]', `${selector}: first x tick is h[0]`);
  assert.equal(info.x.labels[info.x.labels.length - 1], `h[${lastLayer}]`, `${selector}: last x tick is h[${lastLayer}]`);
  assert.ok(info.x.labels.every((l) => /^h\[\d+\]$/.test(l)), `${selector}: x ticks are h[l]`);
  assert.ok(info.y.labels.filter(Boolean).length >= 2, `${selector}: at least two labelled y ticks`);
  assert.ok(/h\[l\]/.test(info.x.title), `${selector}: x axis title`);
  assert.ok(info.y.title.length > 0, `${selector}: y axis title`);
  return info;
}

/** Drops whitespace and the visible-space markers a token strip may use, so token texts compare to the prompt. */
function normalise(s) {
  return s.replace(/[\s\u2581\u00b7\u2423\u23ce\u21b5]/g, '');
}

module.exports = { findFrameWith, findPanelFrame, countPanelFrames, waitReady, tokenTexts, canvasInk, normalise, chartInfo, assertChartAxes };
