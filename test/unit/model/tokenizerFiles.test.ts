/**
 * tokenizer.json and tokenizer_config.json are read once per load, and BOS/EOS are resolved once
 * (by the config loader) from config.json, generation_config.json, then tokenizer_config.json.
 */
import assert from 'node:assert/strict';
import fs, { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { loadModelFiles } from '../../../src/engine/model/load';
import { specialTokenId, tokenizerFiles } from '../../../src/engine/model/tokenizerFiles';
import { SinkLensError } from '../../../src/shared/errors';
import { ARCH_SPECS, generateModel } from '../../support/genModel';

const root = mkdtempSync(join(tmpdir(), 'sinklens-tokfiles-'));
after(() => rmSync(root, { recursive: true, force: true }));

function spec(name: string) {
  const s = ARCH_SPECS.find((x) => x.name === name);
  assert.ok(s);
  return s;
}

/** Removes the BOS/EOS ids from config.json and drops generation_config.json, so only tokenizer_config.json names them. */
function onlyTokenizerConfigNamesSpecials(dir: string): void {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  delete c['bos_token_id'];
  delete c['eos_token_id'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  unlinkSync(join(dir, 'generation_config.json'));
}

describe('tokenizer files on load', () => {
  for (const name of ['llama-gqa-tied', 'gpt2-tied']) {
    it(`${name}: each tokenizer file is read once, and BOS comes from tokenizer_config.json`, async () => {
      const dir = join(root, name);
      const model = generateModel(dir, spec(name));
      onlyTokenizerConfigNamesSpecials(dir);
      const reads = new Map<string, number>();
      const real = fs.readFileSync;
      const spy = mock.method(fs, 'readFileSync', function (this: unknown, ...args: Parameters<typeof fs.readFileSync>) {
        const p = args[0];
        if (typeof p === 'string') reads.set(basename(p), (reads.get(basename(p)) ?? 0) + 1);
        return real.apply(this, args);
      });
      let files;
      try {
        files = await loadModelFiles(dir);
      } finally {
        spy.mock.restore();
      }
      try {
        assert.equal(reads.get('tokenizer.json'), 1);
        assert.equal(reads.get('tokenizer_config.json'), 1);
        assert.equal(files.config.bosTokenId, model.vocab.bosId);
        assert.equal(files.config.eosTokenId, model.vocab.eosId);
        assert.equal(files.tokenizer.bosTokenId, model.vocab.bosId, 'the tokenizer uses the config loader\'s BOS');
        const e = files.tokenizer.encode('hello', { prependBos: 'always' });
        assert.equal(e.ids[0], model.vocab.bosId);
      } finally {
        files.store.close();
      }
    });
  }

  it('a special token is found in added tokens, a vocabulary map or a Unigram list; unknown or unreadable gives null', () => {
    const dir = mkdtempSync(join(root, 'special-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ added_tokens: [{ id: 9, content: '<s>' }], model: { type: 'Unigram', vocab: [['<unk>', 0], ['</s>', 0], ['a', -1]] } }));
    const t = tokenizerFiles(dir);
    assert.equal(specialTokenId(t, '<s>'), 9);
    assert.equal(specialTokenId(t, { content: '</s>' }), 1);
    assert.equal(specialTokenId(t, 'nope'), null);
    assert.equal(specialTokenId(t, null), null);
    const bpe = mkdtempSync(join(root, 'bpe-'));
    writeFileSync(join(bpe, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab: { '<|endoftext|>': 50 } } }));
    assert.equal(specialTokenId(tokenizerFiles(bpe), '<|endoftext|>'), 50);
    assert.equal(specialTokenId(tokenizerFiles(join(root, 'none')), '<s>'), null);
  });

  it('a broken tokenizer.json fails the same way on every use', () => {
    const dir = mkdtempSync(join(root, 'broken-'));
    writeFileSync(join(dir, 'tokenizer.json'), '{ nope');
    const t = tokenizerFiles(dir);
    for (let i = 0; i < 2; i++) assert.throws(() => t.json(), (e: unknown) => SinkLensError.is(e, 'badTokenizer'));
    assert.throws(() => tokenizerFiles(join(root, 'absent')).json(), (e: unknown) => SinkLensError.is(e, 'missingTokenizer'));
    assert.deepEqual(tokenizerFiles(join(root, 'absent')).config(), {});
  });
});
