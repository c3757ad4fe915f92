import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ResultCache, resultKey } from '../../../src/extension/resultCache';
import { makeResult } from './makeResult';

describe('result cache', () => {
  it('the key is sha256 of text, model and options, independent of option key order', () => {
    const k = resultKey('hi', '/m', { tau: 0.3, maxTokens: 10 });
    const expected = createHash('sha256').update(JSON.stringify(['hi', '/m', { maxTokens: 10, tau: 0.3 }])).digest('hex');
    assert.equal(k, expected);
    assert.equal(resultKey('hi', '/m', { maxTokens: 10, tau: 0.3 }), k);
    assert.notEqual(resultKey('hi ', '/m', { tau: 0.3, maxTokens: 10 }), k);
    assert.notEqual(resultKey('hi', '/m2', { tau: 0.3, maxTokens: 10 }), k);
    assert.notEqual(resultKey('hi', '/m', { tau: 0.4, maxTokens: 10 }), k);
    assert.notEqual(resultKey('hi', '/m', { tau: 0.3, maxTokens: 10, entropy: { alpha: 2 } }), k);
  });

  it('evicts the least recently used entry', () => {
    const c = new ResultCache(2);
    const r = makeResult({ text: 'x', tokens: [], mass: [] });
    c.set('a', r);
    c.set('b', r);
    assert.equal(c.get('a'), r); // a is now the most recent
    c.set('c', r);
    assert.equal(c.peek('b'), undefined);
    assert.equal(c.peek('a'), r);
    assert.equal(c.peek('c'), r);
    assert.equal(c.size, 2);
  });
});
