/**
 * Which files of a hub repo make a SinkLens model: the config, safetensors weights (+ shard index) and
 * the tokenizer files. PyTorch pickles (.bin/.pt), ONNX exports and everything else are skipped: the
 * engine reads safetensors only, and pickles are unsafe to load anyway.
 */
import { SinkLensError } from '../../shared/errors';
import { checkEtag } from './layout';

/** A tree entry as the hub's `/api/models/{repo}/tree/{rev}` returns it (the fields we use). */
export interface TreeEntry {
  type: string;
  path: string;
  size: number;
  oid?: string;
  lfs?: { oid: string; size: number };
}

export interface RemoteFile {
  name: string;
  size: number;
  /** Blob name in the cache: the LFS sha256 for LFS files, the git blob sha1 otherwise. */
  etag: string;
  /** sha256 hex for LFS files; git blob sha1 for the others (checked with the git blob header). */
  check: { kind: 'sha256'; hex: string } | { kind: 'gitSha1'; hex: string };
}

const EXACT = new Set([
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'model.safetensors.index.json',
]);

function wanted(name: string): boolean {
  return EXACT.has(name) || name.endsWith('.safetensors') || name.endsWith('.safetensors.index.json');
}

/**
 * Picks the model files from a tree listing, top level only (subfolders hold other formats, e.g. onnx/).
 * Mistral-style `consolidated*.safetensors` duplicates the HF weights, so it is dropped when HF-named
 * safetensors exist. Throws an actionable error when the repo cannot make a SinkLens model.
 */
export function selectFiles(repoId: string, entries: TreeEntry[]): RemoteFile[] {
  const files = entries.filter((e) => e.type === 'file' && !e.path.includes('/') && wanted(e.path));
  for (const e of files) checkRemoteName(repoId, e.path);
  const weights = files.filter((e) => e.path.endsWith('.safetensors'));
  const hfWeights = weights.filter((e) => !e.path.startsWith('consolidated'));
  const keep = hfWeights.length > 0 ? files.filter((e) => !weights.includes(e) || hfWeights.includes(e)) : files;
  const names = new Set(keep.map((e) => e.path));
  if (!names.has('config.json')) {
    throw new SinkLensError('badConfig', `${repoId} has no config.json at the top level, so it is not a transformers model repo.`);
  }
  if (weights.length === 0) {
    throw new SinkLensError('missingWeights', `${repoId} has no *.safetensors weights; SinkLens reads safetensors only (not .bin/.pt). Pick a repo or revision that ships safetensors.`);
  }
  if (!names.has('tokenizer.json')) {
    throw new SinkLensError('missingTokenizer', `${repoId} has no tokenizer.json (a fast tokenizer); SinkLens needs it to tokenize prompts. Pick a repo that ships tokenizer.json.`);
  }
  return keep.map(toRemote).sort(smallFirst);
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * A remote file name becomes a path on disk: it must be one plain component on every platform. Refused: any
 * separator (`/` or `\`), `.`/`..`, drive letters and `:` (Windows streams), control characters, names Windows
 * reserves or trims (trailing dot or space). Checked before any path is built from it.
 */
export function checkRemoteName(repoId: string, name: unknown): string {
  const bad = (why: string): never => {
    throw new SinkLensError('downloadFailed', `${repoId}: the hub listed a file with an unsafe name ${JSON.stringify(name)} (${why}); refusing to download from this listing.`);
  };
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) return bad('empty, too long or not text');
  if (/[/\\]/.test(name)) return bad('path separator');
  if (name === '.' || name === '..' || name.includes('..')) return bad("'..'");
  if (name.includes(':')) return bad("':' (drive letter or stream)");
  if (/[\u0000-\u001f\u007f]/.test(name)) return bad('control character');
  if (/[<>"|?*]/.test(name)) return bad('character not allowed in Windows file names');
  if (WINDOWS_RESERVED.test(name) || /[. ]$/.test(name)) return bad('reserved on Windows');
  return name;
}

function toRemote(e: TreeEntry): RemoteFile {
  if (e.lfs) {
    checkEtag(e.lfs.oid, e.path);
    return { name: e.path, size: e.lfs.size, etag: e.lfs.oid, check: { kind: 'sha256', hex: e.lfs.oid } };
  }
  if (!e.oid) throw new SinkLensError('downloadFailed', `The hub listing has no id for ${e.path}; this endpoint does not look like a Hugging Face hub.`);
  checkEtag(e.oid, e.path);
  return { name: e.path, size: e.size, etag: e.oid, check: { kind: 'gitSha1', hex: e.oid } };
}

/** Small metadata first: a bad config or tokenizer fails in seconds, not after gigabytes. */
function smallFirst(a: RemoteFile, b: RemoteFile): number {
  return a.size - b.size || a.name.localeCompare(b.name);
}
