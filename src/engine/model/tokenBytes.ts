/**
 * What bytes of the input each token stands for, so token offsets can be computed exactly (the
 * tokenizer library returns ids and pieces, not offsets). Pieces come in three encodings:
 * - byte-level BPE (GPT-2, Pythia, Llama 3, Qwen): each char of the piece is one byte through
 *   the GPT-2 bytes_to_unicode table;
 * - SentencePiece-style (Llama 2, Mistral, TinyLlama): '▁' is a space, `<0xHH>` is a raw byte
 *   (byte fallback), other chars are themselves in UTF-8;
 * - added tokens (`<s>`, `<|endoftext|>`): their content, verbatim.
 * WordPiece (and the rare BPE with affixes) marks word continuations (`##ing`) or word ends
 * (`</w>`): the affix is not input text and is stripped.
 */

/** GPT-2's bytes_to_unicode, inverted: printable stand-in char code -> byte. */
function buildByteDecoder(): Map<number, number> {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map = new Map<number, number>();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.includes(b)) map.set(b, b);
    else map.set(256 + n++, b);
  }
  return map;
}

const BYTE_DECODER = buildByteDecoder();
const utf8 = new TextEncoder();
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

export interface PieceEncoding {
  kind: 'byteLevel' | 'sentencePiece';
  /** Continuing-subword prefix (WordPiece `##`) to strip. */
  prefix?: string;
  /** End-of-word suffix (`</w>`) to strip. */
  suffix?: string;
}

function stripAffixes(piece: string, enc: PieceEncoding): string {
  let p = piece;
  if (enc.prefix && p.length > enc.prefix.length && p.startsWith(enc.prefix)) p = p.slice(enc.prefix.length);
  if (enc.suffix && p.length > enc.suffix.length && p.endsWith(enc.suffix)) p = p.slice(0, -enc.suffix.length);
  return p;
}

export function pieceBytes(rawPiece: string, enc: PieceEncoding): Uint8Array {
  const piece = stripAffixes(rawPiece, enc);
  if (enc.kind === 'byteLevel') {
    const out: number[] = [];
    for (const ch of piece) {
      const b = BYTE_DECODER.get(ch.codePointAt(0) as number);
      if (b === undefined) return utf8.encode(piece); // not a byte-level piece: take it literally
      out.push(b);
    }
    return Uint8Array.from(out);
  }
  const m = BYTE_PIECE.exec(piece);
  if (m) return Uint8Array.of(parseInt(m[1] as string, 16));
  return utf8.encode(piece.replace(/\u2581/g, ' '));
}

/** Length of the UTF-8 sequence that starts with `b` (1 for stray continuation bytes). */
function seqLen(b: number): number {
  if (b >= 0xf0 && b <= 0xf7) return 4;
  if (b >= 0xe0) return b <= 0xef ? 3 : 1;
  if (b >= 0xc0) return 2;
  return 1;
}

/** Decodes bytes to text; bytes that do not form a complete character are shown as `<0xHH>`. */
export function readableBytes(bytes: Uint8Array): string {
  const dec = new TextDecoder('utf-8', { fatal: true });
  let s = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const n = seqLen(b);
    const chunk = bytes.subarray(i, i + n);
    let ch: string | null = null;
    if (chunk.length === n && (n > 1 || b < 0x80)) {
      try {
        ch = dec.decode(chunk);
      } catch {
        ch = null;
      }
    }
    if (ch === null) {
      s += `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      i += 1;
    } else {
      s += ch;
      i += n;
    }
  }
  return s;
}

/**
 * Maps each byte offset of `text`'s UTF-8 encoding (0..nBytes) to a UTF-16 offset. A byte in the
 * middle of a character maps to the end of that character, so a token holding a character's
 * first byte spans the whole character and its continuation-byte tokens are zero-width.
 */
export function byteToUtf16Map(text: string): { bytes: Uint8Array; map: Int32Array } {
  const bytes = utf8.encode(text);
  const map = new Int32Array(bytes.length + 1);
  let b = 0;
  let u = 0;
  for (const ch of text) {
    const nb = utf8.encode(ch).length;
    const nu = ch.length;
    map[b] = u;
    for (let k = 1; k < nb; k++) map[b + k] = u + nu;
    b += nb;
    u += nu;
  }
  map[bytes.length] = text.length;
  return { bytes, map };
}
