/**
 * Each weight precision agrees with fp32 within its documented tolerance (docs/PERFORMANCE.md,
 * "Weight precisions"): BOS ratio (relative), entropy, sink rate, anisotropy and both theorem
 * bounds, max over layers and prompts, on both real fixtures and generated families.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { WeightPrecision } from '../../../src/shared/result';
import { requireFixture } from '../../support/fixtures';
import { ARCH_SPECS, generateModel } from '../../support/genModel';
import { DEVIATION_KEYS, FIXTURE_TEXTS, generatedPrompts, measurePrecisions, type Deviation } from '../../support/precision';

/** The documented tolerances: about 2x the largest deviation measured on any model of the table. */
const TOLERANCE: Record<Exclude<WeightPrecision, 'fp32'>, Deviation> = {
  fp16: { bosRatio: 1e-3, entropy: 2e-4, sinkRate: 0.01, anisotropy: 2e-4, lowerBound: 2e-4, upperBound: 2e-4 },
  int8: { bosRatio: 2e-2, entropy: 5e-3, sinkRate: 0.01, anisotropy: 7e-3, lowerBound: 5e-3, upperBound: 3e-3 },
  int4: { bosRatio: 0.25, entropy: 0.04, sinkRate: 0.13, anisotropy: 0.06, lowerBound: 0.08, upperBound: 0.06 },
};
const MODES = (['fp16', 'int8', 'int4'] as const).map((w) => ({ label: w, weights: w }));

async function check(dir: string, texts: readonly string[]): Promise<void> {
  const devs = await measurePrecisions(dir, texts, MODES);
  for (const { label } of MODES) {
    const d = devs.get(label) as Deviation;
    for (const k of DEVIATION_KEYS) assert.ok(d[k] <= TOLERANCE[label][k], `${label} ${k}: deviation ${d[k].toExponential(2)} > tolerance ${TOLERANCE[label][k]}`);
  }
  // The modes are ordered: int4 moves the entropy more than int8 on every model measured.
  assert.ok((devs.get('int4') as Deviation).entropy > (devs.get('int8') as Deviation).entropy);
}

describe('weight precisions vs fp32 (fixtures)', () => {
  for (const name of ['sinklens-tiny', 'stories260k']) {
    it(name, async (t) => {
      const dir = requireFixture(t, name);
      if (dir) await check(dir, FIXTURE_TEXTS);
    });
  }
});

describe('weight precisions vs fp32 (generated families)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sinklens-precision-test-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  for (const name of ['llama-untied-llama3rope-bf16', 'gpt2-tied', 'gpt-neox-parallel']) {
    it(name, async () => {
      const spec = ARCH_SPECS.find((s) => s.name === name);
      assert.ok(spec, name);
      const m = generateModel(join(tmp, name), spec);
      await check(m.dir, generatedPrompts(m));
    });
  }
});
