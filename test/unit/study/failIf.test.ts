/**
 * The --fail-if grammar: what parses (and to what), what is refused (with a message that says why and
 * shows the syntax), and what each form means on a handful of prompt records.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateFailIf, FAIL_IF_METRICS, failIfHelp, parseFailIf } from '../../../src/engine/study/failIf';
import { record } from './helpers';

const recs = [
  record({ index: 0, entropy: [0.8, 0.5, 0.7], maxSinkRate: 0.95, maxBosRatio: 120, valleyLayer: 1, valleyDepth: 0.2 }),
  record({ index: 1, entropy: [0.8, 0.4, 0.7], maxSinkRate: 0.5, maxBosRatio: 12, valleyLayer: 1, valleyDepth: 0.3 }),
  record({ index: 2, entropy: [0.8, 0.7, 0.6], maxSinkRate: 0.25, maxBosRatio: 3 }),
  record({ index: 3, entropy: [0.9, 0.6, 0.8], maxSinkRate: 0.75, maxBosRatio: 40, valleyLayer: 1, valleyDepth: 0.2, spikeBlocks: [0] }),
];

describe('--fail-if grammar', () => {
  test('parses the four forms', () => {
    assert.deepEqual(parseFailIf('maxSinkRate > 0.9'), { kind: 'quant', source: 'maxSinkRate > 0.9', quant: 'any', metric: 'maxSinkRate', op: '>', value: 0.9 });
    assert.deepEqual(parseFailIf(' mean( valleyDepth )>=0.25 '), { kind: 'agg', source: ' mean( valleyDepth )>=0.25 ', agg: 'mean', metric: 'valleyDepth', op: '>=', value: 0.25 });
    assert.deepEqual(parseFailIf('all(maxBosRatio != 1e2)'), { kind: 'quant', source: 'all(maxBosRatio != 1e2)', quant: 'all', metric: 'maxBosRatio', op: '!=', value: 100 });
    assert.deepEqual(parseFailIf('fraction(valley == 1) < .5'), { kind: 'quant', source: 'fraction(valley == 1) < .5', quant: 'fraction', metric: 'valley', op: '==', value: 1, outer: { op: '<', value: 0.5 } });
    assert.equal(parseFailIf('min(minEntropy) <= -2').kind, 'agg');
  });

  const invalid: [string, RegExp][] = [
    ['', /the condition is empty/],
    ['maxSinkRat > 0.9', /unknown metric 'maxSinkRat' \(metrics: maxSinkRate,/],
    ['maxSinkRate => 0.9', /unexpected '=' at column 13/],
    ['maxSinkRate 0.9', /expected a comparison \(> >= < <= == !=\), got '0\.9'/],
    ['maxSinkRate >', /expected a number at the end/],
    ['maxSinkRate > high', /expected a number, got 'high'/],
    ['maxSinkRate > 0.9 extra', /unexpected 'extra' after the condition/],
    ['avg(maxSinkRate) > 1', /unknown function 'avg'/],
    ['mean(maxSinkRate > 1)', /expected '\)', got '>'/],
    ['any(maxSinkRate) > 1', /expected a comparison .*got '\)'/],
    ['fraction(valley == 1)', /expected a comparison .* at the end/],
    ['maxSinkRate > 0.9 ; rm', /unexpected ';' at column 19/],
  ];
  for (const [src, re] of invalid) {
    test(`refuses ${JSON.stringify(src)} with a clear message`, () => {
      assert.throws(
        () => parseFailIf(src),
        (e: unknown) => (e as { code?: string }).code === 'badRequest' && re.test((e as Error).message) && /conditions look like/.test((e as Error).message),
      );
    });
  }

  test('evaluates on the prompt records', () => {
    const ev = (s: string) => evaluateFailIf(parseFailIf(s), 'm', recs);
    const a = ev('maxSinkRate > 0.9');
    assert.equal(a.holds, true);
    assert.deepEqual(a.prompts, ['p1']);
    assert.equal(ev('maxSinkRate > 0.99').holds, false);
    assert.equal(ev('all(maxSinkRate >= 0.25)').holds, true);
    assert.equal(ev('all(maxSinkRate > 0.25)').holds, false);
    const mean = ev('mean(valleyDepth) > 0.17');
    assert.equal(mean.value, (0.2 + 0.3 + 0 + 0.2) / 4); // prompts without a valley count as depth 0
    assert.equal(mean.holds, true);
    assert.equal(ev('max(maxBosRatio) >= 120').holds, true);
    assert.equal(ev('median(maxBosRatio) == 26').value, 26); // (12 + 40) / 2
    assert.equal(ev('min(maxSinkRate) < 0.3').holds, true);
    const frac = ev('fraction(valley == 1) < 0.8');
    assert.equal(frac.value, 0.75);
    assert.equal(frac.holds, true);
    // valleyLayer exists only for prompts with a valley: the prompt without one is left out.
    assert.equal(ev('all(valleyLayer == 1)').holds, true);
    assert.equal(ev('any(spikes >= 1)').prompts.join(), 'p4');
    assert.equal(evaluateFailIf(parseFailIf('mean(valleyLayer) > 0'), 'm', [recs[2]!]).value, null);
  });

  test('the help lists every metric and the exit code', () => {
    const h = failIfHelp();
    for (const k of Object.keys(FAIL_IF_METRICS)) assert.match(h, new RegExp(`\\b${k}\\b`));
    assert.match(h, /exit 4/);
  });
});
