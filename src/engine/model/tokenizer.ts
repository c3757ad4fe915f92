/**
 * The prompt tokenizer: @huggingface/tokenizers over the folder's tokenizer.json, plus what
 * SinkLens needs on top: the BOS policy, truncation, and exact UTF-16 offsets per token.
 *
 * BOS policy ('auto' | 'always' | 'never'):
 * - auto: keep what the tokenizer's post-processor puts BEFORE the text (Llama's template adds
 *   `<s>`); when it adds nothing, prepend the model's BOS (GPT-2/Pythia: `<|endoftext|>`). Tokens
 *   a post-processor appends after the text (an EOS) are dropped: a prompt is not a finished text.
 * - always: exactly one BOS at position 0 (not doubled when the text itself starts with it).
 * - never: the text's tokens only, with a 'noBos' warning.
 *
 * Chat-template mode (chatTemplate 'user' | 'system', see chatTemplate.ts): the rendering is
 * tokenized without the post-processor's special tokens (the template places BOS itself); then the
 * policy applies to the rendering, except that 'auto' adds nothing when it already starts with BOS.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { SinkLensError } from '../../shared/errors';
import type { ChatTemplateMode, PrependBos, TokenInfo, Warning } from '../../shared/result';
import type { CanonicalConfig } from '../arch/types';
import { chatTokens, renderChat, type TokenSource } from './chatTemplate';
import { DEFAULT_TEMPLATE_LIMITS } from './templateSandbox';
import { alignPieces, type Piece } from './tokenAlign';
import { pieceBytes, readableBytes, type PieceEncoding } from './tokenBytes';
import { tokenizerFiles, type TokenizerFiles, type TokenizerJson } from './tokenizerFiles';

export interface EncodeOptions {
  prependBos: PrependBos;
  /** Keep the first maxTokens tokens (BOS included); undefined = no limit. */
  maxTokens?: number;
  /** Render the model's chat template around the text first; default 'none'. */
  chatTemplate?: ChatTemplateMode;
}

export interface Encoded {
  ids: number[];
  tokens: TokenInfo[];
  bosPrepended: boolean;
  truncated: boolean;
  warnings: Warning[];
}

export interface PromptTokenizer {
  /** The BOS id SinkLens prepends: the config's `bosTokenId` (see config.ts); null if none. */
  readonly bosTokenId: number | null;
  readonly vocabSize: number;
  encode(text: string, opts: EncodeOptions): Encoded;
  decode(ids: readonly number[]): string;
  /** Readable text of one token (special tokens as their literal). */
  tokenText(id: number): string;
}

/** True when any node of a component tree (Sequence-nested) satisfies `pred`. */
function anyNode(node: unknown, pred: (n: Record<string, unknown>) => boolean): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const n = node as Record<string, unknown>;
  if (pred(n)) return true;
  const kids = [n['normalizers'], n['pretokenizers'], n['decoders']].find(Array.isArray) as unknown[] | undefined;
  return (kids ?? []).some((k) => anyNode(k, pred));
}

function pieceEncoding(tj: TokenizerJson): PieceEncoding {
  const byteLevel = (n: Record<string, unknown>): boolean => n['type'] === 'ByteLevel';
  const kind = anyNode(tj.decoder, byteLevel) || anyNode(tj.pre_tokenizer, byteLevel) ? 'byteLevel' : 'sentencePiece';
  const m = tj.model ?? {};
  const prefix = m.continuing_subword_prefix ?? (m.type === 'WordPiece' ? '##' : null);
  return { kind, ...(prefix ? { prefix } : {}), ...(m.end_of_word_suffix ? { suffix: m.end_of_word_suffix } : {}) };
}

/** Whether the tokenizer inserts a space that is not in the input before the first word. */
function addsDummyPrefix(tj: TokenizerJson): boolean {
  const norm = anyNode(tj.normalizer, (n) => n['type'] === 'Prepend');
  const pre = anyNode(tj.pre_tokenizer, (n) =>
    (n['type'] === 'Metaspace' && n['prepend_scheme'] !== 'never' && n['add_prefix_space'] !== false) ||
    (n['type'] === 'ByteLevel' && n['add_prefix_space'] === true),
  );
  return norm || pre;
}

function startIndexOf(hay: readonly number[], needle: readonly number[]): number {
  for (let k = 0; k + needle.length <= hay.length; k++) {
    if (needle.every((v, i) => hay[k + i] === v)) return k;
  }
  return -1;
}

/** `files` shares the parsed tokenizer files with `loadConfig` (load.ts passes the same one). */
export async function loadTokenizer(dir: string, cfg: CanonicalConfig, files: TokenizerFiles = tokenizerFiles(dir)): Promise<PromptTokenizer> {
  const tj = files.json();
  const tokCfg = files.config();
  try {
    return makePromptTokenizer(new Tokenizer(tj, tokCfg), tj, tokCfg, cfg);
  } catch (e) {
    if (SinkLensError.is(e)) throw e;
    throw new SinkLensError('badTokenizer', `tokenizer.json in ${dir} could not be loaded: ${(e as Error)?.message ?? String(e)}.`, 'The tokenizer may use a component SinkLens\'s tokenizer library does not support.');
  }
}

function makePromptTokenizer(tok: Tokenizer, tj: TokenizerJson, tokCfg: Record<string, unknown>, cfg: CanonicalConfig): PromptTokenizer {
  const enc = pieceEncoding(tj);
  const dummy = addsDummyPrefix(tj);
  const added = new Map((tj.added_tokens ?? []).map((t) => [t.id, t] as const));
  const unkId = typeof tj.model?.unk_token === 'string' ? (tok.token_to_id(tj.model.unk_token) ?? -1) : -1;
  // Resolved once, by the config loader (config.json, generation_config.json, tokenizer_config.json).
  const bosTokenId = cfg.bosTokenId;
  const vocabSize = tok.get_vocab(true).size;

  const piece = (id: number): Piece => {
    const a = added.get(id);
    if (a) return { bytes: new TextEncoder().encode(a.content), added: true, unk: false };
    return { bytes: pieceBytes(tok.id_to_token(id) ?? '', enc), added: false, unk: id === unkId };
  };
  const tokenText = (id: number): string => {
    const a = added.get(id);
    if (a) return a.content;
    const p = tok.id_to_token(id);
    return p === undefined ? `<id ${id}>` : readableBytes(pieceBytes(p, enc));
  };

  return {
    bosTokenId,
    vocabSize,
    decode: (ids) => tok.decode([...ids], { skip_special_tokens: false }),
    tokenText,
    encode(fullText, opts) {
      try {
        return encodeCut(fullText, opts);
      } catch (e) {
        // The library's own failures on an odd tokenizer.json (it trusts the file's shape) become typed errors.
        if (SinkLensError.is(e)) throw e;
        throw new SinkLensError('badTokenizer', `The model's tokenizer failed on this prompt: ${(e as Error)?.message ?? String(e)}.`, 'The tokenizer.json may be damaged; re-download it.');
      }
    },
  };

  function encodeCut(fullText: string, opts: EncodeOptions): Encoded {
    if (fullText.trim().length === 0) {
      throw new SinkLensError('emptyPrompt', 'The prompt is empty.', 'Select or type some text to analyse.');
    }
    // A huge prompt is cut before tokenizing (the analysis keeps only maxTokens anyway); if the cut
    // text yields too few tokens (very long tokens), the whole text is tokenized after all.
    const limit = opts.maxTokens === undefined ? Infinity : opts.maxTokens * CHARS_PER_TOKEN_CAP;
    const cut = fullText.length > limit;
    const first = encodeAny(cut ? fullText.slice(0, limit) : fullText, opts);
    // Enough when the kept tokens end inside the cut text (not in a template's tail after it).
    if (!cut || (first.truncated && first.tokens.at(-1)?.template !== true)) return cut ? withMoreThan(first) : first;
    return encodeAny(fullText, opts);
  }

  function encodeAny(text: string, opts: EncodeOptions): Encoded {
    return opts.chatTemplate === undefined || opts.chatTemplate === 'none' ? encodeText(text, opts) : encodeChat(text, opts.chatTemplate, opts);
  }

  /** Tokens of `text` with exact offsets (no BOS, no post-processor tokens). */
  function aligned(text: string, ids: readonly number[], warnings: Warning[] | null): TokenInfo[] {
    const { spans, approximate } = alignPieces(text, ids.map(piece), dummy);
    if (approximate && warnings) {
      warnings.push({ code: 'other', message: 'The tokenizer normalises the text, so some token offsets are approximate.' });
    }
    return ids.map((id, i) => {
      const s = spans[i] as { start: number; end: number; text: string };
      return { index: 0, id, text: s.text, start: s.start, end: s.end, special: added.get(id)?.special === true };
    });
  }

  function textTokens(text: string, warnings: Warning[]): { ids: number[]; tokens: TokenInfo[] } {
    const ids = tok.encode(text, { add_special_tokens: false }).ids;
    return { ids, tokens: aligned(text, ids, warnings) };
  }

  function encodeText(text: string, opts: EncodeOptions): Encoded {
    const warnings: Warning[] = [];
    const body = textTokens(text, warnings);
    const prefix = bosPrefix(tok, text, body.ids, bosTokenId, opts.prependBos, warnings);
    return finish(prefix, body.tokens, opts, warnings);
  }

  /** The chat template's rendering of the text; text tokens keep offsets into `text`. */
  function encodeChat(text: string, mode: Exclude<ChatTemplateMode, 'none'>, opts: EncodeOptions): Encoded {
    // The template is untrusted code: rendered in the sandbox, capped at 4x the prompt cut (two renderings,
    // up to 3 UTF-8 bytes a character), and the rendering is cut like any prompt before tokenizing.
    const cutChars = opts.maxTokens === undefined ? Infinity : opts.maxTokens * CHARS_PER_TOKEN_CAP;
    const limits = Number.isFinite(cutChars) ? { ...DEFAULT_TEMPLATE_LIMITS, maxBytes: Math.max(1 << 16, 2 * 4 * cutChars * 3) } : DEFAULT_TEMPLATE_LIMITS;
    const chat = renderChat(tokCfg, mode, text, limits, cutChars);
    const warnings: Warning[] = [...chat.warnings];
    const src: TokenSource = { ids: (s) => tok.encode(s, { add_special_tokens: false }).ids, tokens: aligned };
    const tokens = chatTokens(chat, text.length, src, warnings);
    const ids = tokens.map((t) => t.id);
    const startsWithBos = bosTokenId !== null && ids[0] === bosTokenId;
    const prefix = opts.prependBos === 'auto' && startsWithBos ? [] : bosPrefix(tok, chat.rendered, ids, bosTokenId, opts.prependBos, warnings);
    return finish(prefix, tokens, opts, warnings);
  }

  /** BOS prefix + body, truncated to maxTokens and indexed. */
  function finish(prefix: readonly number[], body: readonly TokenInfo[], opts: EncodeOptions, warnings: Warning[]): Encoded {
    const all: TokenInfo[] = [...prefix.map((id) => ({ index: 0, id, text: tokenText(id), start: 0, end: 0, special: true })), ...body];
    const max = opts.maxTokens === undefined ? all.length : Math.max(1, Math.floor(opts.maxTokens));
    const truncated = all.length > max;
    if (truncated) {
      warnings.push({ code: 'truncated', message: `The prompt has ${all.length} tokens; only the first ${max} are analysed.` });
    }
    const tokens = all.slice(0, max).map((t, index) => ({ ...t, index }));
    // A BOS the user typed at the very start counts too: position 0 is a BOS either way.
    const bosPrepended = prefix.length > 0 || (bosTokenId !== null && tokens[0]?.id === bosTokenId);
    return { ids: tokens.map((t) => t.id), tokens, bosPrepended, truncated, warnings };
  }
}

/** Characters per token beyond which a long prompt is cut before tokenizing. */
const CHARS_PER_TOKEN_CAP = 64;

function withMoreThan(e: Encoded): Encoded {
  const warnings = e.warnings.map((w) =>
    w.code === 'truncated' ? { ...w, message: `The prompt is longer than ${e.ids.length} tokens; only the first ${e.ids.length} are analysed.` } : w,
  );
  return { ...e, warnings };
}

/** The tokens put before the text under the BOS policy (see the file comment). */
function bosPrefix(tok: Tokenizer, text: string, textIds: readonly number[], bos: number | null, policy: PrependBos, warnings: Warning[]): number[] {
  const startsWithBos = bos !== null && textIds[0] === bos;
  if (policy === 'never') {
    if (!startsWithBos) warnings.push({ code: 'noBos', message: 'No BOS token at position 0 (prepend BOS: never): sinks may form on the first text token instead.' });
    return [];
  }
  if (policy === 'auto') {
    const withSpecial = tok.encode(text, { add_special_tokens: true }).ids;
    const at = startIndexOf(withSpecial, textIds);
    if (at > 0) return withSpecial.slice(0, at);
  }
  if (startsWithBos) return [];
  if (bos === null) {
    warnings.push({ code: 'noBos', message: 'This model defines no BOS token, so none was prepended.' });
    return [];
  }
  return [bos];
}
