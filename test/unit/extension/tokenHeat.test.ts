import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heatLevel, heatSpans, meanTokenSinkMass, spansByLevel } from '../../../src/extension/tokenHeat';
import { assertClose } from '../../support/assertClose';
import { makeResult } from './makeResult';

// "Hello world" with a BOS token (empty range) and two word tokens; two layers of attention.
const text = 'Hello world';
const tokens = [
  { text: '<s>', start: 0, end: 0 },
  { text: 'Hello', start: 0, end: 5 },
  { text: ' world', start: 5, end: 11 },
];
const mass = [
  [1, 0.9, 0.1],
  [1, 0.5, 0.3],
];

describe('token heat', () => {
  it('averages tokenSinkMass over the layers that have attention', () => {
    const r = makeResult({ text, tokens, mass });
    assertClose(meanTokenSinkMass(r), [1, 0.7, 0.2], {}, 'mean sink mass');
  });

  it('maps token offsets through the section offset and skips tokens not in the text', () => {
    const r = makeResult({ text, tokens, mass });
    const spans = heatSpans(r, 100, 5);
    assert.deepEqual(
      spans.map(({ start, end, level }) => ({ start, end, level })),
      [
        { start: 100, end: 105, level: 3 },
        { start: 105, end: 111, level: 1 },
      ],
    );
    assertClose(spans.map((s) => s.value), [0.7, 0.2], {}, 'span values');
  });

  it('clips overlapping and out-of-text token ranges', () => {
    const r = makeResult({
      text: 'abc',
      tokens: [
        { text: 'ab', start: 0, end: 2 },
        { text: 'b', start: 1, end: 2 }, // byte-level piece sharing a character: no span of its own
        { text: 'c?', start: 2, end: 9 },
      ],
      mass: [[0.1, 0.2, 0.3]],
    });
    assert.deepEqual(
      heatSpans(r, 0, 4).map(({ start, end }) => [start, end]),
      [
        [0, 2],
        [2, 3],
      ],
    );
  });

  it('levels are an absolute scale clamped to [0, levels-1]', () => {
    assert.deepEqual(
      [0, 0.19, 0.2, 0.5, 0.99, 1, 1.5, -1, NaN].map((v) => heatLevel(v, 5)),
      [0, 0, 1, 2, 4, 4, 4, 0, 0],
    );
    const r = makeResult({ text, tokens, mass });
    const by = spansByLevel(heatSpans(r, 0, 5), 5);
    assert.deepEqual(
      by.map((l) => l.length),
      [0, 1, 0, 1, 0],
    );
  });

  it('a result without attention layers gives zero heat', () => {
    const r = makeResult({ text, tokens, mass: [] });
    assert.deepEqual(meanTokenSinkMass(r), [0, 0, 0]);
  });
});
