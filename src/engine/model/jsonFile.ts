/** Optional JSON-object files of a model folder (config.json, generation_config.json, tokenizer files). */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SinkLensError } from '../../shared/errors';

/** A parsed JSON object (config.json and friends). */
export type JsonObject = Record<string, unknown>;

/** Parses an optional JSON file; null when absent. Throws `errorCode` when present but invalid. */
export function readJsonFile(path: string, errorCode: 'badConfig' | 'badTokenizer' = 'badConfig'): JsonObject | null {
  if (!existsSync(path)) return null;
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as JsonObject;
  } catch (e) {
    throw new SinkLensError(errorCode, `${basename(path)} is not valid JSON: ${(e as Error).message}.`, `File: ${path}. Re-download it.`);
  }
}
