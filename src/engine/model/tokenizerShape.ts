/**
 * Structural checks on tokenizer.json before it reaches @huggingface/tokenizers: the file is untrusted, and
 * the library assumes its shape (a vocabulary id of 2^31 makes it allocate for minutes; a Sequence whose list
 * is not an array throws a raw TypeError). Anything outside the shapes the library reads is refused as
 * `badTokenizer` with the JSON path named.
 */
import { SinkLensError } from '../../shared/errors';

/** Token ids beyond this are not real vocabularies (the largest real ones are ~260k). */
const MAX_ID = 1 << 22;
const MODEL_TYPES = new Set(['BPE', 'WordPiece', 'WordLevel', 'Unigram']);
/** Component kinds that nest a list of components, and the key of that list. */
const SEQUENCES: Record<string, string> = { normalizer: 'normalizers', pre_tokenizer: 'pretokenizers', post_processor: 'processors', decoder: 'decoders' };

type Bad = (path: string, what: string) => never;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): boolean => typeof v === 'number' && (v | 0) === v && v >= 0 && v < MAX_ID;

export function checkTokenizerJson(tj: unknown, file: string): void {
  const bad: Bad = (path, what) => {
    throw new SinkLensError('badTokenizer', `${file}: ${path} ${what}.`, 'The tokenizer file is damaged or in a format SinkLens does not read; re-download tokenizer.json.');
  };
  if (!isObj(tj)) bad('the file', 'is not a JSON object');
  const model = (tj as Record<string, unknown>)['model'];
  if (!isObj(model)) return bad('"model"', 'is missing or not an object');
  checkModel(model, bad);
  const added = (tj as Record<string, unknown>)['added_tokens'];
  if (added !== undefined && added !== null) {
    if (!Array.isArray(added)) bad('"added_tokens"', 'is not a list');
    (added as unknown[]).forEach((t, i) => {
      if (!isObj(t) || !isId(t['id']) || typeof t['content'] !== 'string') bad(`"added_tokens"[${i}]`, `needs an integer id in 0..${MAX_ID - 1} and a string content`);
    });
  }
  for (const [key, listKey] of Object.entries(SEQUENCES)) checkComponent((tj as Record<string, unknown>)[key], `"${key}"`, listKey, bad, 0);
}

function checkModel(model: Record<string, unknown>, bad: Bad): void {
  const type = model['type'] ?? (Array.isArray(model['vocab']) ? 'Unigram' : 'BPE');
  if (typeof type !== 'string' || !MODEL_TYPES.has(type)) bad('"model.type"', `is ${JSON.stringify(type)}; supported: ${[...MODEL_TYPES].join(', ')}`);
  const vocab = model['vocab'];
  if (type === 'Unigram') {
    if (!Array.isArray(vocab) || vocab.length >= MAX_ID) return bad('"model.vocab"', 'must be a list of [piece, score] pairs');
    vocab.forEach((e, i) => {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') bad(`"model.vocab"[${i}]`, 'must be a [piece, score] pair');
    });
    return;
  }
  if (!isObj(vocab)) return bad('"model.vocab"', 'must map pieces to ids');
  // Plain loops, no array or closure per entry: real vocabularies and merge lists run to hundreds of
  // thousands of entries and this runs on every load (Object.entries with a closure per entry took
  // ~150 ms on a 128k-piece BPE file; for-in, which also enumerates the object once, ~60 ms).
  const ids = vocab as Record<string, unknown>;
  for (const piece in ids) {
    if (!isId(ids[piece])) bad(`"model.vocab"[${JSON.stringify(piece.slice(0, 40))}]`, `is ${JSON.stringify(ids[piece])}; ids are integers in 0..${MAX_ID - 1}`);
  }
  const merges = model['merges'];
  if (type === 'BPE' && merges !== undefined && merges !== null) {
    if (!Array.isArray(merges)) return bad('"model.merges"', 'is not a list');
    for (let i = 0; i < merges.length; i++) if (!isMerge(merges[i])) bad(`"model.merges"[${i}]`, 'must be "a b" or ["a", "b"]');
  }
}

/** A merge rule as tokenizer.json writes it: "a b", or ["a", "b"] (the newer format). */
function isMerge(m: unknown): boolean {
  return typeof m === 'string' || (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string');
}

function checkComponent(c: unknown, path: string, listKey: string, bad: Bad, depth: number): void {
  if (c === undefined || c === null) return;
  if (!isObj(c) || typeof c['type'] !== 'string') return bad(path, 'must be null or an object with a string "type"');
  if (depth > 8) bad(path, 'nests too deeply');
  if (c['type'] === 'Sequence') {
    const list = c[listKey];
    if (!Array.isArray(list)) return bad(`${path}.${listKey}`, 'must be a list');
    list.forEach((x, i) => checkComponent(x, `${path}.${listKey}[${i}]`, listKey, bad, depth + 1));
  }
}
