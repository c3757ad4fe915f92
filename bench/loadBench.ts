/**
 * `npm run bench:load` (benchmark 7c): load time cold vs cached, and peak RSS against the memory
 * plan's estimate, on generated Llama-shaped BF16 models written under /tmp (deleted afterwards).
 * Each load is a fresh `sinklens analyze` process under /usr/bin/time, so RSS and timings are
 * what a user gets. Shapes: small (d 768, 12 layers, vocab 32000), mid (d 1024, 16 layers,
 * vocab 50304), 1b (Llama-3.2-1B: d 2048, 16 layers, 32/8 heads, ffn 8192, vocab 128256).
 *   npx tsx bench/loadBench.ts [--shapes small,mid,1b] [--tokens 64] [--root /tmp]
 */
import { join, resolve } from 'node:path';
import { LOAD_HEADER, loadRowText, measureLoad } from './loadMeasure';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const ROOT = resolve(__dirname, '..');
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/engine/cli/main.ts')];

const rows = [...LOAD_HEADER];
for (const shape of arg('shapes', 'small,mid').split(',')) {
  rows.push(loadRowText(measureLoad(shape, Number(arg('tokens', '64')), arg('root', '/tmp'), CLI, ROOT)));
  process.stdout.write(`${rows.at(-1)}\n`);
}
process.stdout.write(`\n${rows.join('\n')}\n`);
