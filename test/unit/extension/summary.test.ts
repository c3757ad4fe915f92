import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summaryLine, summaryTooltip, valleyText } from '../../../src/extension/summary';
import { makeResult } from './makeResult';

describe('summary line', () => {
  it('formats sink rate, valley band and token count as in the issue', () => {
    const s = { tokens: 128, maxSinkRate: 0.7249, meanSinkMass: 0.4, valley: { start: 4, end: 9 }, spikeBlocks: [1], maxBosRatio: 40, chanceSinkScore: 0.04, informative: true, valleyCause: 'bos' as const, spikeWriter: null };
    assert.equal(summaryLine(s), 'SinkLens: sink 0.72 · valley h[4]–h[9] · 128 tok');
  });

  it('says "no valley" when there is none and collapses a one-layer band', () => {
    assert.equal(valleyText(null), 'no valley');
    assert.equal(valleyText({ start: 3, end: 3 }), 'valley h[3]');
    const s = { tokens: 5, maxSinkRate: 1, meanSinkMass: 0, valley: null, spikeBlocks: [], maxBosRatio: 1, chanceSinkScore: 0.43, informative: false, valleyCause: null, spikeWriter: null };
    assert.equal(summaryLine({ ...s, informative: true }), 'SinkLens: sink 1.00 · no valley · 5 tok');
    // Below 16 tokens the lens says the sink rate and phases mean nothing rather than print them.
    assert.equal(summaryLine(s), 'SinkLens: 5 tok · too short for sinks/phases');
  });

  it('the tooltip names the model, the spike and truncation', () => {
    const r = makeResult({ text: 'ab', tokens: [{ text: 'a', start: 0, end: 1 }], mass: [[0.5]], summary: { spikeBlocks: [1, 2], maxBosRatio: 12.34 } });
    r.settings.truncated = true;
    const t = summaryTooltip(r);
    assert.match(t, /^tiny \(llama, 1 layers, 2 heads\)/);
    assert.match(t, /spike at block 1 \(writes h\[2\]\), block 2 \(writes h\[3\]\); max BOS norm ratio 12\.3/);
    assert.match(t, /1 tokens \(truncated\), 4 ms/);
    assert.match(t, /a uniform head scores 0\.10/);
  });

  it('the tooltip names who writes the spike and a short prompt', () => {
    const r = makeResult({ text: 'ab', tokens: [{ text: 'a', start: 0, end: 1 }], mass: [[0.5]], summary: { spikeBlocks: [1], informative: false, spikeWriter: { block: 1, component: 'mlp', share: 0.968 } } });
    const t = summaryTooltip(r);
    assert.match(t, /spike at block 1 \(writes h\[2\]\) \(written by the MLP of block 1, 97%\)/);
    assert.match(t, /too short, sink rates and phases are not informative below 16 tokens/);
  });
});
