/**
 * Splits a prompt file into the pieces that get a code lens: the whole prompt (front matter
 * excluded), its `---`-separated sections, and (in markdown) its fenced prompt blocks.
 * Pure and vscode-free; all offsets are UTF-16 offsets into the document text, [start, end), and
 * `text === doc.slice(start, end)` always holds. Each piece is trimmed of surrounding blank space
 * so that the analysed text is exactly what the user reads as the prompt.
 */

export type SectionKind = 'document' | 'section' | 'fence';

export interface PromptSection {
  kind: SectionKind;
  start: number;
  end: number;
  text: string;
  /** 0-based line of `start` (where the lens goes; line 0 for the whole document). */
  line: number;
}

export interface SplitOptions {
  /** Markdown files also get one section per fenced prompt block. */
  markdown: boolean;
}

/** Info strings of fences that hold prompt text (first word, lower case); code fences (python, json...) are not prompts. */
export const PROMPT_FENCE_LANGS = new Set(['', 'prompt', 'prompty', 'text', 'txt', 'plain', 'plaintext', 'markdown', 'md', 'jinja', 'jinja2', 'chat', 'system', 'user']);

interface Line {
  start: number;
  /** End of the content, before the line break. */
  end: number;
  /** Start of the next line. */
  next: number;
  text: string;
}

export function splitLines(doc: string): Line[] {
  const lines: Line[] = [];
  const re = /\r\n|\n|\r/g;
  let start = 0;
  for (let m = re.exec(doc); m !== null; m = re.exec(doc)) {
    lines.push({ start, end: m.index, next: m.index + m[0].length, text: doc.slice(start, m.index) });
    start = m.index + m[0].length;
  }
  lines.push({ start, end: doc.length, next: doc.length, text: doc.slice(start) });
  return lines;
}

/** Offset just after YAML front matter (`---` first line ... `---` or `...` line), or 0 when there is none. */
export function frontMatterEnd(doc: string): number {
  const lines = splitLines(doc);
  const first = lines[0];
  if (!first || first.text.replace(/^\uFEFF/, '').trimEnd() !== '---') return 0;
  for (let i = 1; i < lines.length; i++) {
    const t = (lines[i] as Line).text.trimEnd();
    if (t === '---' || t === '...') return (lines[i] as Line).next;
  }
  return 0; // An unclosed `---` is a separator or a thematic break, not front matter.
}

/** The trimmed piece of `doc` in [start, end), or null when it is blank. */
export function trimmedPiece(doc: string, start: number, end: number, kind: SectionKind, lineOf: (o: number) => number): PromptSection | null {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(doc[s] as string)) s++;
  while (e > s && /\s/.test(doc[e - 1] as string)) e--;
  if (s === e) return null;
  return { kind, start: s, end: e, text: doc.slice(s, e), line: kind === 'document' ? 0 : lineOf(s) };
}

interface Fence {
  marker: string;
  lang: string;
  /** Line index of the opening fence. */
  open: number;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;

/** Fenced blocks of a markdown body: content range and info string; an unclosed fence runs to the end. */
function fences(lines: Line[], from: number): { open: number; close: number; lang: string }[] {
  const out: { open: number; close: number; lang: string }[] = [];
  let cur: Fence | null = null;
  for (let i = from; i < lines.length; i++) {
    const t = (lines[i] as Line).text;
    if (cur === null) {
      const m = FENCE_OPEN.exec(t);
      if (m) cur = { marker: m[1] as string, lang: (m[2] as string).toLowerCase(), open: i };
    } else if (isFenceClose(t, cur.marker)) {
      out.push({ open: cur.open, close: i, lang: cur.lang });
      cur = null;
    }
  }
  if (cur !== null) out.push({ open: cur.open, close: lines.length, lang: cur.lang });
  return out;
}

function isFenceClose(t: string, marker: string): boolean {
  const m = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(t);
  return m !== null && (m[1] as string)[0] === marker[0] && (m[1] as string).length >= marker.length;
}

function isSeparator(t: string): boolean {
  return /^---+\s*$/.test(t);
}

/**
 * The lens targets of a prompt document: first the whole body (when not blank), then its
 * `---`-separated sections (only when there are at least two), then markdown fenced prompt blocks.
 * Separators inside fenced blocks do not split.
 */
export function promptSections(doc: string, opts: SplitOptions): PromptSection[] {
  const lines = splitLines(doc);
  const lineOf = lineIndexer(lines);
  const bodyStart = frontMatterEnd(doc);
  const firstLine = lineOf(bodyStart);
  const out: PromptSection[] = [];
  const whole = trimmedPiece(doc, bodyStart, doc.length, 'document', lineOf);
  if (whole === null) return out;
  out.push(whole);

  const fenceList = fences(lines, firstLine);
  const inFence = new Set<number>();
  for (const f of fenceList) for (let i = f.open; i <= Math.min(f.close, lines.length - 1); i++) inFence.add(i);

  const sections: PromptSection[] = [];
  let segStart = bodyStart;
  for (let i = firstLine; i < lines.length; i++) {
    const l = lines[i] as Line;
    if (l.start < bodyStart || inFence.has(i) || !isSeparator(l.text)) continue;
    const piece = trimmedPiece(doc, segStart, l.start, 'section', lineOf);
    if (piece) sections.push(piece);
    segStart = l.next;
  }
  if (sections.length > 0) {
    const last = trimmedPiece(doc, segStart, doc.length, 'section', lineOf);
    if (last) sections.push(last);
  }
  if (sections.length >= 2) out.push(...sections);

  if (opts.markdown) {
    for (const f of fenceList) {
      if (!PROMPT_FENCE_LANGS.has(f.lang)) continue;
      const contentStart = (lines[f.open] as Line).next;
      const contentEnd = f.close < lines.length ? (lines[f.close] as Line).start : doc.length;
      const piece = contentEnd > contentStart ? trimmedPiece(doc, contentStart, contentEnd, 'fence', lineOf) : null;
      if (piece) out.push(piece);
    }
  }
  return out;
}

/** The innermost lens target containing `offset` (fence > section > document), or undefined. */
export function sectionAt(sections: PromptSection[], offset: number): PromptSection | undefined {
  const rank: Record<SectionKind, number> = { fence: 0, section: 1, document: 2 };
  return sections
    .filter((s) => offset >= s.start && offset <= s.end)
    .sort((a, b) => rank[a.kind] - rank[b.kind])[0];
}

/** Maps an offset to its 0-based line by binary search over line starts. */
function lineIndexer(lines: Line[]): (offset: number) => number {
  return (offset) => {
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lines[mid] as Line).start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
}
