/**
 * Chat-template mode: an instruct model's real input is its chat template applied to the prompt,
 * not the bare prompt. This file renders the template (tokenizer_config.json `chat_template`, via
 * @huggingface/jinja) around the user's text and locates that text in the rendering, so that the
 * tokenizer can give text tokens offsets into the user's text and mark the rest as template tokens.
 */
import { SinkLensError } from '../../shared/errors';
import type { ChatTemplateMode } from '../../shared/engineApi';
import type { TokenInfo, Warning } from '../../shared/result';
import { DEFAULT_TEMPLATE_LIMITS, renderTemplateSandboxed, type SandboxLimits } from './templateSandbox';
import { specialTokenText } from './tokenizerFiles';

export interface RenderedChat {
  /** The full string the model sees. */
  rendered: string;
  /**
   * Where the user's text lies in `rendered`: [start, end), and `lead`, the offset in the user's
   * text of rendered[start] (non-zero when the template trimmed leading whitespace). null = not found.
   */
  at: { start: number; end: number; lead: number } | null;
  warnings: Warning[];
}

/** The model's chat template: the string form, or the entry named 'default' of the list form. */
export function readChatTemplate(tokCfg: Record<string, unknown>): string | null {
  const t = tokCfg['chat_template'];
  if (typeof t === 'string' && t.trim() !== '') return t;
  if (Array.isArray(t)) {
    const d = (t as { name?: unknown; template?: unknown }[]).find((e) => e?.name === 'default');
    if (typeof d?.template === 'string' && d.template.trim() !== '') return d.template;
  }
  return null;
}

/** A special token of tokenizer_config.json as the template sees it; '' when unset. */
function tokenString(v: unknown): string {
  return specialTokenText(v) ?? '';
}

const NO_TEMPLATE = 'This model has no chat template (tokenizer_config.json chat_template); analyse the bare prompt instead (CLI: --chat-template none; VS Code: sinklens.chatTemplate = none).';

/** A content no real prompt contains, used to find where the template puts the user's text. */
const MARKER = '\u2063SinkLensUserText\u2063';

/**
 * Renders the template around `text` (and around a marker, to locate the text) in the sandbox: a deadline and
 * an output cap bound what a hostile template can cost. A rendering longer than `cutChars` is cut there, like
 * any long prompt (the analysis keeps only the first maxTokens tokens anyway).
 */
export function renderChat(
  tokCfg: Record<string, unknown>,
  mode: Exclude<ChatTemplateMode, 'none'>,
  text: string,
  limits: SandboxLimits = DEFAULT_TEMPLATE_LIMITS,
  cutChars = Infinity,
): RenderedChat {
  const source = readChatTemplate(tokCfg);
  if (source === null) throw new SinkLensError('badRequest', NO_TEMPLATE);
  const context = (content: string): Record<string, unknown> => ({
    messages: [{ role: mode, content }],
    add_generation_prompt: mode === 'user',
    bos_token: tokenString(tokCfg['bos_token']),
    eos_token: tokenString(tokCfg['eos_token']),
  });
  const [full = '', withMarker = ''] = renderTemplateSandboxed(source, [context(text), context(MARKER)], limits);
  const located = locateText(full, text, withMarker.indexOf(MARKER));
  if (full.length <= cutChars) return { rendered: full, ...located };
  const rendered = full.slice(0, cutChars);
  const at = located.at && located.at.start < cutChars ? { ...located.at, end: Math.min(located.at.end, cutChars) } : null;
  return { rendered, at, warnings: located.warnings };
}

/**
 * Finds the user's text in the rendering. `hint` is where the template put a marker content (the
 * same prefix precedes the text, so this is not fooled by the text also occurring in the template).
 * A template that trims the content is mapped through the trimmed text, with a warning.
 */
export function locateText(rendered: string, text: string, hint: number): Pick<RenderedChat, 'at' | 'warnings'> {
  const find = (needle: string): number => (hint >= 0 && rendered.startsWith(needle, hint) ? hint : rendered.indexOf(needle));
  const exact = find(text);
  if (exact >= 0) return { at: { start: exact, end: exact + text.length, lead: 0 }, warnings: [] };
  const trimmed = text.trim();
  const at = find(trimmed);
  if (at >= 0) {
    const lead = text.length - text.trimStart().length;
    const warning: Warning = { code: 'other', message: 'The chat template trims the prompt; token offsets refer to the trimmed text.' };
    return { at: { start: at, end: at + trimmed.length, lead }, warnings: [warning] };
  }
  const lost: Warning = { code: 'other', message: 'The chat template changes the prompt text, so tokens cannot be mapped back to it (no offsets).' };
  return { at: null, warnings: [lost] };
}

/** What chatTokens needs of the tokenizer. */
export interface TokenSource {
  /** Token ids of a string, without special tokens. */
  ids(s: string): number[];
  /** Those tokens with offsets into `s`; an 'approximate offsets' warning goes to `warnings` when given. */
  tokens(s: string, ids: readonly number[], warnings: Warning[] | null): TokenInfo[];
}

/**
 * The rendering's tokens, with offsets into the user's text and template tokens marked. When the
 * template, the text and the rest tokenize separately into exactly the rendering's ids (the usual
 * case: templates end their parts with a newline or a special token), each part is aligned on its
 * own, so a template piece the aligner cannot place (an unknown token) cannot shift the text's
 * offsets. Otherwise the whole rendering is aligned and each token's span mapped.
 */
export function chatTokens(chat: RenderedChat, textLength: number, src: TokenSource, warnings: Warning[]): TokenInfo[] {
  const ids = src.ids(chat.rendered);
  const split = chat.at ? splitTokens(chat.rendered, chat.at, ids, textLength, src, warnings) : null;
  if (split) return split;
  return src.tokens(chat.rendered, ids, warnings).map((t) => {
    const m = mapSpan(t, chat.at, textLength);
    return place(t, m.start, m.end, m.template);
  });
}

function splitTokens(
  rendered: string,
  at: NonNullable<RenderedChat['at']>,
  ids: readonly number[],
  textLength: number,
  src: TokenSource,
  warnings: Warning[],
): TokenInfo[] | null {
  const parts = [rendered.slice(0, at.start), rendered.slice(at.start, at.end), rendered.slice(at.end)] as const;
  const partIds = parts.map((p) => (p === '' ? [] : src.ids(p))) as [number[], number[], number[]];
  const joined = partIds.flat();
  if (joined.length !== ids.length || joined.some((id, i) => id !== ids[i])) return null;
  return [
    ...src.tokens(parts[0], partIds[0], null).map((t) => place(t, 0, 0, true)),
    ...src.tokens(parts[1], partIds[1], warnings).map((t) => place(t, t.start + at.lead, t.end + at.lead, false)),
    ...src.tokens(parts[2], partIds[2], null).map((t) => place(t, textLength, textLength, true)),
  ];
}

/** The token at new offsets; `template` is set only on template tokens (an optional field). */
function place(t: TokenInfo, start: number, end: number, template: boolean): TokenInfo {
  return template ? { ...t, start, end, template: true } : { ...t, start, end };
}

/** A token's span in the rendering, mapped into the user's text. */
export interface MappedSpan {
  start: number;
  end: number;
  template: boolean;
}

/**
 * Maps a token's [start, end) in the rendering to the user's text. Tokens overlapping the text
 * get the overlap's offsets; template tokens get start = end, 0 before the text and text.length after.
 */
export function mapSpan(span: { start: number; end: number }, at: RenderedChat['at'], textLength: number): MappedSpan {
  if (at === null) return { start: 0, end: 0, template: false };
  if (span.end <= at.start) return { start: 0, end: 0, template: true };
  if (span.start >= at.end) return { start: textLength, end: textLength, template: true };
  const s = Math.max(span.start, at.start);
  const e = Math.max(s, Math.min(span.end, at.end));
  return { start: s - at.start + at.lead, end: e - at.start + at.lead, template: false };
}
