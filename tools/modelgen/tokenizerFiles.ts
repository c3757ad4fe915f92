/**
 * A small but real tokenizer.json (WordPiece over whole words, Whitespace pre-tokenizer) that both
 * the Rust `tokenizers` and @huggingface/tokenizers load, plus tokenizer_config.json. Llama-like
 * families add BOS with a TemplateProcessing post-processor; GPT-2 and GPT-NeoX add nothing.
 */

const WORDS = (
  'the a an and of to in on at is was it he she they we you i my his her their ' +
  'cat dog bird tree park ball house sun sky day night time story boy girl mom dad friend ' +
  'little big red blue green happy sad old new good bad one two three many some ' +
  'said saw went ran played loved liked found made had wanted could would will can not ' +
  'very so then when there once upon with for from but what who why how this that ' +
  'model layer token attention sink norm value'
).split(' ');
const PUNCT = ['.', ',', '!', '?', '"', "'"];

export interface VocabLayout {
  /** tokens[id] */
  tokens: string[];
  bos: string;
  eos: string;
  unk: string;
  bosId: number;
  eosId: number;
  /** The specials, by id, that added_tokens declares. */
  specialIds: number[];
  /** Ordinary word tokens (no specials, no punctuation), for building prompts. */
  words: string[];
}

function fill(prefix: string[], suffix: string[], size: number): string[] {
  const body = [...PUNCT, ...WORDS];
  const n = size - prefix.length - suffix.length;
  if (n < 8) throw new Error(`vocab ${size} too small`);
  // Pad with synthetic words when the spec asks for a vocabulary larger than the word list.
  for (let i = 0; body.length < n; i++) body.push(`w${i}`);
  return [...prefix, ...body.slice(0, n), ...suffix];
}

/** Token layout in each family's dialect: llama-like <unk>,<s>,</s> first; GPT-2's <|endoftext|> last; NeoX's first. */
export function vocabLayout(family: string, size: number): VocabLayout {
  let tokens: string[];
  let bos: string;
  let eos: string;
  let unk: string;
  if (family === 'gpt2') {
    tokens = fill([], ['<|endoftext|>'], size);
    bos = eos = unk = '<|endoftext|>';
  } else if (family === 'gpt_neox') {
    tokens = fill(['<|endoftext|>', '<|padding|>'], [], size);
    bos = eos = unk = '<|endoftext|>';
  } else {
    tokens = fill(['<unk>', '<s>', '</s>'], [], size);
    bos = '<s>';
    eos = '</s>';
    unk = '<unk>';
  }
  const specialIds = tokens.flatMap((t, i) => (t.startsWith('<') && t.endsWith('>') ? [i] : []));
  const words = tokens.filter((t, i) => !specialIds.includes(i) && !PUNCT.includes(t));
  return { tokens, bos, eos, unk, bosId: tokens.indexOf(bos), eosId: tokens.indexOf(eos), specialIds, words };
}

export function tokenizerJson(v: VocabLayout, addBos: boolean): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  v.tokens.forEach((t, i) => (vocab[t] = i));
  const special = (id: string): unknown => ({ SpecialToken: { id, type_id: 0 } });
  const seq = (id: string, typeId: number): unknown => ({ Sequence: { id, type_id: typeId } });
  const postProcessor = addBos
    ? {
        type: 'TemplateProcessing',
        single: [special(v.bos), seq('A', 0)],
        pair: [special(v.bos), seq('A', 0), { SpecialToken: { id: v.bos, type_id: 1 } }, seq('B', 1)],
        special_tokens: { [v.bos]: { id: v.bos, ids: [v.bosId], tokens: [v.bos] } },
      }
    : null;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: v.specialIds.map((id) => ({
      id,
      content: v.tokens[id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: postProcessor,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: v.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

export function tokenizerConfigJson(v: VocabLayout, addBos: boolean, maxLen: number): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: v.bos,
    eos_token: v.eos,
    unk_token: v.unk,
    pad_token: null,
    add_bos_token: addBos,
    add_eos_token: false,
    model_max_length: maxLen,
    clean_up_tokenization_spaces: true,
  };
}
