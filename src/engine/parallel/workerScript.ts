/**
 * Where a worker thread's script is: the bundle `<name>.js` beside the calling bundle (dist/: the extension's
 * engine, the CLI, the benchmark), or, under tsx (the tests), the TypeScript source `<name>.ts` beside the
 * calling module, loaded through tsx's require hook. One rule for every worker the engine starts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkerScript {
  /** A file path, or (eval) code for `new Worker(code, { eval: true })`. */
  code: string;
  eval: boolean;
}

/** `dir`: the caller's __dirname. null when neither the bundle nor the source is there. */
export function workerScript(dir: string, name: string): WorkerScript | null {
  const bundled = join(dir, `${name}.js`);
  if (existsSync(bundled)) return { code: bundled, eval: false };
  const source = join(dir, `${name}.ts`);
  if (existsSync(source)) return { code: `require('tsx/cjs'); require(${JSON.stringify(source)});`, eval: true };
  return null;
}
