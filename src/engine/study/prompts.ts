/**
 * Prompt-set readers. A prompt set is one of:
 *  - a folder: every `*.txt`, `*.prompt`, `*.prompty`, `*.md` file directly in it is ONE prompt (the
 *    whole file), in file-name order; the id is the file name;
 *  - a `.jsonl` file: one JSON object per line, `{"text": "..."}` or `{"messages": [{"role", "content"}, ...]}`,
 *    optionally with an `"id"` (string or number); blank lines are skipped;
 *  - a `.txt` file: one prompt per line; blank lines are skipped.
 * Chat `messages` are analysed as the contents of the user messages joined by a blank line (the
 * engine's chat-template mode wraps exactly one message, so a conversation is not rendered turn by
 * turn; with `--chat-template user` the joined text goes through the model's template as one user message).
 * Every error names the file and line and says what is expected.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { SinkLensError } from '../../shared/errors';
import type { StudyPrompt } from '../../shared/study';

export const PROMPT_FILE_EXTENSIONS = ['.txt', '.prompt', '.prompty', '.md'];

export class PromptSetError extends SinkLensError {
  constructor(message: string) {
    super('badRequest', message);
  }
}

/** Reads a folder, .jsonl or .txt prompt set. Throws PromptSetError for content problems. */
export function readPromptSet(path: string): StudyPrompt[] {
  if (!existsSync(path)) throw new PromptSetError(`${path}: no such file or folder (give a folder of prompt files, a .jsonl or a .txt).`);
  const prompts = statSync(path).isDirectory() ? readFolder(path) : readFile(path);
  if (prompts.length === 0) throw new PromptSetError(`${path}: no prompts in it${statSync(path).isDirectory() ? ` (prompt files end in ${PROMPT_FILE_EXTENSIONS.join(', ')})` : ''}.`);
  return prompts;
}

function readFile(path: string): StudyPrompt[] {
  const ext = extname(path).toLowerCase();
  const text = readFileSync(path, 'utf8');
  if (ext === '.jsonl') return parseJsonl(text, basename(path));
  if (ext === '.txt') return parseLines(text, basename(path));
  throw new PromptSetError(`${path}: a prompt set is a folder, a .jsonl or a .txt file (got '${ext || 'no extension'}').`);
}

function readFolder(dir: string): StudyPrompt[] {
  const names = readdirSync(dir)
    .filter((n) => !n.startsWith('.') && PROMPT_FILE_EXTENSIONS.includes(extname(n).toLowerCase()))
    .filter((n) => statSync(join(dir, n)).isFile())
    .sort();
  return names.map((name, index) => {
    const text = readFileSync(join(dir, name), 'utf8');
    if (text.trim() === '') throw new PromptSetError(`${join(dir, name)}: the prompt file is empty.`);
    return { index, id: name, source: join(basename(dir), name), text, fromMessages: false };
  });
}

/** One prompt per non-blank line. */
export function parseLines(content: string, name: string): StudyPrompt[] {
  const out: StudyPrompt[] = [];
  content.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    out.push({ index: out.length, id: `p${out.length + 1}`, source: `${name}:${i + 1}`, text: line, fromMessages: false });
  });
  return out;
}

/** One JSON object per non-blank line: {text} or {messages}, optional unique id. */
export function parseJsonl(content: string, name: string): StudyPrompt[] {
  const out: StudyPrompt[] = [];
  const seen = new Map<string, number>();
  content.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `${name}:${i + 1}`;
    const { text, fromMessages, id } = parseJsonlLine(line, at);
    const pid = id ?? `p${out.length + 1}`;
    const dup = seen.get(pid);
    if (dup !== undefined) throw new PromptSetError(`${at}: id '${pid}' is used already on line ${dup}; ids must be unique.`);
    seen.set(pid, i + 1);
    out.push({ index: out.length, id: pid, source: at, text, fromMessages });
  });
  return out;
}

function parseJsonlLine(line: string, at: string): { text: string; fromMessages: boolean; id: string | undefined } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new PromptSetError(`${at}: not valid JSON (${(e as Error).message}); each line is {"text": "..."} or {"messages": [...]}.`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PromptSetError(`${at}: expected a JSON object {"text": "..."} or {"messages": [...]}.`);
  const o = v as Record<string, unknown>;
  const id = o['id'];
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') throw new PromptSetError(`${at}: "id" must be a string or a number.`);
  const sid = id === undefined ? undefined : String(id);
  if (typeof o['text'] === 'string') {
    if (o['text'].trim() === '') throw new PromptSetError(`${at}: "text" is empty.`);
    return { text: o['text'], fromMessages: false, id: sid };
  }
  if (o['text'] !== undefined) throw new PromptSetError(`${at}: "text" must be a string.`);
  if (o['messages'] !== undefined) return { text: renderMessages(o['messages'], at), fromMessages: true, id: sid };
  throw new PromptSetError(`${at}: needs "text" (a string) or "messages" (an array of {"role", "content"}).`);
}

/** The user messages' contents joined by a blank line (see the file comment). */
export function renderMessages(messages: unknown, at: string): string {
  if (!Array.isArray(messages) || messages.length === 0) throw new PromptSetError(`${at}: "messages" must be a non-empty array of {"role", "content"}.`);
  const users: string[] = [];
  messages.forEach((m: unknown, k) => {
    const o = m as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || typeof o['role'] !== 'string' || typeof o['content'] !== 'string') {
      throw new PromptSetError(`${at}: messages[${k}] must be {"role": string, "content": string}.`);
    }
    if (o['role'] === 'user') users.push(o['content']);
  });
  const text = users.join('\n\n');
  if (text.trim() === '') throw new PromptSetError(`${at}: no user message with content in "messages".`);
  return text;
}
