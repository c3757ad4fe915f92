/**
 * "Is this a model folder" decided in one place, for the cache scan, the CLI's `--dir` folders and
 * the extension's Add Model Folder: a folder with a config.json that is a JSON object and
 * safetensors weights (`*.safetensors` or a `*.safetensors.index.json`). Whether SinkLens supports
 * the folder's `model_type` is a separate question, answered by the engine's registry.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ModelFolderCheck {
  /** Why the folder is not a model folder; null when it is one. */
  problem: string | null;
  /** config.json `model_type` when it is a string. */
  modelType?: string;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function checkModelFolder(dir: string): ModelFolderCheck {
  if (!isDir(dir)) return { problem: `${dir} is not a folder.` };
  const config = join(dir, 'config.json');
  if (!existsSync(config)) return { problem: `${dir} has no config.json; pick the folder that holds config.json and the *.safetensors weights.` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(config, 'utf8'));
  } catch (e) {
    return { problem: `${config} is not valid JSON (${(e as Error).message}).` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: `${config} is not a JSON object.` };
  const t = (parsed as { model_type?: unknown }).model_type;
  const modelType = typeof t === 'string' ? { modelType: t } : {};
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    return { problem: `${dir} cannot be read (${(e as Error).message}).`, ...modelType };
  }
  if (!names.some((n) => n.endsWith('.safetensors') || n.endsWith('.safetensors.index.json'))) {
    return { problem: `${dir} has no *.safetensors weights; SinkLens reads safetensors checkpoints only.`, ...modelType };
  }
  return { problem: null, ...modelType };
}

/** Why a folder is not a usable model folder, or null when it is one. */
export function modelFolderProblem(dir: string): string | null {
  return checkModelFolder(dir).problem;
}

export function isModelFolder(dir: string): boolean {
  return checkModelFolder(dir).problem === null;
}
