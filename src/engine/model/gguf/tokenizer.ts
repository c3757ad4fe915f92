/**
 * The GGUF vocabulary (`tokenizer.ggml.*`) → a tokenizer.json object for @huggingface/tokenizers,
 * and a tokenizer_config.json equivalent (special tokens, `add_bos_token`, `chat_template`):
 * - `llama` (SentencePiece BPE): tokens + scores + types become the Hugging Face Llama layout —
 *   BPE with byte fallback, `▁` for spaces, a dummy prefix unless `add_space_prefix` is false.
 *   The merges are derived from the scores as transformers' SentencePiece converter does: every
 *   split of a piece into two vocabulary pieces, ordered by the merged piece's score.
 * - `gpt2` (byte-level BPE): tokens and merges as stored; the pre-tokenizer regex is chosen by
 *   `tokenizer.ggml.pre` (gpt2, llama-bpe, qwen2, gpt-4o; others fall back to GPT-2's).
 * Token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
 */
import { basename } from 'node:path';
import { SinkLensError } from '../../../shared/errors';
import type { JsonObject } from '../jsonFile';
import type { TokenizerJson } from '../tokenizerFiles';
import { metaNum, metaStr, type GgufFile, type GgufValue } from './reader';

const T_NORMAL = 1;
const T_UNKNOWN = 2;
const T_CONTROL = 3;
const T_USER = 4;

const LLAMA3_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** o200k (GPT-4o; Phi-4-mini's tokenizer): case-aware letter runs with the contraction as a suffix. */
const GPT4O_REGEX =
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** `tokenizer.ggml.pre` → the split regex before byte-level mapping (none = GPT-2's own). */
const PRE_REGEX: Readonly<Record<string, string>> = { 'llama-bpe': LLAMA3_REGEX, llama3: LLAMA3_REGEX, 'smaug-bpe': LLAMA3_REGEX, qwen2: QWEN2_REGEX, 'gpt-4o': GPT4O_REGEX };

export interface GgufTokenizer {
  json: TokenizerJson & Record<string, unknown>;
  config: JsonObject;
}

interface Vocab {
  tokens: string[];
  types: number[];
  bos: number | undefined;
  eos: number | undefined;
  unk: number | undefined;
  addBos: boolean;
  addEos: boolean;
}

function bad(f: GgufFile, what: string): SinkLensError {
  return new SinkLensError('badTokenizer', `${basename(f.path)}: ${what}.`, `File: ${f.path}.`);
}

function strings(f: GgufFile, key: string): string[] {
  const v = f.metadata.get(key);
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(f, `GGUF metadata ${key} is missing or not a list of strings`);
  return v as string[];
}

function numbers(f: GgufFile, key: string, n: number, fill: number): number[] {
  const v = f.metadata.get(key) as GgufValue[] | undefined;
  if (v === undefined) return new Array<number>(n).fill(fill);
  if (!Array.isArray(v) || v.length !== n) throw bad(f, `GGUF metadata ${key} does not have one number per token`);
  return v.map(Number);
}

function readVocab(f: GgufFile, addBosDefault: boolean): Vocab {
  const m = f.metadata;
  const tokens = strings(f, 'tokenizer.ggml.tokens');
  const bool = (k: string, d: boolean) => (typeof m.get(k) === 'boolean' ? (m.get(k) as boolean) : d);
  return {
    tokens,
    types: numbers(f, 'tokenizer.ggml.token_type', tokens.length, T_NORMAL),
    bos: metaNum(m, 'tokenizer.ggml.bos_token_id'),
    eos: metaNum(m, 'tokenizer.ggml.eos_token_id'),
    unk: metaNum(m, 'tokenizer.ggml.unknown_token_id'),
    addBos: bool('tokenizer.ggml.add_bos_token', addBosDefault),
    addEos: bool('tokenizer.ggml.add_eos_token', false),
  };
}

type AddedToken = { id: number; content: string; special: boolean } & JsonObject;

function addedTokens(v: Vocab): AddedToken[] {
  const out: AddedToken[] = [];
  v.types.forEach((t, id) => {
    if (t === T_CONTROL || t === T_UNKNOWN || t === T_USER) {
      out.push({ id, content: v.tokens[id] as string, single_word: false, lstrip: false, rstrip: false, normalized: false, special: t !== T_USER });
    }
  });
  return out;
}

/** BOS (and EOS) around a single sequence, as the Hugging Face template post-processor writes it. */
function postProcessor(v: Vocab): JsonObject | null {
  const ends = (which: 'bos' | 'eos') => {
    const id = which === 'bos' ? v.bos : v.eos;
    const on = which === 'bos' ? v.addBos : v.addEos;
    return on && id !== undefined ? [{ id, text: v.tokens[id] as string }] : [];
  };
  const pre = ends('bos');
  const post = ends('eos');
  if (pre.length + post.length === 0) return null;
  const special = (t: { text: string }, typeId: number) => ({ SpecialToken: { id: t.text, type_id: typeId } });
  const seq = (id: string, typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const all = [...pre, ...post];
  return {
    type: 'TemplateProcessing',
    single: [...pre.map((t) => special(t, 0)), seq('A', 0), ...post.map((t) => special(t, 0))],
    pair: [...pre.map((t) => special(t, 0)), seq('A', 0), ...post.map((t) => special(t, 0)), ...pre.map((t) => special(t, 1)), seq('B', 1), ...post.map((t) => special(t, 1))],
    special_tokens: Object.fromEntries(all.map((t) => [t.text, { id: t.text, ids: [t.id], tokens: [t.text] }])),
  };
}

/** transformers' SentencePieceExtractor: merges from the vocabulary, by the merged piece's score. */
export function merges(tokens: readonly string[], types: readonly number[], scores: readonly number[]): [string, string][] {
  const id = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (types[i] === T_NORMAL && !id.has(t)) id.set(t, i);
  });
  const all: { l: string; r: string; score: number; order: number }[] = [];
  tokens.forEach((piece, i) => {
    if (types[i] !== T_NORMAL) return;
    const chars = [...piece];
    const local: { l: string; r: string }[] = [];
    for (let k = 1; k < chars.length; k++) {
      const l = chars.slice(0, k).join('');
      const r = chars.slice(k).join('');
      if (id.has(l) && id.has(r)) local.push({ l, r });
    }
    local.sort((a, b) => (id.get(a.l) as number) - (id.get(b.l) as number) || (id.get(a.r) as number) - (id.get(b.r) as number));
    for (const x of local) all.push({ ...x, score: scores[i] as number, order: all.length });
  });
  all.sort((a, b) => b.score - a.score || a.order - b.order);
  return all.map((x) => [x.l, x.r]);
}

function vocabMap(tokens: readonly string[]): Record<string, number> {
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    if (!(t in vocab)) vocab[t] = i;
  });
  return vocab;
}

function sentencePiece(f: GgufFile): GgufTokenizer {
  const v = readVocab(f, true);
  const scores = numbers(f, 'tokenizer.ggml.scores', v.tokens.length, 0);
  const prefix = f.metadata.get('tokenizer.ggml.add_space_prefix') !== false;
  const replace = { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' };
  const normalizer = prefix ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, replace] } : replace;
  const decoders: JsonObject[] = [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }];
  if (prefix) decoders.push({ type: 'Strip', content: ' ', start: 1, stop: 0 });
  const unk = v.unk ?? v.types.indexOf(T_UNKNOWN);
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(v),
    normalizer,
    pre_tokenizer: null,
    post_processor: postProcessor(v),
    decoder: { type: 'Sequence', decoders },
    model: {
      type: 'BPE', dropout: null, unk_token: unk >= 0 ? (v.tokens[unk] as string) : null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: vocabMap(v.tokens), merges: merges(v.tokens, v.types, scores),
    },
  };
  return { json, config: tokenizerConfig(f, v) };
}

function byteLevel(f: GgufFile): GgufTokenizer {
  const pre = metaStr(f.metadata, 'tokenizer.ggml.pre') ?? 'gpt2';
  const regex = PRE_REGEX[pre];
  // llama.cpp adds BOS by default for Llama 3 style vocabularies only; add_bos_token overrides.
  const v = readVocab(f, regex === LLAMA3_REGEX);
  const bl = (useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
  const preTokenizer = regex
    ? { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false }, bl(false)] }
    : bl(true);
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(v),
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: postProcessor(v) ?? { ...bl(true), type: 'ByteLevel' },
    decoder: { ...bl(true), type: 'ByteLevel' },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: regex === LLAMA3_REGEX, vocab: vocabMap(v.tokens),
      merges: strings(f, 'tokenizer.ggml.merges').map((s) => {
        const at = s.indexOf(' ');
        return [s.slice(0, at), s.slice(at + 1)];
      }),
    },
  };
  return { json, config: tokenizerConfig(f, v) };
}

function tokenizerConfig(f: GgufFile, v: Vocab): JsonObject {
  const text = (id: number | undefined) => (id === undefined ? null : (v.tokens[id] ?? null));
  const cfg: JsonObject = { bos_token: text(v.bos), eos_token: text(v.eos), unk_token: text(v.unk), add_bos_token: v.addBos, add_eos_token: v.addEos };
  const template = metaStr(f.metadata, 'tokenizer.chat_template');
  if (template !== undefined) cfg['chat_template'] = template;
  return cfg;
}

export function ggufTokenizer(f: GgufFile): GgufTokenizer {
  const model = metaStr(f.metadata, 'tokenizer.ggml.model');
  if (model === 'llama') return sentencePiece(f);
  if (model === 'gpt2') return byteLevel(f);
  throw bad(f, `GGUF tokenizer model ${JSON.stringify(model ?? null)} is not supported (supported: llama (SentencePiece), gpt2 (byte-level BPE))`);
}
