/**
 * Honest readings (every bound beside the value it bounds, chance levels, phases only with a cause):
 * the engine and the CLI table on the demo model, generated models and random-weight models.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { formatTable } from '../../../src/engine/cli/table';
import type { GenFamily } from '../../support/genModel';
import type { AnalysisResult, EntropyOptions } from '../../../src/shared/result';
import { DEMO_MODEL_DIR, requireFixture } from '../../support/fixtures';
import { ARCH_SPECS, generateModel, samplePrompt } from '../../support/genModel';

const root = mkdtempSync(join(tmpdir(), 'sinklens-honest-'));
const engine = new Engine();
after(async () => {
  await engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

const PROMPT = 'the cat sat on the mat and the dog ran to the park with a red ball';

/** Every entropy option combination: alpha in {0.5, 1, 2} x excludeBos x center x rowNormalize. */
function allOptions(): EntropyOptions[] {
  const out: EntropyOptions[] = [];
  for (const alpha of [0.5, 1, 2]) for (let m = 0; m < 8; m++) out.push({ alpha, excludeBos: (m & 1) > 0, center: (m & 2) > 0, rowNormalize: (m & 4) > 0 });
  return out;
}

/** Every (measured, bound) pair in the result holds, and the table prints a bound only beside the raw layer's value. */
function checkPairs(r: AnalysisResult, what: string): void {
  for (const run of [r.baseline, r.ablation?.run]) {
    if (!run) continue;
    for (const l of run.layers) {
      const { anisotropy, entropy } = l.bounded;
      assert.ok(anisotropy !== null && entropy !== null, `${what} h[${l.layer}]: finite layer`);
      assert.ok(anisotropy >= l.anisotropyLowerBound - 1e-6, `${what} h[${l.layer}]: p1 ${anisotropy} < bound ${l.anisotropyLowerBound}`);
      if (l.entropyUpperBound !== null) assert.ok(entropy <= l.entropyUpperBound + 1e-6, `${what} h[${l.layer}]: H ${entropy} > bound ${l.entropyUpperBound}`);
    }
  }
  assert.ok(!r.warnings.some((w) => w.code === 'boundViolated'), `${what}: ${JSON.stringify(r.warnings)}`);
  const [head, ...rows] = formatTable(r).map((line) => line.trim().split(/\s{2,}/));
  const hi = head!.indexOf('≤ bound');
  const pi = head!.indexOf('≥ bound');
  assert.match(head![hi - 1]!, /^(entropy|H raw)$/, `${what}: the entropy bound's left neighbour is the raw layer's H`);
  assert.match(head![pi - 1]!, /^(p1|p1 raw)$/, `${what}: the p1 bound's left neighbour is the raw layer's p1`);
  for (const row of rows) {
    const [h, hb, p, pb] = [row[hi - 1], row[hi], row[pi - 1], row[pi]].map((c) => Number(c));
    if (Number.isFinite(hb)) assert.ok(h! <= hb! + 1e-3, `${what} ${row[0]}: printed H ${h} > bound ${hb}`);
    assert.ok(p! >= pb! - 1e-3, `${what} ${row[0]}: printed p1 ${p} < bound ${pb}`);
  }
}

describe('every option combination: bounds only beside the values they bound', () => {
  const spec = ARCH_SPECS[0]!;
  const gen = join(root, spec.name);
  generateModel(gen, spec);
  for (const [name, dir] of [['demo model', DEMO_MODEL_DIR], [`generated ${spec.name}`, gen]] as const) {
    test(name, async () => {
      const h = await engine.load(dir);
      for (const entropy of allOptions()) {
        const r = await engine.analyze(h, PROMPT, { entropy });
        const what = `${name} ${JSON.stringify(entropy)}`;
        checkPairs(r, what);
        const variant = entropy.alpha !== 1 || entropy.excludeBos || entropy.center || entropy.rowNormalize;
        const head = formatTable(r)[0]!;
        assert.equal(/H raw/.test(head), variant, `${what}: raw columns named only with a variant`);
        assert.equal(r.settings.notes.some((n) => /^Entropy variant/.test(n)), variant, what);
        assert.equal(r.settings.notes.some((n) => /theorem does not apply/.test(n)), entropy.excludeBos, what);
      }
    });
  }
});

describe('chance levels and short prompts', () => {
  test('"Hi" on the demo model: not informative, no phase bands, a shortPrompt warning', async () => {
    const r = await engine.analyze(await engine.load(DEMO_MODEL_DIR), 'Hi');
    const T = r.tokens.length;
    assert.ok(T < 16);
    assert.equal(r.summary.informative, false);
    assert.equal(r.baseline.phases.informative, false);
    assert.deepEqual(r.baseline.phases.bands, []);
    assert.equal(r.summary.valley, null);
    assert.ok(r.warnings.some((w) => w.code === 'shortPrompt'), JSON.stringify(r.warnings));
    let u = 0;
    for (let i = 1; i < T; i++) u += 1 / (i + 1);
    assert.ok(Math.abs(r.summary.chanceSinkScore - u / (T - 1)) < 1e-12);
    assert.ok(r.settings.notes.some((n) => /Below 16 tokens/.test(n)));
  });
});

describe('phases only with evidence', () => {
  test('the demo model keeps its BOS-driven valley on every fixture prompt, with evidence and strength', async (t) => {
    const dir = requireFixture(t, 'sinklens-tiny');
    if (!dir) return;
    const h = await engine.load(dir);
    const prompts = (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { prompts: Record<string, { text: string }> }).prompts;
    for (const [name, p] of Object.entries(prompts)) {
      const r = await engine.analyze(h, p.text, { ablate: 'auto' });
      const ph = r.baseline.phases;
      assert.equal(ph.cause, 'bos', `${name}: ${ph.signals.join('; ')}`);
      const c = ph.bands.find((b) => b.phase === 'compress')!;
      assert.ok(c.start <= 2 && c.end >= 2, name);
      assert.ok(c.strength.valleyDepth! >= 0.1 && c.strength.bosRatio >= 3, JSON.stringify(c.strength));
      assert.ok(c.strength.mixing !== null && c.strength.sinkRate !== null);
      assert.ok(c.evidence.some((e) => /BOS spike at h\[2\]/.test(e)), c.evidence.join('; '));
      assert.deepEqual(r.baseline.spikeWriter?.block, 1);
      assert.equal(r.baseline.spikeWriter?.component, 'mlp');
      assert.equal(r.ablation?.target, 'mlp', 'auto ablates the component that writes the spike');
      assert.equal(r.ablation?.effect.valleyRemoved, true);
    }
  });

  test('stories260k: no valley on its fixture prompts (no sinks, BOS ratio <= 2.6)', async (t) => {
    const dir = requireFixture(t, 'stories260k');
    if (!dir) return;
    const h = await engine.load(dir);
    const prompts = (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { prompts: Record<string, { text: string }> }).prompts;
    for (const [name, p] of Object.entries(prompts)) {
      const ph = (await engine.analyze(h, p.text)).baseline.phases;
      assert.equal(ph.valley, false, `${name}: ${ph.signals.join('; ')}`);
      assert.deepEqual(ph.bands, []);
    }
  });

  test('20 random-weight models x 5 prompts (3 to 200 tokens): never a BOS-driven valley', async () => {
    const families: GenFamily[] = ['llama', 'gpt2', 'gpt_neox', 'qwen2'];
    let runs = 0;
    for (let m = 0; m < 20; m++) {
      const family = families[m % families.length]!;
      const dir = join(root, `random-${m}`);
      const model = generateModel(dir, { name: `random-${m}`, family, hidden: 16, layers: 3 + (m % 6), heads: 2, intermediate: 32, vocab: 64, maxPositions: 256, seed: 100 + m, addBos: true });
      const h = await engine.load(dir);
      for (const n of [2, 7, 19, 60, 199]) {
        const r = await engine.analyze(h, samplePrompt(model, n, m * 7 + n));
        const ph = r.baseline.phases;
        const what = `random-${m} (${family}, ${r.model.layers} blocks) T=${r.tokens.length}: ${ph.signals.join('; ')}`;
        assert.notEqual(ph.cause, 'bos', what);
        if (r.tokens.length < 16) assert.deepEqual([ph.informative, ph.bands.length], [false, 0], what);
        checkPairs(r, what);
        runs++;
      }
      await engine.unload(dir);
    }
    assert.equal(runs, 100);
  });
});
