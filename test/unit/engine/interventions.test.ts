/**
 * Interventions through the engine: the `--intervene` syntax (parsing, errors, the CLI's exit 2), the
 * result's loss and top-k before/after against the float64 oracle, and the demo model's documented
 * loss increase when its spike is ablated (docs/METRICS.md, "Interventions").
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../../src/engine/api';
import { SinkLensError } from '../../../src/shared/errors';
import { interventionSpec, parseIntervention } from '../../../src/shared/interventions';
import type { AnalysisResult, Intervention } from '../../../src/shared/result';
import type { ModelHandle } from '../../../src/shared/engineApi';
import { assertClose } from '../../support/assertClose';
import { DEMO_MODEL_DIR, PROJECT_ROOT } from '../../support/fixtures';
import { generateModel, samplePrompt, type ModelSpec } from '../../support/genModel';
import { referenceForward, tokenLoss, type RefOptions } from '../../support/reference';

const tmp = mkdtempSync(join(tmpdir(), 'sinklens-interventions-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('--intervene syntax', () => {
  const cases: [string, Intervention][] = [
    ['mlp@3:bos=zero', { target: 'mlp', blocks: [3], position: 'bos', op: 'zero' }],
    ['mlp@3=zero', { target: 'mlp', blocks: [3], position: 'bos', op: 'zero' }],
    ['attn@2-4:pos=5=scale:0.5', { target: 'attn', blocks: [2, 3, 4], position: 5, op: 'scale', factor: 0.5 }],
    ['mlp@1,3:pos=7=mean', { target: 'mlp', blocks: [1, 3], position: 7, op: 'mean' }],
    ['attn@0=scale:-2e-1', { target: 'attn', blocks: [0], position: 'bos', op: 'scale', factor: -0.2 }],
    ['head@3.1=zero', { target: 'head', block: 3, head: 1, op: 'zero' }],
  ];
  for (const [spec, want] of cases) {
    it(`parses ${spec}`, () => {
      assert.deepEqual(parseIntervention(spec), want);
      assert.deepEqual(parseIntervention(interventionSpec(want)), want, 'the written form parses back');
    });
  }
  for (const spec of ['mlp@3:bos=zap', 'mlp3=zero', 'attn@4-2=zero', 'mlp@1=scale:', 'mlp@1=scale:nan', 'head@3=zero', 'head@3.1=mean', 'mlp@1:pos=x=zero', 'ffn@1=zero', '']) {
    it(`refuses '${spec}' in one line`, () => {
      assert.throws(
        () => parseIntervention(spec),
        (e: unknown) => SinkLensError.is(e, 'badRequest') && !e.message.includes('\n') && e.message.includes('expected mlp|attn@BLOCKS'),
      );
    });
  }

  function cli(args: string[]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/engine/cli/main.ts'), ...args], { encoding: 'utf8', cwd: PROJECT_ROOT, env: { ...process.env, SINKLENS_MODEL: '' } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  it('the CLI exits 2 with one line on bad syntax, a missing block or head, and two edits of one write', () => {
    for (const [spec, why] of [
      ['mlp@3:bos=zap', /--intervene 'mlp@3:bos=zap': not an intervention; expected/],
      ['mlp@9=zero', /block 9 does not exist; the model has blocks 0\.\.5/],
      ['head@1.99=zero', /the model has heads 0\.\.7/],
    ] as const) {
      const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi there', '--quiet', '--intervene', spec]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, why);
      assert.equal(r.err.trim().split('\n').length, 1);
    }
    const twice = cli(['analyze', '--model', DEMO_MODEL_DIR, '--text', 'hi', '--intervene', 'mlp@1=zero', '--intervene', 'mlp@1:pos=2=mean']);
    assert.equal(twice.code, 2);
    assert.match(twice.err, /Two interventions on mlp@1/);
  });

  it('the CLI prints the loss change and the top-k change, and --help documents the syntax', () => {
    const r = cli(['analyze', '--model', DEMO_MODEL_DIR, '--file', join(PROJECT_ROOT, 'examples', 'story.txt'), '--quiet', '--intervene', 'mlp@1:bos=zero', '--intervene', 'head@2.1=zero']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^loss: mean next-token cross-entropy 0\.\d{3} nats over 61 predictions$/m);
    assert.match(r.out, /^intervention: zero the MLP write at BOS in block 1 \(mlp@1:bos=zero\); head 1 of block 2 off \(head@2\.1=zero\)$/m);
    assert.match(r.out, /^ {2}loss: mean 0\.\d{3} -> 0\.\d{3} nats \(\+0\.\d{3}\) over 61 predictions$/m);
    assert.match(r.out, /^ {2}most affected: @\d+ ".*"→".*" [+-]\d\.\d{3}/m);
    assert.match(r.out, /^ {2}next token: top-1 (unchanged|changed)/m);
    assert.match(r.out, /^ {4}before: /m);
    assert.match(r.out, /^ {4}after: {2}/m);
    const help = cli(['analyze', '--help']);
    assert.match(help.out, /--intervene SPEC/);
    assert.match(help.out, /head@3\.1=zero/);
  });
});

/** The oracle's per-position loss of the same prompt with the same intervention. */
function oracleLoss(dir: string, ids: number[], opts: RefOptions = {}): Float64Array {
  return tokenLoss(referenceForward(dir, ids, opts), ids);
}

const TOL = { rtol: 1e-4, atol: 1e-4 };

describe('intervention results vs the oracle', () => {
  const spec: ModelSpec = { name: 'iv-llama', family: 'llama', hidden: 32, layers: 3, heads: 4, kvHeads: 2, intermediate: 64, vocab: 80, tie: true, seed: 41 };
  const dir = join(tmp, 'llama');
  const model = generateModel(dir, spec);
  const text = samplePrompt(model, 12, 3);
  const engine = new Engine();
  let h: ModelHandle;
  before(async () => {
    h = await engine.load(dir, { cache: { maxGB: 0 } });
  });
  after(() => engine.dispose());

  it('every operation: loss before/after per position, the mean delta and the top-k come from the intervened run', async () => {
    const list: Intervention[] = [
      { target: 'attn', blocks: [0, 1], position: 2, op: 'scale', factor: 0.5 },
      { target: 'mlp', blocks: [2], position: 'bos', op: 'mean' },
      { target: 'mlp', blocks: [0], position: 4, op: 'zero' },
      { target: 'head', block: 1, head: 3, op: 'zero' },
    ];
    const r = await engine.analyze(h, text, { interventions: list });
    const ids = r.tokens.map((t) => t.id);
    const a = r.ablation;
    assert.ok(a?.loss && a.topK);
    assert.deepEqual(a.interventions, list);
    assert.deepEqual(a.blocks, [0, 1, 2]);
    const base = oracleLoss(dir, ids);
    const after = oracleLoss(dir, ids, {
      edits: [
        { component: 'attn', block: 0, position: 2, op: 'scale', factor: 0.5 },
        { component: 'attn', block: 1, position: 2, op: 'scale', factor: 0.5 },
        { component: 'mlp', block: 2, position: 0, op: 'mean' },
        { component: 'mlp', block: 0, position: 4, op: 'zero' },
      ],
      headsOff: [{ block: 1, head: 3 }],
    });
    assertClose(a.loss.before, base, TOL, 'loss before');
    assertClose(a.loss.after, after, TOL, 'loss after');
    assertClose(r.baseline.tokenLoss?.perPosition ?? [], base, TOL, 'baseline loss');
    const mean = (xs: Float64Array): number => xs.reduce((s, v) => s + v, 0) / xs.length;
    assert.ok(Math.abs((a.loss.meanDelta as number) - (mean(after) - mean(base))) < 1e-4, 'mean delta');
    assert.deepEqual(a.topK.before, r.baseline.lastTopK);
    assert.deepEqual(a.topK.after, a.run.lastTopK);
    assert.ok(r.settings.notes.some((n) => n.startsWith('Interventions (applied together in one run): scale the attention write at token 2 by 0.5 in blocks 0-1; replace the MLP write at BOS by its mean over the other positions in block 2; zero the MLP write at token 4 in block 0; head 3 of block 1 off.')));
  });

  it('a position past the prompt is refused before any forward; tokenLoss: false leaves the loss out', async () => {
    await assert.rejects(
      engine.analyze(h, text, { interventions: [{ target: 'mlp', blocks: [0], position: 500, op: 'zero' }] }),
      (e: unknown) => SinkLensError.is(e, 'badRequest') && /position 500 is past the prompt's last token/.test(e.message),
    );
    const r = await engine.analyze(h, text, { tokenLoss: false, interventions: [{ target: 'head', block: 0, head: 0, op: 'zero' }] });
    assert.equal(r.baseline.tokenLoss, null);
    assert.equal(r.ablation?.loss, null);
  });

  it("tokenLoss 'auto' (the default): a plain analysis has no loss, one with an intervention or true has it", async () => {
    const plain = await engine.analyze(h, text, {});
    assert.equal(plain.baseline.tokenLoss, null, 'a plain analysis does not wait for an LM head over every position');
    assert.ok(!plain.settings.notes.some((n) => n.startsWith('Loss:')));
    const asked = await engine.analyze(h, text, { tokenLoss: true });
    assert.equal(asked.baseline.tokenLoss?.perPosition.length, asked.tokens.length - 1);
    const cut = await engine.analyze(h, text, { interventions: [{ target: 'head', block: 0, head: 0, op: 'zero' }] });
    assert.deepEqual(cut.baseline.tokenLoss, asked.baseline.tokenLoss, 'the default computes it when there is a compared run');
    assert.ok(cut.ablation?.loss);
    await assert.rejects(engine.analyze(h, text, { tokenLoss: 'yes' as unknown as boolean }), (e: unknown) => SinkLensError.is(e, 'badRequest') && /tokenLoss must be true, false or 'auto'/.test(e.message));
  });
});

/**
 * The demo model's spike (block 1's MLP write at BOS) carries the prediction: zeroing it raises the mean
 * next-token loss on both built-in prompts (examples/). The numbers are documented in docs/METRICS.md.
 */
describe('ablating the demo model spike raises its loss (documented)', () => {
  const engine = new Engine();
  after(() => engine.dispose());
  const DOCUMENTED: Record<string, number> = { 'story.txt': 0.150, 'docs.prompt': 0.475 };
  for (const [file, rise] of Object.entries(DOCUMENTED)) {
    it(`${file}: mean loss +${rise} nats, matching the oracle before and after`, async () => {
      const h = await engine.load(DEMO_MODEL_DIR, { cache: { maxGB: 0 } });
      const r: AnalysisResult = await engine.analyze(h, readFileSync(join(PROJECT_ROOT, 'examples', file), 'utf8'), { ablate: 'auto' });
      const a = r.ablation;
      assert.ok(a?.loss);
      assert.deepEqual([a.target, a.blocks], ['mlp', [1]]);
      assert.ok(Math.abs((a.loss.meanDelta as number) - rise) < 0.005, `${file}: mean loss rose by ${a.loss.meanDelta}, documented ${rise}`);
      const ids = r.tokens.map((t) => t.id);
      assertClose(a.loss.before, oracleLoss(DEMO_MODEL_DIR, ids), TOL, 'before');
      assertClose(a.loss.after, oracleLoss(DEMO_MODEL_DIR, ids, { ablateMlp: [1] }), TOL, 'after');
    });
  }
});
