/**
 * Reads a model folder's config.json and normalises it through the architecture registry. BOS/EOS
 * ids missing from config.json are taken from generation_config.json, then from the special
 * tokens named in tokenizer_config.json (resolved through tokenizer.json).
 */
import { basename, join } from 'node:path';
import { repoIdOfSnapshot } from '../../node/hfCache';
import { SinkLensError } from '../../shared/errors';
import type { RawConfig } from '../arch/adapter';
import { tokenId } from '../arch/configFields';
import { checkCanonicalConfig } from '../arch/checkConfig';
import { getAdapter } from '../arch/registry';
import type { CanonicalConfig } from '../arch/types';
import { readJsonFile } from './jsonFile';
import { specialTokenId, tokenizerFiles, type TokenizerFiles } from './tokenizerFiles';

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

/**
 * BOS and EOS, resolved here once for the whole engine (the tokenizer uses `bosTokenId` as is):
 * config.json, else generation_config.json, else the token tokenizer_config.json names.
 */
function fillSpecialIds(dir: string, cfg: CanonicalConfig, tok: TokenizerFiles): CanonicalConfig {
  if (cfg.bosTokenId !== null && cfg.eosTokenId !== null) return cfg;
  const gen = readJsonFile(join(dir, 'generation_config.json'));
  const tokCfg = tok.config();
  const bos = cfg.bosTokenId ?? tokenId(gen?.['bos_token_id']) ?? specialTokenId(tok, tokCfg['bos_token']);
  const eos = cfg.eosTokenId ?? tokenId(gen?.['eos_token_id']) ?? specialTokenId(tok, tokCfg['eos_token']);
  return { ...cfg, bosTokenId: bos, eosTokenId: eos };
}

/** `tok` shares the parsed tokenizer files with `loadTokenizer` (load.ts passes the same one). */
export function loadConfig(dir: string, tok: TokenizerFiles = tokenizerFiles(dir)): CanonicalConfig {
  const raw = readRawConfig(dir);
  const adapter = getAdapter(raw['model_type']);
  return checkCanonicalConfig(fillSpecialIds(dir, adapter.normalizeConfig(raw, modelDisplayName(dir, raw)), tok), join(dir, 'config.json'));
}
