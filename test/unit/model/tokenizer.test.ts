import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SinkLensError } from '../../../src/shared/errors';
import type { TokenInfo } from '../../../src/shared/result';
import { getAdapter } from '../../../src/engine/arch/registry';
import { loadConfig } from '../../../src/engine/model/config';
import { loadTokenizer, type PromptTokenizer } from '../../../src/engine/model/tokenizer';
import { requireFixture } from '../../support/fixtures';
import { GPT2 } from '../arch/configs';

const tmp: string[] = [];
after(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Non-empty spans tile the text in order; tokens that cover whole characters slice back to their text. */
function assertOffsets(text: string, tokens: TokenInfo[]): void {
  let cursor = 0;
  tokens.forEach((t, i) => {
    assert.equal(t.index, i);
    assert.ok(t.start <= t.end, `token ${i} start ${t.start} > end ${t.end}`);
    if (t.start === t.end) {
      assert.ok(t.start === cursor || t.start === 0, `zero-width token ${i} at ${t.start}, cursor ${cursor}`);
      return;
    }
    assert.equal(t.start, cursor, `token ${i} (${JSON.stringify(t.text)}) starts at ${t.start}, expected ${cursor}`);
    if (!t.text.includes('<0x')) assert.equal(text.slice(t.start, t.end), t.text, `token ${i} slice`);
    cursor = t.end;
  });
  assert.equal(cursor, text.length, 'tokens cover the whole text');
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return SinkLensError.is(e) ? e.code : `not a SinkLensError: ${String(e)}`;
  }
  return 'no error';
};

describe('tokenizer on stories260k (Llama SentencePiece BPE, byte fallback)', () => {
  let tok: PromptTokenizer | null = null;
  const get = async (t: Parameters<typeof requireFixture>[0]): Promise<PromptTokenizer | null> => {
    const dir = requireFixture(t, 'stories260k');
    if (!dir) return null;
    tok ??= await loadTokenizer(dir, loadConfig(dir));
    return tok;
  };

  it('matches expected.json token ids (BOS + text) and offsets slice the prompt', async (t) => {
    const tk = await get(t);
    if (!tk) return;
    const exp = JSON.parse(readFileSync(join(requireFixture(t, 'stories260k')!, 'expected.json'), 'utf8')) as { prompts: Record<string, { text: string; tokenIds: number[] }> };
    assert.equal(Object.keys(exp.prompts).length, 3);
    for (const p of Object.values(exp.prompts)) {
      const e = tk.encode(p.text, { prependBos: 'auto' });
      assert.deepEqual(e.ids, p.tokenIds);
      assert.equal(e.bosPrepended, true);
      assert.equal(e.truncated, false);
      assert.deepEqual(e.warnings, []);
      assert.deepEqual(e.tokens[0], { index: 0, id: 1, text: '<s>', start: 0, end: 0, special: true });
      assertOffsets(p.text, e.tokens);
      assert.ok(e.tokens.slice(1).every((x) => !x.special && x.end > x.start));
      assert.equal(tk.decode(e.ids.slice(1)), p.text);
      assert.deepEqual(tk.encode(p.text, { prependBos: 'always' }).ids, p.tokenIds);
    }
  });

  it('BOS policies and truncation', async (t) => {
    const tk = await get(t);
    if (!tk) return;
    const text = 'Once upon a time, there was a cat.';
    const auto = tk.encode(text, { prependBos: 'auto' });
    const never = tk.encode(text, { prependBos: 'never' });
    assert.deepEqual(never.ids, auto.ids.slice(1));
    assert.equal(never.bosPrepended, false);
    assert.deepEqual(never.warnings.map((w) => w.code), ['noBos']);
    assert.equal(never.tokens[0]?.index, 0);
    const cut = tk.encode(text, { prependBos: 'auto', maxTokens: 4 });
    assert.deepEqual(cut.ids, auto.ids.slice(0, 4));
    assert.equal(cut.truncated, true);
    assert.deepEqual(cut.warnings.map((w) => w.code), ['truncated']);
    // A BOS typed at the start is not doubled by 'always'.
    const typed = tk.encode('<s>Once upon', { prependBos: 'always' });
    assert.deepEqual(typed.ids.slice(0, 2), [1, 403]);
    assert.equal(typed.bosPrepended, true);
    assert.deepEqual({ start: typed.tokens[0]!.start, end: typed.tokens[0]!.end, special: typed.tokens[0]!.special }, { start: 0, end: 3, special: true });
    assert.equal(codeOf(() => tk.encode('', { prependBos: 'auto' })), 'emptyPrompt');
    assert.equal(codeOf(() => tk.encode(' \n\t ', { prependBos: 'auto' })), 'emptyPrompt');
  });

  it('exact UTF-16 offsets for byte-fallback pieces, emoji and non-ASCII', async (t) => {
    const tk = await get(t);
    if (!tk) return;
    const text = ' hi  there 😀 é, naïve 日本';
    const e = tk.encode(text, { prependBos: 'auto' });
    assertOffsets(text, e.tokens);
    assert.equal(tk.decode(e.ids.slice(1)), text);
    // The emoji is 4 byte-fallback tokens: the first spans its 2 UTF-16 units, the rest are zero-width.
    const emoji = e.tokens.filter((x) => /^<0x/.test(x.text));
    assert.ok(emoji.length >= 4);
    const at = text.indexOf('😀');
    assert.deepEqual(emoji.slice(0, 4).map((x) => [x.text, x.start, x.end]), [
      ['<0xF0>', at, at + 2],
      ['<0x9F>', at + 2, at + 2],
      ['<0x98>', at + 2, at + 2],
      ['<0x80>', at + 2, at + 2],
    ]);
    assert.equal(tk.tokenText(1), '<s>');
    assert.equal(tk.tokenText(403), ' Once');
  });
});

describe('tokenizer with a Metaspace pre-tokenizer (newer Llama / Mistral tokenizer.json)', () => {
  it('gives the same ids and offsets as the legacy Prepend normalizer', async (t) => {
    const src = requireFixture(t, 'stories260k');
    if (!src) return;
    const dir = mkdtempSync(join(tmpdir(), 'sinklens-meta-'));
    tmp.push(dir);
    const tj = JSON.parse(readFileSync(join(src, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    tj['normalizer'] = null;
    tj['pre_tokenizer'] = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false };
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tj));
    writeFileSync(join(dir, 'tokenizer_config.json'), readFileSync(join(src, 'tokenizer_config.json')));
    const cfg = loadConfig(src);
    const legacy = await loadTokenizer(src, cfg);
    const meta = await loadTokenizer(dir, cfg);
    const text = 'Once upon a time, there was a cat. 😀 é';
    const a = legacy.encode(text, { prependBos: 'auto' });
    const b = meta.encode(text, { prependBos: 'auto' });
    assert.deepEqual(b.ids, a.ids);
    assert.deepEqual(b.tokens, a.tokens);
    // Metaspace does not add its prefix when the text already starts with a space (unlike the
    // legacy normaliser), so the ids differ there; the offsets must be exact either way.
    const spaced = ' two  spaces and 😀 é';
    const m = meta.encode(spaced, { prependBos: 'auto' });
    assert.deepEqual(m.ids.slice(0, 2), [1, 259]); // '▁t', with no dummy '▁' token before it
    assertOffsets(spaced, m.tokens);
    assertOffsets(spaced, legacy.encode(spaced, { prependBos: 'auto' }).tokens);
  });
});

/** GPT-2's bytes_to_unicode (the printable stand-in of each byte), written out for the test. */
function byteChar(b: number): string {
  const printable = (x: number): boolean => (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255);
  if (printable(b)) return String.fromCharCode(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!printable(x)) n++;
  return String.fromCharCode(256 + n);
}

function writeByteLevelTokenizer(withBosTemplate: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'sinklens-tok-'));
  tmp.push(dir);
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[byteChar(b)] = b;
  vocab['Ġw'] = 256;
  vocab['<|endoftext|>'] = 257;
  vocab['<|bos|>'] = 258;
  const json = {
    version: '1.0',
    added_tokens: [257, 258].map((id) => ({ id, content: id === 257 ? '<|endoftext|>' : '<|bos|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: withBosTemplate
      ? { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|bos|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: { '<|bos|>': { id: '<|bos|>', ids: [258], tokens: ['<|bos|>'] } } }
      : { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: ['Ġ w'] },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', add_prefix_space: false }));
  return dir;
}

describe('tokenizer on a byte-level BPE (GPT-2 style)', () => {
  const cfg = getAdapter('gpt2').normalizeConfig({ ...GPT2, vocab_size: 259, bos_token_id: 257, eos_token_id: 257 }, 'tiny');

  it("'auto' prepends the model BOS when the tokenizer adds none; offsets are exact", async () => {
    const tk = await loadTokenizer(writeByteLevelTokenizer(false), cfg);
    const text = 'a😀 wé';
    const e = tk.encode(text, { prependBos: 'auto' });
    // a | F0 9F 98 80 | Ġw (merged) | C3 A9
    assert.deepEqual(e.ids, [257, 97, 0xf0, 0x9f, 0x98, 0x80, 256, 0xc3, 0xa9]);
    assert.equal(e.bosPrepended, true);
    assert.deepEqual(e.tokens.map((x) => [x.start, x.end]), [[0, 0], [0, 1], [1, 3], [3, 3], [3, 3], [3, 3], [3, 5], [5, 6], [6, 6]]);
    assert.deepEqual(e.tokens.map((x) => x.text), ['<|endoftext|>', 'a', '<0xF0>', '<0x9F>', '<0x98>', '<0x80>', ' w', '<0xC3>', '<0xA9>']);
    assert.deepEqual(e.tokens.map((x) => x.special), [true, false, false, false, false, false, false, false, false]);
    assertOffsets(text, e.tokens);
    assert.equal(tk.decode(e.ids.slice(1)), text);
    assert.equal(tk.tokenText(256), ' w');
    assert.equal(tk.bosTokenId, 257);
  });

  it("'auto' keeps a post-processor BOS (Llama 3 style) instead of adding the model's", async () => {
    const tk = await loadTokenizer(writeByteLevelTokenizer(true), cfg);
    const e = tk.encode('ab', { prependBos: 'auto' });
    assert.deepEqual(e.ids, [258, 97, 98]);
    assert.deepEqual(tk.encode('ab', { prependBos: 'always' }).ids, [257, 97, 98]);
    assert.deepEqual(tk.encode('ab', { prependBos: 'never' }).ids, [97, 98]);
  });

  it('a special token typed in the text keeps its span', async () => {
    const tk = await loadTokenizer(writeByteLevelTokenizer(false), cfg);
    const text = 'a<|endoftext|>b';
    const e = tk.encode(text, { prependBos: 'never' });
    assert.deepEqual(e.ids, [97, 257, 98]);
    assert.deepEqual(e.tokens.map((x) => [x.start, x.end, x.special]), [[0, 1, false], [1, 14, true], [14, 15, false]]);
  });
});

describe('tokenizer on WordPiece with a Whitespace pre-tokenizer', () => {
  it('skips the whitespace the pre-tokenizer drops and strips ##', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinklens-wp-'));
    tmp.push(dir);
    const vocab = Object.fromEntries(['[UNK]', '<s>', 'the', 'cat', 'sat', '##s', '.'].map((t, i) => [t, i]));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({
      version: '1.0',
      added_tokens: [{ id: 0, content: '[UNK]', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }, { id: 1, content: '<s>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }],
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    }));
    const cfg = getAdapter('llama').normalizeConfig({ model_type: 'llama', hidden_size: 4, num_attention_heads: 1, num_hidden_layers: 1, intermediate_size: 4, vocab_size: 7, bos_token_id: 1 }, 'wp');
    const tk = await loadTokenizer(dir, cfg);
    const text = 'the  cats\nsat.';
    const e = tk.encode(text, { prependBos: 'auto' });
    assert.deepEqual(e.ids, [1, 2, 3, 5, 4, 6]);
    assert.deepEqual(e.tokens.map((x) => [x.text, x.start, x.end]), [['<s>', 0, 0], ['the', 0, 3], ['cat', 5, 8], ['s', 8, 9], ['sat', 10, 13], ['.', 13, 14]]);
  });
});

describe('tokenizer errors', () => {
  it('missing tokenizer.json is missingTokenizer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinklens-notok-'));
    tmp.push(dir);
    const cfg = getAdapter('gpt2').normalizeConfig(GPT2, 'x');
    await assert.rejects(loadTokenizer(dir, cfg), (e: unknown) => SinkLensError.is(e, 'missingTokenizer') && e.message.includes(dir));
  });
});
