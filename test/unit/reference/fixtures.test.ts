/**
 * Proves the oracle: on the two real checkpoints it reproduces expected.json (computed by a
 * separate float64 reference) and stories260k's greedy sample from BOS.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertClose } from '../../support/assertClose';
import { requireFixture } from '../../support/fixtures';
import { forwardModel, loadRefModel, refMetrics, type RefLayerMetrics, type RefResult } from '../../support/reference';

interface ExpectedLayer {
  layer: number;
  [metric: string]: number | number[] | null;
}
interface ExpectedPrompt {
  tokenIds: number[];
  layers: ExpectedLayer[];
  ablatedLayers?: ExpectedLayer[];
  lastTop5: [number, number][];
}
interface Expected {
  prompts: Record<string, ExpectedPrompt>;
}

/** The metrics both sides define; the bounds (anisotropyLowerBound, entropyUpperBound) are the metrics helper's business. */
const COMPARED = ['bosNorm', 'medianOtherNorm', 'bosRatio', 'entropy', 'anisotropy', 'headSinkScores', 'sinkRate'] as const;

function compareLayers(got: RefLayerMetrics[], want: ExpectedLayer[], what: string): void {
  assert.equal(got.length, want.length, `${what}: layer count`);
  for (const w of want) {
    const g = got[w.layer] as unknown as Record<string, number | number[] | undefined>;
    let compared = 0;
    for (const key of COMPARED) {
      const e = w[key];
      if (e === undefined || e === null) continue;
      const a = g[key];
      assert.ok(a !== undefined, `${what} layer ${w.layer}: reference lacks ${key}`);
      assertClose(a, e, { rtol: 1e-7, atol: 1e-10 }, `${what} layer ${w.layer} ${key}`);
      compared++;
    }
    assert.ok(compared >= 4, `${what} layer ${w.layer}: only ${compared} metrics compared`);
  }
}

function checkTop5(r: RefResult, top5: [number, number][], what: string): void {
  const last = r.logits.subarray((r.T - 1) * r.vocab, r.T * r.vocab);
  const order = Array.from(last.keys()).sort((a, b) => (last[b] as number) - (last[a] as number));
  assert.deepEqual(order.slice(0, 5), top5.map(([id]) => id), `${what}: top-5 ids`);
  assertClose(top5.map(([id]) => last[id] as number), top5.map(([, v]) => v), { rtol: 1e-7, atol: 1e-10 }, `${what}: top-5 logits`);
}

for (const name of ['stories260k', 'sinklens-tiny']) {
  test(`reference reproduces ${name}/expected.json (baseline, and ablation where given)`, (t) => {
    const dir = requireFixture(t, name);
    if (!dir) return;
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const model = loadRefModel(dir);
    const ablationBlock = 1; // expected.json: "MLP output at position 0 zeroed in block index 1".
    const prompts = Object.entries(expected.prompts);
    assert.ok(prompts.length >= 3);
    for (const [pname, p] of prompts) {
      const r = forwardModel(model, p.tokenIds);
      compareLayers(refMetrics(r), p.layers, `${name}/${pname}`);
      checkTop5(r, p.lastTop5, `${name}/${pname}`);
      if (p.ablatedLayers) {
        const ra = forwardModel(model, p.tokenIds, { ablateMlp: [ablationBlock] });
        compareLayers(refMetrics(ra), p.ablatedLayers, `${name}/${pname} ablated`);
      }
    }
    if (name === 'sinklens-tiny') assert.ok(prompts.every(([, p]) => p.ablatedLayers), 'sinklens-tiny carries ablated layers');
  });
}

/** sentencepiece-style decoding from the tokenizer.json vocab: '▁' -> ' ', <0xNN> byte fallback, strip one leading space. */
function decode(ids: number[], vocab: Record<string, number>): string {
  const byId: string[] = [];
  for (const [tok, id] of Object.entries(vocab)) byId[id] = tok;
  const bytes: number[] = [];
  for (const id of ids) {
    const tok = byId[id]!;
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(tok);
    if (m) bytes.push(parseInt(m[1]!, 16));
    else bytes.push(...Buffer.from(tok.replace(/▁/g, ' '), 'utf8'));
  }
  const text = Buffer.from(bytes).toString('utf8');
  return text.startsWith(' ') ? text.slice(1) : text;
}

test('greedy decoding from BOS on stories260k reproduces the start of greedy_from_bos.txt', (t) => {
  const dir = requireFixture(t, 'stories260k');
  if (!dir) return;
  const model = loadRefModel(dir);
  const vocab = (JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  const ids = [1];
  for (let step = 0; step < 60; step++) {
    const r = forwardModel(model, ids);
    const last = r.logits.subarray((r.T - 1) * r.vocab);
    let best = 0;
    for (let v = 1; v < r.vocab; v++) if ((last[v] as number) > (last[best] as number)) best = v;
    ids.push(best);
  }
  const text = decode(ids.slice(1), vocab);
  const want = readFileSync(join(dir, 'greedy_from_bos.txt'), 'utf8');
  assert.ok(text.length > 150, `decoded only ${text.length} chars`);
  assert.equal(text, want.slice(0, text.length));
});
