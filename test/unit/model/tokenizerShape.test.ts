/**
 * The structural check on tokenizer.json: every vocabulary id and merge rule is looked at (a bad one
 * anywhere is refused with its JSON path) and well-formed files pass in both merge formats.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTokenizerJson } from '../../../src/engine/model/tokenizerShape';
import { SinkLensError } from '../../../src/shared/errors';

/** A BPE tokenizer.json of n pieces (ids 0..n-1) and n - 1 merges in the given format. */
function bpe(n: number, mergeFormat: 'string' | 'pair'): { model: { type: string; vocab: Record<string, unknown>; merges: unknown[] } } {
  const vocab: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) vocab[`p${i}`] = i;
  const merges = Array.from({ length: n - 1 }, (_, i) => (mergeFormat === 'string' ? `p${i} p${i + 1}` : [`p${i}`, `p${i + 1}`]));
  return { model: { type: 'BPE', vocab, merges } };
}

function refusal(tj: unknown): string {
  try {
    checkTokenizerJson(tj, 'tokenizer.json');
  } catch (e) {
    assert.ok(SinkLensError.is(e) && e.code === 'badTokenizer', String(e));
    return e.message;
  }
  assert.fail('accepted');
}

describe('tokenizer.json shape check', () => {
  it('accepts both merge formats and ids up to 2^22 - 1', () => {
    checkTokenizerJson(bpe(100, 'string'), 'tokenizer.json');
    checkTokenizerJson(bpe(100, 'pair'), 'tokenizer.json');
    const big = bpe(3, 'pair');
    big.model.vocab['last'] = 2 ** 22 - 1;
    checkTokenizerJson(big, 'tokenizer.json');
  });

  it('refuses a bad id anywhere in the vocabulary, naming its piece', () => {
    for (const [bad, shown] of [[2 ** 31, '2147483648'], [2 ** 22, '4194304'], [-1, '-1'], [1.5, '1.5'], ['7', '"7"'], [null, 'null'], [NaN, 'null']] as const) {
      const tj = bpe(5000, 'pair');
      tj.model.vocab['p4321'] = bad;
      const msg = refusal(tj);
      assert.match(msg, /"model\.vocab"\["p4321"\]/, msg);
      assert.ok(msg.includes(`is ${shown}`), msg);
    }
  });

  it('refuses a malformed merge anywhere in the list, naming its index', () => {
    for (const bad of [3, ['a'], ['a', 'b', 'c'], ['a', 1], null, { a: 'b' }]) {
      const tj = bpe(5000, 'pair');
      tj.model.merges[3210] = bad;
      assert.match(refusal(tj), /"model\.merges"\[3210\] must be "a b" or \["a", "b"\]/);
    }
  });
});
