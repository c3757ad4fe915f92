/**
 * Interventions and the next-token loss in the graph against the float64 oracle, which implements both
 * itself (test/support/reference): every operation (zero, mean over the other positions, scale, one head
 * off) on generated models, sequential and parallel residual, and the loss on both real fixtures.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import { createRunner } from '../../../src/engine/graph/runner';
import type { ForwardRequest, Runner } from '../../../src/engine/graph/types';
import { assertClose } from '../../support/assertClose';
import { lastRow } from '../../support/arrays';
import { requireFixture } from '../../support/fixtures';
import { ARCH_SPECS, generateModel, randomIds, type ModelSpec } from '../../support/genModel';
import { referenceForward, tokenLoss, type RefOptions } from '../../support/reference';
import { llamaSpec, loadCounted } from './countedWeights';

const TOL = { rtol: 1e-4, atol: 1e-5 };
const root = mkdtempSync(join(tmpdir(), 'sinklens-intervene-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function openRunner(dir: string): Promise<Runner> {
  const m = await loadCounted(dir);
  try {
    return await createRunner(m.config, m.weights, { threads: 1, probes: 'full' });
  } finally {
    m.dispose();
  }
}

/** The same intervention through the graph and through the oracle: hidden states, last logits and per-token loss agree. */
async function checkSame(runner: Runner, dir: string, ids: number[], req: Omit<ForwardRequest, 'ids'>, ref: RefOptions, what: string): Promise<void> {
  const r = await runner.forward({ ids, ...req, tokenLoss: true });
  const o = referenceForward(dir, ids, ref);
  assertClose(r.hidden, o.hidden, TOL, `${what}: hidden`);
  assertClose(r.lastLogits, lastRow(o.logits, ids.length, o.vocab), TOL, `${what}: last logits`);
  assert.equal(r.tokenLoss?.length, ids.length - 1, `${what}: one loss per predicted token`);
  assertClose(r.tokenLoss ?? [], tokenLoss(o, ids), TOL, `${what}: token loss`);
}

const parallel = ARCH_SPECS.find((s) => s.name === 'gpt-neox-parallel') as ModelSpec;
const gemma2 = ARCH_SPECS.find((s) => s.name === 'gemma2-softcap-window-sharded') as ModelSpec;
const CASES: { spec: ModelSpec; name: string }[] = [
  { spec: llamaSpec({ seed: 31, layers: 3 }), name: 'llama (sequential residual)' },
  { spec: parallel, name: 'gpt-neox (parallel residual)' },
  // Post-norms sit between a write and its intervention point, and the loss must see the final soft-cap.
  { spec: gemma2, name: 'gemma2 (post-norms, soft-caps, sliding windows)' },
];

for (const { spec, name } of CASES) {
  describe(`interventions in the graph vs the oracle: ${name}`, () => {
    const dir = join(root, spec.name + String(spec.seed));
    generateModel(dir, spec);
    const ids = randomIds(8, spec.vocab, 5);
    let runner: Runner;
    after(async () => runner?.dispose());

    it('no intervention: the loss of the plain forward', async () => {
      runner = await openRunner(dir);
      await checkSame(runner, dir, ids, {}, {}, 'baseline');
    });

    it('zero the MLP write at a chosen position', async () => {
      const edit = { component: 'mlp' as const, block: 1, position: 3 };
      await checkSame(runner, dir, ids, { edits: [{ ...edit, keep: 0, mean: 0 }] }, { edits: [{ ...edit, op: 'zero' }] }, 'zero mlp@1 pos 3');
    });

    it('replace the attention write at BOS by its mean over the other positions', async () => {
      const edit = { component: 'attn' as const, block: 0, position: 0 };
      await checkSame(runner, dir, ids, { edits: [{ ...edit, keep: 0, mean: 1 }] }, { edits: [{ ...edit, op: 'mean' }] }, 'mean attn@0 bos');
    });

    it('scale writes by k, two components and blocks at once, beside a legacy ablation', async () => {
      const a = { component: 'attn' as const, block: 1, position: 5 };
      const m = { component: 'mlp' as const, block: 0, position: 2 };
      await checkSame(
        runner,
        dir,
        ids,
        { ablateMlp: [1], edits: [{ ...a, keep: 0.5, mean: 0 }, { ...m, keep: -2, mean: 0 }] },
        { ablateMlp: [1], edits: [{ ...a, op: 'scale', factor: 0.5 }, { ...m, op: 'scale', factor: -2 }] },
        'scale',
      );
    });

    it('one head off (before o_proj) at every position', async () => {
      const off = [{ block: 1, head: 2 }];
      await checkSame(runner, dir, ids, { headsOff: off }, { headsOff: off }, 'head 1.2 off');
      // And back: nothing stays switched off.
      await checkSame(runner, dir, ids, {}, {}, 'after');
    });

    it('the intervention changes the numbers it should (the test can fail)', async () => {
      const base = await runner.forward({ ids, tokenLoss: true });
      const cut = await runner.forward({ ids, tokenLoss: true, edits: [{ component: 'mlp', block: 0, position: 0, keep: 0, mean: 0 }] });
      const diff = Math.max(...Array.from(base.tokenLoss ?? [], (v, i) => Math.abs(v - (cut.tokenLoss?.[i] ?? v))));
      assert.ok(diff > 1e-4, `zeroing block 0's MLP at BOS moved no loss (${diff})`);
    });
  });
}

describe('token loss and intervention requests', () => {
  const spec = llamaSpec({ seed: 32 });
  const dir = join(root, 'requests');
  generateModel(dir, spec);
  let runner: Runner;
  after(async () => runner?.dispose());

  it('a one-token prompt has no loss; without tokenLoss there is none', async () => {
    runner = await openRunner(dir);
    assert.equal((await runner.forward({ ids: [3], tokenLoss: true })).tokenLoss?.length, 0);
    assert.equal((await runner.forward({ ids: [3, 4, 5] })).tokenLoss, undefined);
  });

  it('refuses positions outside the prompt, two edits on one write, unknown heads', async () => {
    const ids = [1, 2, 3];
    const bad = async (req: Omit<ForwardRequest, 'ids'>): Promise<void> => {
      await assert.rejects(runner.forward({ ids, ...req }), (e: unknown) => SinkLensError.is(e) && e.code === 'badRequest');
    };
    await bad({ edits: [{ component: 'mlp', block: 0, position: 3, keep: 0, mean: 0 }] });
    await bad({ edits: [{ component: 'mlp', block: 0, position: 1, keep: 0, mean: 0 }, { component: 'mlp', block: 0, position: 2, keep: 0, mean: 0 }] });
    await bad({ ablateAttn: [1], edits: [{ component: 'attn', block: 1, position: 2, keep: 0, mean: 0 }] });
    await bad({ edits: [{ component: 'attn', block: 0, position: 1, keep: Number.NaN, mean: 0 }] });
    await bad({ headsOff: [{ block: 0, head: spec.heads }] });
  });
});

for (const fixture of ['stories260k', 'sinklens-tiny']) {
  describe(`token loss on the ${fixture} fixture vs the oracle`, () => {
    it('per position, the prompt of expected.json', async (t) => {
      const dir = requireFixture(t, fixture);
      if (!dir) return;
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { prompts: Record<string, { tokenIds: number[] }> };
      const ids = (Object.values(expected.prompts)[0] as { tokenIds: number[] }).tokenIds.slice(0, 24);
      const runner = await openRunner(dir);
      try {
        const r = await runner.forward({ ids, tokenLoss: true });
        const want = tokenLoss(referenceForward(dir, ids), ids);
        assertClose(r.tokenLoss ?? [], want, TOL, `${fixture}: token loss`);
        assert.ok(want.every((v) => v > 0 && Number.isFinite(v)), 'the oracle gives positive finite losses');
      } finally {
        await runner.dispose();
      }
    });
  });
}
