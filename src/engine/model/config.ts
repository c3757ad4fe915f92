/**
 * Reads a model folder's config.json and normalises it through the architecture registry. BOS/EOS
 * ids missing from config.json are taken from generation_config.json, then from the special
 * tokens named in tokenizer_config.json (resolved through tokenizer.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { repoIdOfSnapshot } from '../../node/hfCache';
import { SinkLensError } from '../../shared/errors';
import type { RawConfig } from '../arch/adapter';
import { tokenId } from '../arch/configFields';
import { getAdapter } from '../arch/registry';
import type { CanonicalConfig } from '../arch/types';

/** Parses an optional JSON file; null when absent. Throws `errorCode` when present but invalid. */
export function readJsonFile(path: string, errorCode: 'badConfig' | 'badTokenizer' = 'badConfig'): RawConfig | null {
  if (!existsSync(path)) return null;
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as RawConfig;
  } catch (e) {
    throw new SinkLensError(errorCode, `${basename(path)} is not valid JSON: ${(e as Error).message}.`, `File: ${path}. Re-download it.`);
  }
}

export function readRawConfig(dir: string): RawConfig {
  const raw = readJsonFile(join(dir, 'config.json'));
  if (!raw) {
    throw new SinkLensError('badConfig', `No config.json in ${dir}.`, 'A model folder needs the Hugging Face config.json next to its weights.');
  }
  return raw;
}

/** `org/name` for an HF cache snapshot, `_name_or_path` when it is a repo id, else the folder name. */
export function modelDisplayName(dir: string, raw: RawConfig): string {
  const repo = repoIdOfSnapshot(dir);
  if (repo !== undefined) return repo;
  const n = raw['_name_or_path'];
  if (typeof n === 'string' && /^[\w.-]+\/[\w.-]+$/.test(n) && !n.startsWith('.')) return n;
  return basename(dir);
}

/** Resolves a special-token string (or `{ content }`) to its id through tokenizer.json. */
function specialTokenId(dir: string, tok: unknown): number | null {
  const content = typeof tok === 'string' ? tok : (tok as { content?: unknown } | null)?.content;
  if (typeof content !== 'string') return null;
  let tj: RawConfig | null;
  try {
    tj = readJsonFile(join(dir, 'tokenizer.json'), 'badTokenizer');
  } catch {
    return null; // the tokenizer loader reports a broken tokenizer.json with its own error
  }
  const added = (tj?.['added_tokens'] ?? []) as { id: number; content: string }[];
  const hit = added.find((t) => t.content === content);
  if (hit) return hit.id;
  const vocab = (tj?.['model'] as { vocab?: unknown } | undefined)?.vocab;
  if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) return tokenId((vocab as Record<string, unknown>)[content]);
  return null;
}

function fillSpecialIds(dir: string, cfg: CanonicalConfig): CanonicalConfig {
  if (cfg.bosTokenId !== null && cfg.eosTokenId !== null) return cfg;
  const gen = readJsonFile(join(dir, 'generation_config.json'));
  const tokCfg = readJsonFile(join(dir, 'tokenizer_config.json'), 'badTokenizer');
  const bos = cfg.bosTokenId ?? tokenId(gen?.['bos_token_id']) ?? specialTokenId(dir, tokCfg?.['bos_token']);
  const eos = cfg.eosTokenId ?? tokenId(gen?.['eos_token_id']) ?? specialTokenId(dir, tokCfg?.['eos_token']);
  return { ...cfg, bosTokenId: bos, eosTokenId: eos };
}

export function loadConfig(dir: string): CanonicalConfig {
  const raw = readRawConfig(dir);
  const adapter = getAdapter(raw['model_type']);
  return fillSpecialIds(dir, adapter.normalizeConfig(raw, modelDisplayName(dir, raw)));
}
