/**
 * The offline HTML report: the study summary's three charts (one line + band per model), one table row
 * and one section per prompt, text escaped, and nothing that could leave the page (no URL, no script,
 * a default-src 'none' policy). Checked in happy-dom, then loaded in headless chromium when the e2e
 * toolchain (playwright-core, E2E_TOOLS_DIR) and a chromium (CHROMIUM, /usr/bin/chromium) are there:
 * the charts have a drawn size and the only request is the file itself.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { Window } from 'happy-dom';
import type { ModelInfo } from '../../../src/shared/result';
import type { StudyResult } from '../../../src/shared/study';
import { renderReport } from '../../../src/engine/report/html';
import { aggregateModel, relativeDepthCurves } from '../../../src/engine/study/aggregate';
import { evaluateFailIf, parseFailIf } from '../../../src/engine/study/failIf';
import { PROJECT_ROOT } from '../../support/fixtures';
import { record } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-report-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const EVIL = '<img src=https://evil.example/x onerror=alert(1)>';

function study(): StudyResult {
  const info = (name: string, layers: number): ModelInfo => ({ name, dir: `/m/${name}`, arch: 'llama', modelType: 'llama', layers, heads: 4, kvHeads: 4, hiddenSize: 32, headDim: 8, vocabSize: 64, maxPositions: 64, dtype: 'F32', params: 1, bosTokenId: 1, files: [{ name: 'model.safetensors', bytes: 1, sha256: 'ab'.repeat(32) }] });
  const six = [0, 1, 2, 3, 4].map((i) => record({ index: i, entropy: [0.8, 0.75, 0.5 + i * 0.01, 0.55, 0.6, 0.65, 0.7], bosNorm: [2, 20, 200, 200, 210, 220, 220], valleyLayer: 2, valleyDepth: 0.2, spikeBlocks: [1] }));
  const twelve = [0, 1, 2, 3, 4].map((i) => record({ index: i, entropy: Array.from({ length: 13 }, (_, l) => 0.9 - 0.02 * l - 0.001 * i) }));
  six[1] = { ...six[1]!, id: EVIL };
  const models = [aggregateModel({ info: info('six', 6), tokenizerSha256: 'cd'.repeat(32) }, six), aggregateModel({ info: info('twelve', 12), tokenizerSha256: null }, twelve)];
  return {
    kind: 'sinklens-study',
    schemaVersion: 1,
    complete: true,
    provenance: {
      sinklensVersion: '9.9.9',
      createdAt: '2026-01-01T00:00:00.000Z',
      promptSet: { path: 'set.jsonl', prompts: 5, sha256: 'ef'.repeat(32) },
      models: models.map((m) => ({ name: m.name, dir: m.dir, weights: m.weights, tokenizer: null })),
      settings: { prependBos: 'auto', chatTemplate: 'none', maxTokens: 512, tau: 0.3, entropy: { alpha: 1, excludeBos: false, center: false, rowNormalize: false }, includeFirstQuery: false },
      host: { node: 'v20', platform: 'linux-x64' },
    },
    prompts: [0, 1, 2, 3, 4].map((i) => ({ index: i, id: i === 1 ? EVIL : `p${i + 1}`, source: `set.jsonl:${i + 1}`, chars: 30, sha256: 'x', preview: i === 0 ? '<script>alert(1)</script> see https://example.com' : 'A prompt' })),
    models,
    relativeDepth: relativeDepthCurves(models),
  };
}

/** The part of playwright-core's API used here (the package lives in the e2e toolchain, untyped for tsc). */
interface Chromium {
  launch(o: { executablePath: string; args: string[] }): Promise<{
    newPage(): Promise<{
      on(ev: 'request', f: (r: { url(): string }) => void): void;
      goto(url: string, o: { waitUntil: 'load' }): Promise<unknown>;
      $$eval<R>(sel: string, f: (els: Element[]) => R): Promise<R>;
      $eval<R>(sel: string, f: (el: Element) => R): Promise<R>;
      locator(sel: string): { first(): { locator(sel: string): { count(): Promise<number> } } };
    }>;
    close(): Promise<void>;
  }>;
}

/** Every attribute or CSS value that could make the browser fetch something. */
function externalRefs(html: string): string[] {
  const refs = [...html.matchAll(/\b(?:src|href|action|srcset|poster|data|xlink:href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1] as string).filter((v) => !v.startsWith('#'));
  const css = [...html.matchAll(/url\(|@import/gi)].map((m) => m[0]);
  return [...refs, ...css];
}

describe('HTML report', () => {
  const s = study();
  const checks = [evaluateFailIf(parseFailIf('maxBosRatio > 4'), 'six', s.models[0]!.prompts)];
  const html = renderReport(s, checks);

  test('has the summary charts, one row and one section per prompt, the checks and the provenance', () => {
    const doc = new Window().document;
    doc.write(html);
    const charts = doc.querySelectorAll('#summary-charts svg.chart');
    assert.equal(charts.length, 3, 'entropy, sink rate, BOS norm');
    for (const c of charts) {
      assert.equal(c.querySelectorAll('polyline.line').length, 2, 'one line per model');
      assert.equal(c.querySelectorAll('polygon.band').length, 2, 'one band per model');
    }
    for (const t of doc.querySelectorAll('table.prompt-table')) assert.equal(t.querySelectorAll('tr.prompt-row').length, 5, 'one row per prompt');
    assert.equal(doc.querySelectorAll('section.prompt').length, 5);
    assert.equal(doc.querySelectorAll('section.prompt svg.chart').length, 15, 'three panels per prompt');
    assert.ok(doc.querySelectorAll('section.prompt rect.valley').length === 0, 'no valley shading with two models (depths differ)');
    assert.match(doc.querySelector('tr.check')?.textContent ?? '', /FAIL.*maxBosRatio > 4.*5 of 5/);
    assert.match(html, /SinkLens 9\.9\.9/);
    assert.match(html, new RegExp(`sha256 <code>${'ab'.repeat(32)}</code>`));
    assert.match(html, /Valley in 5 of 5 prompts \(100%\); minimum at: h\[2\] 5/);
  });

  test('is self-contained: no script, no external URL, no stylesheet link; text is escaped', () => {
    assert.deepEqual(externalRefs(html), []);
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|<object|<embed/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.match(html, /&lt;img src=https:\/\/evil\.example\/x onerror=alert\(1\)&gt;/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    // The only http(s) text is escaped prompt content, never an attribute.
    for (const m of html.matchAll(/https?:\/\//g)) assert.ok(/&lt;img src=$|see $/.test(html.slice(Math.max(0, m.index - 14), m.index)), html.slice(m.index - 30, m.index + 20));
  });

  test('loads in headless chromium: charts drawn, no request leaves the page', async (t) => {
    const tools = process.env.E2E_TOOLS_DIR ?? join(PROJECT_ROOT, 'test', 'e2e', '.tools');
    const pw = join(tools, 'node_modules', 'playwright-core');
    const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
    if (!existsSync(pw) || !existsSync(chromiumPath)) {
      const why = `HEADLESS CHROMIUM CHECK SKIPPED: needs ${pw} (test/e2e/setup-tools.sh, or E2E_TOOLS_DIR) and ${chromiumPath} (or CHROMIUM)`;
      // CI provisions the toolchain before the unit tests and sets SINKLENS_REQUIRE_BROWSER: there a missing
      // browser is a failure, not a skip.
      if (process.env.SINKLENS_REQUIRE_BROWSER === '1') assert.fail(why);
      console.warn(`\n*** ${why} ***\n`);
      t.skip(why);
      return;
    }
    const file = join(tmp, 'report.html');
    writeFileSync(file, html);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require(pw) as { chromium: Chromium };
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const sizes = await page.$$eval('svg.chart', (els) => els.map((e) => e.getBoundingClientRect().width * e.getBoundingClientRect().height));
      assert.equal(sizes.length, 3 + 15);
      assert.ok(sizes.every((a) => a > 10000), `every chart is drawn: ${sizes.join(', ')}`);
      const lineLen = await page.$eval('#summary-charts polyline.line', (e) => (e as SVGPolylineElement).getTotalLength());
      assert.ok(lineLen > 100, `the mean line has a length on screen (${lineLen})`);
      assert.equal(await page.locator('table.prompt-table').first().locator('tr.prompt-row').count(), 5);
      assert.deepEqual(requests, [pathToFileURL(file).href], 'the only request is the report itself');
    } finally {
      await browser.close();
    }
  });
});
