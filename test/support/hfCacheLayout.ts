/** Writes a Hugging Face cache snapshot (`models--org--name/snapshots/<commit>` + refs) for cache-scan tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function snapshot(root: string, repo: string, commit: string, files: Record<string, string>, refs: Record<string, string> = {}): string {
  const repoDir = join(root, `models--${repo.replace('/', '--')}`);
  const dir = join(repoDir, 'snapshots', commit);
  mkdirSync(dir, { recursive: true });
  for (const [n, c] of Object.entries(files)) writeFileSync(join(dir, n), c);
  for (const [r, c] of Object.entries(refs)) {
    mkdirSync(join(repoDir, 'refs', r, '..'), { recursive: true });
    writeFileSync(join(repoDir, 'refs', r), `${c}\n`);
  }
  return dir;
}

/** The smallest folder the scan accepts as a model: a config naming a family, and a safetensors file. */
export const MINIMAL_MODEL = { 'config.json': '{"model_type":"llama"}', 'model.safetensors': 'x' };
