/**
 * Aligns token pieces to the input text: each token gets exact UTF-16 offsets [start, end) and a
 * readable text. Walks the text's UTF-8 bytes with a cursor, matching each token's bytes at the
 * cursor. A tokenizer that adds a dummy prefix space (SentencePiece `▁`, ByteLevel
 * add_prefix_space) may start the text, or a section after an added token, with a space that is
 * not in the input: that space is matched as zero-width. Pre-tokenizers that drop whitespace
 * (WordPiece's `Whitespace`) leave gaps: whitespace at the cursor that no token matches is skipped.
 */
import { byteToUtf16Map, readableBytes } from './tokenBytes';

export interface Piece {
  bytes: Uint8Array;
  /** Added token (special or not): matched verbatim, zero-width when not in the text. */
  added: boolean;
  /** The unknown token: stands for one character of the input. */
  unk: boolean;
}

export interface Span {
  start: number;
  end: number;
  text: string;
}

function matchesAt(hay: Uint8Array, at: number, needle: Uint8Array): boolean {
  if (at + needle.length > hay.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[at + i] !== needle[i]) return false;
  return true;
}

const isCharStart = (bytes: Uint8Array, i: number): boolean => i >= bytes.length || ((bytes[i] as number) & 0xc0) !== 0x80;

const isSpaceByte = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** Skips whitespace at `at` when `p` does not match there but does after it. */
function skipGap(bytes: Uint8Array, at: number, p: Piece, dummyAllowed: boolean): number {
  if (matchesAt(bytes, at, p.bytes) || (dummyAllowed && p.bytes[0] === 0x20)) return at;
  let j = at;
  while (isSpaceByte(bytes[j])) j++;
  // The unknown token never matches literally; it stands for the next non-space character.
  return j > at && (p.unk || matchesAt(bytes, j, p.bytes)) ? j : at;
}

function nextCharBoundary(bytes: Uint8Array, i: number): number {
  let j = Math.min(i + 1, bytes.length);
  while (!isCharStart(bytes, j)) j++;
  return j;
}

/** Returns the spans and whether any token had to be placed approximately (normalised text). */
export function alignPieces(text: string, pieces: readonly Piece[], dummyPrefix: boolean): { spans: Span[]; approximate: boolean } {
  const { bytes, map } = byteToUtf16Map(text);
  let cursor = 0;
  let dummyAllowed = dummyPrefix;
  let approximate = false;
  const spans: Span[] = [];
  for (const p of pieces) {
    cursor = skipGap(bytes, cursor, p, dummyAllowed);
    let matched = p.bytes;
    let end: number;
    let exact = true;
    if (p.added) {
      end = matchesAt(bytes, cursor, p.bytes) ? cursor + p.bytes.length : cursor;
    } else if (dummyAllowed && p.bytes[0] === 0x20 && matchesAt(bytes, cursor, p.bytes.subarray(1))) {
      matched = p.bytes.subarray(1);
      end = cursor + matched.length;
    } else if (matchesAt(bytes, cursor, p.bytes)) {
      end = cursor + p.bytes.length;
    } else if (p.unk) {
      end = nextCharBoundary(bytes, cursor);
    } else {
      end = Math.min(cursor + p.bytes.length, bytes.length);
      exact = false;
      approximate = true;
    }
    const start16 = map[cursor] as number;
    const end16 = map[end] as number;
    const whole = exact && end > cursor && isCharStart(bytes, cursor) && isCharStart(bytes, end);
    spans.push({ start: start16, end: end16, text: whole || (p.added && end > cursor) ? text.slice(start16, end16) : readableBytes(matched.length ? matched : p.bytes) });
    cursor = end;
    // A dummy prefix may appear again only at the start of a section after an added token.
    dummyAllowed = dummyPrefix && p.added;
  }
  return { spans, approximate };
}
