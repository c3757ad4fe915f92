import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mixQueries } from '../../../src/engine/graph/runner';
import { chanceSinkScore, headsAtChance, MIN_INFORMATIVE_TOKENS } from '../../../src/engine/metrics/chance';
import { DEFAULT_TAU } from '../../../src/engine/metrics/sinks';

test('u(T): the sink score of a uniform causal head; >= tau up to T = 5, informative only from 16 tokens', () => {
  assert.equal(chanceSinkScore(1), 0);
  assert.equal(chanceSinkScore(2), 1 / 2);
  assert.ok(Math.abs(chanceSinkScore(4) - (1 / 2 + 1 / 3 + 1 / 4) / 3) < 1e-15);
  assert.ok(Math.abs(chanceSinkScore(3, true) - (1 + 1 / 2 + 1 / 3) / 3) < 1e-15, 'includeFirstQuery scores query 0 too');
  assert.ok(chanceSinkScore(5) >= DEFAULT_TAU && chanceSinkScore(6) < DEFAULT_TAU);
  assert.ok(chanceSinkScore(MIN_INFORMATIVE_TOKENS) < DEFAULT_TAU / 2 + 0.01);
  // A uniform head's score equals u(T) exactly: mean over i of the 1/(i+1) it puts on key 0.
  const T = 40;
  const uniform = Array.from({ length: T - 1 }, (_, k) => 1 / (k + 2));
  assert.ok(Math.abs(uniform.reduce((a, x) => a + x, 0) / (T - 1) - chanceSinkScore(T)) < 1e-15);
});

test('headsAtChance: within a factor 2 of u', () => {
  assert.deepEqual(headsAtChance([0.05, 0.1, 0.2, 0.4, 0.41, 0.9], 0.2), [1, 2, 3]);
  assert.deepEqual(headsAtChance([0, 0.5], 0), []);
});

test('mixQueries: every query up to the cap, else evenly spaced with both ends', () => {
  assert.deepEqual(mixQueries(1), []);
  assert.deepEqual(mixQueries(5), [1, 2, 3, 4]);
  assert.deepEqual(mixQueries(129).length, 128);
  const s = mixQueries(1024);
  assert.equal(s.length, 128);
  assert.deepEqual([s[0], s[s.length - 1]], [1, 1023]);
  assert.ok(s.every((q, i) => i === 0 || q > s[i - 1]!), 'strictly increasing');
  assert.deepEqual(mixQueries(24, 5), [1, 7, 12, 18, 23]);
  assert.deepEqual(mixQueries(10, 1), [9]);
});
