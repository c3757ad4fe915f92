/**
 * `analyze --svg DIR` and `study|report --svg DIR` as real processes (through tsx): each chart a standalone
 * SVG that parses as XML, with its title, axis titles, one path per series placed at the result's values,
 * the h[0]..h[L] ticks, the demo model's valley shaded, and the provenance inside (`<metadata>`) equal to
 * provenance.json and to the result's weight sha256; a study's panels with one line + band per model.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Window } from 'happy-dom';
import { niceRange } from '../../../src/engine/report/charts';
import type { AnalysisResult } from '../../../src/shared/result';
import type { StudyResult } from '../../../src/shared/study';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../support/fixtures';
import { ARCH_SPECS, generateModel } from '../../support/genModel';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-svg-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const MAIN = join(PROJECT_ROOT, 'src/engine/cli/main.ts');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', cwd: PROJECT_ROOT, env: { ...process.env, SINKLENS_MODEL: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');
const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\n' || c === '\t' || c === '\r';
const isNameChar = (c: string | undefined): boolean => c !== undefined && (c.toLowerCase() !== c.toUpperCase() || (c >= '0' && c <= '9') || c === '_' || c === ':' || c === '-' || c === '.');
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHex = (c: string): boolean => isDigit(c) || (c.toLowerCase() >= 'a' && c.toLowerCase() <= 'f');

/** At `&`: the index after a well-formed entity reference (the five named ones or a numeric one), or the problem. */
function entityEnd(src: string, at: number): number | string {
  const semi = src.indexOf(';', at);
  if (semi < 0 || semi - at > 10) return `a bare '&' at ${at}`;
  const name = src.slice(at + 1, semi);
  const ok = ['amp', 'lt', 'gt', 'quot', 'apos'].includes(name) || (name.startsWith('#x') && name.length > 2 && [...name.slice(2)].every(isHex)) || (name.startsWith('#') && name.length > 1 && [...name.slice(1)].every(isDigit));
  return ok ? semi + 1 : `unknown entity &${name}; at ${at}`;
}

/**
 * A strict XML well-formedness check (no DTD), written out because happy-dom's parser forgives: one root
 * element, tags nested and closed in order, attributes quoted and unique, no raw '<' or bare '&' in text or
 * attribute values. Returns the first problem, or null.
 */
function xmlProblem(src: string): string | null {
  let i = 0;
  const stack: string[] = [];
  let seenRoot = false;
  if (src.startsWith('<?xml')) {
    const e = src.indexOf('?>');
    if (e < 0) return 'unterminated XML declaration';
    i = e + 2;
  }
  while (i < src.length) {
    const c = src[i];
    if (c === '&') {
      const e = entityEnd(src, i);
      if (typeof e === 'string') return e;
      i = e;
    } else if (c !== '<') {
      if (stack.length === 0 && !isSpace(c)) return `text outside the root element at ${i}`;
      i++;
    } else if (src.startsWith('<!--', i)) {
      const e = src.indexOf('-->', i + 4);
      if (e < 0) return 'unterminated comment';
      i = e + 3;
    } else if (src[i + 1] === '/') {
      let j = i + 2;
      while (isNameChar(src[j])) j++;
      const name = src.slice(i + 2, j);
      while (isSpace(src[j])) j++;
      if (src[j] !== '>') return `bad end tag at ${i}`;
      if (stack.pop() !== name) return `</${name}> closes the wrong element at ${i}`;
      i = j + 1;
    } else {
      if (seenRoot && stack.length === 0) return `a second root element at ${i}`;
      seenRoot = true;
      let j = i + 1;
      while (isNameChar(src[j])) j++;
      const name = src.slice(i + 1, j);
      if (!name) return `bad start tag at ${i}`;
      const attrs = new Set<string>();
      for (;;) {
        const before = j;
        while (isSpace(src[j])) j++;
        if (src.startsWith('/>', j)) {
          j += 2;
          break;
        }
        if (src[j] === '>') {
          stack.push(name);
          j++;
          break;
        }
        if (j === before) return `no space before an attribute of <${name}> at ${j}`;
        const a0 = j;
        while (isNameChar(src[j])) j++;
        const attr = src.slice(a0, j);
        if (!attr || src[j] !== '=') return `bad attribute of <${name}> at ${j}`;
        if (attrs.has(attr)) return `duplicate attribute ${attr} of <${name}>`;
        attrs.add(attr);
        const q = src[j + 1];
        if (q !== '"' && q !== "'") return `unquoted attribute ${attr} of <${name}>`;
        j += 2;
        while (src[j] !== q) {
          if (j >= src.length) return `unterminated attribute ${attr}`;
          if (src[j] === '<') return `'<' in attribute ${attr} of <${name}>`;
          if (src[j] === '&') {
            const e = entityEnd(src, j);
            if (typeof e === 'string') return e;
            j = e;
          } else j++;
        }
        j++;
      }
      i = j;
    }
  }
  if (stack.length) return `unclosed <${stack[stack.length - 1]}>`;
  return seenRoot ? null : 'no root element';
}

/** Parses strictly as XML (the check above), then with happy-dom (image/svg+xml) to query it. */
function parse(file: string): Document {
  const src = readFileSync(file, 'utf8');
  assert.equal(xmlProblem(src), null, `${file} is well-formed XML`);
  const doc = new new Window().DOMParser().parseFromString(src, 'image/svg+xml') as unknown as Document;
  assert.equal(doc.querySelector('parsererror'), null, `${file}: ${doc.querySelector('parsererror')?.textContent ?? ''}`);
  const svg = doc.documentElement;
  assert.equal(svg.tagName.toLowerCase(), 'svg');
  assert.equal(svg.getAttribute('xmlns'), 'http://www.w3.org/2000/svg', 'standalone: the SVG namespace');
  const [w, h] = [Number(svg.getAttribute('width')), Number(svg.getAttribute('height'))];
  assert.ok(w > 0 && h > 0);
  assert.equal(svg.getAttribute('viewBox'), `0 0 ${w} ${h}`);
  return doc;
}

const metadata = (doc: Document): Record<string, unknown> => JSON.parse(doc.querySelector('metadata')?.textContent ?? 'null') as Record<string, unknown>;
/** The drawn series (band edges have no stroke) by their titles. */
const drawn = (doc: Document): Element[] => Array.from(doc.querySelectorAll('path.sl-series')).filter((p) => p.getAttribute('stroke') !== 'none');
const titleOf = (e: Element): string | null | undefined => e.querySelector('title')?.textContent;
/** The path's points, [x, y] in px. */
const pointsOf = (e: Element): number[][] => (e.getAttribute('d') ?? '').split(/\s+/).filter(Boolean).map((s) => s.slice(1).split(',').map(Number));

describe('the well-formedness check', () => {
  test('accepts XML and names the first problem of a malformed file', () => {
    assert.equal(xmlProblem('<?xml version="1.0"?>\n<svg xmlns="x" a=\'1\'><title>a &amp; b &#8804; &#x2264;</title><g/><!-- c --></svg>\n'), null);
    assert.match(xmlProblem('<svg><title>a & b</title></svg>')!, /bare '&'/);
    assert.match(xmlProblem('<svg><g></svg>')!, /closes the wrong element/);
    assert.match(xmlProblem('<svg a=1></svg>')!, /unquoted attribute a/);
    assert.match(xmlProblem('<svg a="<"></svg>')!, /'<' in attribute a/);
    assert.match(xmlProblem('<svg a="1" a="2"></svg>')!, /duplicate attribute a/);
    assert.match(xmlProblem('<svg><g>')!, /unclosed <g>/);
    assert.match(xmlProblem('<svg/><svg/>')!, /a second root/);
    assert.match(xmlProblem('<svg>&nbsp;</svg>')!, /unknown entity &nbsp;/);
  });
});

describe('niceRange', () => {
  test('four round steps that cover the values', () => {
    assert.deepEqual(niceRange([0.13, 0.97]), [0, 1]); // (0.97 - 0.13) / 4 = 0.21: steps 0.1, 0.2 fall short, 0.25 covers
    assert.deepEqual(niceRange([-0.17, 1.02, null]), [-0.5, 1.5]); // 0.2 -> [-0.2, 0.6], 0.25 -> [-0.25, 0.75], 0.5 covers
    assert.equal(niceRange([null, NaN]), undefined);
  });
});

describe('sinklens analyze --svg', () => {
  test('the per-layer charts of the demo model: titles, a path per series at the result\'s values, h[0]..h[6], the valley, the provenance', () => {
    const dir = join(tmp, 'analyze', 'charts');
    const json = join(tmp, 'r.json');
    const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'Once upon a time, there was a little dog. He liked to run in the park with his friends.', '--svg', dir, '--json', json, '--no-table']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /wrote 5 files to /);
    assert.deepEqual(readdirSync(dir).sort(), ['bos-ratio.svg', 'entropy.svg', 'mixing.svg', 'provenance.json', 'sink-rate.svg']);
    const res = JSON.parse(readFileSync(json, 'utf8')) as AnalysisResult;
    const prov = JSON.parse(readFileSync(join(dir, 'provenance.json'), 'utf8')) as Record<string, unknown>;
    const titles: Record<string, [string, string[]]> = {
      'bos-ratio.svg': ['BOS norm ratio', ['BOS ratio']],
      'entropy.svg': ['Normalised entropy', ['entropy', '≤ bound', 'excl. BOS (same scale)']],
      'sink-rate.svg': ['Sink rate', ['sink rate', 'uniform head (sink score)']],
      'mixing.svg': ['Mixing', ['row entropy', 'mass off BOS and self']],
    };
    assert.deepEqual(res.summary.valley, { start: 2, end: 3 }, 'the demo model\'s valley');
    // The plot spans x 64..546 px for h[-0.5]..h[6.5] (560 px wide) and y 282..30 px (340 px high).
    const px = (x: number): number => 64 + ((x + 0.5) / 7) * (560 - 14 - 64);
    const py = (v: number, lo: number, hi: number): number => 282 - ((v - lo) / (hi - lo)) * (282 - 30);
    for (const [file, [title, series]] of Object.entries(titles)) {
      const doc = parse(join(dir, file));
      assert.equal(doc.querySelector('title')?.textContent, title, file);
      assert.equal(doc.querySelector('.sl-x-title')?.textContent, 'hidden state h[l] (block b writes h[b+1])');
      assert.deepEqual(drawn(doc).map(titleOf), series, file);
      const ticks = Array.from(doc.querySelectorAll('.sl-ticks text')).map((t) => t.textContent);
      for (let l = 0; l <= 6; l++) assert.ok(ticks.includes(`h[${l}]`), `${file}: tick h[${l}] in ${ticks.join(',')}`);
      const bands = Array.from(doc.querySelectorAll('rect.sl-band'));
      assert.equal(bands.length, 1, `${file}: the valley shaded`);
      assert.ok(Math.abs(Number(bands[0]!.getAttribute('x')) - px(1.5)) < 0.02, `${file}: the valley starts at h[2]`);
      assert.ok(Math.abs(Number(bands[0]!.getAttribute('width')) - (px(3.5) - px(1.5))) < 0.02, `${file}: and ends at h[3]`);
      const meta = metadata(doc);
      assert.deepEqual(meta, prov, `${file}: the provenance inside equals provenance.json`);
      assert.match(doc.querySelector('desc')?.textContent ?? '', new RegExp(`sinklensVersion: ${version.replace(/\./g, '\\.')}`));
    }
    const meta = prov as { sinklensVersion: string; model: { name: string; weights: { sha256: string }[]; tokenizer: { sha256: string } }; settings: { tau: number } };
    assert.equal(meta.sinklensVersion, version);
    assert.equal(meta.model.name, 'sinklens-tiny');
    assert.equal(meta.model.weights[0]!.sha256, res.model.files[0]!.sha256, 'the weight sha256 of the result JSON');
    assert.equal(meta.model.weights[0]!.sha256, sha(join(DEMO_MODEL_DIR, 'model.safetensors')));
    assert.equal(meta.model.tokenizer.sha256, sha(join(DEMO_MODEL_DIR, 'tokenizer.json')));
    assert.deepEqual(meta.settings, res.settings);

    // The entropy line passes through the raw layer's entropy of every layer (y range 0..1).
    const entropy = drawn(parse(join(dir, 'entropy.svg')))[0]!;
    const pts = pointsOf(entropy);
    assert.equal(pts.length, 7);
    res.baseline.layers.forEach((l, i) => {
      assert.ok(Math.abs(pts[i]![0]! - px(l.layer)) < 0.01, `x of h[${l.layer}]`);
      assert.ok(Math.abs(pts[i]![1]! - py(l.bounded.entropy as number, 0, 1)) < 0.01, `y of h[${l.layer}]: ${pts[i]![1]} vs ${l.bounded.entropy}`);
    });
    // The BOS ratio as log10 values, on the axis that says so; the spike at h[2] is the highest point.
    const bosDoc = parse(join(dir, 'bos-ratio.svg'));
    assert.match(bosDoc.querySelector('.sl-y-title')?.textContent ?? '', /^log10 /);
    const logs = res.baseline.layers.map((l) => Math.log10(l.bosRatio));
    const [lo, hi] = niceRange(logs)!;
    const bos = pointsOf(drawn(bosDoc)[0]!);
    logs.forEach((v, i) => assert.ok(Math.abs(bos[i]![1]! - py(v, lo, hi)) < 0.01, `log10 BOS ratio of h[${i}]`));
    assert.equal(bos.reduce((m, p, i) => (p[1]! < bos[m]![1]! ? i : m), 0), 2, 'the highest point is h[2]');
    // The sink rate starts at h[1] (h[0] has no attention).
    assert.equal(pointsOf(drawn(parse(join(dir, 'sink-rate.svg')))[0]!).length, 6);
  });

  test('a file where the folder should be: exit 2 with one line, before any analysis', () => {
    const file = join(tmp, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'The dog ran.', '--svg', file]);
    assert.equal(r.code, 2);
    assert.equal(r.err, `sinklens: --svg ${file}: a file is there, not a folder; give a folder (created if missing).\n`);
    const s = cli(['study', '--model', DEMO_MODEL_DIR, '--limit', '1', '--svg', file]);
    assert.equal(s.code, 2);
    assert.match(s.err, /^sinklens: --svg .*: a file is there, not a folder/);
  });

  test('--help says where PNG comes from', () => {
    const r = cli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /--svg DIR\s+also write the per-layer charts as standalone SVG/);
    assert.match(r.out, /PNG comes from the panel/);
    assert.match(r.out, /sinklens report .*\[--svg DIR\]/);
  });
});

describe('sinklens study --svg', () => {
  test('two models on the built-in set: three panels, one line + band per model, the provenance of both', () => {
    const gen = join(tmp, 'gen-llama');
    generateModel(gen, ARCH_SPECS[0]!);
    const dir = join(tmp, 'study-svg');
    const json = join(tmp, 'study.json');
    const r = cli(['study', '--model', DEMO_MODEL_DIR, '--model', gen, '--limit', '3', '--json', json, '--svg', dir, '--quiet']);
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(readFileSync(json, 'utf8')) as StudyResult;
    assert.deepEqual(readdirSync(dir).sort(), ['bos-norm.svg', 'entropy.svg', 'provenance.json', 'sink-rate.svg']);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'provenance.json'), 'utf8')), s.provenance);
    const names = s.models.map((m) => m.name);
    assert.equal(names.length, 2);
    const keys = { 'entropy.svg': ['Normalised entropy', 'entropy'], 'sink-rate.svg': ['Sink rate', 'sinkRate'], 'bos-norm.svg': ['BOS norm (log10)', 'bosNormLog10'] } as const;
    for (const [file, [title, key]] of Object.entries(keys)) {
      const doc = parse(join(dir, file));
      assert.equal(doc.querySelector('title')?.textContent, title);
      assert.equal(doc.querySelector('.sl-x-title')?.textContent, 'relative depth l / L');
      assert.deepEqual(drawn(doc).map(titleOf), names, `${file}: one line per model`);
      assert.equal(doc.querySelectorAll('path.sl-fill').length, 2, `${file}: one band per model`);
      const edges = Array.from(doc.querySelectorAll('path.sl-series')).filter((p) => p.getAttribute('stroke') === 'none').map(titleOf);
      assert.deepEqual(edges, names.flatMap((n) => [`${n} q1`, `${n} q3`]));
      // Each line has a point per grid position where the model has a mean.
      drawn(doc).forEach((p, i) => {
        const means = s.relativeDepth.models[i]![key].filter((st) => st.mean !== null && Number.isFinite(st.mean));
        assert.equal(pointsOf(p).length, means.length, `${file}: ${names[i]}'s points`);
      });
      const ticks = Array.from(doc.querySelectorAll('.sl-ticks text')).map((t) => t.textContent);
      for (const t of ['0.00', '0.25', '0.50', '0.75', '1.00']) assert.ok(ticks.includes(t), `${file}: tick ${t}`);
      const meta = metadata(doc) as unknown as StudyResult['provenance'];
      assert.deepEqual(meta.models.map((m) => m.weights[0]!.sha256), [sha(join(DEMO_MODEL_DIR, 'model.safetensors')), sha(join(gen, 'model.safetensors'))]);
      assert.equal(meta.promptSet.prompts, 3);
    }
  });
});
