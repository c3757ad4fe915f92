/**
 * The resumable run journal of a study: a JSON-lines file, a header line (the study's key: the
 * prompt texts and the settings) then one line per finished (model, prompt). Each line is appended and
 * flushed as soon as that prompt is done, so a killed study (even SIGKILL) loses at most the prompt it
 * was on; rerunning the same command reads the journal and runs only what is missing.
 *
 * A journal of another study (different prompts or settings) is replaced, a truncated last line (the
 * kill came mid-write) is dropped, and a model's lines count only while its weights' sha256 match.
 * The journal is removed once the study's outputs are written.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import type { PromptRecord } from '../../shared/study';

const KIND = 'sinklens-study-journal';

interface Header {
  kind: typeof KIND;
  version: 1;
  key: string;
}

export interface JournalEntry {
  /** Resolved model folder. */
  model: string;
  /** The model's weight sha256s, joined: a changed model does not reuse old lines. */
  weights: string;
  record: PromptRecord;
}

export interface OpenedJournal {
  journal: StudyJournal;
  entries: JournalEntry[];
  /** Why an existing file was not resumed (another study, unreadable header), if so. */
  replaced: string | null;
}

export class StudyJournal {
  private constructor(readonly path: string) {}

  /** Opens (resuming) or creates the journal at `path` for the study identified by `key`. */
  static open(path: string, key: string): OpenedJournal {
    let entries: JournalEntry[] = [];
    let replaced: string | null = null;
    if (existsSync(path)) {
      const read = readJournal(readFileSync(path, 'utf8'), key);
      entries = read.entries;
      replaced = read.replaced;
    }
    // Rewrite with only the valid lines, so appends never follow a half-written line.
    const header: Header = { kind: KIND, version: 1, key };
    writeFileSync(path, [header, ...entries].map((x) => `${JSON.stringify(x)}\n`).join(''));
    return { journal: new StudyJournal(path), entries, replaced };
  }

  /** Appends one finished prompt and flushes it to disk before returning. */
  append(entry: JournalEntry): void {
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}

/** Parses a journal's text: the entries of study `key`, or none with the reason the file is not resumed. */
export function readJournal(text: string, key: string): { entries: JournalEntry[]; replaced: string | null } {
  const lines = text.split('\n');
  let header: Partial<Header> | null = null;
  try {
    header = JSON.parse(lines[0] ?? '') as Partial<Header>;
  } catch {
    header = null;
  }
  if (header?.kind !== KIND) return { entries: [], replaced: 'the existing file is not a SinkLens study journal' };
  if (header.key !== key) return { entries: [], replaced: 'it belongs to another study (different prompts or settings)' };
  const entries: JournalEntry[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as JournalEntry;
      if (typeof e.model === 'string' && typeof e.weights === 'string' && typeof e.record?.index === 'number') entries.push(e);
    } catch {
      // A line cut by a kill mid-write: that prompt runs again.
    }
  }
  return { entries, replaced: null };
}
