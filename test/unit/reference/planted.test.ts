/**
 * The planted model does what generatePlantedModel promises, measured with the oracle and the
 * metrics.md definitions: a BOS spike at h[k+1], sinks in every later block, an entropy valley,
 * and all three gone when block k's MLP write at position 0 is zeroed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { generatePlantedModel, samplePrompt } from '../../support/genModel';
import { forwardModel, loadRefModel, refMetrics, type RefResult } from '../../support/reference';

const root = mkdtempSync(join(tmpdir(), 'sinklens-planted-'));
after(() => rmSync(root, { recursive: true, force: true }));

function rowNorm(r: RefResult, layer: number, t: number, minus?: RefResult, minusLayer = layer): number {
  let s = 0;
  for (let j = 0; j < r.d; j++) {
    const a = r.hidden[(layer * r.T + t) * r.d + j] as number;
    const b = minus ? (minus.hidden[(minusLayer * r.T + t) * r.d + j] as number) : 0;
    s += (a - b) ** 2;
  }
  return Math.sqrt(s);
}

const CASES = [
  { spikeBlock: 1, layers: 4, seed: 1, words: 24 },
  { spikeBlock: 2, layers: 5, seed: 2, words: 40 },
  { spikeBlock: 0, layers: 3, seed: 3, words: 16 },
];

for (const c of CASES) {
  test(`planted spike in block ${c.spikeBlock} of ${c.layers} (seed ${c.seed}): spike, sinks and valley, all removed by ablation`, () => {
    const k = c.spikeBlock;
    const m = generatePlantedModel(join(root, `k${k}-s${c.seed}`), c);
    const tok = new Tokenizer(JSON.parse(readFileSync(join(m.dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>, {});
    const ids = tok.encode(samplePrompt(m, c.words, c.seed)).ids;
    assert.equal(ids[0], m.vocab.bosId, 'the prompt starts with BOS');
    const model = loadRefModel(m.dir);
    const base = forwardModel(model, ids);
    const abl = forwardModel(model, ids, { ablateMlp: [k] });
    const mb = refMetrics(base);
    const ma = refMetrics(abl);
    const L = c.layers;

    // Massive activation: block k's MLP write at BOS dwarfs every other token's whole block-k update.
    const write = rowNorm(base, k + 1, 0, abl);
    const otherUpdates = Array.from({ length: base.T - 1 }, (_, i) => rowNorm(base, k + 1, i + 1, base, k));
    assert.ok(write >= 100 * Math.max(...otherUpdates), `write ${write} vs other updates ${Math.max(...otherUpdates)}`);
    assert.ok(mb[k + 1]!.bosRatio >= 50 && mb[k + 1]!.bosRatio >= 20 * mb[k]!.bosRatio, `BOS ratio ${mb[k]!.bosRatio} -> ${mb[k + 1]!.bosRatio}`);
    for (let l = 0; l <= k; l++) assert.ok(mb[l]!.bosRatio < 3, `no spike before block ${k}: h[${l}] ratio ${mb[l]!.bosRatio}`);
    for (let l = 0; l <= L; l++) assert.ok(ma[l]!.bosRatio < 3, `ablated h[${l}] ratio ${ma[l]!.bosRatio}`);

    // Sinks: layer l's sink rate is block l-1's; blocks after k sink, blocks up to k and the ablated run do not.
    for (let l = 1; l <= L; l++) {
      const block = l - 1;
      if (block > k) assert.ok(mb[l]!.sinkRate! >= 0.8, `block ${block} sink rate ${mb[l]!.sinkRate}`);
      else assert.ok(mb[l]!.sinkRate! <= 0.25, `block ${block} (before the spike) sink rate ${mb[l]!.sinkRate}`);
      assert.ok(ma[l]!.sinkRate! <= 0.25, `ablated block ${block} sink rate ${ma[l]!.sinkRate}`);
    }

    // Compression valley: entropy collapses from h[k+1] on and recovers at h[L], where the last block's
    // MLP cancels the spike (when two or more blocks follow it); the ablated run stays near the pre-spike level.
    const before = Math.min(...mb.slice(0, k + 1).map((x) => x.entropy));
    const recovers = L - k >= 3;
    if (recovers) {
      assert.ok(mb[L]!.entropy >= before - 0.1, `h[${L}] recovers: ${mb[L]!.entropy} vs pre-spike ${before}`);
      assert.ok(mb[L]!.bosRatio < 3, `h[${L}] spike cancelled: ratio ${mb[L]!.bosRatio}`);
    }
    for (let l = k + 1; l <= (recovers ? L - 1 : L); l++) {
      assert.ok(mb[l]!.entropy <= 0.5 * before, `h[${l}] entropy ${mb[l]!.entropy} vs pre-spike ${before}`);
      assert.ok(ma[l]!.entropy >= mb[l]!.entropy + 0.3 && ma[l]!.entropy >= before - 0.25, `ablated h[${l}] entropy ${ma[l]!.entropy}`);
      assert.ok(mb[l]!.anisotropy > 0.9, `h[${l}] p1 ${mb[l]!.anisotropy}`);
    }
    // Ablation is local: nothing before block k's output changes.
    for (let l = 0; l <= k; l++) assert.equal(rowNorm(base, l, 0, abl), 0);
  });
}

test('the planted model is deterministic in its seed and differs across seeds', () => {
  const a = generatePlantedModel(join(root, 'det-a'), { spikeBlock: 1, layers: 3, seed: 5 });
  const b = generatePlantedModel(join(root, 'det-b'), { spikeBlock: 1, layers: 3, seed: 5 });
  const c = generatePlantedModel(join(root, 'det-c'), { spikeBlock: 1, layers: 3, seed: 6 });
  const file = (d: string): Buffer => readFileSync(join(d, 'model.safetensors'));
  assert.ok(file(a.dir).equals(file(b.dir)));
  assert.ok(!file(a.dir).equals(file(c.dir)));
  assert.throws(() => generatePlantedModel(join(root, 'bad'), { spikeBlock: 2, layers: 3, seed: 1 }), /after the spike block/);
});
