/**
 * A model folder's tokenizer.json and tokenizer_config.json, each read and parsed at most once per
 * load (they can be tens of MB) and shared by the config loader (special-token ids) and the
 * tokenizer. Also the one place that turns a special-token name into its id.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SinkLensError } from '../../shared/errors';
import { tokenId } from '../arch/configFields';
import { readJsonFile, type JsonObject } from './jsonFile';
import { checkTokenizerJson } from './tokenizerShape';

export interface TokenizerJson {
  model?: { type?: string; unk_token?: string | null; continuing_subword_prefix?: string | null; end_of_word_suffix?: string | null; vocab?: unknown };
  normalizer?: unknown;
  pre_tokenizer?: unknown;
  decoder?: unknown;
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

export interface TokenizerFiles {
  readonly dir: string;
  /** tokenizer.json. Throws `missingTokenizer` when absent, `badTokenizer` when not JSON. */
  json(): TokenizerJson;
  /** tokenizer_config.json; {} when absent. Throws `badTokenizer` when not a JSON object. */
  config(): JsonObject;
}

/** Parses each file on first use and remembers the result (or the error) for every later call. */
function once<T>(read: () => T): () => T {
  let done: { value: T } | { error: unknown } | undefined;
  return () => {
    done ??= (() => {
      try {
        return { value: read() };
      } catch (error) {
        return { error };
      }
    })();
    if ('error' in done) throw done.error;
    return done.value;
  };
}

function readTokenizerJson(dir: string): TokenizerJson {
  const path = join(dir, 'tokenizer.json');
  if (!existsSync(path)) {
    throw new SinkLensError(
      'missingTokenizer',
      `No tokenizer.json in ${dir}.`,
      'SinkLens needs the fast-tokenizer file tokenizer.json. Download it from the model repository, or save it with AutoTokenizer.from_pretrained(...).save_pretrained(dir).',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SinkLensError('badTokenizer', `tokenizer.json in ${dir} is not valid JSON: ${(e as Error).message}.`, 'Re-download tokenizer.json.');
  }
  checkTokenizerJson(parsed, path);
  return parsed as TokenizerJson;
}

export function tokenizerFiles(dir: string): TokenizerFiles {
  return {
    dir,
    json: once(() => readTokenizerJson(dir)),
    config: once(() => readJsonFile(join(dir, 'tokenizer_config.json'), 'badTokenizer') ?? {}),
  };
}

/** The text of a special token as tokenizer_config.json names it: a string or `{ content }`. */
export function specialTokenText(tok: unknown): string | undefined {
  const content = typeof tok === 'string' ? tok : (tok as { content?: unknown } | null)?.content;
  return typeof content === 'string' ? content : undefined;
}

/**
 * The id of a special token named in tokenizer_config.json (`bos_token`, `eos_token`), looked up
 * in tokenizer.json's added tokens, then its vocabulary (a map for BPE/WordPiece, a list of
 * [piece, score] for Unigram). null when unnamed or unknown, or when tokenizer.json is unreadable
 * (the tokenizer reports that with its own error).
 */
export function specialTokenId(files: TokenizerFiles, tok: unknown): number | null {
  const content = specialTokenText(tok);
  if (content === undefined) return null;
  let tj: TokenizerJson;
  try {
    tj = files.json();
  } catch {
    return null;
  }
  const hit = (tj.added_tokens ?? []).find((t) => t.content === content);
  if (hit) return hit.id;
  const vocab = tj.model?.vocab;
  if (Array.isArray(vocab)) {
    const i = vocab.findIndex((e) => Array.isArray(e) && e[0] === content);
    return i >= 0 ? i : null;
  }
  if (vocab && typeof vocab === 'object') return tokenId((vocab as Record<string, unknown>)[content]);
  return null;
}
